/* test_engine_alerts.c - the engine's alerts beyond thresholds, driven by a
 * fake clock and a recording publisher: rise rules on the samples received
 * (a gap is no rise), mask rules as one alert per bit, all/any rules across
 * two devices, sensor faults (range, sentinel, stuck, not a number) and
 * stale points, a
 * bus down as one root alert, acknowledgements, silences, routing, and
 * state resumed after a restart without a fresh firing event, and
 * operators' silences resumed with their ids. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "alerting/engine.h"

/* ---- a publisher that records ---- */

#define MAX_RECORDS 512

struct recorder {
	char events[MAX_RECORDS][200];
	size_t nevents;
	size_t alert_states;
	const char *watch;          /* count the states of this alert */
	size_t watched_states;
};

static void rec_alert_state(void *ctx, const struct eng_alert *a)
{
	struct recorder *r = ctx;
	r->alert_states++;
	r->watched_states += r->watch && strcmp(r->watch, a->name) == 0;
}

static void rec_event(void *ctx, const struct eng_event *e)
{
	struct recorder *r = ctx;
	if (r->nevents >= MAX_RECORDS)
		return;
	if (e->notice)
		snprintf(r->events[r->nevents++], sizeof r->events[0], "%s %s %s",
		         eng_event_type_name(e->kind), e->notice->subject, e->notice->action);
	else if (e->kind == ENG_EVENT_ACK)
		snprintf(r->events[r->nevents++], sizeof r->events[0], "%s ack by %s",
		         e->alert->name, e->alert->ack ? e->alert->ack->by : "");
	else
		snprintf(r->events[r->nevents++], sizeof r->events[0], "%s %s->%s",
		         e->alert->name, alert_state_name(e->t.from), alert_state_name(e->t.to));
}

/* ---- a room: a CRAC and a fire panel on one RS-485 line, a sensor ---- */

static struct fm_point crac_points[] = {
	{.name = "supply_temp", .bit = -1, .type = FM_TYPE_FLOAT32, .scale = 1, .unit = "degC",
	 .has_valid_min = true, .valid_min = -20, .has_valid_max = true, .valid_max = 80,
	 .sentinels = {-32768}, .nsentinels = 1},
	{.name = "run", .bit = -1, .scale = 1, .enums = (const struct fm_enum_item[]){{0, "off"}, {1, "on"}}, .nenums = 2},
};
static struct fm_point panel_points[] = {
	{.name = "zones", .bit = -1, .scale = 1, .enum_is_bits = true,
	 .enums = (const struct fm_enum_item[]){{0, "server_room"}, {2, "ups_room"}}, .nenums = 2},
};
static struct fm_point sensor_points[] = {
	{.name = "temp", .bit = -1, .scale = 1, .stuck_after = 600},
};
static struct fm_device devices[] = {
	{.name = "crac", .bus = "rs485", .unit = 1, .interval = 10, .down_after = 2,
	 .stale_after = 30, .points = crac_points, .npoints = 2,
	 .routing = {.location = "room 3", .owner = "facility team"}},
	{.name = "panel", .bus = "rs485", .unit = 2, .interval = 10, .down_after = 2,
	 .stale_after = 30, .points = panel_points, .npoints = 1},
	{.name = "sensor", .bus = "gw", .unit = 1, .interval = 10, .down_after = 2,
	 .stale_after = 30, .points = sensor_points, .npoints = 1},
};
static struct fm_bus buses[] = {
	{.name = "rs485", .type = FM_BUS_MODBUS_RTU},
	{.name = "gw", .type = FM_BUS_MODBUS_TCP},
};
static struct fm_rule rules[] = {
	{.name = "ac-failure-suspected", .nconds = 1,
	 .conds = {{.device = "crac", .point = "supply_temp", .kind = FM_RULE_RISE,
	            .threshold = 3, .within = 600}},
	 .repeat = 60, .controls = {"設76"}, .ncontrols = 1,
	 .routing = {.runbook = "https://wiki/ac"}},
	{.name = "fire", .nconds = 1,
	 .conds = {{.device = "panel", .point = "zones", .kind = FM_RULE_MASK, .mask = 0x7}},
	 .severity = FM_SEV_CRITICAL},
	{.name = "ac-failure", .nconds = 2, .combine = FM_COMBINE_ALL,
	 .conds = {{.device = "crac", .point = "supply_temp", .kind = FM_RULE_ABOVE,
	            .threshold = 25, .clear = 25},
	           {.device = "crac", .point = "run", .kind = FM_RULE_EQUALS, .threshold = 0}}},
	{.name = "warm", .nconds = 1,
	 .conds = {{.device = "sensor", .point = "temp", .kind = FM_RULE_ABOVE,
	            .threshold = 30, .clear = 30}}},
};
static struct fm_config cfg = {
	.buses = buses, .nbuses = 2, .devices = devices, .ndevices = 3,
	.rules = rules, .nrules = 4,
};

