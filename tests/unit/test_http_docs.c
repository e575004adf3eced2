/* test_http_docs.c - the documents of outputs.http built from an engine
 * driven by a fake clock: /metrics (exact lines: labels escaped, a row
 * label for a walked column, values written as the telemetry writes them,
 * HELP and TYPE before every family's samples, a point with no current
 * value left out) and /status.json (rooms by location, stale points with
 * their last value, firing alerts most severe first). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "alerting/engine.h"
#include "outputs/http.h"
#include "outputs/payload.h"

/* ---- a room: a rack sensor, a hub with walked rows, a sensor in another room ---- */

#define HUB_SLOTS 3
static struct fm_point rack_points[] = {
	{.name = "temperature", .bit = -1, .scale = 0.1, .unit = "degC"},
	{.name = "odd", .bit = -1, .unit = "a\"b\\c\nd"},
};
static struct fm_point hub_points[HUB_SLOTS];
static struct fm_point cold_points[] = {{.name = "temperature", .bit = -1, .unit = "degC"}};
static struct fm_device devices[] = {
	{.name = "rack", .bus = "b1", .unit = 1, .interval = 10, .down_after = 1,
	 .stale_after = 30, .points = rack_points, .npoints = 2,
	 .routing = {.location = "Server room 1"}},
	{.name = "hub", .bus = "snmp", .kind = FM_DEVICE_SNMP, .interval = 10, .down_after = 3,
	 .stale_after = 30, .points = hub_points, .npoints = HUB_SLOTS,
	 .routing = {.location = "Server room 1"}},
	{.name = "cold", .bus = "b1", .unit = 2, .interval = 10, .down_after = 3,
	 .stale_after = 30, .points = cold_points, .npoints = 1},
};
static struct fm_bus buses[] = {{.name = "b1", .type = FM_BUS_MODBUS_TCP}};
static struct fm_rule rules[] = {
	{.name = "warm", .nconds = 1, .severity = FM_SEV_WARNING,
	 .conds = {{.device = "cold", .point = "temperature", .kind = FM_RULE_ABOVE,
	            .threshold = 10, .clear = 10}}},
	{.name = "hot", .nconds = 1, .severity = FM_SEV_CRITICAL,
	 .conds = {{.device = "rack", .point = "temperature", .kind = FM_RULE_ABOVE,
	            .threshold = 30, .clear = 30}}},
};
static struct fm_config cfg = {
	.agent = {.site = "lab", .name = "gw1"}, .mqtt = {.host = "127.0.0.1", .port = 1883},
	.buses = buses, .nbuses = 1, .devices = devices, .ndevices = 3,
	.rules = rules, .nrules = 2,
};
static const struct fm_bus_stats stats[] = {
	{.name = "b1", .polls = 7, .polls_failed = 1, .requests_failed = 2},
};

static void ignore_device(void *ctx, const struct eng_device *d) { (void)ctx; (void)d; }
static void ignore_state(void *ctx, const struct eng_device *d, bool c)
{
	(void)ctx; (void)d; (void)c;
}
static void ignore_alert(void *ctx, const struct eng_alert *a) { (void)ctx; (void)a; }
static void ignore_event(void *ctx, const struct eng_event *e) { (void)ctx; (void)e; }

struct fixture {
	struct engine *e;
	struct output_env env;
	int64_t now;
};

static int setup(void **state)
{
	static struct fixture f;
	memset(&f, 0, sizeof f);
	for (unsigned k = 0; k < HUB_SLOTS; k++)
		hub_points[k] = (struct fm_point){.name = "temp", .bit = -1, .unit = "degC",
		                                  .slot = k + 1, .nslots = HUB_SLOTS};
	struct eng_publisher pub = {ignore_device, ignore_state, ignore_alert, ignore_event,
	                            NULL};
	f.now = 1000000;
	f.e = engine_create(&cfg, &pub, f.now, f.now);
	f.env = (struct output_env){.cfg = &cfg, .engine = f.e, .bus_stats = stats,
	                            .nbuses = 1, .started_wall_ms = f.now - 5000};
	*state = &f;
	return f.e ? 0 : -1;
}

static int teardown(void **state)
{
	engine_destroy(((struct fixture *)*state)->e);
	return 0;
}

/* One poll of device DEV: VALUES (NULL: no answer at all); for the hub,
 * slot k holds row NAMES[k], NAN for a row not there. */
