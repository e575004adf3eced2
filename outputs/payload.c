/* payload.c - building the published JSON documents with cJSON. */
#include "outputs/payload.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"

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

char *payload_status_online(const struct fm_status *st)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "state", "online");
	cJSON_AddStringToObject(o, "version", st->version);
	add_time(o, "started", st->started_wall_ms);
	add_time(o, "ts", st->now_wall_ms);
	cJSON_AddNumberToObject(o, "uptime_s", (double)((st->now_wall_ms - st->started_wall_ms) / 1000));
	if (st->config_sha256 && st->config_sha256[0])
		cJSON_AddStringToObject(o, "config_sha256", st->config_sha256);
	if (st->chain_hash[0]) {
		cJSON *head = cJSON_AddObjectToObject(o, "chain_head");
		cJSON_AddNumberToObject(head, "seq", (double)st->chain_seq);
		cJSON_AddStringToObject(head, "hash", st->chain_hash);
	}
	cJSON *loop = cJSON_AddObjectToObject(o, "loop");
	cJSON_AddNumberToObject(loop, "results", (double)st->loop_results);
	cJSON_AddNumberToObject(loop, "cpu_ms", (double)(int64_t)(st->loop_cpu_ms * 1000) / 1000);
	cJSON *buses = cJSON_AddObjectToObject(o, "buses");
	for (size_t i = 0; buses && i < st->nbuses; i++) {
		cJSON *b = cJSON_AddObjectToObject(buses, st->buses[i].name);
		cJSON_AddNumberToObject(b, "polls", (double)st->buses[i].polls);
		cJSON_AddNumberToObject(b, "polls_failed", (double)st->buses[i].polls_failed);
		cJSON_AddNumberToObject(b, "requests_failed", (double)st->buses[i].requests_failed);
	}
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

/* A point read this poll: "v" (and "text" for an enum). */
static void add_reading(cJSON *pt, const struct fm_point *p, double v)
{
	cJSON_AddNumberToObject(pt, "v", v);
	const char *text = point_enum_name(p, v);
	if (text)
		cJSON_AddStringToObject(pt, "text", text);
}

/* A point of a device that is down: no value ("v" null, "stale" true),
 * and the last one it gave in this run and when ("last", "last_ts"). */
static void add_stale(cJSON *pt, const struct eng_point *ep)
{
	cJSON_AddNullToObject(pt, "v");
	cJSON_AddTrueToObject(pt, "stale");
	if (!ep->good_wall_ms)
		return;
	cJSON_AddNumberToObject(pt, "last", ep->good);
	add_time(pt, "last_ts", ep->good_wall_ms);
}

/* Point I of D, unless it has nothing to say: a slot holding no row, or a
 * read that failed of a device still up (a degraded one). */
static void add_point(cJSON *points, const struct eng_device *d, size_t i)
{
	bool down = d->health.state == FM_DEV_DOWN;
	if (!eng_point_name(d, i)[0] || d->values[i].status == FM_POINT_ABSENT ||
	    (!down && d->values[i].status != FM_POINT_OK))
		return;
	const struct fm_point *p = &d->conf->points[i];
	cJSON *pt = cJSON_AddObjectToObject(points, eng_point_name(d, i));
	if (down)
		add_stale(pt, &d->points[i]);
	else
		add_reading(pt, p, d->values[i].value);
	if (p->unit[0])
		cJSON_AddStringToObject(pt, "unit", p->unit);
	add_row(pt, d, i);
}

char *payload_telemetry(const struct eng_device *d)
{
	cJSON *o = cJSON_CreateObject();
	if (d->has_reading)
		add_time(o, "ts", d->reading_wall_ms);
	else
		cJSON_AddNullToObject(o, "ts");
	cJSON_AddStringToObject(o, "device", d->conf->name);
	cJSON_AddStringToObject(o, "state", dev_state_name(d->health.state));
	cJSON *points = cJSON_AddObjectToObject(o, "points");
	for (size_t i = 0; points && i < d->conf->npoints; i++)
		add_point(points, d, i);
	return finish(o);
}

