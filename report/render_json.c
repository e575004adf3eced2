/* render_json.c - the report as one JSON document, for scripts.
 *
 * Owns: `facmon report --format json`. Built with cJSON and printed once.
 * Every time is an object {"utc": "2026-11-03T04:00:00.000Z", "local":
 * "2026-11-03T13:00:00.000+09:00"} (null when there is none); every
 * duration a number of seconds (null when there is none). Each section is
 * complete on its own: its covers, the availability of its devices, its
 * alerts and the silences that covered them; the agent's downtime, the
 * clock, the config changes and the chain's verdict are the whole month's.
 * docs/reference.md lists the fields.
 */
#include "report/report_private.h"

#include <stdlib.h>

#include "base/clock.h"

static void add_time(cJSON *o, const char *key, int64_t ms)
{
	if (!ms) {
		cJSON_AddNullToObject(o, key);
		return;
	}
	char utc[CLOCK_ISO_LEN], local[REPORT_TIME_LEN];
	clock_iso8601(ms, utc, sizeof utc);
	report_local_iso(ms, local, sizeof local);
	cJSON *t = cJSON_AddObjectToObject(o, key);
	cJSON_AddStringToObject(t, "utc", utc);
	cJSON_AddStringToObject(t, "local", local);
}

static void add_seconds(cJSON *o, const char *key, double s)
{
	if (s < 0)
		cJSON_AddNullToObject(o, key);
	else
		cJSON_AddNumberToObject(o, key, s);
}

static void add_times(cJSON *o, const char *key, const struct report_times *t)
{
	cJSON *x = cJSON_AddObjectToObject(o, key);
	cJSON_AddNumberToObject(x, "n", (double)t->n);
	add_seconds(x, "mean_s", t->n ? t->mean_s : -1);
	add_seconds(x, "max_s", t->n ? t->max_s : -1);
}

/* ---- the whole month ---- */

static void add_chain(cJSON *o, const struct report *r)
{
	const struct store_verdict *v = &r->chain;
	cJSON_AddStringToObject(o, "chain", !r->chain_checked ? "unreadable"
	                                     : v->intact      ? "intact" : "broken");
	cJSON *x = cJSON_AddObjectToObject(o, "verification");
	cJSON_AddBoolToObject(x, "intact", r->chain_checked && v->intact);
	if (!r->chain_checked) {
		cJSON_AddStringToObject(x, "error", r->chain_error);
		return;
	}
	cJSON_AddNumberToObject(x, "events", (double)v->events);
	cJSON_AddNumberToObject(x, "first_seq", (double)v->first_seq);
	cJSON_AddNumberToObject(x, "last_seq", (double)v->last_seq);
	cJSON_AddNumberToObject(x, "anchor_seq", (double)v->anchor_seq);
	cJSON_AddNumberToObject(x, "unchained", (double)v->unchained);
	cJSON_AddStringToObject(x, "head", v->head);
	if (v->intact)
		return;
	cJSON_AddNumberToObject(x, "bad_seq", (double)v->bad_seq);
	cJSON_AddStringToObject(x, "why", v->why);
}

static const char *down_kind(enum report_down_kind k)
{
	switch (k) {
	case REPORT_DOWN_STOPPED: return "stopped";
	case REPORT_DOWN_UNCLEAN: return "unclean_stop";
	case REPORT_DOWN_BEFORE_START: return "before_first_start";
	}
	return "?";
}

static void add_agent(cJSON *o, const struct report *r)
{
	cJSON *x = cJSON_AddObjectToObject(o, "agent");
	cJSON_AddBoolToObject(x, "known", r->agent_known);
	cJSON_AddNumberToObject(x, "downtime_s", r->downtime_s);
	cJSON *list = cJSON_AddArrayToObject(x, "downtime");
	for (size_t i = 0; i < r->ndowntime; i++) {
		const struct report_downtime *d = &r->downtime[i];
		cJSON *e = cJSON_CreateObject();
		cJSON_AddItemToArray(list, e);
		add_time(e, "from", d->from_ms);
		add_time(e, "until", d->until_ms);
		cJSON_AddNumberToObject(e, "seconds", (double)(d->until_ms - d->from_ms) / 1000);
		cJSON_AddStringToObject(e, "kind", down_kind(d->kind));
		cJSON_AddStringToObject(e, "reason", d->reason);
		add_seconds(e, "away_s", d->away_s);
		cJSON_AddBoolToObject(e, "open", d->open);
	}
}

