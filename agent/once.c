/* once.c - `facmon once`: poll every device once and report.
 *
 * Uses the same bus workers and engine as the agent, so what it prints is
 * what the agent would see; only the output differs (a table or JSON on
 * stdout instead of MQTT). A rule with a `for` delay shows as pending: it
 * would fire if the condition held that long. A device that failed gets a
 * hint, in explain.h's words (those of `facmon probe`): what the failure
 * means and what to check. A reading outside its point's valid range is
 * shown as the sensor fault the engine takes it for, not as a value, with
 * the probe command that shows the registers (in every word order, when a
 * value of two registers is that far off).
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <modbus.h>

#include "collectors/worker.h"
#include "base/clock.h"
#include "probe/explain.h"
#include "base/log.h"
#include "outputs/outputs.h"
#include "agent/poller.h"
#include "agent/run.h"
#include "alerting/describe.h"
#include "alerting/engine.h"
#include "outputs/payload.h"
#include "collectors/modbus_link.h"

#define ONCE_DEADLINE_MS 300000 /* every request has its own timeout; this is a backstop */

/* Why a device's poll failed, beyond the engine's words (its error). */
struct once_why {
	int errnum;
	bool open_failed;
};

static size_t collect(struct poller *p, struct engine *e, struct once_why *why,
                      size_t expected)
{
	size_t got = 0;
	int64_t deadline = clock_mono_ms() + ONCE_DEADLINE_MS;
	while (got < expected && clock_mono_ms() < deadline) {
		struct pollfd pfd = {.fd = poller_fd(p), .events = POLLIN};
		if (poll(&pfd, 1, 1000) < 0 && errno != EINTR)
			break;
		struct fm_poll_result *r;
		while ((r = poller_take(p))) {
			if (!r->trap[0]) {
				if (r->device < expected)
					why[r->device] = (struct once_why){r->errnum, r->open_failed};
				engine_apply_poll(e, r, clock_mono_ms(), clock_wall_ms());
				got++;
			}
			poll_result_free(r);
		}
	}
	return got;
}

static bool has_rate(const struct eng_alert *a)
{
	for (size_t j = 0; j < a->nterms; j++)
		if (a->terms[j].cond->kind == FM_RULE_RISE || a->terms[j].cond->kind == FM_RULE_FALL)
			return true;
	return false;
}

/* What a rule would do, in words. */
static const char *verdict(const struct eng_alert *a)
{
	switch (a->fsm.state) {
	case FM_ALERT_FIRING: return "FIRES";
	case FM_ALERT_PENDING: return "would fire after its 'for' delay";
	case FM_ALERT_UNKNOWN:
		return a->kind == ENG_ALERT_FAULT && !a->device->points[a->point].fresh_mono_ms
		           ? "unknown (no reading)" : "unknown (no trustworthy reading)";
	default:
		return has_rate(a) ? "ok (a rise/fall needs several polls to show)" : "ok";
	}
}

/* The condition of a built-in alert, in words. */
static const char *builtin_condition(const struct eng_alert *a)
{
	switch (a->kind) {
	case ENG_ALERT_COMM: return "device down";
	case ENG_ALERT_FAULT: return "sensor fault";
	case ENG_ALERT_BUS: return "bus down";
	default: return "";
	}
}

/* ---- hints --------------------------------------------------------------- */

/* The request an error names: "read input 0+2" of "read input 0+2:
 * Connection timed out" (the collector's words end with the errno's). */
static void failed_request(const char *error, int e, char *buf, size_t len)
{
	const char *why = mb_strerror(e);
	size_t n = strlen(error), w = strlen(why);
	if (n > w + 2 && strcmp(error + n - w, why) == 0 && error[n - w - 2] == ':')
		n -= w + 2;
	snprintf(buf, len, "%.*s", (int)n, error);
}

/* An SNMP device's failure: the agent did not answer ("HOST:PORT: ..."),
 * or answered one OID with an error. */