struct fixture {
	struct recorder rec;
	struct engine *e;
	int64_t now;
};

static int setup(void **state)
{
	static struct fixture f;
	memset(&f, 0, sizeof f);
	struct eng_publisher pub = {NULL, NULL, rec_alert_state, rec_event, &f.rec};
	f.e = engine_create(&cfg, &pub, 0, 0);
	f.now = 1000;
	*state = &f;
	return f.e ? 0 : -1;
}

static int teardown(void **state)
{
	engine_destroy(((struct fixture *)*state)->e);
	return 0;
}

/* Device DEV answers with VALUES (NAN: that read failed), or not at all
 * (ANSWERED false; LOST: the bus itself could not be reached). */
static void poll_dev(struct fixture *f, size_t dev, const double *values, bool answered,
                     bool lost)
{
	struct fm_point_value v[4];
	size_t n = devices[dev].npoints;
	for (size_t i = 0; i < n; i++)
		v[i] = (struct fm_point_value){
			answered && !isnan(values[i]) ? FM_POINT_OK : FM_POINT_FAILED,
			answered ? values[i] : NAN};
	struct fm_poll_result r = {.device = dev, .values = v, .nvalues = n,
	                           .requests_ok = answered, .requests_failed = !answered,
	                           .connection_lost = lost};
	snprintf(r.error, sizeof r.error, "%s", answered ? "" : "timeout");
	engine_apply_poll(f->e, &r, f->now, f->now);
}

#define CRAC(f, t, run) poll_dev(f, 0, (double[]){t, run}, true, false)
#define PANEL(f, bits) poll_dev(f, 1, (double[]){bits}, true, false)
#define SENSOR(f, t) poll_dev(f, 2, (double[]){t}, true, false)

static bool has_event(const struct fixture *f, size_t from, const char *want)
{
	for (size_t i = from; i < f->rec.nevents; i++)
		if (strcmp(f->rec.events[i], want) == 0)
			return true;
	return false;
}

static void expect_event(const struct fixture *f, size_t from, const char *want)
{
	if (!has_event(f, from, want)) {
		printf("no event \"%s\"; got:\n", want);
		for (size_t i = from; i < f->rec.nevents; i++)
			printf("  %s\n", f->rec.events[i]);
		fail();
	}
}

static enum fm_alert_state state_of(struct fixture *f, const char *name)
{
	struct eng_alert *a = engine_find_alert(f->e, name);
	assert_non_null(a);
	return a->fsm.state;
}

/* Every device answers normally for a while: 22 degC, AC on, no fire. */
static void settle(struct fixture *f, int polls)
{
	for (int i = 0; i < polls; i++) {
		f->now += 10000;
		CRAC(f, 22, 1);
		PANEL(f, 0);
		SENSOR(f, 20 + (i % 2));
	}
}

static void test_rise_fires_early_and_gaps_are_not_rises(void **state)
{
	struct fixture *f = *state;
	settle(f, 3);
	assert_int_equal(state_of(f, "ac-failure-suspected"), FM_ALERT_OK);
	/* +0.5 degC a minute: 3 degC after 6 minutes, long before 30 degC */
	size_t mark = f->rec.nevents;
	for (int m = 1; m <= 6; m++) {
		f->now += 60000;
		CRAC(f, 22 + 0.5 * m, 1);
		PANEL(f, 0);
		SENSOR(f, 20 + m % 2);
	}
	expect_event(f, mark, "ac-failure-suspected ok->firing");
	struct eng_alert *a = engine_find_alert(f->e, "ac-failure-suspected");
	assert_true(fabs(a->value - 3.0) < 1e-9); /* the value is the change */
	assert_string_equal(a->routing.runbook, "https://wiki/ac");   /* the rule's */
	assert_string_equal(a->routing.location, "room 3");           /* the device's */
	assert_string_equal(a->routing.owner, "facility team");
}

