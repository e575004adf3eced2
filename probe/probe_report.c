/* probe_report.c - what `facmon probe` says when a read fails, and how
 * its results are printed.
 *
 * Owns: what the probe's failures mean, adapted from the probe's options
 * to explain.h (whose words `facmon once` shares: no answer, check wiring,
 * baud, unit id...; an exception: the register map differs...; an SNMP
 * agent that does not answer), the JSON frame every probe mode shares, and
 * the formatting of values.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <modbus.h>

#include "probe/explain.h"
#include "probe/probe_private.h"
#include "collectors/modbus_link.h"

void probe_where(const struct probe_opts *o, int unit, char *buf, size_t len)
{
	char link[FM_TEXT_MAX + 32];
	mb_link_describe(&o->bus, link, sizeof link);
	snprintf(buf, len, "unit %d %s %s", unit,
	         o->bus.type == FM_BUS_MODBUS_RTU ? "on" : "at", link);
}

void probe_range_text(enum fm_read_kind read, unsigned address, unsigned count,
                      char *buf, size_t len)
{
	if (count <= 1)
		snprintf(buf, len, "%s %u", read_kind_name(read), address);
	else
		snprintf(buf, len, "%s %u..%u", read_kind_name(read), address,
		         address + count - 1);
}

const char *probe_explain(const struct probe_opts *o, int unit, int e,
                          const char *what, char *msg, size_t len)
{
	struct explain_modbus x = {
		.bus = &o->bus, .unit = unit, .read = o->read,
		.audience = o->mode == PROBE_MODE_PROFILE ? EXPLAIN_PROBE_PROFILE : EXPLAIN_PROBE,
	};
	return explain_modbus_read(&x, e, what, msg, len);
}

void probe_explain_open(const struct probe_opts *o, int e, const char *err,
                        char *msg, size_t len)
{
	explain_modbus_open(&o->bus, e, err, msg, len);
}

/* ---- SNMP -------------------------------------------------------------- */

static void snmp_target(const struct probe_opts *o, char *buf, size_t len)
{
	snprintf(buf, len, strchr(o->snmp.host, ':') ? "[%s]:%d" : "%s:%d", o->snmp.host,
	         o->snmp.port);
}

void probe_snmp_where(const struct probe_opts *o, char *buf, size_t len)
{
	char target[FM_TEXT_MAX + 16];
	snmp_target(o, target, sizeof target);
	if (o->snmp.version == FM_SNMP_V3)
		snprintf(buf, len, "%s (SNMPv3 user %s, %s)", target, o->snmp.user,
		         probe_snmp_level_name(o->snmp.level));
	else
		snprintf(buf, len, "%s (SNMP v%s)", target,
		         probe_snmp_version_name(o->snmp.version));
}

const char *probe_snmp_explain_dead(const struct probe_opts *o, const char *error,
                                    char *msg, size_t len)
{
	char where[FM_TEXT_MAX * 3];
	probe_snmp_where(o, where, sizeof where);
	return explain_snmp_dead(&o->snmp, EXPLAIN_PROBE, where, o->snmp.retries + 1, error,
	                         msg, len);
}

/* ---- JSON -------------------------------------------------------------- */

cJSON *probe_json_start(const struct probe_opts *o, int unit)
{
	char link[FM_TEXT_MAX + 32];
	cJSON *doc = cJSON_CreateObject();
	if (o->bus.type == FM_BUS_SNMP) {
		snmp_target(o, link, sizeof link);
		cJSON_AddStringToObject(doc, "transport", "snmp");
		cJSON_AddStringToObject(doc, "target", link);
		cJSON_AddStringToObject(doc, "version", probe_snmp_version_name(o->snmp.version));
		if (o->snmp.version == FM_SNMP_V3) {
			cJSON_AddStringToObject(doc, "user", o->snmp.user);
			cJSON_AddStringToObject(doc, "level", probe_snmp_level_name(o->snmp.level));
		}
		cJSON_AddNumberToObject(doc, "timeout_ms", o->snmp.timeout_ms);
		cJSON_AddNumberToObject(doc, "retries", o->snmp.retries);
		return doc;
	}
	mb_link_describe(&o->bus, link, sizeof link);
	cJSON_AddStringToObject(doc, "transport",
	                        o->bus.type == FM_BUS_MODBUS_RTU ? "rtu" : "tcp");
	cJSON_AddStringToObject(doc, "target", link);
	if (unit > 0)
		cJSON_AddNumberToObject(doc, "unit", unit);
	cJSON_AddNumberToObject(doc, "timeout_ms", o->bus.timeout_ms);
	return doc;
}

void probe_json_error(cJSON *doc, const char *kind, const char *message)
{
	cJSON *e = cJSON_AddObjectToObject(doc, "error");
	cJSON_AddStringToObject(e, "kind", kind);
	cJSON_AddStringToObject(e, "message", message);
}

void probe_json_print(cJSON *doc)
{
	char *text = cJSON_Print(doc);
	if (text)
		puts(text);
	free(text);
	cJSON_Delete(doc);
}

/* ---- values ------------------------------------------------------------ */

static bool is_integer_type(enum fm_value_type t)
{
	return t != FM_TYPE_FLOAT32 && t != FM_TYPE_FLOAT64;
}

void probe_format_value(const struct fm_point *p, double v, char *buf, size_t len)
{
	bool scaled = p->scale != 1.0 || p->offset != 0.0;
	if (!isfinite(v))
		snprintf(buf, len, "%s", isnan(v) ? "NaN" : v > 0 ? "inf" : "-inf");
	else if (is_integer_type(p->type) && !scaled)
		snprintf(buf, len, "%.0f", v); /* exact, even past 2^53 */
	else if (p->type == FM_TYPE_FLOAT32)
		snprintf(buf, len, "%.7g", v);  /* what a float holds, no noise */
	else
		snprintf(buf, len, "%.15g", v);
}

void probe_fail(const char *msg)
{
	fprintf(stderr, "facmon probe: %s\n", msg);
}

int probe_give_up(cJSON *doc, const char *kind, const char *msg)
{
	probe_fail(msg);
	if (doc) {
		probe_json_error(doc, kind, msg);
		probe_json_print(doc);
	}
	return PROBE_EXIT_NO_ANSWER;
}