static const char *snmp_hint(const struct eng_device *d, char *buf, size_t len)
{
	const struct fm_snmp_conf *s = &d->conf->snmp;
	const char *error = d->health.error;
	char target[FM_TEXT_MAX + 16];
	snprintf(target, sizeof target, strchr(s->host, ':') ? "[%s]:%d" : "%s:%d", s->host,
	         s->port);
	size_t n = strlen(s->host);
	bool agent = strncmp(error, s->host, n) == 0 && error[n] == ':';
	if (agent)
		return explain_snmp_dead(s, EXPLAIN_CONFIG, target, s->retries + 1, error, buf,
		                         len);
	snprintf(buf, len, "%s", explain_snmp_advice(s, error));
	return buf[0] ? "oid" : NULL;
}

/* What D's failure means and what to check, in BUF; returns its kind
 * (as `facmon probe --json` names it), or NULL when there is no hint. */
static const char *device_hint(const struct eng_device *d, const struct once_why *w,
                               char *buf, size_t len)
{
	buf[0] = '\0';
	if (!d->health.error[0])
		return NULL;
	if (d->conf->kind == FM_DEVICE_SNMP)
		return snmp_hint(d, buf, len);
	if (!d->bus)
		return NULL;
	if (w->open_failed) {
		explain_modbus_open(d->bus->conf, w->errnum, d->health.error, buf, len);
		return "connection";
	}
	if (!w->errnum)
		return NULL;
	char what[FM_TEXT_MAX];
	struct explain_modbus x = {.bus = d->bus->conf, .unit = d->conf->unit,
	                           .audience = EXPLAIN_CONFIG};
	failed_request(d->health.error, w->errnum, what, sizeof what);
	return explain_modbus_read(&x, w->errnum, what, buf, len);
}

/* A reading the engine takes for a sensor fault (outside the point's
 * valid range, a sentinel, or not a number): not a value. */
static bool is_fault(const struct eng_device *d, size_t p)
{
	enum eng_fault f = d->points[p].fault;
	return d->values[p].status == FM_POINT_OK &&
	       (f == ENG_FAULT_RANGE || f == ENG_FAULT_SENTINEL || f == ENG_FAULT_NUMBER);
}

/* What to try for fault reading P, or "" (a sentinel says it all). */
static void fault_hint(const struct eng_device *d, size_t p, char *buf, size_t len)
{
	buf[0] = '\0';
	if (d->points[p].fault == ENG_FAULT_RANGE || d->points[p].fault == ENG_FAULT_NUMBER)
		explain_implausible(d->bus ? d->bus->conf : NULL, d->conf, &d->conf->points[p],
		                    buf, len);
}

/* ---- text ---------------------------------------------------------------- */

#define HINT_INDENT 26 /* under the device's state, as the point rows */

static void print_point_text(const struct eng_device *d, size_t p)
{
	const struct fm_point *pt = &d->conf->points[p];
	const char *name = eng_point_name(d, p);
	const char *text = point_enum_name(pt, d->values[p].value);
	char hint[FM_TEXT_MAX * 2];
	if (is_fault(d, p)) {
		printf("%-*s %-30s SENSOR FAULT: %s\n", HINT_INDENT, "", name,
		       d->points[p].fault_text);
		fault_hint(d, p, hint, sizeof hint);
		if (hint[0])
			printf("%-*s %-30s %s\n", HINT_INDENT, "", "", hint);
	} else if (d->values[p].status == FM_POINT_OK) {
		printf("%-*s %-30s %g%s%s%s %s\n", HINT_INDENT, "", name, d->values[p].value,
		       text ? " (" : "", text ? text : "", text ? ")" : "", pt->unit);
	} else if (d->has_reading) {
		printf("%-*s %-30s (read failed)\n", HINT_INDENT, "", name);
	}
}