static void test_gap_is_no_rise(void **state)
{
	struct fixture *f = *state;
	settle(f, 3);
	/* no samples for 20 minutes (longer than the window), then 4 degC more */
	f->now += 1200000;
	CRAC(f, 26, 1);
	assert_int_equal(state_of(f, "ac-failure-suspected"), FM_ALERT_OK);
}

static void test_mask_is_one_alert_per_bit(void **state)
{
	struct fixture *f = *state;
	settle(f, 1);
	assert_non_null(engine_find_alert(f->e, "fire.server_room"));
	assert_non_null(engine_find_alert(f->e, "fire.bit1")); /* unnamed bit */
	assert_non_null(engine_find_alert(f->e, "fire.ups_room"));
	assert_null(engine_find_alert(f->e, "fire"));
	size_t mark = f->rec.nevents;
	f->now += 10000;
	PANEL(f, 0x4); /* the UPS room zone */
	expect_event(f, mark, "fire.ups_room ok->firing");
	assert_false(has_event(f, mark, "fire.server_room ok->firing"));
	assert_int_equal(state_of(f, "fire.server_room"), FM_ALERT_OK);
	assert_string_equal(engine_find_alert(f->e, "fire.ups_room")->bit_name, "ups_room");
}

/* Bits set one by one, then cleared one by one: each alert follows its
 * own bit and no other. */
static void test_mask_bits_one_by_one(void **state)
{
	struct fixture *f = *state;
	settle(f, 1);
	static const char *const names[] = {"fire.server_room", "fire.bit1", "fire.ups_room"};
	unsigned word = 0;
	for (int step = 0; step < 6; step++) {
		int bit = step < 3 ? step : step - 3;
		word = step < 3 ? word | (1u << bit) : word & ~(1u << bit);
		size_t mark = f->rec.nevents;
		f->now += 10000;
		PANEL(f, word);
		char want[80];
		snprintf(want, sizeof want, "%s %s", names[bit],
		         step < 3 ? "ok->firing" : "firing->resolved");
		expect_event(f, mark, want);
		assert_int_equal(f->rec.nevents, mark + 1); /* that bit's alert only */
		for (int b = 0; b < 3; b++)
			assert_int_equal(state_of(f, names[b]),
			                 (word >> b) & 1u ? FM_ALERT_FIRING
			                 : b == bit       ? FM_ALERT_RESOLVED
			                                  : FM_ALERT_OK);
		/* resolved settles to ok at the next poll */
		f->now += 10000;
		PANEL(f, word);
	}
}

static void test_all_conditions(void **state)
{
	struct fixture *f = *state;
	settle(f, 1);
	f->now += 10000;
	CRAC(f, 27, 1); /* warm but running: no AC failure */
	assert_int_equal(state_of(f, "ac-failure"), FM_ALERT_OK);
	size_t mark = f->rec.nevents;
	f->now += 10000;
	CRAC(f, 27, 0); /* warm and stopped */
	expect_event(f, mark, "ac-failure ok->firing");
	mark = f->rec.nevents;
	f->now += 10000;
	CRAC(f, 27, 1);
	expect_event(f, mark, "ac-failure firing->resolved");
}

static void test_sensor_faults(void **state)
{
	struct fixture *f = *state;
	settle(f, 1);
	/* -32768 is what the probe sends unplugged: a fault, not a reading */
	size_t mark = f->rec.nevents;
	f->now += 10000;
	CRAC(f, -32768, 0);
	expect_event(f, mark, "crac.supply_temp.fault ok->firing");
	expect_event(f, mark, "ac-failure ok->unknown"); /* never a temperature */
	assert_non_null(strstr(engine_find_alert(f->e, "crac.supply_temp.fault")->detail,
	                       "sends -32768"));
	/* outside valid_min..valid_max: a fault too */
	f->now += 10000;
	CRAC(f, 120, 1);
	assert_non_null(strstr(engine_find_alert(f->e, "crac.supply_temp.fault")->detail,
	                       "outside its valid range"));
	mark = f->rec.nevents;
	f->now += 10000;
	CRAC(f, 22, 1);
	expect_event(f, mark, "crac.supply_temp.fault firing->resolved");
	/* stuck: the same reading for stuck_after (600 s) */
	for (int i = 0; i < 30; i++) {
		f->now += 10000;
		SENSOR(f, 21.5);
	}
	mark = f->rec.nevents;
	for (int i = 0; i < 32; i++) {
		f->now += 10000;
		SENSOR(f, 21.5);
	}
	expect_event(f, mark, "sensor.temp.fault ok->firing");
	assert_int_equal(state_of(f, "warm"), FM_ALERT_UNKNOWN);
	/* it changes: not stuck any more */
	mark = f->rec.nevents;
	f->now += 10000;
	SENSOR(f, 21.6);
	expect_event(f, mark, "sensor.temp.fault firing->resolved");
}

