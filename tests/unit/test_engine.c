/* test_engine.c - the engine driven by a fake clock and a publisher that
 * records what it was given: device states, the built-in comm rule, unknown
 * when a device is down, `for` delays via engine_tick, hysteresis, partial
 * polls, seq numbering, and one alert per row of a walked table column. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdlib.h>

#include "base/clock.h"
#include "alerting/engine.h"
#include "outputs/payload.h"

/* ---- a publisher that records ---- */

#define MAX_RECORDS 256

struct recorder {
	char events[MAX_RECORDS][320];
	size_t nevents;
	uint64_t seqs[MAX_RECORDS];
	size_t telemetry;
	char last_telemetry[1024]; /* the payload built at the last telemetry */
	size_t device_states;
	size_t alert_states;
};

static void rec_telemetry(void *ctx, const struct eng_device *d)
{
	struct recorder *r = ctx;
	char *json = payload_telemetry(d);
	snprintf(r->last_telemetry, sizeof r->last_telemetry, "%s", json ? json : "");
	free(json);
	r->telemetry++;
}

static void rec_device_state(void *ctx, const struct eng_device *d, bool changed)
{
	(void)d;
	(void)changed;
	((struct recorder *)ctx)->device_states++;
}

static void rec_alert_state(void *ctx, const struct eng_alert *a)
{
	(void)a;
	((struct recorder *)ctx)->alert_states++;
}

static void rec_event(void *ctx, const struct eng_event *e)
{
	struct recorder *r = ctx;
	if (r->nevents >= MAX_RECORDS)
		return;
	snprintf(r->events[r->nevents], sizeof r->events[0], "%s %s->%s", e->alert->name,
	         alert_state_name(e->t.from), alert_state_name(e->t.to));
	r->seqs[r->nevents++] = e->seq;
}

/* ---- a small room: one device, two points, two rules ---- */

static struct fm_point points[] = {
	{.name = "temperature", .read = FM_READ_INPUT, .address = 1, .type = FM_TYPE_INT16,
	 .bit = -1, .scale = 0.1, .unit = "degC"},
	{.name = "humidity", .read = FM_READ_INPUT, .address = 2, .type = FM_TYPE_UINT16,
	 .bit = -1, .scale = 0.1, .unit = "%RH"},
};
static struct fm_device devices[] = {
	{.name = "rack", .bus = "b1", .unit = 1, .interval = 10, .down_after = 3,
	 .stale_after = 300, .points = points, .npoints = 2},
};
static struct fm_bus buses[] = {{.name = "b1", .type = FM_BUS_MODBUS_TCP}};
static struct fm_rule rules[] = {
	{.name = "temp-high", .nconds = 1,
	 .conds = {{.device = "rack", .point = "temperature", .kind = FM_RULE_ABOVE,
	            .threshold = 30, .clear = 28}},
	 .severity = FM_SEV_CRITICAL, .controls = {"設46"}, .ncontrols = 1},
	{.name = "temp-slow", .nconds = 1,
	 .conds = {{.device = "rack", .point = "temperature", .kind = FM_RULE_ABOVE,
	            .threshold = 30, .clear = 30}},
	 .for_s = 60},
	{.name = "hum-high", .nconds = 1,
	 .conds = {{.device = "rack", .point = "humidity", .kind = FM_RULE_ABOVE,
	            .threshold = 70, .clear = 65}},
	 .repeat = 30},
};
static struct fm_config cfg = {
	.buses = buses, .nbuses = 1, .devices = devices, .ndevices = 1,
	.rules = rules, .nrules = 3,
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
	struct eng_publisher pub = {rec_telemetry, rec_device_state, rec_alert_state,
	                            rec_event, &f.rec};
	f.e = engine_create(&cfg, &pub, 0, 0);
	*state = &f;
	return f.e ? 0 : -1;
}

static int teardown(void **state)
{
	engine_destroy(((struct fixture *)*state)->e);
	return 0;
}

