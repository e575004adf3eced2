/* test_am_alert.c - facmon's alerts as Alertmanager's (outputs/am_alert.c):
 * which events are posted, and the labels and annotations of every kind of
 * alert (a rule's, an enum point's, a sensor fault's, a comm, a bus and a
 * self-health alert; silenced, acknowledged, resolved), from documents as
 * the agent stores and publishes them. Table-driven; every row runs and
 * prints got and want for each mismatch before failing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "outputs/am_alert.h"

static struct fm_point points[] = {
	{.name = "temperature", .unit = "degC"},
	{.name = "mode"},
};
static struct fm_device devices[] = {
	{.name = "rack-a", .points = points, .npoints = 2},
};
static const struct fm_config cfg = {
	.agent = {.site = "tokyo-dc1", .name = "opsroom-gw1"},
	.devices = devices,
	.ndevices = 1,
};

/* ---- which events ---- */

struct phase_case {
	const char *doc;
	enum am_phase want;
};

static const struct phase_case phases[] = {
	{"{\"type\":\"transition\",\"from\":\"ok\",\"to\":\"firing\",\"rule\":\"r\"}", AM_FIRING},
	{"{\"type\":\"transition\",\"from\":\"pending\",\"to\":\"firing\",\"rule\":\"r\"}", AM_FIRING},
	{"{\"type\":\"transition\",\"from\":\"unknown\",\"to\":\"firing\",\"rule\":\"r\"}", AM_FIRING},
	{"{\"type\":\"transition\",\"from\":\"firing\",\"to\":\"resolved\",\"rule\":\"r\"}",
	 AM_RESOLVED},
	{"{\"type\":\"transition\",\"from\":\"unknown\",\"to\":\"resolved\",\"rule\":\"r\"}",
	 AM_RESOLVED},
	/* still firing as far as anyone knows: its re-posts keep it */
	{"{\"type\":\"transition\",\"from\":\"firing\",\"to\":\"unknown\",\"rule\":\"r\"}", AM_NONE},
	{"{\"type\":\"transition\",\"from\":\"ok\",\"to\":\"pending\",\"rule\":\"r\"}", AM_NONE},
	{"{\"type\":\"transition\",\"from\":\"resolved\",\"to\":\"ok\",\"rule\":\"r\"}", AM_NONE},
	{"{\"type\":\"ack\",\"from\":\"firing\",\"to\":\"firing\",\"rule\":\"r\"}", AM_NONE},
	{"{\"type\":\"silence\",\"rule\":\"facmon.silence\",\"action\":\"set\"}", AM_NONE},
	{"{\"type\":\"transition\",\"to\":\"firing\"}", AM_NONE},   /* no rule */
	{"{\"type\":\"transition\",\"to\":\"firing\",\"rule\":\"\"}", AM_NONE},
	{"[1,2]", AM_NONE},
};

static void test_phases(void **state)
{
	(void)state;
	int failed = 0;
	for (size_t i = 0; i < sizeof phases / sizeof phases[0]; i++) {
		cJSON *doc = cJSON_Parse(phases[i].doc);
		enum am_phase got = am_event_phase(doc);
		if (got != phases[i].want) {
			printf("FAIL %s\n    got %d, want %d\n", phases[i].doc, got, phases[i].want);
			failed++;
		}
		cJSON_Delete(doc);
	}
	assert_int_equal(failed, 0);
	assert_int_equal(am_event_phase(NULL), AM_NONE);
}

/* ---- labels and annotations ---- */

struct alert_case {
	const char *what;
	const char *doc;
	enum am_phase phase;
	const char *starts, *ends;
	const char *want; /* the alert, printed unformatted */
};

#define SITE "\"site\":\"tokyo-dc1\",\"gateway\":\"opsroom-gw1\""