/* The CRAC's float answers V as read (NaN too, which poll_dev takes for a
 * failed read). */
static void crac_reads(struct fixture *f, double v)
{
	struct fm_point_value vals[2] = {{FM_POINT_OK, v}, {FM_POINT_OK, 1}};
	struct fm_poll_result r = {.device = 0, .values = vals, .nvalues = 2, .requests_ok = 1};
	f->now += 10000;
	engine_apply_poll(f->e, &r, f->now, f->now);
}

/* A float that is no measurement (NaN, infinite, or a denormal that a wrong
 * word order makes of 22.5) is a sensor fault and leaves its rules unknown:
 * NaN compares false with every threshold, so it would read as a cool room. */
static void test_not_a_number_is_a_fault(void **state)
{
	struct fixture *f = *state;
	const struct {
		double v;
		const char *detail;
	} cases[] = {
		{NAN, "the device sent no number"},
		{INFINITY, "the device sent no number"},
		{-INFINITY, "the device sent no number"},
		{2.4e-41, "a denormal float: the word order is likely wrong"},
	};
	int failures = 0;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		settle(f, 1);
		size_t mark = f->rec.nevents;
		crac_reads(f, cases[i].v);
		const char *detail = engine_find_alert(f->e, "crac.supply_temp.fault")->detail;
		bool fired = has_event(f, mark, "crac.supply_temp.fault ok->firing") &&
		             has_event(f, mark, "ac-failure-suspected ok->unknown");
		if (!fired || !strstr(detail, cases[i].detail)) {
			printf("reading %g: fired %d, detail \"%s\", want \"%s\"\n", cases[i].v,
			       fired, detail, cases[i].detail);
			for (size_t k = mark; k < f->rec.nevents; k++)
				printf("  event %s\n", f->rec.events[k]);
			failures++;
		}
		crac_reads(f, 22);
		settle(f, 2); /* resolved, then ok again for the next case */
	}
	/* the smallest normal float and zero are numbers */
	size_t mark = f->rec.nevents;
	crac_reads(f, 1.2e-38);
	crac_reads(f, 0);
	if (has_event(f, mark, "crac.supply_temp.fault ok->firing")) {
		printf("1.2e-38 or 0 taken for a fault\n");
		failures++;
	}
	assert_int_equal(failures, 0);
}

/* A sensor that could not be read for a while is not stuck for that: the
 * count starts again with the first reading after the gap. */
static void test_no_readings_is_not_stuck(void **state)
{
	struct fixture *f = *state;
	settle(f, 2);
	SENSOR(f, 21.5);
	f->now += 700000; /* longer than stuck_after, no reading at all */
	engine_tick(f->e, f->now, f->now);
	size_t mark = f->rec.nevents;
	for (int i = 0; i < 5; i++) {
		f->now += 10000;
		SENSOR(f, 21.5); /* the same value as before the gap */
		engine_tick(f->e, f->now, f->now);
	}
	assert_false(has_event(f, mark, "sensor.temp.fault ok->firing"));
	assert_int_equal(state_of(f, "sensor.temp.fault"), FM_ALERT_OK);
}

static void test_stale_point_is_unknown(void **state)
{
	struct fixture *f = *state;
	settle(f, 2);
	/* the sensor still answers, but its temperature read keeps failing */
	size_t mark = f->rec.nevents;
	for (int i = 0; i < 2; i++) {
		f->now += 10000;
		poll_dev(f, 2, (double[]){NAN}, true, false);
	}
	assert_int_equal(state_of(f, "warm"), FM_ALERT_OK); /* 20 s: not stale yet */
	f->now += 15000;
	engine_tick(f->e, f->now, f->now);
	expect_event(f, mark, "warm ok->unknown");
}