/* One poll at +10 s: temperature and humidity, NAN meaning "failed". */
static void poll(struct fixture *f, double temp, double hum)
{
	struct fm_point_value v[2] = {
		{isnan(temp) ? FM_POINT_FAILED : FM_POINT_OK, temp},
		{isnan(hum) ? FM_POINT_FAILED : FM_POINT_OK, hum},
	};
	unsigned ok = !isnan(temp) + !isnan(hum);
	struct fm_poll_result r = {.device = 0, .values = v, .nvalues = 2,
	                           .requests_ok = ok, .requests_failed = 2 - ok};
	snprintf(r.error, sizeof r.error, "%s", ok == 2 ? "" : "read input: timeout");
	f->now += 10000;
	engine_apply_poll(f->e, &r, f->now, f->now);
}

/* Checks the events recorded since index FROM against WANT, in order. */
static void expect_events(struct fixture *f, size_t from, const char *const *want,
                          size_t nwant)
{
	int failures = 0;
	size_t got = f->rec.nevents - from;
	for (size_t i = 0; i < nwant || i < got; i++) {
		const char *g = i < got ? f->rec.events[from + i] : "(none)";
		const char *w = i < nwant ? want[i] : "(none)";
		if (strcmp(g, w) != 0) {
			printf("event %zu: got \"%s\", want \"%s\"\n", from + i, g, w);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

#define EXPECT(f, from, ...)                                                  \
	do {                                                                      \
		static const char *const want_[] = {__VA_ARGS__};                     \
		expect_events(f, from, want_, sizeof want_ / sizeof want_[0]);        \
	} while (0)

static void test_never_heard_device_goes_down(void **state)
{
	struct fixture *f = *state;
	poll(f, NAN, NAN);
	poll(f, NAN, NAN);
	assert_int_equal(f->rec.nevents, 0); /* not down yet, nothing assumed */
	poll(f, NAN, NAN);
	/* one device that cannot be reached, but the bus itself answers */
	EXPECT(f, 0, "b1.bus unknown->ok", "rack.comm unknown->firing");
	assert_int_equal(f->e->devices[0].health.state, FM_DEV_DOWN);
	assert_int_equal(engine_find_alert(f->e, "temp-high")->fsm.state, FM_ALERT_UNKNOWN);
	/* down: one telemetry saying so, with no value and none in the past */
	assert_int_equal(f->rec.telemetry, 1);
	assert_non_null(strstr(f->rec.last_telemetry, "\"ts\":null"));
	assert_non_null(strstr(f->rec.last_telemetry,
	                       "\"temperature\":{\"v\":null,\"stale\":true,\"unit\":\"degC\"}"));
	/* it comes back: comm resolves, rules get their first verdict */
	size_t mark = f->rec.nevents;
	poll(f, 22.5, 45);
	EXPECT(f, mark, "rack.comm firing->resolved", "temp-high unknown->ok",
	       "temp-slow unknown->ok", "hum-high unknown->ok");
	assert_int_equal(f->rec.telemetry, 2);
	assert_non_null(strstr(f->rec.last_telemetry, "\"state\":\"up\""));
	assert_non_null(strstr(f->rec.last_telemetry, "\"temperature\":{\"v\":22.5,"));
}

static cJSON *telemetry_point(cJSON *doc, const char *name)
{
	return cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "points"), name);
}

/* A device that goes down replaces its telemetry once with one that shows
 * no value as current: each point null and stale, with its last value and
 * when; a failed poll before that (degraded) publishes nothing. */
static void test_down_device_telemetry_is_stale(void **state)
{
	struct fixture *f = *state;
	poll(f, 22.5, 45);
	int64_t read_at = f->now;
	poll(f, NAN, NAN);
	poll(f, NAN, NAN);
	assert_int_equal(f->rec.telemetry, 1);
	assert_int_equal(f->e->devices[0].health.state, FM_DEV_DEGRADED);
	poll(f, NAN, NAN);
	assert_int_equal(f->e->devices[0].health.state, FM_DEV_DOWN);
	assert_int_equal(f->rec.telemetry, 2);
	poll(f, NAN, NAN); /* still down: said once is enough */
	assert_int_equal(f->rec.telemetry, 2);

	cJSON *doc = cJSON_Parse(f->rec.last_telemetry);
	assert_non_null(doc);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "state")), "down");
	char want_ts[CLOCK_ISO_LEN];
	clock_iso8601(read_at, want_ts, sizeof want_ts);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "ts")), want_ts);
	const char *names[] = {"temperature", "humidity"};
	const double lasts[] = {22.5, 45};
	for (int i = 0; i < 2; i++) {
		cJSON *pt = telemetry_point(doc, names[i]);
		assert_non_null(pt);
		assert_true(cJSON_IsNull(cJSON_GetObjectItem(pt, "v")));
		assert_true(cJSON_IsTrue(cJSON_GetObjectItem(pt, "stale")));
		assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(pt, "last")) == lasts[i]);
		assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(pt, "last_ts")), want_ts);
	}
	cJSON_Delete(doc);
}

