/* test_report_calc.c - the report's figures from events, without a store.
 *
 * The pure part of report/: event documents (JSON text, shaped as the
 * agent's) go through report_calc_event in seq order and the figures come
 * out. What the month of tests/report does not show: an agent started
 * late in the period with no record before it (down from the period's
 * start), one stopped at the end (down to the end), one that died in the
 * period and was found dead after it (down from its last alive mark), an
 * unclean stop clipped at the period's start; an alert firing at the end
 * (open), pending at the end or over before the period (none), one that
 * went unknown and back (one episode); a silence of the config seen only
 * on the alerts it covered; a control ID only old events carry (its own
 * section, not in the config); hours without counts taking the config's
 * interval, a partial last hour, a share capped at 100%; the order of
 * control IDs; ISO 8601 times read back. Each prints got and want.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/clock.h"
#include "report/report_private.h"

#define MIN_MS ((int64_t)60 * 1000)
#define HOUR_MS (60 * MIN_MS)
/* 2026-11-01T00:00:00Z .. 2026-12-01T00:00:00Z */
#define FROM_MS ((int64_t)1793491200000)
#define UNTIL_MS (FROM_MS + 30 * 24 * HOUR_MS)

static char *iso(int64_t ms)
{
	static char buf[8][CLOCK_ISO_LEN];
	static int next;
	char *b = buf[next++ % 8];
	clock_iso8601(ms, b, CLOCK_ISO_LEN);
	return b;
}

/* Feeds the event "{TS..., FIELDS}" at FROM_MS + AT. */
static void feed(struct report_calc *c, int64_t at, const char *fields)
{
	char doc[1024];
	snprintf(doc, sizeof doc, "{\"ts\":\"%s\",%s}", iso(FROM_MS + at), fields);
	assert_int_equal(report_calc_event(c, doc), 0);
}

static void agent(struct report_calc *c, int64_t at, const char *action)
{
	char fields[256];
	snprintf(fields, sizeof fields, "\"type\":\"agent\",\"rule\":\"facmon.agent\","
	         "\"action\":\"%s\",\"reason\":\"Terminated\"", action);
	feed(c, at, fields);
}

static void transition(struct report_calc *c, int64_t at, const char *rule, const char *from,
                       const char *to)
{
	char fields[256];
	snprintf(fields, sizeof fields, "\"type\":\"transition\",\"rule\":\"%s\",\"from\":\"%s\","
	         "\"to\":\"%s\",\"severity\":\"major\",\"point\":\"rack-a.temperature\","
	         "\"value\":31,\"controls\":[\"設46\"]", rule, from, to);
	feed(c, at, fields);
}

/* "from+until kind, ..." in minutes from FROM_MS. */
static void expect_downtime(const struct report *r, const char *want)
{
	static const char *const kinds[] = {"stopped", "unclean", "before_start"};
	char got[512] = "";
	for (size_t i = 0; i < r->ndowntime; i++) {
		size_t len = strlen(got);
		snprintf(got + len, sizeof got - len, "%s%lld+%lld %s%s", i ? ", " : "",
		         (long long)((r->downtime[i].from_ms - FROM_MS) / MIN_MS),
		         (long long)((r->downtime[i].until_ms - r->downtime[i].from_ms) / MIN_MS),
		         kinds[r->downtime[i].kind], r->downtime[i].open ? " open" : "");
	}
	if (strcmp(got, want) != 0)
		fail_msg("downtime\n got: %s\nwant: %s", got, want);
}

static void finish(struct report_calc *c)
{
	assert_int_equal(report_calc_finish(c), 0);
}

static void test_started_late_and_stopped_at_the_end(void **state)
{
	(void)state;
	struct report r = {.from_ms = FROM_MS, .until_ms = UNTIL_MS};
	struct report_calc c;
	report_calc_init(&c, &r, FROM_MS, UNTIL_MS);
	agent(&c, 90 * MIN_MS, "started");            /* installed on the 1st, 01:30 */
	agent(&c, UNTIL_MS - FROM_MS - 60 * MIN_MS, "stopped"); /* the last hour */
	finish(&c);
	expect_downtime(&r, "0+90 before_start, 43140+60 stopped open");
	assert_true(r.agent_known);
	assert_true(r.downtime_s == 150 * 60);
	report_free_figures(&r);
}

