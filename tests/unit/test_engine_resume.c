/* test_engine_resume.c - alert states restored after a restart, and carried
 * across a reload, hold until a verdict: no firing -> unknown -> firing
 * (nor firing -> resolved -> firing) while the first polls are still out,
 * for every kind of alert (rule, rise, stuck fault, comm, bus, the agent's
 * own), and a real change on the first verdict is still an event. Table
 * driven: each case restores some states, plays a script of polls and
 * checks, and lists the events it must give. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "alerting/engine.h"

#define MAX_EVENTS 64

struct recorder {
	char events[MAX_EVENTS][160];
	size_t nevents;
};

static void rec_event(void *ctx, const struct eng_event *e)
{
	struct recorder *r = ctx;
	if (r->nevents < MAX_EVENTS)
		snprintf(r->events[r->nevents++], sizeof r->events[0], "%s %s->%s",
		         e->alert->name, alert_state_name(e->t.from), alert_state_name(e->t.to));
}

/* ---- a room: two devices on one serial line, a probe behind a gateway ---- */

static struct fm_point rack_points[] = {
	{.name = "temp", .bit = -1, .scale = 1, .unit = "degC"},
};
static struct fm_point probe_points[] = {
	{.name = "temp", .bit = -1, .scale = 1, .stuck_after = 60},
};
static struct fm_device devices[] = {
	{.name = "rack", .bus = "line", .unit = 1, .interval = 10, .down_after = 2,
	 .stale_after = 30, .points = rack_points, .npoints = 1},
	{.name = "ghost", .bus = "line", .unit = 2, .interval = 10, .down_after = 2,
	 .stale_after = 30, .points = rack_points, .npoints = 1},
	{.name = "probe", .bus = "gw", .unit = 1, .interval = 10, .down_after = 2,
	 .stale_after = 30, .points = probe_points, .npoints = 1},
};
static struct fm_bus buses[] = {
	{.name = "line", .type = FM_BUS_MODBUS_RTU},
	{.name = "gw", .type = FM_BUS_MODBUS_TCP},
};
static struct fm_rule rules[] = {
	{.name = "hot", .nconds = 1,
	 .conds = {{.device = "rack", .point = "temp", .kind = FM_RULE_ABOVE,
	            .threshold = 30, .clear = 30}}},
	{.name = "rising", .nconds = 1,
	 .conds = {{.device = "rack", .point = "temp", .kind = FM_RULE_RISE,
	            .threshold = 3, .within = 60}}},
};
static struct fm_config cfg = {
	.buses = buses, .nbuses = 2, .devices = devices, .ndevices = 3,
	.rules = rules, .nrules = 2,
};

/* ---- scripts ---- */

enum { RACK, GHOST, PROBE };
enum step_kind { END, ANSWER, SILENT, LOST, SELF };

struct step {
	enum step_kind kind;
	size_t dev;    /* ANSWER, SILENT, LOST */
	double value;  /* ANSWER: the reading; SELF: the check's fm_cond */
};

struct resumed {
	const char *name;
	enum fm_alert_state state;
};

struct resume_case {
	const char *what;
	struct resumed resume[4];
	struct step script[16];
	const char *want[6]; /* the events of NAMES, in order */
	const char *names[4];
};

#define A(d, v) {ANSWER, d, v}
#define Q(d) {SILENT, d, 0}
#define L(d) {LOST, d, 0}
#define SH(c) {SELF, 0, c}

static const struct resume_case cases[] = {
	{"a device that never answers next to one that does: comm stays firing",
	 {{"ghost.comm", FM_ALERT_FIRING}},
	 {A(RACK, 20), Q(GHOST), A(RACK, 20), Q(GHOST), A(RACK, 20), Q(GHOST), A(RACK, 20)},
	 {NULL}, {"ghost.comm"}},
	{"a device back on its first poll: comm resolves (a real change)",
	 {{"ghost.comm", FM_ALERT_FIRING}},
	 {A(RACK, 20), A(GHOST, 20)},
	 {"ghost.comm firing->resolved"}, {"ghost.comm"}},
	{"a line that is gone: its devices go down one poll apart, the bus stays firing",
	 {{"line.bus", FM_ALERT_FIRING}},
	 {L(RACK), L(GHOST), L(RACK), L(GHOST), L(RACK), L(GHOST)},
	 {NULL}, {"line.bus", "rack.comm", "ghost.comm"}},
	{"a line back: the bus resolves",
	 {{"line.bus", FM_ALERT_FIRING}},
	 {A(RACK, 20)},
	 {"line.bus firing->resolved"}, {"line.bus"}},
	{"a threshold still crossed: firing, no event; cooled: resolved",
	 {{"hot", FM_ALERT_FIRING}},
	 {Q(RACK), A(RACK, 35), A(RACK, 35), A(RACK, 20)},
	 {"hot firing->resolved"}, {"hot"}},
	{"a rise: no rise yet is no news until `within` has passed",
	 {{"rising", FM_ALERT_FIRING}},
	 {A(RACK, 20), A(RACK, 20), A(RACK, 20), A(RACK, 20), A(RACK, 20), A(RACK, 20),
	  A(RACK, 20)},
	 {"rising firing->resolved", "rising resolved->ok"}, {"rising"}},
	{"a rise still rising stays firing",
	 {{"rising", FM_ALERT_FIRING}},
	 {A(RACK, 20), A(RACK, 22), A(RACK, 24), A(RACK, 26)},
	 {NULL}, {"rising"}},
	{"a stuck probe stays firing while its readings do not change",
	 {{"probe.temp.fault", FM_ALERT_FIRING}},
	 {A(PROBE, 21), A(PROBE, 21), A(PROBE, 21), A(PROBE, 21), A(PROBE, 21),
	  A(PROBE, 21), A(PROBE, 21), A(PROBE, 21), A(PROBE, 21)},
	 {NULL}, {"probe.temp.fault"}},
	{"a stuck probe that changes is not stuck any more",
	 {{"probe.temp.fault", FM_ALERT_FIRING}},
	 {A(PROBE, 21), A(PROBE, 21.5)},
	 {"probe.temp.fault firing->resolved"}, {"probe.temp.fault"}},
	{"a self-check that cannot tell yet keeps its alert firing",
	 {{"facmon.disk", FM_ALERT_FIRING}},
	 {SH(FM_COND_UNKNOWN), SH(FM_COND_TRUE), SH(FM_COND_FALSE)},
	 {"facmon.disk firing->resolved"}, {"facmon.disk"}},
};