static void add_clock(cJSON *o, const struct report *r)
{
	cJSON *x = cJSON_AddObjectToObject(o, "clock");
	cJSON_AddStringToObject(x, "at_start", r->clock_at_start);
	cJSON_AddNumberToObject(x, "unsynchronised_s", r->clock_unsynced_s);
	cJSON_AddNumberToObject(x, "pending_s", r->clock_pending_s);
	cJSON *list = cJSON_AddArrayToObject(x, "changes");
	for (size_t i = 0; i < r->nclock; i++) {
		cJSON *e = cJSON_CreateObject();
		cJSON_AddItemToArray(list, e);
		add_time(e, "at", r->clock[i].at_ms);
		cJSON_AddStringToObject(e, "from", r->clock[i].from);
		cJSON_AddStringToObject(e, "to", r->clock[i].to);
		cJSON_AddStringToObject(e, "detail", r->clock[i].detail);
	}
}

static void add_configs(cJSON *o, const struct report *r)
{
	cJSON *list = cJSON_AddArrayToObject(o, "config_changes");
	for (size_t i = 0; i < r->nconfigs; i++) {
		const struct report_config_change *k = &r->configs[i];
		cJSON *e = cJSON_CreateObject();
		cJSON_AddItemToArray(list, e);
		add_time(e, "at", k->at_ms);
		cJSON_AddStringToObject(e, "action", k->action);
		cJSON_AddStringToObject(e, "version", k->version);
		cJSON_AddStringToObject(e, "old_sha256", k->old_sha256);
		cJSON_AddStringToObject(e, "new_sha256", k->new_sha256);
		cJSON_AddStringToObject(e, "why", k->why);
	}
	list = cJSON_AddArrayToObject(o, "store_resets");
	for (size_t i = 0; i < r->nresets; i++) {
		cJSON *e = cJSON_CreateObject();
		cJSON_AddItemToArray(list, e);
		add_time(e, "at", r->resets[i].at_ms);
		cJSON_AddNumberToObject(e, "seq", (double)r->resets[i].seq);
		cJSON_AddStringToObject(e, "detail", r->resets[i].detail);
	}
}

static cJSON *silence_json(const struct report_silence *s)
{
	cJSON *e = cJSON_CreateObject();
	cJSON_AddNumberToObject(e, "id", s->id);
	cJSON_AddBoolToObject(e, "from_config", s->from_config);
	cJSON_AddStringToObject(e, "match", s->match);
	cJSON_AddStringToObject(e, "by", s->by);
	cJSON_AddStringToObject(e, "why", s->why);
	add_time(e, "set", s->set_ms);
	add_time(e, "start", s->start_ms);
	add_time(e, "end", s->end_ms);
	add_time(e, "ended", s->ended_ms);
	cJSON_AddStringToObject(e, "how_ended", s->ended[0] ? s->ended : "in place");
	add_seconds(e, "planned_s", s->start_ms ? (double)(s->end_ms - s->start_ms) / 1000 : -1);
	add_seconds(e, "lasted_s", s->start_ms && s->ended_ms
	                               ? (double)(s->ended_ms - s->start_ms) / 1000 : -1);
	return e;
}

/* ---- a section ---- */

static void add_covers(cJSON *o, const struct report_section *s)
{
	cJSON *list = cJSON_AddArrayToObject(o, "covered_by");
	for (size_t i = 0; i < s->ncovers; i++) {
		const struct report_cover *c = &s->covers[i];
		cJSON *e = cJSON_CreateObject();
		cJSON_AddItemToArray(list, e);
		cJSON_AddStringToObject(e, "name", c->name);
		cJSON_AddBoolToObject(e, "builtin", c->builtin);
		cJSON_AddStringToObject(e, "severity", c->severity);
		cJSON_AddStringToObject(e, "condition", c->condition);
		cJSON_AddStringToObject(e, "points", c->points);
	}
}

static void add_availability(cJSON *o, const struct report *r, const struct report_section *s)
{
	cJSON *list = cJSON_AddArrayToObject(o, "availability");
	for (size_t i = 0; i < s->ndevices; i++) {
		const struct report_avail *v = &r->avail[s->devices[i]];
		cJSON *e = cJSON_CreateObject();
		cJSON_AddItemToArray(list, e);
		cJSON_AddStringToObject(e, "device", v->device);
		cJSON_AddNumberToObject(e, "interval_s", v->interval_s);
		cJSON_AddNumberToObject(e, "scheduled", v->scheduled);
		cJSON_AddNumberToObject(e, "polls", (double)v->polls);
		cJSON_AddNumberToObject(e, "valid", (double)v->valid);
		cJSON_AddNumberToObject(e, "degraded", (double)v->degraded);
		cJSON_AddNumberToObject(e, "failed", (double)(v->polls - v->valid - v->degraded));
		cJSON_AddNumberToObject(e, "hours", v->hours);
		cJSON_AddNumberToObject(e, "hours_counted", v->hours_counted);
		cJSON_AddNumberToObject(e, "availability", v->availability);
	}
}