static void test_bus_down_is_one_alert(void **state)
{
	struct fixture *f = *state;
	settle(f, 1);
	size_t mark = f->rec.nevents;
	for (int i = 0; i < 2; i++) {
		f->now += 10000;
		poll_dev(f, 0, (double[]){0, 0}, false, true);
		poll_dev(f, 1, (double[]){0}, false, true);
	}
	expect_event(f, mark, "rs485.bus ok->firing");
	assert_false(has_event(f, mark, "crac.comm ok->firing"));
	assert_false(has_event(f, mark, "panel.comm ok->firing"));
	assert_int_equal(state_of(f, "crac.comm"), FM_ALERT_UNKNOWN);
	assert_int_equal(state_of(f, "panel.comm"), FM_ALERT_UNKNOWN);
	assert_int_equal(state_of(f, "sensor.comm"), FM_ALERT_OK); /* another bus */
	/* back: the bus resolves, the devices are ok again */
	mark = f->rec.nevents;
	f->now += 10000;
	CRAC(f, 22, 1);
	PANEL(f, 0);
	expect_event(f, mark, "rs485.bus firing->resolved");
	assert_int_equal(state_of(f, "crac.comm"), FM_ALERT_OK);
}

static void test_ack(void **state)
{
	struct fixture *f = *state;
	settle(f, 1);
	assert_int_equal(engine_ack(f->e, "no-such-rule", "tanaka", NULL, f->now),
	                 ENG_ACK_UNKNOWN);
	assert_int_equal(engine_ack(f->e, "fire", "tanaka", NULL, f->now), ENG_ACK_NOT_FIRING);
	f->now += 10000;
	PANEL(f, 0x5);
	size_t mark = f->rec.nevents;
	/* by rule name: every firing alert of the rule */
	assert_int_equal(engine_ack(f->e, "fire", "tanaka", "checked", f->now), ENG_ACK_DONE);
	expect_event(f, mark, "fire.server_room ack by tanaka");
	expect_event(f, mark, "fire.ups_room ack by tanaka");
	assert_int_equal(engine_ack(f->e, "fire.ups_room", "sato", NULL, f->now),
	                 ENG_ACK_ALREADY);
	/* an ack never resolves */
	assert_int_equal(state_of(f, "fire.ups_room"), FM_ALERT_FIRING);
	struct eng_alert *a = engine_find_alert(f->e, "fire.ups_room");
	assert_non_null(a->ack);
	assert_string_equal(a->ack->by, "tanaka");
	assert_string_equal(a->ack->comment, "checked");
	/* resolved and firing again: news again, not acked */
	f->now += 10000;
	PANEL(f, 0);
	f->now += 10000;
	PANEL(f, 0);
	f->now += 10000;
	PANEL(f, 0x4);
	assert_null(a->ack);
}

static void test_ack_stops_repeats(void **state)
{
	struct fixture *f = *state;
	settle(f, 3);
	for (int m = 1; m <= 6; m++) {
		f->now += 60000;
		CRAC(f, 22 + 0.6 * m, 1);
		PANEL(f, 0);
		SENSOR(f, 20 + m % 2);
	}
	assert_int_equal(state_of(f, "ac-failure-suspected"), FM_ALERT_FIRING);
	f->rec.watch = "ac-failure-suspected";
	/* repeat = 60: republished once a minute while polls go on */
	for (int s = 0; s < 6; s++) {
		f->now += 10000;
		CRAC(f, 25.6, 1);
		engine_tick(f->e, f->now, f->now);
	}
	assert_int_equal(f->rec.watched_states, 1);
	assert_int_equal(engine_ack(f->e, "ac-failure-suspected", "sato", NULL, f->now),
	                 ENG_ACK_DONE);
	size_t before = f->rec.watched_states; /* the ack's own state */
	for (int s = 0; s < 12; s++) {
		f->now += 10000;
		CRAC(f, 25.6, 1);
		engine_tick(f->e, f->now, f->now);
	}
	assert_int_equal(state_of(f, "ac-failure-suspected"), FM_ALERT_FIRING);
	assert_int_equal(f->rec.watched_states, before);
}