static const struct alert_case alerts[] = {
	{"a rule, firing, with everything",
	 "{\"seq\":41,\"ts\":\"2026-11-21T22:35:14.123Z\",\"type\":\"transition\",\"from\":\"ok\","
	 "\"to\":\"firing\",\"rule\":\"room-temp-high\",\"severity\":\"critical\",\"point\":"
	 "\"rack-a.temperature\",\"value\":35.2,\"controls\":[\"設46\",\"8.16\"],\"location\":"
	 "\"Server room 1\",\"runbook\":\"https://wiki/rt\",\"owner\":\"facilities\","
	 "\"silenced\":false}",
	 AM_FIRING, "2026-11-21T22:35:14.123Z", "2026-11-21T22:39:14.500Z",
	 "{\"labels\":{\"alertname\":\"room-temp-high\",\"severity\":\"critical\",\"device\":"
	 "\"rack-a\",\"point\":\"temperature\"," SITE ",\"location\":\"Server room 1\","
	 "\"owner\":\"facilities\",\"controls\":\"設46,8.16\"},\"annotations\":{\"summary\":"
	 "\"room-temp-high in Server room 1: rack-a.temperature is 35.2 degC\",\"value\":"
	 "\"35.2 degC\",\"runbook\":\"https://wiki/rt\"},\"startsAt\":\"2026-11-21T22:35:14.123Z\","
	 "\"endsAt\":\"2026-11-21T22:39:14.500Z\"}"},
	{"the same rule resolved: same labels, no startsAt known",
	 "{\"type\":\"transition\",\"from\":\"firing\",\"to\":\"resolved\",\"rule\":"
	 "\"room-temp-high\",\"severity\":\"critical\",\"point\":\"rack-a.temperature\","
	 "\"value\":25,\"controls\":[\"設46\",\"8.16\"],\"location\":\"Server room 1\","
	 "\"owner\":\"facilities\"}",
	 AM_RESOLVED, NULL, "2026-11-21T23:00:00.000Z",
	 "{\"labels\":{\"alertname\":\"room-temp-high\",\"severity\":\"critical\",\"device\":"
	 "\"rack-a\",\"point\":\"temperature\"," SITE ",\"location\":\"Server room 1\","
	 "\"owner\":\"facilities\",\"controls\":\"設46,8.16\"},\"annotations\":{\"summary\":"
	 "\"room-temp-high resolved in Server room 1: rack-a.temperature is 25 degC\","
	 "\"value\":\"25 degC\"},\"endsAt\":\"2026-11-21T23:00:00.000Z\"}"},
	{"an enum point: its text; no unit, controls or routing",
	 "{\"type\":\"transition\",\"to\":\"firing\",\"rule\":\"crac-mode\",\"severity\":"
	 "\"major\",\"point\":\"rack-a.mode\",\"value\":2,\"text\":\"cooling\",\"controls\":[]}",
	 AM_FIRING, "", "",
	 "{\"labels\":{\"alertname\":\"crac-mode\",\"severity\":\"major\",\"device\":\"rack-a\","
	 "\"point\":\"mode\"," SITE "},\"annotations\":{\"summary\":\"crac-mode: rack-a.mode is "
	 "2 (cooling)\",\"value\":\"2 (cooling)\"}}"},
	{"a sensor fault: value and why",
	 "{\"type\":\"transition\",\"to\":\"firing\",\"rule\":\"rack-a.temperature.fault\","
	 "\"severity\":\"warning\",\"point\":\"rack-a.temperature\",\"value\":-3276.8,"
	 "\"detail\":\"-3276.8 is outside -40..125\"}",
	 AM_FIRING, NULL, NULL,
	 "{\"labels\":{\"alertname\":\"rack-a.temperature.fault\",\"severity\":\"warning\","
	 "\"device\":\"rack-a\",\"point\":\"temperature\"," SITE "},\"annotations\":{"
	 "\"summary\":\"rack-a.temperature.fault: rack-a.temperature is -3276.8 degC "
	 "(-3276.8 is outside -40..125)\",\"value\":\"-3276.8 degC\",\"detail\":\"-3276.8 is "
	 "outside -40..125\"}}"},
	{"a comm alert: its device, no point",
	 "{\"type\":\"transition\",\"to\":\"firing\",\"rule\":\"rack-a.comm\",\"severity\":"
	 "\"major\",\"point\":\"rack-a\",\"value\":\"down\",\"controls\":[\"実102\"]}",
	 AM_FIRING, NULL, NULL,
	 "{\"labels\":{\"alertname\":\"rack-a.comm\",\"severity\":\"major\",\"device\":"
	 "\"rack-a\"," SITE ",\"controls\":\"実102\"},\"annotations\":{\"summary\":"
	 "\"rack-a.comm: rack-a is down\",\"value\":\"down\"}}"},
	{"a bus alert: neither device nor point",
	 "{\"type\":\"transition\",\"to\":\"resolved\",\"rule\":\"rs485a.bus\",\"severity\":"
	 "\"critical\",\"point\":\"rs485a\",\"value\":\"up\"}",
	 AM_RESOLVED, NULL, NULL,
	 "{\"labels\":{\"alertname\":\"rs485a.bus\",\"severity\":\"critical\"," SITE "},"
	 "\"annotations\":{\"summary\":\"rs485a.bus resolved: bus rs485a is up\",\"value\":"
	 "\"up\"}}"},
	{"the agent's own health: why, no value",
	 "{\"type\":\"transition\",\"to\":\"firing\",\"rule\":\"facmon.disk\",\"severity\":"
	 "\"major\",\"point\":\"facmon\",\"value\":null,\"detail\":\"3% free on /var/lib/facmon\"}",
	 AM_FIRING, NULL, NULL,
	 "{\"labels\":{\"alertname\":\"facmon.disk\",\"severity\":\"major\"," SITE "},"
	 "\"annotations\":{\"summary\":\"facmon.disk: facmon: 3% free on /var/lib/facmon\","
	 "\"detail\":\"3% free on /var/lib/facmon\"}}"},
	{"an alert state, acknowledged and silenced (the re-post)",
	 "{\"rule\":\"room-temp-high\",\"severity\":\"critical\",\"point\":\"rack-a.temperature\","
	 "\"value\":31,\"controls\":[],\"silenced\":true,\"silence\":{\"id\":3,\"match\":"
	 "\"room-*\",\"until\":\"2026-11-22T11:00:03.120Z\",\"by\":\"tanaka\",\"why\":"
	 "\"filter change\"},\"state\":\"firing\",\"since\":\"2026-11-22T09:00:00.000Z\","
	 "\"flapping\":false,\"acked\":true,\"ack\":{\"by\":\"suzuki\",\"at\":"
	 "\"2026-11-22T09:01:00.000Z\"}}",
	 AM_FIRING, "2026-11-22T09:00:00.000Z", NULL,
	 "{\"labels\":{\"alertname\":\"room-temp-high\",\"severity\":\"critical\",\"device\":"
	 "\"rack-a\",\"point\":\"temperature\"," SITE "},\"annotations\":{\"summary\":"
	 "\"room-temp-high: rack-a.temperature is 31 degC\",\"value\":\"31 degC\",\"silenced\":"
	 "\"until 2026-11-22T11:00:03.120Z by tanaka: filter change\",\"acked_by\":\"suzuki\"},"
	 "\"startsAt\":\"2026-11-22T09:00:00.000Z\"}"},
	{"a row of a walked column: no unit known; a dot-free rule on a dotted point",
	 "{\"type\":\"transition\",\"to\":\"firing\",\"rule\":\"hot.rack_3\",\"severity\":"
	 "\"info\",\"point\":\"rack-a.temperature_rack_3\",\"value\":40}",
	 AM_FIRING, NULL, NULL,
	 "{\"labels\":{\"alertname\":\"hot.rack_3\",\"severity\":\"info\",\"device\":\"rack-a\","
	 "\"point\":\"temperature_rack_3\"," SITE "},\"annotations\":{\"summary\":\"hot.rack_3: "
	 "rack-a.temperature_rack_3 is 40\",\"value\":\"40\"}}"},
};

static void test_alerts(void **state)
{
	(void)state;
	int failed = 0;
	for (size_t i = 0; i < sizeof alerts / sizeof alerts[0]; i++) {
		const struct alert_case *c = &alerts[i];
		cJSON *doc = cJSON_Parse(c->doc);
		assert_non_null(doc);
		cJSON *got = am_alert(doc, &cfg, c->phase, c->starts, c->ends);
		char *text = got ? cJSON_PrintUnformatted(got) : NULL;
		if (!text || strcmp(text, c->want) != 0) {
			printf("FAIL %s\n    got  %s\n    want %s\n", c->what, text ? text : "(null)",
			       c->want);
			failed++;
		}
		free(text);
		cJSON_Delete(got);
		cJSON_Delete(doc);
	}
	assert_int_equal(failed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_phases),
		cmocka_unit_test(test_alerts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