static cJSON *alert_json(const struct report *r, const struct report_alert *a)
{
	cJSON *e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "alert", a->name);
	cJSON_AddStringToObject(e, "rule", a->rule);
	cJSON_AddStringToObject(e, "severity", a->severity);
	cJSON_AddStringToObject(e, "point", a->point);
	cJSON_AddStringToObject(e, "value", a->value);
	cJSON_AddBoolToObject(e, "carried_in", a->carried_in);
	add_time(e, "condition_start", a->start_ms);
	add_time(e, "fired", a->fired_ms);
	add_time(e, "acknowledged", a->acked_ms);
	cJSON_AddStringToObject(e, "acknowledged_by", a->acked_by);
	cJSON_AddStringToObject(e, "ack_comment", a->ack_comment);
	add_time(e, "resolved", a->resolved_ms);
	add_seconds(e, "detect_s", report_alert_detect_s(a));
	add_seconds(e, "ack_s", report_alert_ack_s(a));
	add_seconds(e, "resolve_s", report_alert_resolve_s(a));
	cJSON *list = cJSON_AddArrayToObject(e, "silenced_by");
	for (size_t k = 0; k < a->nsilences; k++) {
		const struct report_silence *s = &r->silences[a->silences[k] - 1];
		cJSON *x = cJSON_CreateObject();
		cJSON_AddItemToArray(list, x);
		cJSON_AddNumberToObject(x, "id", s->id);
		cJSON_AddStringToObject(x, "match", s->match);
	}
	return e;
}

static cJSON *section_json(const struct report *r, const struct report_section *s)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "control", s->control);
	cJSON_AddBoolToObject(o, "in_config", s->in_config);
	add_covers(o, s);
	add_availability(o, r, s);
	cJSON *list = cJSON_AddArrayToObject(o, "alerts");
	for (size_t i = 0; i < s->nalerts; i++)
		cJSON_AddItemToArray(list, alert_json(r, &r->alerts[s->alerts[i]]));
	list = cJSON_AddArrayToObject(o, "silences");
	for (size_t i = 0; i < s->nsilences; i++)
		cJSON_AddItemToArray(list, silence_json(&r->silences[s->silences[i]]));
	cJSON *sum = cJSON_AddObjectToObject(o, "summary");
	cJSON_AddNumberToObject(sum, "alerts", (double)s->nalerts);
	cJSON_AddNumberToObject(sum, "carried_in", (double)s->carried_in);
	cJSON_AddNumberToObject(sum, "acknowledged", (double)s->acked);
	cJSON_AddNumberToObject(sum, "resolved", (double)s->resolved);
	add_times(sum, "detect", &s->detect);
	add_times(sum, "ack", &s->ack);
	add_times(sum, "resolve", &s->resolve);
	return o;
}

static cJSON *report_json(const struct report *r)
{
	char month[16], zone[REPORT_TIME_LEN * 2];
	snprintf(month, sizeof month, "%04d-%02d", r->year, r->month);
	report_zone_text(r->from_ms, zone, sizeof zone);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "site", r->site);
	cJSON_AddStringToObject(o, "gateway", r->gateway);
	cJSON_AddStringToObject(o, "month", month);
	cJSON *period = cJSON_AddObjectToObject(o, "period");
	add_time(period, "from", r->from_ms);
	add_time(period, "until", r->until_ms);
	cJSON_AddBoolToObject(period, "partial", r->partial);
	add_time(o, "generated", r->generated_ms);
	cJSON_AddStringToObject(o, "facmon_version", r->version);
	cJSON_AddStringToObject(o, "timezone", zone);
	cJSON_AddStringToObject(o, "config", r->config_path);
	cJSON_AddStringToObject(o, "config_sha256", r->config_sha256);
	cJSON_AddStringToObject(o, "database", r->db_path);
	add_time(o, "history_from", r->history_from_ms);
	cJSON_AddNumberToObject(o, "events", (double)r->events);
	add_chain(o, r);
	add_agent(o, r);
	add_clock(o, r);
	add_configs(o, r);
	cJSON *list = cJSON_AddArrayToObject(o, "silences");
	for (size_t i = 0; i < r->nsilences; i++)
		cJSON_AddItemToArray(list, silence_json(&r->silences[i]));
	list = cJSON_AddArrayToObject(o, "sections");
	for (size_t i = 0; i < r->nsections; i++)
		cJSON_AddItemToArray(list, section_json(r, &r->sections[i]));
	return o;
}

int report_render_json(const struct report *r, FILE *out)
{
	cJSON *o = report_json(r);
	char *text = o ? cJSON_Print(o) : NULL;
	cJSON_Delete(o);
	if (!text)
		return -1;
	int rc = fputs(text, out) < 0 || fputc('\n', out) == EOF ? -1 : 0;
	cJSON_free(text);
	return rc;
}