static void test_silence(void **state)
{
	struct fixture *f = *state;
	settle(f, 1);
	size_t mark = f->rec.nevents;
	unsigned id = engine_silence(f->e, "panel", f->now, f->now + 3600000, "suzuki",
	                             "fire panel maintenance", false, f->now);
	assert_true(id > 0);
	/* setting it is an event of its own, the evidence of who and why */
	expect_event(f, mark, "silence facmon.silence set");
	/* a silence must end */
	assert_int_equal(engine_silence(f->e, "x", f->now, f->now, "a", "b", false, f->now), 0);
	/* the config's windows make no events: the config's hash records them */
	mark = f->rec.nevents;
	unsigned cfg_id = engine_silence(f->e, "sensor", f->now, f->now + 60000, "", "", true,
	                                 f->now);
	assert_true(cfg_id > 0);
	assert_int_equal(f->rec.nevents, mark);
	assert_int_equal(engine_unsilence(f->e, cfg_id, NULL, f->now), 1);
	assert_int_equal(f->rec.nevents, mark);
	mark = f->rec.nevents;
	f->now += 10000;
	PANEL(f, 0x1);
	/* silenced alerts still change state and are stored */
	expect_event(f, mark, "fire.server_room ok->firing");
	struct eng_alert *a = engine_find_alert(f->e, "fire.server_room");
	assert_non_null(a->silence);
	assert_string_equal(a->silence->why, "fire panel maintenance");
	assert_null(engine_find_alert(f->e, "warm")->silence);
	/* it expires by itself, and says so */
	mark = f->rec.nevents;
	engine_tick(f->e, f->now + 3600000, f->now + 3600000);
	assert_null(a->silence);
	assert_int_equal(f->e->nsilences, 0);
	expect_event(f, mark, "silence facmon.silence expired");
	/* and can be ended early */
	id = engine_silence(f->e, "fire.*", f->now, f->now + 60000, "a", "b", false, f->now);
	assert_non_null(a->silence);
	mark = f->rec.nevents;
	assert_int_equal(engine_unsilence(f->e, id, NULL, f->now), 1);
	assert_null(a->silence);
	expect_event(f, mark, "silence facmon.silence cancelled");
}

/* An operator's silence never covers the agent's failure detection (a
 * device's comm, a bus) unless agent.commands.silence_self allows it; the
 * config's own windows may. */
static void test_silence_spares_failure_detection(void **state)
{
	struct fixture *f = *state;
	settle(f, 1);
	struct eng_alert *comm = engine_find_alert(f->e, "crac.comm");
	struct eng_alert *bus = engine_find_alert(f->e, "rs485.bus");
	assert_non_null(comm);
	assert_non_null(bus);
	assert_int_equal(engine_match_count(f->e, "*.comm", true), 0);
	assert_int_equal(engine_match_count(f->e, "*.comm", false), 3);
	unsigned id = engine_silence(f->e, "*", f->now, f->now + 60000, "op", "w", false, f->now);
	assert_non_null(engine_find_alert(f->e, "fire.server_room")->silence);
	assert_null(comm->silence);
	assert_null(bus->silence);
	engine_unsilence(f->e, id, NULL, f->now);
	/* the config's window covers them */
	id = engine_silence(f->e, "*", f->now, f->now + 60000, "", "", true, f->now);
	assert_non_null(comm->silence);
	assert_non_null(bus->silence);
	engine_unsilence(f->e, id, NULL, f->now);
	/* and so does an operator's, where the config allows it */
	cfg.agent.commands.silence_self = true;
	id = engine_silence(f->e, "crac*", f->now, f->now + 60000, "op", "w", false, f->now);
	bool covered = comm->silence != NULL;
	cfg.agent.commands.silence_self = false;
	engine_unsilence(f->e, id, NULL, f->now);
	assert_true(covered);
	assert_int_equal(engine_operator_silences(f->e), 0);
}