static void test_threshold_hysteresis_and_for(void **state)
{
	struct fixture *f = *state;
	poll(f, 22.0, 45);
	size_t mark = f->rec.nevents;
	poll(f, 31.0, 45);
	EXPECT(f, mark, "temp-high ok->firing", "temp-slow ok->pending");
	mark = f->rec.nevents;
	/* the `for` delay expires between polls: engine_tick fires it */
	engine_tick(f->e, f->now + 59000, f->now + 59000);
	assert_int_equal(f->rec.nevents, mark);
	engine_tick(f->e, f->now + 60000, f->now + 60000);
	EXPECT(f, mark, "temp-slow pending->firing");
	f->now += 60000;
	mark = f->rec.nevents;
	poll(f, 29.0, 45); /* between clear (28) and above (30): still firing */
	EXPECT(f, mark, "temp-slow firing->resolved");
	assert_int_equal(engine_find_alert(f->e, "temp-high")->fsm.state, FM_ALERT_FIRING);
	mark = f->rec.nevents;
	poll(f, 27.9, 45);
	EXPECT(f, mark, "temp-high firing->resolved", "temp-slow resolved->ok");
}

static void test_down_makes_rules_unknown(void **state)
{
	struct fixture *f = *state;
	poll(f, 35.0, 45);
	size_t mark = f->rec.nevents;
	poll(f, NAN, NAN); /* one missed poll: degraded, rules keep their state */
	assert_int_equal(f->e->devices[0].health.state, FM_DEV_DEGRADED);
	assert_int_equal(f->rec.nevents, mark);
	poll(f, NAN, NAN);
	poll(f, NAN, NAN);
	EXPECT(f, mark, "rack.comm ok->firing", "temp-high firing->unknown",
	       "temp-slow pending->unknown", "hum-high ok->unknown");
	/* a dead sensor never reads as a cool room */
	assert_false(engine_find_alert(f->e, "temp-high")->has_value);
}

static void test_partial_poll_keeps_state(void **state)
{
	struct fixture *f = *state;
	poll(f, 22.0, 80.0);
	assert_int_equal(engine_find_alert(f->e, "hum-high")->fsm.state, FM_ALERT_FIRING);
	size_t mark = f->rec.nevents;
	poll(f, 22.0, NAN); /* humidity block failed, temperature read */
	assert_int_equal(f->e->devices[0].health.state, FM_DEV_DEGRADED);
	assert_int_equal(f->rec.nevents, mark);
	assert_int_equal(engine_find_alert(f->e, "hum-high")->fsm.state, FM_ALERT_FIRING);
	assert_int_equal(f->e->devices[0].values[1].status, FM_POINT_FAILED);
}