static void test_unclean_stops(void **state)
{
	(void)state;
	struct report r = {0};
	struct report_calc c;
	report_calc_init(&c, &r, FROM_MS, UNTIL_MS);
	agent(&c, -10 * 24 * HOUR_MS, "started");
	/* died on Oct 31 at 23:00, found at 01:00: only the hour in November */
	char fields[256];
	snprintf(fields, sizeof fields, "\"type\":\"agent\",\"rule\":\"facmon.agent\","
	         "\"action\":\"unclean_stop\",\"last_alive\":\"%s\",\"away_s\":7200",
	         iso(FROM_MS - 60 * MIN_MS));
	feed(&c, 60 * MIN_MS, fields);
	agent(&c, 60 * MIN_MS, "started");
	/* died on the 30th at 23:30, found dead in December */
	snprintf(fields, sizeof fields, "{\"ts\":\"%s\",\"type\":\"agent\",\"rule\":"
	         "\"facmon.agent\",\"action\":\"unclean_stop\",\"last_alive\":\"%s\","
	         "\"away_s\":5400}", iso(UNTIL_MS + 60 * MIN_MS), iso(UNTIL_MS - 30 * MIN_MS));
	report_calc_after(&c, fields);
	finish(&c);
	expect_downtime(&r, "0+60 unclean, 43170+30 unclean open");
	report_free_figures(&r);
}

static void test_no_agent_record(void **state)
{
	(void)state;
	struct report r = {0};
	struct report_calc c;
	report_calc_init(&c, &r, FROM_MS, UNTIL_MS);
	transition(&c, MIN_MS, "room-temp-high", "ok", "firing");
	finish(&c);
	expect_downtime(&r, "");
	assert_false(r.agent_known);
	report_free_figures(&r);
}

/* "name fired+resolved carried, ..." in minutes; resolved -1: open. */
static void expect_alerts(const struct report *r, const char *want)
{
	char got[512] = "";
	for (size_t i = 0; i < r->nalerts; i++) {
		const struct report_alert *a = &r->alerts[i];
		size_t len = strlen(got);
		snprintf(got + len, sizeof got - len, "%s%s %lld+%lld%s", i ? ", " : "", a->name,
		         (long long)((a->fired_ms - FROM_MS) / MIN_MS),
		         a->resolved_ms ? (long long)((a->resolved_ms - a->fired_ms) / MIN_MS) : -1LL,
		         a->carried_in ? " carried" : "");
	}
	if (strcmp(got, want) != 0)
		fail_msg("alerts\n got: %s\nwant: %s", got, want);
}

static void test_episodes(void **state)
{
	(void)state;
	struct report r = {0};
	struct report_calc c;
	report_calc_init(&c, &r, FROM_MS, UNTIL_MS);
	/* over before the period: not in it */
	transition(&c, -120 * MIN_MS, "old", "ok", "firing");
	transition(&c, -60 * MIN_MS, "old", "firing", "resolved");
	/* data went away while firing: one episode */
	transition(&c, 10 * MIN_MS, "flaky", "ok", "pending");
	transition(&c, 11 * MIN_MS, "flaky", "pending", "firing");
	transition(&c, 20 * MIN_MS, "flaky", "firing", "unknown");
	transition(&c, 30 * MIN_MS, "flaky", "unknown", "firing");
	transition(&c, 40 * MIN_MS, "flaky", "firing", "resolved");
	transition(&c, 41 * MIN_MS, "flaky", "resolved", "ok");
	/* pending, data lost, back to ok: no alert */
	transition(&c, 50 * MIN_MS, "noise", "ok", "pending");
	transition(&c, 51 * MIN_MS, "noise", "pending", "unknown");
	transition(&c, 52 * MIN_MS, "noise", "unknown", "ok");
	/* firing at the end, and pending at the end */
	transition(&c, 43000 * MIN_MS, "late", "ok", "firing");
	transition(&c, 43100 * MIN_MS, "later", "ok", "pending");
	finish(&c);
	expect_alerts(&r, "flaky 11+29, late 43000+-1");
	assert_int_equal(report_alert_detect_s(&r.alerts[0]), 60);
	assert_true(report_alert_ack_s(&r.alerts[0]) < 0);
	report_free_figures(&r);
}

static void test_config_silence_and_an_old_control(void **state)
{
	(void)state;
	struct report r = {.from_ms = FROM_MS, .until_ms = UNTIL_MS};
	struct report_calc c;
	report_calc_init(&c, &r, FROM_MS, UNTIL_MS);
	char fields[512];
	snprintf(fields, sizeof fields, "\"type\":\"transition\",\"rule\":\"crac1.comm\","
	         "\"from\":\"ok\",\"to\":\"firing\",\"point\":\"crac1\",\"value\":\"down\","
	         "\"controls\":[\"実99\"],\"silenced\":true,\"silence\":{\"id\":7,\"match\":"
	         "\"crac1*\",\"until\":\"%s\",\"by\":\"facility\",\"why\":\"filter change\"}",
	         iso(FROM_MS + 5 * HOUR_MS));
	feed(&c, HOUR_MS, fields);
	finish(&c);
	assert_int_equal(r.nsilences, 1);
	assert_true(r.silences[0].from_config);
	assert_string_equal(r.silences[0].match, "crac1*");
	assert_int_equal(r.alerts[0].nsilences, 1);
	assert_int_equal(r.alerts[0].silences[0], r.silences[0].key);
	assert_int_equal(report_sections_build(&r, NULL), 0);
	assert_int_equal(r.nsections, 1);
	assert_string_equal(r.sections[0].control, "実99");
	assert_false(r.sections[0].in_config);
	assert_int_equal(r.sections[0].nalerts, 1);
	assert_int_equal(r.sections[0].nsilences, 1);
	report_free_figures(&r);
}