static bool is_watched(const struct resume_case *c, const char *event)
{
	for (size_t i = 0; i < 4 && c->names[i]; i++) {
		size_t n = strlen(c->names[i]);
		if (strncmp(event, c->names[i], n) == 0 && event[n] == ' ')
			return true;
	}
	return false;
}

static void poll_dev(struct engine *e, size_t dev, bool answered, bool lost, double v,
                     int64_t now)
{
	struct fm_point_value pv = {answered ? FM_POINT_OK : FM_POINT_FAILED,
	                            answered ? v : NAN};
	struct fm_poll_result r = {.device = dev, .values = &pv, .nvalues = 1,
	                           .requests_ok = answered, .requests_failed = !answered,
	                           .connection_lost = lost};
	snprintf(r.error, sizeof r.error, "%s", answered ? "" : "timeout");
	engine_apply_poll(e, &r, now, now);
}

static void play(struct engine *e, const struct step *s, int64_t *now)
{
	for (; s->kind != END; s++) {
		*now += 10000;
		if (s->kind == SELF)
			engine_self_observe(e, 0, (enum fm_cond)s->value, "x", *now, *now);
		else
			poll_dev(e, s->dev, s->kind == ANSWER, s->kind == LOST, s->value, *now);
		engine_tick(e, *now, *now);
	}
}

static int check(const struct resume_case *c, const struct recorder *rec)
{
	const char *got[MAX_EVENTS];
	size_t ngot = 0, nwant = 0, bad = 0;
	for (size_t i = 0; i < rec->nevents; i++)
		if (is_watched(c, rec->events[i]))
			got[ngot++] = rec->events[i];
	while (nwant < 6 && c->want[nwant])
		nwant++;
	for (size_t i = 0; i < ngot || i < nwant; i++) {
		const char *g = i < ngot ? got[i] : "(none)", *w = i < nwant ? c->want[i] : "(none)";
		if (strcmp(g, w) != 0) {
			printf("%s: event %zu: got \"%s\", want \"%s\"\n", c->what, i, g, w);
			bad++;
		}
	}
	return bad != 0;
}

static void test_restored_states_wait_for_a_verdict(void **state)
{
	(void)state;
	static const char controls[][FM_CONTROL_MAX] = {"8.15"};
	int failures = 0;
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		const struct resume_case *c = &cases[k];
		struct recorder rec = {0};
		struct eng_publisher pub = {.event = rec_event, .ctx = &rec};
		int64_t now = 1000;
		struct engine *e = engine_create(&cfg, &pub, now, now);
		assert_non_null(e);
		engine_self_define(e, 0, "facmon.disk", FM_SEV_MAJOR, controls, 1);
		for (size_t i = 0; i < 4 && c->resume[i].name; i++)
			assert_true(engine_resume(e, c->resume[i].name, c->resume[i].state, 500, "",
			                          "", 0, now));
		play(e, c->script, &now);
		failures += check(c, &rec);
		engine_destroy(e);
	}
	assert_int_equal(failures, 0);
}

/* A reload carries the states and the verdicts: a device down on a line
 * that works stays down with its comm firing, and the new config's
 * down_after applies. */
static void test_reload_keeps_firing(void **state)
{
	(void)state;
	struct recorder rec = {0};
	struct eng_publisher pub = {.event = rec_event, .ctx = &rec};
	int64_t now = 1000;
	struct engine *old = engine_create(&cfg, &pub, now, now);
	assert_non_null(old);
	static const struct step before[] = {A(RACK, 20), Q(GHOST), A(RACK, 20), Q(GHOST),
	                                     A(RACK, 20), {END, 0, 0}};
	play(old, before, &now);
	assert_int_equal(engine_find_alert(old, "ghost.comm")->fsm.state, FM_ALERT_FIRING);
	struct fm_device more[3];
	memcpy(more, devices, sizeof more);
	more[GHOST].down_after = 5;
	struct fm_config next = cfg;
	next.devices = more;
	struct engine *e = engine_create(&next, &pub, now, now);
	assert_non_null(e);
	engine_adopt(e, old, NULL, NULL, now);
	engine_destroy(old);
	assert_int_equal(e->devices[GHOST].health.down_after, 5);
	size_t mark = rec.nevents;
	static const struct step after[] = {Q(GHOST), A(RACK, 20), Q(GHOST), A(RACK, 20),
	                                    {END, 0, 0}};
	play(e, after, &now);
	for (size_t i = mark; i < rec.nevents; i++)
		printf("after the reload: %s\n", rec.events[i]);
	assert_int_equal(rec.nevents, mark);
	engine_destroy(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restored_states_wait_for_a_verdict),
		cmocka_unit_test(test_reload_keeps_firing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