static void test_seq_rises_by_one(void **state)
{
	struct fixture *f = *state;
	poll(f, 22.0, 45);
	poll(f, 31.0, 80);
	poll(f, 20.0, 40);
	poll(f, NAN, NAN);
	poll(f, NAN, NAN);
	poll(f, NAN, NAN);
	assert_true(f->rec.nevents > 5);
	for (size_t i = 0; i < f->rec.nevents; i++)
		assert_int_equal(f->rec.seqs[i], i + 1);
}

static size_t count_states(struct fixture *f, int64_t at)
{
	size_t before = f->rec.alert_states;
	engine_tick(f->e, at, at);
	return f->rec.alert_states - before;
}

static void test_repeat_republishes_firing_alert(void **state)
{
	struct fixture *f = *state;
	poll(f, 22.0, 80.0); /* hum-high fires at f->now, repeat = 30 s */
	int64_t fired = f->now;
	assert_int_equal(count_states(f, fired + 29000), 0);
	assert_int_equal(count_states(f, fired + 30000), 1);
	assert_int_equal(count_states(f, fired + 31000), 0);
	assert_int_equal(count_states(f, fired + 60000), 1);
	/* resolved: no more repeats, and no events from repeating */
	size_t events = f->rec.nevents;
	f->now = fired + 60000;
	poll(f, 22.0, 60.0);
	assert_int_equal(f->rec.nevents, events + 1);
	assert_int_equal(count_states(f, fired + 200000), 0);
}

/* An alert that fired ALERT_FLAP_FIRES times is held firing while clear:
 * it says so (held_flapping, republished once) instead of going quiet. */
static void test_flap_hold_is_told(void **state)
{
	struct fixture *f = *state;
	struct eng_alert *a = engine_find_alert(f->e, "temp-high");
	poll(f, 22.0, 45); /* known and ok first: a firing from unknown is no flap */
	for (int i = 0; i < ALERT_FLAP_FIRES; i++) {
		poll(f, 31.0, 45);
		assert_int_equal(a->fsm.state, FM_ALERT_FIRING);
		assert_false(a->held_flapping);
		poll(f, 22.0, 45);
	}
	/* the 4th firing's clear is held */
	assert_int_equal(a->fsm.state, FM_ALERT_FIRING);
	assert_true(a->held_flapping);
	size_t states = f->rec.alert_states, events = f->rec.nevents;
	poll(f, 22.0, 45); /* still held: nothing new to tell */
	assert_int_equal(f->rec.alert_states, states);
	poll(f, 31.0, 45); /* hot again: no longer merely held */
	assert_false(a->held_flapping);
	assert_true(f->rec.alert_states > states); /* republished: not held */
	assert_string_equal(f->rec.events[f->rec.nevents - 1], "temp-slow ok->pending");
	assert_int_equal(f->rec.nevents, events + 1); /* temp-high: no event */
	f->now += ALERT_FLAP_WINDOW_MS;
	poll(f, 22.0, 45);
	poll(f, 22.0, 45);
	assert_int_not_equal(a->fsm.state, FM_ALERT_FIRING);
	assert_false(a->held_flapping);
}

/* ---- a sensor hub whose rows are found at run time (rows = "all") ---- */

#define HUB_SLOTS 3
static struct fm_point hub_points[HUB_SLOTS];
static struct fm_device hub_devices[] = {
	{.name = "hub", .bus = "snmp", .kind = FM_DEVICE_SNMP, .interval = 10,
	 .down_after = 3, .points = hub_points, .npoints = HUB_SLOTS},
};
static struct fm_rule hub_rules[] = {
	{.name = "hot", .nconds = 1,
	 .conds = {{.device = "hub", .point = "temp", .kind = FM_RULE_ABOVE,
	            .threshold = 30, .clear = 30}}},
};
static struct fm_config hub_cfg = {
	.devices = hub_devices, .ndevices = 1, .rules = hub_rules, .nrules = 1,
};