static void print_devices_text(const struct engine *e, const struct once_why *why)
{
	printf("%-16s %-9s %-30s %s\n", "DEVICE", "STATE", "POINT", "VALUE");
	for (size_t i = 0; i < e->ndevices; i++) {
		const struct eng_device *d = &e->devices[i];
		char hint[FM_TEXT_MAX * 4];
		printf("%-16s %-9s", d->conf->name, dev_state_name(d->health.state));
		if (d->health.error[0])
			printf(" %s", d->health.error);
		printf("\n");
		if (device_hint(d, &why[i], hint, sizeof hint))
			printf("%-*s hint: %s\n", HINT_INDENT, "", hint);
		for (size_t p = 0; p < d->conf->npoints; p++) {
			if (!eng_point_name(d, p)[0] || d->values[p].status == FM_POINT_ABSENT)
				continue; /* a slot holding no row */
			print_point_text(d, p);
		}
	}
}

static void print_rules_text(const struct engine *e)
{
	printf("\n%-24s %-28s %-10s %-24s %s\n", "RULE", "POINT", "VALUE",
	       "CONDITION", "VERDICT");
	for (size_t i = 0; i < e->nalerts; i++) {
		const struct eng_alert *a = &e->alerts[i];
		char point[FM_NAME_MAX * 2], cond[256], value[32] = "-";
		if (!a->name[0]) /* a slot with no row yet; the agent's own (once runs no checks) */
			continue;
		payload_alert_point(a, point, sizeof point);
		snprintf(cond, sizeof cond, "%s", builtin_condition(a));
		if (a->rule)
			eng_alert_condition_text(a, cond, sizeof cond);
		if (a->has_value)
			snprintf(value, sizeof value, "%g", a->value);
		else if (a->kind == ENG_ALERT_COMM)
			snprintf(value, sizeof value, "%s", dev_state_name(a->device->health.state));
		printf("%-24s %-28s %-10s %-24s %s\n", a->name, point, value, cond,
		       verdict(a));
	}
}

/* A point's value; a fault reading is no value: "v" is null, and
 * "reading", "fault" and "hint" say what was read and why it is not
 * believed. */
static void add_value_json(cJSON *v, const struct eng_device *d, size_t p)
{
	char hint[FM_TEXT_MAX * 2];
	if (is_fault(d, p)) {
		cJSON_AddNullToObject(v, "v");
		cJSON_AddNumberToObject(v, "reading", d->values[p].value);
		cJSON_AddStringToObject(v, "fault", d->points[p].fault_text);
		fault_hint(d, p, hint, sizeof hint);
		if (hint[0])
			cJSON_AddStringToObject(v, "hint", hint);
	} else if (d->values[p].status == FM_POINT_OK) {
		cJSON_AddNumberToObject(v, "v", d->values[p].value);
	} else {
		cJSON_AddNullToObject(v, "v");
	}
}

static cJSON *device_json(const struct eng_device *d, const struct once_why *why)
{
	char hint[FM_TEXT_MAX * 4];
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", d->conf->name);
	cJSON_AddStringToObject(o, "state", dev_state_name(d->health.state));
	if (d->health.error[0])
		cJSON_AddStringToObject(o, "error", d->health.error);
	else
		cJSON_AddNullToObject(o, "error");
	const char *kind = device_hint(d, why, hint, sizeof hint);
	if (kind) {
		cJSON_AddStringToObject(o, "problem", kind);
		cJSON_AddStringToObject(o, "hint", hint);
	}
	cJSON *points = cJSON_AddObjectToObject(o, "points");
	for (size_t p = 0; p < d->conf->npoints; p++) {
		const struct fm_point *pt = &d->conf->points[p];
		if (!eng_point_name(d, p)[0] || d->values[p].status == FM_POINT_ABSENT)
			continue; /* a slot holding no row */
		cJSON *v = cJSON_AddObjectToObject(points, eng_point_name(d, p));
		add_value_json(v, d, p);
		if (pt->unit[0])
			cJSON_AddStringToObject(v, "unit", pt->unit);
		if (pt->nslots) {
			cJSON_AddStringToObject(v, "row", d->rows[p].index);
			cJSON_AddStringToObject(v, "label", d->rows[p].label);
		}
	}
	return o;
}

