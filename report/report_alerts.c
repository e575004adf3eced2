/* report_alerts.c - alerts, their acknowledgements and silences, from events.
 *
 * Owns: turning an alert's transitions into episodes, each from the start
 * of its condition to its resolution:
 *
 *   ok/resolved -> pending     the condition began (the rule has a `for`)
 *   pending -> firing          detected: time to detect = firing - pending
 *   ok/resolved -> firing      detected at once (no `for`): 0
 *   ack                        time to acknowledge = ack - firing
 *   firing -> resolved         time to resolve = resolved - firing
 *
 * An unknown in between (data went away) keeps the episode open; one that
 * goes back to ok without firing was no alert and is dropped. An episode
 * counts in the period when it fired in it, or fired before and was still
 * firing when it began (carried in); one still firing at the end stays
 * open. And the silences: an operator's from its set, cancelled and
 * expired events; one of the config's from the alerts whose events say it
 * covered them (the config's windows make no events of their own).
 */
#include "report/report_private.h"

#include <stdlib.h>
#include <string.h>

/* ---- episodes ---- */

static struct report_alert *find_open(struct report_calc *c, const char *name)
{
	for (size_t i = 0; i < c->nopen; i++)
		if (strcmp(c->open[i].name, name) == 0)
			return &c->open[i];
	return NULL;
}

static struct report_alert *open_episode(struct report_calc *c, const char *name, int64_t ts)
{
	struct report_alert *a = REPORT_PUSH(c->open, c->nopen, c->cap_open);
	if (!a) {
		c->failed = true;
		return NULL;
	}
	snprintf(a->name, sizeof a->name, "%s", name);
	a->start_ms = ts;
	return a;
}

static void drop_open(struct report_calc *c, struct report_alert *a)
{
	*a = c->open[--c->nopen];
}

static bool counts_in_period(const struct report_calc *c, const struct report_alert *a)
{
	return a->fired_ms && a->fired_ms < c->until_ms &&
	       (!a->resolved_ms || a->resolved_ms >= c->from_ms);
}

/* Ends episode A: kept in the report when it counts in the period. */
static void close_episode(struct report_calc *c, struct report_alert *a)
{
	if (counts_in_period(c, a)) {
		struct report *r = c->r;
		struct report_alert *kept = REPORT_PUSH(r->alerts, r->nalerts, c->cap_alerts);
		if (kept) {
			*kept = *a;
			kept->carried_in = a->fired_ms < c->from_ms;
		} else {
			c->failed = true;
		}
	}
	drop_open(c, a);
}

/* "35", "5 (battery)", "down": what the alert fired on. */
static void value_text(const cJSON *ev, char *buf, size_t len)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(ev, "value");
	const char *text = report_text(ev, "text");
	if (cJSON_IsNumber(v) && text[0])
		snprintf(buf, len, "%g (%s)", v->valuedouble, text);
	else if (cJSON_IsNumber(v))
		snprintf(buf, len, "%g", v->valuedouble);
	else if (cJSON_IsString(v))
		snprintf(buf, len, "%s", v->valuestring);
	else
		buf[0] = '\0';
}

/* What every transition says of its alert: kept as the latest. */
static void take_fields(struct report_alert *a, const cJSON *ev)
{
	snprintf(a->severity, sizeof a->severity, "%s", report_text(ev, "severity"));
	snprintf(a->point, sizeof a->point, "%s", report_text(ev, "point"));
	const cJSON *k, *controls = cJSON_GetObjectItemCaseSensitive(ev, "controls");
	if (!cJSON_IsArray(controls))
		return;
	a->ncontrols = 0;
	cJSON_ArrayForEach(k, controls)
		if (cJSON_IsString(k) && a->ncontrols < FM_CONTROLS_MAX)
			snprintf(a->controls[a->ncontrols++], FM_CONTROL_MAX, "%s", k->valuestring);
}

/* ---- silences ---- */

static struct report_silence *new_silence(struct report_calc *c)
{
	struct report *r = c->r;
	struct report_silence *s = REPORT_PUSH(r->silences, r->nsilences, c->cap_silences);
	if (!s)
		c->failed = true;
	else
		s->key = (unsigned)r->nsilences;
	return s;
}

/* The silence an alert event says covers it ("silence": {id, match,
 * until, by, why}): an operator's set before, else one of the config's. */
static struct report_silence *silence_of(struct report_calc *c, const cJSON *sil)
{
	unsigned id = (unsigned)report_number(sil, "id", 0);
	const char *match = report_text(sil, "match");
	int64_t until = report_time_of(sil, "until");
	struct report *r = c->r;
	for (size_t i = r->nsilences; i-- > 0;) {
		struct report_silence *s = &r->silences[i];
		if (strcmp(s->match, match) == 0 &&
		    (s->from_config ? s->end_ms == until : s->id == id))
			return s;
	}
	struct report_silence *s = new_silence(c);
	if (!s)
		return NULL;
	*s = (struct report_silence){.key = s->key, .id = id, .from_config = true,
	                             .end_ms = until};
	snprintf(s->match, sizeof s->match, "%s", match);
	snprintf(s->by, sizeof s->by, "%s", report_text(sil, "by"));
	snprintf(s->why, sizeof s->why, "%s", report_text(sil, "why"));
	return s;
}

static void note_silenced(struct report_calc *c, struct report_alert *a, const cJSON *ev)
{
	const cJSON *sil = cJSON_GetObjectItemCaseSensitive(ev, "silence");
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev, "silenced")) ||
	    !cJSON_IsObject(sil))
		return;
	struct report_silence *s = silence_of(c, sil);
	if (!s)
		return;
	for (size_t i = 0; i < a->nsilences; i++)
		if (a->silences[i] == s->key)
			return;
	if (a->nsilences < REPORT_SILENCE_REFS)
		a->silences[a->nsilences++] = s->key;
}