static void poll(struct fixture *f, size_t dev, const double *values, const char *const *names)
{
	size_t n = devices[dev].npoints;
	struct fm_point_value v[HUB_SLOTS];
	struct fm_row rows[HUB_SLOTS];
	memset(rows, 0, sizeof rows);
	for (size_t k = 0; k < n; k++) {
		bool none = !values || (names && isnan(values[k]));
		v[k] = (struct fm_point_value){!values ? FM_POINT_FAILED
		                               : none  ? FM_POINT_ABSENT : FM_POINT_OK,
		                               values ? values[k] : NAN};
		if (names) {
			snprintf(rows[k].name, sizeof rows[k].name, "%s", names[k]);
			snprintf(rows[k].index, sizeof rows[k].index, "%zu", k + 1);
		}
	}
	struct fm_poll_result r = {.device = dev, .values = v, .nvalues = n,
	                           .rows = names ? rows : NULL, .requests_ok = values ? 1 : 0,
	                           .requests_failed = values ? 0 : 1};
	if (!values)
		snprintf(r.error, sizeof r.error, "timeout");
	engine_apply_poll(f->e, &r, f->now, f->now);
}

static void poll_all(struct fixture *f)
{
	f->now += 10000;
	poll(f, 0, (double[]){0.1 * 227, 41}, NULL);
	poll(f, 1, (double[]){35, 20.5, NAN}, (const char *[]){"rack_a", "rack_b", ""});
	poll(f, 2, (double[]){nextafter(nextafter(10, 11), 11)}, NULL); /* 15 digits: "10" */
}

static char *metrics(struct fixture *f)
{
	struct http_view v = {&f->env, f->now, f->now};
	size_t len = 0;
	char *text = http_metrics(&v, &len);
	assert_non_null(text);
	assert_int_equal(len, strlen(text));
	return text;
}

/* Whether TEXT has LINE as a whole line; prints both when not. */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	print_error("no line\n  %s\nin\n%s\n", line, text);
	return false;
}

static void test_metrics_lines(void **state)
{
	struct fixture *f = *state;
	poll_all(f);
	char *text = metrics(f);
	static const char *const want[] = {
		"# HELP facmon_point_value A point's current reading; absent while it has none "
		"(device down, read failed, stale).",
		"# TYPE facmon_point_value gauge",
		"facmon_point_value{device=\"rack\",point=\"temperature\",unit=\"degC\"} 22.7",
		"facmon_point_value{device=\"cold\",point=\"temperature\",unit=\"degC\"} "
		"10.000000000000004",
		"facmon_point_value{device=\"rack\",point=\"odd\",unit=\"a\\\"b\\\\c\\nd\"} 41",
		"facmon_point_value{device=\"hub\",point=\"temp\",unit=\"degC\",row=\"rack_a\"} 35",
		"facmon_point_value{device=\"hub\",point=\"temp\",unit=\"degC\",row=\"rack_b\"} 20.5",
		"facmon_info{version=\"" FACMON_VERSION "\",site=\"lab\",gateway=\"gw1\"} 1",
		"facmon_uptime_seconds 15",
		"facmon_broker_connected 0",
		"facmon_device_up{device=\"rack\"} 1",
		"facmon_device_state{device=\"rack\",state=\"up\"} 1",
		"facmon_device_state{device=\"rack\",state=\"down\"} 0",
		"facmon_device_last_poll_age_seconds{device=\"cold\"} 0",
		"facmon_bus_up{bus=\"b1\"} 1",
		"# TYPE facmon_bus_polls_total counter",
		"facmon_bus_polls_total{bus=\"b1\"} 7",
		"facmon_bus_polls_failed_total{bus=\"b1\"} 1",
		"facmon_bus_requests_failed_total{bus=\"b1\"} 2",
		"facmon_alert_firing{alert=\"hot\",severity=\"critical\"} 0",
		"facmon_alert_firing{alert=\"warm\",severity=\"warning\"} 1",
		"facmon_alert_state{alert=\"warm\",severity=\"warning\",state=\"firing\"} 1",
		"facmon_alert_state{alert=\"warm\",severity=\"warning\",state=\"ok\"} 0",
		"facmon_alert_acknowledged{alert=\"warm\"} 0",
		"# TYPE facmon_outbox_events gauge",
	};
	bool ok = true;
	for (size_t i = 0; i < sizeof want / sizeof *want; i++)
		ok &= has_line(text, want[i]);
	assert_true(ok);
	assert_null(strstr(text, "row=\"\""));           /* the slot holding no row */
	assert_null(strstr(text, "\nfacmon_outbox_events ")); /* no store: unknown */
	assert_null(strstr(text, "NaN"));
	/* every sample's family has HELP and TYPE before it */
	for (const char *line = text; *line; line = strchr(line, '\n') + 1) {
		if (line[0] == '#')
			continue;
		char name[64], help[80], type[80];
		sscanf(line, "%63[a-z_]", name);
		snprintf(help, sizeof help, "# HELP %s ", name);
		snprintf(type, sizeof type, "\n# TYPE %s ", name);
		const char *h = strstr(text, help), *t = strstr(text, type);
		assert_true(h && t && h < line && t < line);
	}
	free(text);
}