static int hub_setup(void **state)
{
	static struct fixture f;
	memset(&f, 0, sizeof f);
	for (unsigned k = 0; k < HUB_SLOTS; k++)
		hub_points[k] = (struct fm_point){.name = "temp", .oid = "1.3.6.1.4.1.9.1",
		                                  .slot = k + 1, .nslots = HUB_SLOTS};
	struct eng_publisher pub = {rec_telemetry, rec_device_state, rec_alert_state,
	                            rec_event, &f.rec};
	f.e = engine_create(&hub_cfg, &pub, 0, 0);
	*state = &f;
	return f.e ? 0 : -1;
}

/* One poll of the hub: slot k holds the row NAMES[k] ("" none) with
 * VALUES[k], NAN meaning the row is not there this time. */
static void hub_poll(struct fixture *f, const char *const names[HUB_SLOTS],
                     const double values[HUB_SLOTS])
{
	struct fm_point_value v[HUB_SLOTS];
	struct fm_row rows[HUB_SLOTS];
	memset(rows, 0, sizeof rows);
	for (size_t k = 0; k < HUB_SLOTS; k++) {
		v[k] = (struct fm_point_value){isnan(values[k]) ? FM_POINT_ABSENT : FM_POINT_OK,
		                               values[k]};
		snprintf(rows[k].name, sizeof rows[k].name, "%s", names[k]);
		snprintf(rows[k].index, sizeof rows[k].index, "%zu", k);
	}
	struct fm_poll_result r = {.device = 0, .values = v, .nvalues = HUB_SLOTS,
	                           .rows = rows, .requests_ok = 1};
	f->now += 10000;
	engine_apply_poll(f->e, &r, f->now, f->now);
}

/* A rule on a walked column is one alert per row, named after the row
 * when it is found; a row that goes away makes its alert unknown. */
static void test_walked_rows_name_their_alerts(void **state)
{
	struct fixture *f = *state;
	const struct eng_device *d = &f->e->devices[0];
	/* nothing found yet: only the comm alert exists to the outside */
	engine_publish_states(f->e);
	assert_int_equal(f->rec.alert_states, 1);

	hub_poll(f, (const char *[]){"rack_a", "rack_b", ""}, (double[]){35, 20, NAN});
	EXPECT(f, 0, "hub.comm unknown->ok", "hot.rack_a unknown->firing",
	       "hot.rack_b unknown->ok");
	assert_string_equal(eng_point_name(d, 0), "temp_rack_a");
	assert_string_equal(eng_point_name(d, 1), "temp_rack_b");
	assert_string_equal(eng_point_name(d, 2), "");
	assert_int_equal(d->values[2].status, FM_POINT_ABSENT);

	/* rack_a unplugged, a new sensor in the free slot */
	size_t mark = f->rec.nevents;
	hub_poll(f, (const char *[]){"rack_a", "rack_b", "cold"}, (double[]){NAN, 21, 12});
	EXPECT(f, mark, "hot.rack_a firing->unknown", "hot.cold unknown->ok");
	assert_non_null(engine_find_alert(f->e, "hot.rack_a"));
	assert_false(engine_find_alert(f->e, "hot.rack_a")->has_value);
	assert_string_equal(eng_point_name(d, 2), "temp_cold");

	/* a slot keeps its first name: an alert never changes its name */
	hub_poll(f, (const char *[]){"other", "rack_b", "cold"}, (double[]){36, 21, 12});
	assert_string_equal(eng_point_name(d, 0), "temp_rack_a");
	assert_int_equal(engine_find_alert(f->e, "hot.rack_a")->fsm.state, FM_ALERT_FIRING);
	assert_null(engine_find_alert(f->e, "hot.other"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_never_heard_device_goes_down, setup, teardown),
		cmocka_unit_test_setup_teardown(test_down_device_telemetry_is_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threshold_hysteresis_and_for, setup, teardown),
		cmocka_unit_test_setup_teardown(test_down_makes_rules_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial_poll_keeps_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seq_rises_by_one, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repeat_republishes_firing_alert, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flap_hold_is_told, setup, teardown),
		cmocka_unit_test_setup_teardown(test_walked_rows_name_their_alerts, hub_setup,
		                                teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