void report_silence_event(struct report_calc *c, const cJSON *ev, int64_t ts)
{
	const char *action = report_text(ev, "action");
	unsigned id = (unsigned)report_number(ev, "id", 0);
	if (strcmp(action, "set") == 0) {
		struct report_silence *s = new_silence(c);
		if (!s)
			return;
		s->id = id;
		s->set_ms = ts;
		s->start_ms = report_time_of(ev, "start");
		s->end_ms = report_time_of(ev, "end");
		snprintf(s->match, sizeof s->match, "%s", report_text(ev, "match"));
		snprintf(s->by, sizeof s->by, "%s", report_text(ev, "by"));
		snprintf(s->why, sizeof s->why, "%s", report_text(ev, "why"));
		return;
	}
	struct report *r = c->r;
	for (size_t i = r->nsilences; i-- > 0;) {
		struct report_silence *s = &r->silences[i];
		if (!s->from_config && s->id == id && !s->ended_ms) {
			s->ended_ms = ts;
			snprintf(s->ended, sizeof s->ended, "%s", action);
			return;
		}
	}
}

/* ---- transitions and acknowledgements ---- */

void report_alert_transition(struct report_calc *c, const cJSON *ev, int64_t ts)
{
	const char *name = report_text(ev, "rule"), *to = report_text(ev, "to");
	struct report_alert *a = find_open(c, name);
	bool starts = strcmp(to, "pending") == 0 || strcmp(to, "firing") == 0;
	if (!a && starts)
		a = open_episode(c, name, ts);
	if (!a)
		return;
	take_fields(a, ev);
	note_silenced(c, a, ev);
	if (strcmp(to, "firing") == 0 && !a->fired_ms) {
		a->fired_ms = ts;
		value_text(ev, a->value, sizeof a->value);
	} else if (strcmp(to, "resolved") == 0 || strcmp(to, "ok") == 0) {
		if (a->fired_ms)
			a->resolved_ms = ts;
		close_episode(c, a); /* one that never fired is dropped */
	}
}

void report_alert_ack(struct report_calc *c, const cJSON *ev, int64_t ts)
{
	struct report_alert *a = find_open(c, report_text(ev, "rule"));
	if (!a || !a->fired_ms || a->acked_ms)
		return;
	const cJSON *ack = cJSON_GetObjectItemCaseSensitive(ev, "ack");
	int64_t at = report_time_of(ack, "at");
	a->acked_ms = at ? at : ts;
	snprintf(a->acked_by, sizeof a->acked_by, "%s", report_text(ack, "by"));
	snprintf(a->ack_comment, sizeof a->ack_comment, "%s", report_text(ack, "comment"));
}

/* ---- the period's end ---- */

static int by_firing(const void *x, const void *y)
{
	const struct report_alert *a = x, *b = y;
	if (a->fired_ms != b->fired_ms)
		return a->fired_ms < b->fired_ms ? -1 : 1;
	return strcmp(a->name, b->name);
}

/* Whether silence S was in effect in the period, or set in it. */
static bool silence_in_period(const struct report_calc *c, const struct report_silence *s)
{
	int64_t end = s->ended_ms ? s->ended_ms : s->end_ms;
	return s->set_ms < c->until_ms && (s->set_ms >= c->from_ms || end > c->from_ms);
}

/* Keeps the silences of the period and those a kept alert names, numbered
 * again from 1, the alerts' references with them. */
static void keep_silences(struct report_calc *c)
{
	struct report *r = c->r;
	unsigned *renumber = calloc(r->nsilences + 1, sizeof *renumber);
	if (!renumber) {
		c->failed = true;
		return;
	}
	for (size_t i = 0; i < r->nalerts; i++)
		for (size_t k = 0; k < r->alerts[i].nsilences; k++)
			renumber[r->alerts[i].silences[k]] = 1;
	size_t kept = 0;
	for (size_t i = 0; i < r->nsilences; i++) {
		struct report_silence s = r->silences[i];
		if (!renumber[s.key] && !silence_in_period(c, &s))
			continue;
		renumber[s.key] = (unsigned)++kept;
		s.key = (unsigned)kept;
		r->silences[kept - 1] = s;
	}
	r->nsilences = kept;
	for (size_t i = 0; i < r->nalerts; i++)
		for (size_t k = 0; k < r->alerts[i].nsilences; k++)
			r->alerts[i].silences[k] = renumber[r->alerts[i].silences[k]];
	free(renumber);
}

void report_alerts_finish(struct report_calc *c)
{
	/* those still firing at the end; pending ones never fired */
	while (c->nopen)
		close_episode(c, &c->open[c->nopen - 1]);
	struct report *r = c->r;
	if (r->nalerts)
		qsort(r->alerts, r->nalerts, sizeof *r->alerts, by_firing);
	keep_silences(c);
}

/* ---- an alert's times ---- */

static double seconds_between(int64_t from, int64_t to)
{
	return from && to ? (double)(to - from) / 1000 : -1;
}

double report_alert_detect_s(const struct report_alert *a)
{
	return seconds_between(a->start_ms, a->fired_ms);
}

double report_alert_ack_s(const struct report_alert *a)
{
	return seconds_between(a->fired_ms, a->acked_ms);
}

double report_alert_resolve_s(const struct report_alert *a)
{
	return seconds_between(a->fired_ms, a->resolved_ms);
}