uint64_t payload_point_names_hash(const struct eng_device *d)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a over the names, NUL-separated */
	for (size_t i = 0; i < d->conf->npoints; i++)
		for (const char *c = eng_point_name(d, i);; c++) {
			h = (h ^ (unsigned char)*c) * 1099511628211ULL;
			if (!*c)
				break;
		}
	return h;
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
	switch (a->kind) {
	case ENG_ALERT_RULE:
	case ENG_ALERT_FAULT:
		snprintf(buf, len, "%s.%s", a->device->conf->name,
		         eng_point_name(a->device, a->point));
		break;
	case ENG_ALERT_COMM:
		snprintf(buf, len, "%s", a->device->conf->name);
		break;
	case ENG_ALERT_BUS:
		snprintf(buf, len, "%.*s", (int)(strlen(a->name) - 4), a->name); /* "<bus>" */
		break;
	case ENG_ALERT_SELF:
		snprintf(buf, len, "facmon");
		break;
	}
}

/* The comm rule's value is the device state, a bus alert's the bus's; a
 * rule's is its last reading (a rise/fall rule's: the change). */
static void add_value(cJSON *o, const struct eng_alert *a)
{
	if (a->kind == ENG_ALERT_COMM)
		cJSON_AddStringToObject(o, "value", dev_state_name(a->device->health.state));
	else if (a->kind == ENG_ALERT_BUS)
		cJSON_AddStringToObject(o, "value", a->fsm.state == FM_ALERT_FIRING ? "down" : "up");
	else if (a->has_value)
		cJSON_AddNumberToObject(o, "value", a->value);
	else
		cJSON_AddNullToObject(o, "value");
	const char *text = a->kind == ENG_ALERT_RULE && a->has_value && a->bit < 0
	                       ? point_enum_name(&a->device->conf->points[a->point], a->value)
	                       : NULL;
	if (text)
		cJSON_AddStringToObject(o, "text", text);
	if (a->bit >= 0)
		cJSON_AddNumberToObject(o, "bit", a->bit);
	if (a->bit_name)
		cJSON_AddStringToObject(o, "bit_name", a->bit_name);
	if (a->detail[0])
		cJSON_AddStringToObject(o, "detail", a->detail);
}

static void add_text_if(cJSON *o, const char *key, const char *text)
{
	if (text && text[0])
		cJSON_AddStringToObject(o, key, text);
}

static void add_routing(cJSON *o, const struct eng_routing *r)
{
	add_text_if(o, "location", r->location);
	add_text_if(o, "runbook", r->runbook);
	add_text_if(o, "owner", r->owner);
}

void payload_add_ack(cJSON *o, const struct eng_alert *a)
{
	cJSON_AddBoolToObject(o, "acked", a->ack != NULL);
	if (!a->ack)
		return;
	cJSON *ack = cJSON_AddObjectToObject(o, "ack");
	cJSON_AddStringToObject(ack, "by", a->ack->by);
	add_time(ack, "at", a->ack->wall_ms);
	add_text_if(ack, "comment", a->ack->comment);
}

/* "silenced" always; by whom, why and until when while silenced. */
static void add_silence(cJSON *o, const struct eng_alert *a)
{
	cJSON_AddBoolToObject(o, "silenced", a->silence != NULL);
	if (!a->silence)
		return;
	cJSON *s = cJSON_AddObjectToObject(o, "silence");
	cJSON_AddNumberToObject(s, "id", a->silence->id);
	cJSON_AddStringToObject(s, "match", a->silence->match);
	add_time(s, "until", a->silence->end_wall_ms);
	if (a->silence->by[0])
		cJSON_AddStringToObject(s, "by", a->silence->by);
	if (a->silence->why[0])
		cJSON_AddStringToObject(s, "why", a->silence->why);
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
	add_routing(o, &a->routing);
	add_silence(o, a);
}