/* Stale, down and no number: left out of /metrics; in /status.json null
 * with the last good value. */
static void test_no_current_value(void **state)
{
	struct fixture *f = *state;
	poll_all(f);
	f->now += 10000;
	poll(f, 0, NULL, NULL);                                     /* rack: down */
	poll(f, 2, (double[]){NAN}, NULL);                          /* cold: NaN */
	f->now += 25000;                                             /* hub: 35 s old */
	char *text = metrics(f);
	assert_null(strstr(text, "facmon_point_value{"));
	assert_true(has_line(text, "facmon_device_up{device=\"rack\"} 0"));
	assert_true(has_line(text, "facmon_device_state{device=\"rack\",state=\"down\"} 1"));
	assert_true(has_line(text, "facmon_device_up{device=\"hub\"} 1"));
	free(text);

	struct http_view v = {&f->env, f->now, f->now};
	char *json = http_status_json(&v);
	cJSON *doc = cJSON_Parse(json);
	free(json);
	assert_non_null(doc);
	cJSON *rooms = cJSON_GetObjectItem(doc, "rooms");
	assert_int_equal(cJSON_GetArraySize(rooms), 2);
	cJSON *room = cJSON_GetArrayItem(rooms, 0);
	assert_string_equal(cJSON_GetObjectItem(room, "location")->valuestring, "Server room 1");
	cJSON *rack = cJSON_GetArrayItem(cJSON_GetObjectItem(room, "devices"), 0);
	assert_string_equal(cJSON_GetObjectItem(rack, "state")->valuestring, "down");
	cJSON *temp = cJSON_GetArrayItem(cJSON_GetObjectItem(rack, "points"), 0);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(temp, "v")));
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(temp, "stale")));
	assert_true(fabs(cJSON_GetObjectItem(temp, "last")->valuedouble - 22.7) < 1e-9);
	cJSON *hub = cJSON_GetArrayItem(cJSON_GetObjectItem(room, "devices"), 1);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(hub, "points")), 2);
	cJSON *other = cJSON_GetArrayItem(rooms, 1);
	assert_string_equal(cJSON_GetObjectItem(other, "location")->valuestring, "cold");
	cJSON_Delete(doc);
}

static void test_status_alerts_most_severe_first(void **state)
{
	struct fixture *f = *state;
	poll_all(f);                                       /* warm fires */
	f->now += 10000;
	poll(f, 0, (double[]){0.1 * 351, 41}, NULL);       /* hot fires, later */
	assert_int_equal(engine_ack(f->e, "warm", "alice", "on it", f->now), ENG_ACK_DONE);
	struct http_view v = {&f->env, f->now, f->now};
	char *json = http_status_json(&v);
	cJSON *doc = cJSON_Parse(json);
	free(json);
	cJSON *alerts = cJSON_GetObjectItem(doc, "alerts");
	assert_int_equal(cJSON_GetArraySize(alerts), 2);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(alerts, 0), "alert")->valuestring,
	                    "hot");
	cJSON *warm = cJSON_GetArrayItem(alerts, 1);
	assert_string_equal(cJSON_GetObjectItem(warm, "alert")->valuestring, "warm");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(warm, "acked")));
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(warm, "ack"), "by")->valuestring,
	                    "alice");
	cJSON *agent = cJSON_GetObjectItem(doc, "agent");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(agent, "outbox")));
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetObjectItem(agent, "broker"),
	                                              "connected")));
	assert_int_equal(cJSON_GetObjectItem(agent, "last_seq")->valuedouble,
	                 (double)(f->e->next_seq - 1));
	cJSON_Delete(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_metrics_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_current_value, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_alerts_most_severe_first, setup,
		                                teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