static void test_availability_hours(void **state)
{
	(void)state;
	struct fm_device devs[2] = {{.name = "a", .interval = 10}, {.name = "b", .interval = 60}};
	struct fm_config cfg = {.devices = devs, .ndevices = 2};
	/* two and a half hours: a period ended mid-hour */
	struct report r = {.from_ms = FROM_MS, .until_ms = FROM_MS + 150 * MIN_MS};
	struct report_avail_calc a;
	assert_int_equal(report_avail_begin(&a, &r, &cfg), 0);
	/* a: hour 0 at 20 s (180 scheduled), hours 1 and 2 without counts:
	 * the config's 10 s (360 + 180) */
	report_avail_row(&a, &(struct store_avail_row){"a", FROM_MS, 20, 180, 170, 5});
	/* b: more valid polls than scheduled (traps): capped */
	report_avail_row(&a, &(struct store_avail_row){"b", FROM_MS, 60, 200, 200, 0});
	report_avail_row(&a, &(struct store_avail_row){"gone", FROM_MS, 10, 360, 360, 0});
	report_avail_end(&a);
	char got[256];
	snprintf(got, sizeof got, "a %.0f %llu %u/%u %.4f; b %.0f %.4f", r.avail[0].scheduled,
	         (unsigned long long)r.avail[0].valid, r.avail[0].hours_counted, r.avail[0].hours,
	         r.avail[0].availability, r.avail[1].scheduled, r.avail[1].availability);
	const char *want = "a 720 170 1/3 0.2361; b 150 1.0000";
	if (strcmp(got, want) != 0)
		fail_msg("availability\n got: %s\nwant: %s", got, want);
	report_free_figures(&r);
}

static void test_control_order(void **state)
{
	(void)state;
	static const char *const ordered[] = {"5.1", "7.11", "8.15", "8.16", "A.5", "実9",
	                                      "実102", "設46", "設80", "設80a"};
	size_t n = sizeof ordered / sizeof ordered[0];
	int bad = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			int got = report_control_cmp(ordered[i], ordered[j]);
			int want = (i > j) - (i < j);
			if ((got > 0) - (got < 0) != want) {
				print_error("cmp(%s, %s) = %d, want %d\n", ordered[i], ordered[j], got, want);
				bad++;
			}
		}
	assert_int_equal(bad, 0);
}

static void test_iso_times(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int64_t ms; /* -1: refused */
	} cases[] = {
		{"2026-11-01T00:00:00.000Z", FROM_MS},
		{"2026-11-01T00:00:00Z", FROM_MS},
		{"2026-11-01T00:00:01.250Z", FROM_MS + 1250},
		{"2026-11-01T09:00:00+09:00", FROM_MS},
		{"2026-10-31T20:30:00-0330", FROM_MS},
		{"2026-11-01T00:00:00", -1},
		{"2026-11-01 00:00:00Z", -1},
		{"2026-13-01T00:00:00Z", -1},
		{"2026-11-01T00:00:00.5Z", -1},
		{"2026-11-01T00:00:00Zjunk", -1},
		{"", -1},
	};
	int bad = 0;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t ms = -1;
		if (clock_parse_iso8601(cases[i].text, &ms) < 0)
			ms = -1;
		if (ms != cases[i].ms) {
			print_error("'%s': got %lld, want %lld\n", cases[i].text, (long long)ms,
			            (long long)cases[i].ms);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
	int y, m;
	assert_int_equal(report_parse_month("2026-11", &y, &m), 0);
	assert_int_equal(report_month_start(y, m), FROM_MS);
	assert_int_equal(report_parse_month("2026-1", &y, &m), -1);
	assert_int_equal(report_parse_month("2026-11x", &y, &m), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_started_late_and_stopped_at_the_end),
		cmocka_unit_test(test_unclean_stops),
		cmocka_unit_test(test_no_agent_record),
		cmocka_unit_test(test_episodes),
		cmocka_unit_test(test_config_silence_and_an_old_control),
		cmocka_unit_test(test_availability_hours),
		cmocka_unit_test(test_control_order),
		cmocka_unit_test(test_iso_times),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