static cJSON *rule_json(const struct eng_alert *a)
{
	cJSON *o = cJSON_CreateObject();
	char point[FM_NAME_MAX * 2], cond[256];
	payload_alert_point(a, point, sizeof point);
	snprintf(cond, sizeof cond, "%s", builtin_condition(a));
	if (a->rule)
		eng_alert_condition_text(a, cond, sizeof cond);
	cJSON_AddStringToObject(o, "rule", a->name);
	cJSON_AddStringToObject(o, "point", point);
	if (a->has_value)
		cJSON_AddNumberToObject(o, "value", a->value);
	else
		cJSON_AddNullToObject(o, "value");
	cJSON_AddStringToObject(o, "condition", cond);
	cJSON_AddStringToObject(o, "state", alert_state_name(a->fsm.state));
	cJSON_AddStringToObject(o, "severity", severity_name(a->severity));
	cJSON_AddStringToObject(o, "verdict", verdict(a));
	if (a->detail[0])
		cJSON_AddStringToObject(o, "detail", a->detail);
	return o;
}

static void print_json(const struct engine *e, const struct once_why *why)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *devices = cJSON_AddArrayToObject(o, "devices");
	for (size_t i = 0; i < e->ndevices; i++)
		cJSON_AddItemToArray(devices, device_json(&e->devices[i], &why[i]));
	cJSON *rules = cJSON_AddArrayToObject(o, "rules");
	for (size_t i = 0; i < e->nalerts; i++)
		if (e->alerts[i].name[0])
			cJSON_AddItemToArray(rules, rule_json(&e->alerts[i]));
	char *text = cJSON_Print(o);
	if (text)
		puts(text);
	free(text);
	cJSON_Delete(o);
}

static bool all_answered(const struct engine *e)
{
	for (size_t i = 0; i < e->ndevices; i++)
		if (e->devices[i].health.state != FM_DEV_UP &&
		    e->devices[i].health.state != FM_DEV_DEGRADED)
			return false;
	return true;
}

int agent_once(struct fm_config *cfg, bool json)
{
	if (cfg->agent.log_level > FM_LOG_WARN)
		log_set_level(cfg->agent.log_level == FM_LOG_DEBUG ? FM_LOG_DEBUG : FM_LOG_WARN);
	for (size_t i = 0; i < cfg->ndevices; i++)
		cfg->devices[i].down_after = 1;
	/* one poll, no listening: the trap port belongs to the running agent */
	cfg->traps.enabled = false;
	for (size_t i = 0; i < cfg->nbuses; i++)
		cfg->buses[i].traps.enabled = false;
	char err[FM_TEXT_MAX] = "";
	int64_t now = clock_mono_ms();
	struct outputs none = {0}; /* once publishes and stores nothing */
	struct eng_publisher pub = outputs_publisher(&none);
	struct engine *e = engine_create(cfg, &pub, now, clock_wall_ms());
	struct poller *p = poller_create(cfg, now, err, sizeof err);
	struct once_why *why = calloc(cfg->ndevices ? cfg->ndevices : 1, sizeof *why);
	if (!e || !p || !why) {
		log_error("once: %s", err[0] ? err : "out of memory");
		free(why);
		poller_destroy(p);
		engine_destroy(e);
		return 1;
	}
	poller_post_all(p);
	collect(p, e, why, cfg->ndevices);
	if (json)
		print_json(e, why);
	else {
		print_devices_text(e, why);
		print_rules_text(e);
	}
	int rc = all_answered(e) ? 0 : 3;
	free(why);
	poller_destroy(p);
	engine_destroy(e);
	return rc;
}
