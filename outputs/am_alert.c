/* am_alert.c - facmon's alerts as Alertmanager's (see am_alert.h). */
#include "outputs/am_alert.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Where an alert is: its device and point, or the bus or agent it is
 * about ("subject" in the summary). */
struct am_where {
	char device[FM_NAME_MAX];
	char point[FM_NAME_MAX * 2];
	char subject[FM_NAME_MAX * 2 + 8];
};

static const char *text_of(const cJSON *doc, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);
	return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
}

static bool ends_with_kind(const char *rule, const char *point, const char *kind)
{
	size_t n = strlen(point);
	return strncmp(rule, point, n) == 0 && strcmp(rule + n, kind) == 0;
}

/* From the event's "point": "<device>.<point>" for a rule or a sensor
 * fault, "<device>" for a comm alert, "<bus>" for a bus alert, "facmon"
 * for the agent's own. Device and point names hold no dot. */
static void where_of(const char *rule, const char *point, struct am_where *w)
{
	*w = (struct am_where){0};
	snprintf(w->subject, sizeof w->subject, "%s", point);
	const char *dot = strchr(point, '.');
	if (ends_with_kind(rule, point, ".comm")) {
		snprintf(w->device, sizeof w->device, "%s", point);
	} else if (ends_with_kind(rule, point, ".bus")) {
		snprintf(w->subject, sizeof w->subject, "bus %s", point);
	} else if (dot) {
		snprintf(w->device, sizeof w->device, "%.*s", (int)(dot - point), point);
		snprintf(w->point, sizeof w->point, "%s", dot + 1);
	}
}

/* The unit of POINT of DEVICE in CFG; "" when it has none (or is a row of
 * a walked column, named after the row). */
static const char *unit_of(const struct fm_config *cfg, const struct am_where *w)
{
	for (size_t i = 0; w->point[0] && i < cfg->ndevices; i++) {
		const struct fm_device *d = &cfg->devices[i];
		if (strcmp(d->name, w->device) != 0)
			continue;
		for (size_t p = 0; p < d->npoints; p++)
			if (strcmp(d->points[p].name, w->point) == 0)
				return d->points[p].unit;
	}
	return "";
}

/* "35 degC", "2 (cooling)", "down"; "" when the event has no value. */
static void value_text(const cJSON *doc, const char *unit, char *buf, size_t len)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, "value");
	const char *text = text_of(doc, "text");
	buf[0] = '\0';
	if (cJSON_IsString(v))
		snprintf(buf, len, "%s", v->valuestring);
	else if (cJSON_IsNumber(v))
		snprintf(buf, len, "%.15g%s%s%s%s%s", v->valuedouble, unit[0] ? " " : "", unit,
		         text ? " (" : "", text ? text : "", text ? ")" : "");
}

/* "room-temp-high in Server room 1: rack-a.temperature is 35 degC". */
static void summary(const cJSON *doc, const struct am_where *w, const char *value,
                    enum am_phase phase, char *buf, size_t len)
{
	const char *rule = text_of(doc, "rule"), *detail = text_of(doc, "detail");
	const char *loc = text_of(doc, "location");
	int n = snprintf(buf, len, "%s%s%s%s: %s", rule ? rule : "?",
	                 phase == AM_RESOLVED ? " resolved" : "", loc ? " in " : "",
	                 loc ? loc : "", w->subject);
	size_t used = n > 0 && (size_t)n < len ? (size_t)n : len - 1;
	if (value[0] && detail)
		snprintf(buf + used, len - used, " is %s (%s)", value, detail);
	else if (value[0])
		snprintf(buf + used, len - used, " is %s", value);
	else if (detail)
		snprintf(buf + used, len - used, ": %s", detail);
}

static void add_if(cJSON *obj, const char *key, const char *value)
{
	if (value && value[0])
		cJSON_AddStringToObject(obj, key, value);
}