char *payload_alert_state(const struct eng_alert *a)
{
	cJSON *o = cJSON_CreateObject();
	add_common(o, a);
	cJSON_AddStringToObject(o, "state", alert_state_name(a->fsm.state));
	add_time(o, "since", a->fsm.since_wall_ms);
	cJSON_AddBoolToObject(o, "flapping", a->held_flapping);
	payload_add_ack(o, a);
	return finish(o);
}

/* The history was lost: what, where it went, how many events the broker
 * never had, and the seq the numbering continues above. */
static void add_store_reset(cJSON *o, const struct eng_store_reset *r)
{
	static const char *const controls[] = {"8.15", "実102"};
	cJSON_AddStringToObject(o, "event", "reset");
	cJSON_AddStringToObject(o, "rule", ENG_STORE_EVENT_NAME);
	cJSON_AddStringToObject(o, "severity", severity_name(FM_SEV_MAJOR));
	cJSON_AddStringToObject(o, "point", "facmon");
	cJSON_AddStringToObject(o, "reason", r->why);
	if (r->moved_to[0])
		cJSON_AddStringToObject(o, "moved_to", r->moved_to);
	else
		cJSON_AddNullToObject(o, "moved_to");
	if (r->unsent >= 0)
		cJSON_AddNumberToObject(o, "unsent_lost", (double)r->unsent);
	else
		cJSON_AddNullToObject(o, "unsent_lost");
	cJSON_AddNumberToObject(o, "seq_mark", (double)r->mark);
	char detail[sizeof r->why + sizeof r->moved_to + 96];
	payload_store_reset_text(r, detail, sizeof detail);
	cJSON_AddStringToObject(o, "detail", detail);
	cJSON *c = cJSON_AddArrayToObject(o, "controls");
	for (size_t i = 0; c && i < sizeof controls / sizeof controls[0]; i++)
		cJSON_AddItemToArray(c, cJSON_CreateString(controls[i]));
}

void payload_store_reset_text(const struct eng_store_reset *r, char *buf, size_t len)
{
	char unsent[48];
	if (r->unsent >= 0)
		snprintf(unsent, sizeof unsent, "%ld unsent event%s lost", r->unsent,
		         r->unsent == 1 ? "" : "s");
	else
		snprintf(unsent, sizeof unsent, "unsent events lost: unknown");
	snprintf(buf, len, "%s%s%s; %s; seq continues above %llu", r->why,
	         r->moved_to[0] ? ", moved to " : "", r->moved_to, unsent,
	         (unsigned long long)r->mark);
}

/* A notice: its subject as "rule", its action, its fields in order. */
static void add_notice(cJSON *o, const struct eng_notice *n)
{
	cJSON_AddStringToObject(o, "rule", n->subject);
	cJSON_AddStringToObject(o, "action", n->action);
	for (size_t i = 0; i < n->nfields; i++) {
		const struct eng_field *f = &n->fields[i];
		if (f->text)
			cJSON_AddStringToObject(o, f->key, f->text);
		else
			cJSON_AddNumberToObject(o, f->key, f->number);
	}
}

/* Every event starts with seq, ts and type, in that order. */
char *payload_event(const struct eng_event *e)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "seq", (double)e->seq);
	add_time(o, "ts", e->ts_wall_ms);
	cJSON_AddStringToObject(o, "type", eng_event_type_name(e->kind));
	if (e->kind == ENG_EVENT_STORE) {
		add_store_reset(o, e->reset);
		return finish(o);
	}
	if (e->notice) {
		add_notice(o, e->notice);
		return finish(o);
	}
	cJSON_AddStringToObject(o, "from", alert_state_name(e->t.from));
	cJSON_AddStringToObject(o, "to", alert_state_name(e->t.to));
	add_common(o, e->alert);
	if (e->kind == ENG_EVENT_ACK)
		payload_add_ack(o, e->alert);
	return finish(o);
}