static void test_resume_silence_keeps_its_id(void **state)
{
	struct fixture *f = *state;
	settle(f, 1);
	struct eng_silence s = {.id = 7, .start_wall_ms = f->now - 60000,
	                        .end_wall_ms = f->now + 3600000, .from_config = true};
	snprintf(s.match, sizeof s.match, "panel");
	snprintf(s.by, sizeof s.by, "suzuki");
	size_t states = f->rec.alert_states;
	assert_true(engine_resume_silence(f->e, &s, f->now));
	/* the alerts it covers are republished, silenced, by the same silence */
	assert_true(f->rec.alert_states > states);
	struct eng_alert *a = engine_find_alert(f->e, "fire.server_room");
	assert_non_null(a->silence);
	assert_int_equal(a->silence->id, 7);
	assert_false(a->silence->from_config); /* stored ones are the operators' */
	assert_ptr_equal(engine_find_silence(f->e, 7), a->silence);
	assert_null(engine_find_silence(f->e, 8));
	/* its id is taken, and new ones come after it */
	assert_false(engine_resume_silence(f->e, &s, f->now));
	assert_int_equal(engine_silence(f->e, "warm", f->now, f->now + 60000, "a", "b",
	                                false, f->now), 8);
	/* one stored with a lower id does not take the numbering back */
	s.id = 3;
	assert_true(engine_resume_silence(f->e, &s, f->now));
	assert_int_equal(engine_silence(f->e, "warm", f->now, f->now + 60000, "a", "b",
	                                false, f->now), 9);
	/* one that ended while the agent was down is not resumed */
	s.id = 20;
	s.end_wall_ms = f->now;
	assert_false(engine_resume_silence(f->e, &s, f->now));
	assert_null(engine_find_silence(f->e, 20));
	assert_int_equal(f->e->nsilences, 4);
}

static void test_resume_keeps_firing_without_event(void **state)
{
	struct fixture *f = *state;
	assert_true(engine_resume(f->e, "fire.ups_room", FM_ALERT_FIRING, 5000, "tanaka",
	                          "seen", 6000, f->now));
	assert_false(engine_resume(f->e, "no-such", FM_ALERT_FIRING, 0, NULL, NULL, 0, 0));
	/* the panel has not answered yet: the alert waits, no unknown */
	f->now += 10000;
	poll_dev(f, 1, (double[]){0}, false, false);
	assert_int_equal(state_of(f, "fire.ups_room"), FM_ALERT_FIRING);
	/* still burning: still firing, no fresh firing event, ack kept */
	size_t mark = f->rec.nevents;
	f->now += 10000;
	PANEL(f, 0x4);
	assert_false(has_event(f, mark, "fire.ups_room unknown->firing"));
	assert_false(has_event(f, mark, "fire.ups_room ok->firing"));
	assert_int_equal(state_of(f, "fire.ups_room"), FM_ALERT_FIRING);
	assert_non_null(engine_find_alert(f->e, "fire.ups_room")->ack);
	/* out: resolved, as news */
	f->now += 10000;
	PANEL(f, 0);
	expect_event(f, mark, "fire.ups_room firing->resolved");
}

static void test_self_health(void **state)
{
	struct fixture *f = *state;
	static const char controls[][FM_CONTROL_MAX] = {"8.17"};
	/* not defined yet: nothing happens */
	engine_self_observe(f->e, 0, FM_COND_TRUE, "x", f->now, f->now);
	assert_int_equal(f->rec.nevents, 0);
	engine_self_define(f->e, 0, "facmon.clock", FM_SEV_WARNING, controls, 1);
	engine_self_observe(f->e, 0, FM_COND_TRUE, "not synchronised", f->now, f->now);
	expect_event(f, 0, "facmon.clock unknown->firing");
	struct eng_alert *a = engine_find_alert(f->e, "facmon.clock");
	assert_string_equal(a->controls[0], "8.17");
	assert_string_equal(a->detail, "not synchronised");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_rise_fires_early_and_gaps_are_not_rises),
		T(test_gap_is_no_rise),
		T(test_mask_is_one_alert_per_bit),
		T(test_mask_bits_one_by_one),
		T(test_all_conditions),
		T(test_sensor_faults),
		T(test_not_a_number_is_a_fault),
		T(test_no_readings_is_not_stuck),
		T(test_stale_point_is_unknown),
		T(test_bus_down_is_one_alert),
		T(test_ack),
		T(test_ack_stops_repeats),
		T(test_silence),
		T(test_silence_spares_failure_detection),
		T(test_resume_silence_keeps_its_id),
		T(test_resume_keeps_firing_without_event),
		T(test_self_health),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
