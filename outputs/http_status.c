/* http_status.c - /status.json: what the live status page shows.
 *
 * Owns: the document the page polls, built with cJSON:
 *   ts, site, gateway      when it was built, and whose agent it is
 *   agent                  version, started, uptime_s, broker {address,
 *                          connected}, outbox (events waiting; null when
 *                          unknown), last_seq, health (the facmon.* alerts)
 *   rooms                  one per location (a device's routing location,
 *                          else the device itself), in config order: its
 *                          devices with state, since, error, last_seen and
 *                          points
 *   alerts                 the firing alerts, the most severe first, then
 *                          the oldest: since, acked and ack (by, at,
 *                          comment) as in the alert states on MQTT
 * A point's "v" is null unless it is current (http_point_current); then
 * "stale" is true, with "last" and "last_ts" when there was a good reading
 * in this run: the page greys it and says when it was last seen.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "config/config.h"
#include "outputs/http.h"
#include "outputs/mqtt.h"
#include "outputs/payload.h"

static void add_time(cJSON *o, const char *key, int64_t wall_ms)
{
	char ts[CLOCK_ISO_LEN];
	if (wall_ms <= 0) {
		cJSON_AddNullToObject(o, key);
		return;
	}
	clock_iso8601(wall_ms, ts, sizeof ts);
	cJSON_AddStringToObject(o, key, ts);
}

static void add_text_or_null(cJSON *o, const char *key, const char *text)
{
	if (text && text[0])
		cJSON_AddStringToObject(o, key, text);
	else
		cJSON_AddNullToObject(o, key);
}

/* Whether a firing rule alert watches point P of D. */
static bool point_alerting(const struct engine *e, const struct eng_device *d, size_t p)
{
	for (size_t i = 0; i < e->nalerts; i++) {
		const struct eng_alert *a = &e->alerts[i];
		if (a->fsm.state != FM_ALERT_FIRING ||
		    (a->kind != ENG_ALERT_RULE && a->kind != ENG_ALERT_FAULT))
			continue;
		for (size_t k = 0; k < a->nterms; k++)
			if (a->terms[k].device == d && a->terms[k].point == p)
				return true;
		if (a->device == d && a->point == p)
			return true;
	}
	return false;
}

static void add_point(cJSON *points, const struct http_view *v, const struct eng_device *d,
                      size_t p)
{
	const struct fm_point *pt = &d->conf->points[p];
	const struct eng_point *ep = &d->points[p];
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return;
	cJSON_AddItemToArray(points, o);
	cJSON_AddStringToObject(o, "name", eng_point_name(d, p));
	if (http_point_current(d, p, v->now_mono)) {
		cJSON_AddNumberToObject(o, "v", d->values[p].value);
		const char *text = point_enum_name(pt, d->values[p].value);
		if (text)
			cJSON_AddStringToObject(o, "text", text);
		cJSON_AddFalseToObject(o, "stale");
	} else {
		cJSON_AddNullToObject(o, "v");
		cJSON_AddTrueToObject(o, "stale");
		if (ep->good_wall_ms) {
			cJSON_AddNumberToObject(o, "last", ep->good);
			add_time(o, "last_ts", ep->good_wall_ms);
		}
	}
	add_text_or_null(o, "unit", pt->unit);
	if (pt->nslots && d->rows[p].label[0])
		cJSON_AddStringToObject(o, "label", d->rows[p].label);
	if (ep->fault != ENG_FAULT_NONE)
		cJSON_AddStringToObject(o, "fault", ep->fault_text);
	cJSON_AddBoolToObject(o, "alerting", point_alerting(v->env->engine, d, p));
}

static void add_device(cJSON *devices, const struct http_view *v, const struct eng_device *d)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return;
	cJSON_AddItemToArray(devices, o);
	cJSON_AddStringToObject(o, "name", d->conf->name);
	cJSON_AddStringToObject(o, "state", dev_state_name(d->health.state));
	add_time(o, "since", d->health.since_wall_ms);
	add_text_or_null(o, "error", d->health.error);
	add_time(o, "last_seen", d->has_reading ? d->reading_wall_ms : 0);
	cJSON *points = cJSON_AddArrayToObject(o, "points");
	for (size_t p = 0; points && p < d->conf->npoints; p++)
		if (eng_point_name(d, p)[0] && d->values[p].status != FM_POINT_ABSENT)
			add_point(points, v, d, p);
}

static const char *device_location(const struct eng_device *d)
{
	return d->conf->routing.location ? d->conf->routing.location : d->conf->name;
}

/* The rooms: each location once, where its first device is, with every
 * device of that location. */