static void add_controls(cJSON *labels, const cJSON *doc)
{
	char buf[FM_TEXT_MAX * 2] = "";
	size_t used = 0;
	const cJSON *c;
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(doc, "controls")) {
		if (!cJSON_IsString(c) || used >= sizeof buf)
			continue;
		int n = snprintf(buf + used, sizeof buf - used, "%s%s", used ? "," : "",
		                 c->valuestring);
		used += n > 0 ? (size_t)n : 0;
	}
	add_if(labels, "controls", buf);
}

static cJSON *labels_of(const cJSON *doc, const struct fm_config *cfg,
                        const struct am_where *w)
{
	cJSON *l = cJSON_CreateObject();
	add_if(l, "alertname", text_of(doc, "rule"));
	add_if(l, "severity", text_of(doc, "severity"));
	add_if(l, "device", w->device);
	add_if(l, "point", w->point);
	add_if(l, "site", cfg->agent.site);
	add_if(l, "gateway", cfg->agent.name);
	add_if(l, "location", text_of(doc, "location"));
	add_if(l, "owner", text_of(doc, "owner"));
	add_controls(l, doc);
	return l;
}

/* facmon's silence over it: "until <time> by <who>: <why>". */
static void add_silence(cJSON *a, const cJSON *doc)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(doc, "silence");
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "silenced")) || !s)
		return;
	const char *until = text_of(s, "until"), *by = text_of(s, "by"), *why = text_of(s, "why");
	char buf[FM_TEXT_MAX * 2];
	snprintf(buf, sizeof buf, "until %s%s%s%s%s", until ? until : "?", by ? " by " : "",
	         by ? by : "", why ? ": " : "", why ? why : "");
	cJSON_AddStringToObject(a, "silenced", buf);
}

static cJSON *annotations_of(const cJSON *doc, const struct fm_config *cfg,
                             const struct am_where *w, enum am_phase phase)
{
	char value[FM_TEXT_MAX], sum[FM_TEXT_MAX * 3];
	value_text(doc, unit_of(cfg, w), value, sizeof value);
	summary(doc, w, value, phase, sum, sizeof sum);
	cJSON *a = cJSON_CreateObject();
	add_if(a, "summary", sum);
	add_if(a, "value", value);
	add_if(a, "runbook", text_of(doc, "runbook"));
	add_if(a, "detail", text_of(doc, "detail"));
	add_silence(a, doc);
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "acked")))
		add_if(a, "acked_by", text_of(cJSON_GetObjectItemCaseSensitive(doc, "ack"), "by"));
	return a;
}

enum am_phase am_event_phase(const cJSON *doc)
{
	const char *type = text_of(doc, "type"), *to = text_of(doc, "to");
	if (!type || strcmp(type, "transition") != 0 || !to || !text_of(doc, "rule"))
		return AM_NONE;
	if (strcmp(to, "firing") == 0)
		return AM_FIRING;
	return strcmp(to, "resolved") == 0 ? AM_RESOLVED : AM_NONE;
}

cJSON *am_alert(const cJSON *doc, const struct fm_config *cfg, enum am_phase phase,
                const char *starts, const char *ends)
{
	const char *rule = text_of(doc, "rule"), *point = text_of(doc, "point");
	struct am_where w;
	where_of(rule ? rule : "", point ? point : "", &w);
	cJSON *alert = cJSON_CreateObject();
	if (!alert)
		return NULL;
	cJSON *labels = labels_of(doc, cfg, &w), *notes = annotations_of(doc, cfg, &w, phase);
	if (!labels || !notes || !cJSON_AddItemToObject(alert, "labels", labels)) {
		cJSON_Delete(labels);
		cJSON_Delete(notes);
		cJSON_Delete(alert);
		return NULL;
	}
	if (!cJSON_AddItemToObject(alert, "annotations", notes)) {
		cJSON_Delete(notes);
		cJSON_Delete(alert);
		return NULL;
	}
	add_if(alert, "startsAt", starts);
	add_if(alert, "endsAt", ends);
	return alert;
}
