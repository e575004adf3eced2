/* payload.c - building the published JSON documents with cJSON. */
#include "alerting/payload.h"

#include <cjson/cJSON.h>
#include <stdio.h>

#include "agent/clock.h"

static void add_time(cJSON *obj, const char *key, int64_t wall_ms)
{
	char ts[CLOCK_ISO_LEN];
	clock_iso8601(wall_ms, ts, sizeof ts);
	cJSON_AddStringToObject(obj, key, ts);
}

/* Prints and frees OBJ; NULL if anything failed on the way. */
static char *finish(cJSON *obj)
{
	char *text = obj ? cJSON_PrintUnformatted(obj) : NULL;
	cJSON_Delete(obj);
	return text;
}

char *payload_status_online(const char *version, int64_t started_wall_ms)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "state", "online");
	cJSON_AddStringToObject(o, "version", version);
	add_time(o, "started", started_wall_ms);
	return finish(o);
}

char *payload_status_offline(void)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "state", "offline");
	return finish(o);
}

/* A row of a walked column says which row it is and what the device
 * calls it ("row": "2", "label": "Rack 3 Top"). */
static void add_row(cJSON *pt, const struct eng_device *d, size_t i)
{
	if (!d->conf->points[i].nslots)
		return;
	cJSON_AddStringToObject(pt, "row", d->rows[i].index);
	if (d->rows[i].label[0])
		cJSON_AddStringToObject(pt, "label", d->rows[i].label);
}

char *payload_telemetry(const struct eng_device *d)
{
	cJSON *o = cJSON_CreateObject();
	add_time(o, "ts", d->reading_wall_ms);
	cJSON_AddStringToObject(o, "device", d->conf->name);
	cJSON *points = cJSON_AddObjectToObject(o, "points");
	for (size_t i = 0; points && i < d->conf->npoints; i++) {
		if (d->values[i].status != FM_POINT_OK)
			continue;
		const struct fm_point *p = &d->conf->points[i];
		cJSON *pt = cJSON_AddObjectToObject(points, eng_point_name(d, i));
		cJSON_AddNumberToObject(pt, "v", d->values[i].value);
		const char *text = point_enum_name(p, d->values[i].value);
		if (text)
			cJSON_AddStringToObject(pt, "text", text);
		if (p->unit[0])
			cJSON_AddStringToObject(pt, "unit", p->unit);
		add_row(pt, d, i);
	}
	return finish(o);
}

char *payload_device_state(const struct eng_device *d)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "state", dev_state_name(d->health.state));
	add_time(o, "since", d->health.since_wall_ms);
	if (d->health.error[0])
		cJSON_AddStringToObject(o, "error", d->health.error);
	else
		cJSON_AddNullToObject(o, "error");
	return finish(o);
}

void payload_alert_point(const struct eng_alert *a, char *buf, size_t len)
{
	if (a->rule)
		snprintf(buf, len, "%s.%s", a->rule->device, eng_point_name(a->device, a->point));
	else
		snprintf(buf, len, "%s", a->device->conf->name);
}

/* The comm rule's value is the device state; a rule's is its last reading. */
static void add_value(cJSON *o, const struct eng_alert *a)
{
	if (!a->rule)
		cJSON_AddStringToObject(o, "value", dev_state_name(a->device->health.state));
	else if (a->has_value)
		cJSON_AddNumberToObject(o, "value", a->value);
	else
		cJSON_AddNullToObject(o, "value");
	const char *text = a->rule && a->has_value
	                       ? point_enum_name(&a->device->conf->points[a->point], a->value)
	                       : NULL;
	if (text)
		cJSON_AddStringToObject(o, "text", text);
}

static void add_common(cJSON *o, const struct eng_alert *a)
{
	char point[FM_NAME_MAX * 2];
	payload_alert_point(a, point, sizeof point);
	cJSON_AddStringToObject(o, "rule", a->name);
	cJSON_AddStringToObject(o, "severity", severity_name(a->severity));
	cJSON_AddStringToObject(o, "point", point);
	add_value(o, a);
	cJSON *controls = cJSON_AddArrayToObject(o, "controls");
	for (size_t i = 0; controls && i < a->ncontrols; i++)
		cJSON_AddItemToArray(controls, cJSON_CreateString(a->controls[i]));
}

char *payload_alert_state(const struct eng_alert *a)
{
	cJSON *o = cJSON_CreateObject();
	add_common(o, a);
	cJSON_AddStringToObject(o, "state", alert_state_name(a->fsm.state));
	add_time(o, "since", a->fsm.since_wall_ms);
	cJSON_AddBoolToObject(o, "acked", 0);
	return finish(o);
}

char *payload_event(const struct eng_event *e)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "seq", (double)e->seq);
	add_time(o, "ts", e->ts_wall_ms);
	cJSON_AddStringToObject(o, "from", alert_state_name(e->t.from));
	cJSON_AddStringToObject(o, "to", alert_state_name(e->t.to));
	add_common(o, e->alert);
	return finish(o);
}