static void add_rooms(cJSON *doc, const struct http_view *v)
{
	const struct engine *e = v->env->engine;
	cJSON *rooms = cJSON_AddArrayToObject(doc, "rooms");
	for (size_t i = 0; rooms && i < e->ndevices; i++) {
		const char *where = device_location(&e->devices[i]);
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(device_location(&e->devices[j]), where) == 0;
		cJSON *room = seen ? NULL : cJSON_CreateObject();
		if (!room)
			continue;
		cJSON_AddItemToArray(rooms, room);
		cJSON_AddStringToObject(room, "location", where);
		cJSON *devices = cJSON_AddArrayToObject(room, "devices");
		for (size_t j = i; devices && j < e->ndevices; j++)
			if (strcmp(device_location(&e->devices[j]), where) == 0)
				add_device(devices, v, &e->devices[j]);
	}
}

static void add_alert_fields(cJSON *o, const struct eng_alert *a)
{
	cJSON_AddStringToObject(o, "alert", a->name);
	cJSON_AddStringToObject(o, "severity", severity_name(a->severity));
	cJSON_AddStringToObject(o, "state", alert_state_name(a->fsm.state));
	add_time(o, "since", a->fsm.since_wall_ms);
	add_text_or_null(o, "detail", a->detail);
}

static void add_firing(cJSON *alerts, const struct eng_alert *a)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return;
	cJSON_AddItemToArray(alerts, o);
	add_alert_fields(o, a);
	if (a->device) {
		cJSON_AddStringToObject(o, "device", a->device->conf->name);
		if (a->kind == ENG_ALERT_RULE || a->kind == ENG_ALERT_FAULT) {
			cJSON_AddStringToObject(o, "point", eng_point_name(a->device, a->point));
			add_text_or_null(o, "unit", a->device->conf->points[a->point].unit);
		}
	}
	if (a->has_value && a->kind == ENG_ALERT_RULE)
		cJSON_AddNumberToObject(o, "value", a->value);
	add_text_or_null(o, "location", a->routing.location);
	add_text_or_null(o, "runbook", a->routing.runbook);
	cJSON_AddBoolToObject(o, "silenced", a->silence != NULL);
	payload_add_ack(o, a);
}

/* Before: the more severe, then the one firing longer. */
static bool fires_before(const struct eng_alert *x, const struct eng_alert *y)
{
	if (x->severity != y->severity)
		return x->severity > y->severity;
	return x->fsm.since_wall_ms < y->fsm.since_wall_ms;
}

static void add_alerts(cJSON *doc, const struct engine *e)
{
	cJSON *alerts = cJSON_AddArrayToObject(doc, "alerts");
	const struct eng_alert **firing = calloc(e->nalerts + 1, sizeof *firing);
	size_t n = 0;
	for (size_t i = 0; firing && i < e->nalerts; i++) {
		const struct eng_alert *a = &e->alerts[i];
		if (!a->name[0] || a->fsm.state != FM_ALERT_FIRING)
			continue;
		size_t at = n++;
		for (; at > 0 && fires_before(a, firing[at - 1]); at--)
			firing[at] = firing[at - 1];
		firing[at] = a;
	}
	for (size_t i = 0; alerts && i < n; i++)
		add_firing(alerts, firing[i]);
	free(firing);
}

static void add_agent(cJSON *doc, const struct http_view *v)
{
	const struct output_env *env = v->env;
	const struct engine *e = env->engine;
	cJSON *o = cJSON_AddObjectToObject(doc, "agent");
	if (!o)
		return;
	cJSON_AddStringToObject(o, "version", FACMON_VERSION);
	add_time(o, "started", env->started_wall_ms);
	cJSON_AddNumberToObject(o, "uptime_s", (double)((v->now_wall - env->started_wall_ms) / 1000));
	cJSON *broker = cJSON_AddObjectToObject(o, "broker");
	char address[FM_TEXT_MAX + 16];
	snprintf(address, sizeof address, "%s:%d", env->cfg->mqtt.host, env->cfg->mqtt.port);
	cJSON_AddStringToObject(broker, "address", address);
	cJSON_AddBoolToObject(broker, "connected", env->mqtt && mqtt_connected(env->mqtt));
	long depth = http_outbox_depth(v);
	if (depth >= 0)
		cJSON_AddNumberToObject(o, "outbox", (double)depth);
	else
		cJSON_AddNullToObject(o, "outbox");
	cJSON_AddNumberToObject(o, "last_seq", (double)http_last_seq(v));
	cJSON *health = cJSON_AddArrayToObject(o, "health");
	for (size_t c = 0; health && e->self && c < ENG_SELF_CHECKS; c++) {
		const struct eng_alert *a = &e->self[c];
		cJSON *h = a->name[0] ? cJSON_CreateObject() : NULL;
		if (!h)
			continue;
		cJSON_AddItemToArray(health, h);
		add_alert_fields(h, a);
	}
}

char *http_status_json(const struct http_view *v)
{
	cJSON *doc = cJSON_CreateObject();
	if (!doc)
		return NULL;
	add_time(doc, "ts", v->now_wall);
	cJSON_AddStringToObject(doc, "site", v->env->cfg->agent.site);
	cJSON_AddStringToObject(doc, "gateway", v->env->cfg->agent.name);
	add_agent(doc, v);
	add_rooms(doc, v);
	add_alerts(doc, v->env->engine);
	char *text = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	return text;
}
