/* engine_ops.c - what reaches the engine other than polls.
 *
 * Owns: operators' acknowledgements and maintenance windows (silences),
 * the agent's own health checks, and alert states and operators' silences
 * restored after a restart, and the events that are no alert's: the
 * history was lost, an operator's silence began or ended, and what the
 * agent notes of itself (engine_note). An ack is an event of its own
 * (numbered, stored, published); a silence changes no state, only how an
 * alert is published, but setting, cancelling and its end are events.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerting/engine.h"
#include "base/clock.h"
#include "base/log.h"

/* ---- the agent's own health ---- */

void engine_self_define(struct engine *e, size_t check, const char *name,
                        enum fm_severity severity,
                        const char (*controls)[FM_CONTROL_MAX], size_t ncontrols)
{
	if (check >= ENG_SELF_CHECKS)
		return;
	struct eng_alert *a = &e->self[check];
	snprintf(a->name, sizeof a->name, "%s", name);
	a->severity = severity;
	a->controls = controls;
	a->ncontrols = ncontrols;
}

void engine_self_observe(struct engine *e, size_t check, enum fm_cond c,
                         const char *detail, int64_t now_mono, int64_t now_wall)
{
	if (check >= ENG_SELF_CHECKS || !e->self[check].name[0])
		return;
	struct eng_alert *a = &e->self[check];
	if (a->resumed && c == FM_COND_UNKNOWN)
		return; /* a check that cannot tell yet (no heartbeat yet) */
	bool changed = strcmp(a->detail, detail ? detail : "") != 0;
	snprintf(a->detail, sizeof a->detail, "%s", detail ? detail : "");
	enum fm_alert_state before = a->fsm.state;
	eng_alert_observe(e, a, c, now_mono, now_wall);
	/* a new reason while firing is news for dashboards, not an event */
	if (changed && before == a->fsm.state && a->fsm.state == FM_ALERT_FIRING &&
	    e->pub.alert_state)
		e->pub.alert_state(e->pub.ctx, a);
}

/* ---- silences ---- */

/* Whether pattern MATCH names alert A: by its name, its rule's or its
 * device's. */
static bool match_names(const char *match, const struct eng_alert *a)
{
	if (fnmatch(match, a->name, 0) == 0)
		return true;
	if (a->rule && fnmatch(match, a->rule->name, 0) == 0)
		return true;
	return a->device && fnmatch(match, a->device->conf->name, 0) == 0;
}

bool eng_alert_detects_failure(const struct eng_alert *a)
{
	return a->kind == ENG_ALERT_COMM || a->kind == ENG_ALERT_BUS || a->kind == ENG_ALERT_SELF;
}

/* Whether silence S may cover A at all: an operator's never covers the
 * agent's failure detection unless the config allows it
 * (agent.commands.silence_self); the config's own windows may. */
static bool silence_may_cover(const struct engine *e, const struct eng_silence *s,
                              const struct eng_alert *a)
{
	return s->from_config || !eng_alert_detects_failure(a) ||
	       e->cfg->agent.commands.silence_self;
}

static bool silence_covers(const struct engine *e, const struct eng_silence *s,
                           const struct eng_alert *a, int64_t now_wall)
{
	return now_wall >= s->start_wall_ms && now_wall < s->end_wall_ms &&
	       silence_may_cover(e, s, a) && match_names(s->match, a);
}

size_t engine_match_count(const struct engine *e, const char *match, bool operator)
{
	const struct eng_silence probe = {.from_config = !operator};
	size_t n = 0;
	for (size_t i = 0; i < e->nalerts; i++) {
		const struct eng_alert *a = &e->alerts[i];
		n += a->name[0] && silence_may_cover(e, &probe, a) && match_names(match, a);
	}
	return n;
}

size_t engine_operator_silences(const struct engine *e)
{
	size_t n = 0;
	for (size_t i = 0; i < e->nsilences; i++)
		n += !e->silences[i].from_config;
	return n;
}

bool eng_alert_silenced(struct engine *e, struct eng_alert *a, int64_t now_wall)
{
	a->silence = NULL;
	for (size_t i = 0; i < e->nsilences && !a->silence; i++)
		if (silence_covers(e, &e->silences[i], a, now_wall))
			a->silence = &e->silences[i];
	return a->silence != NULL;
}

/* Republishes the alerts whose silence changed with what was just done. */
static void republish_silenced(struct engine *e, int64_t now_wall)
{
	for (size_t i = 0; i < e->nalerts; i++) {
		struct eng_alert *a = &e->alerts[i];
		bool before = a->silence != NULL;
		if (a->name[0] && eng_alert_silenced(e, a, now_wall) != before &&
		    e->pub.alert_state)
			e->pub.alert_state(e->pub.ctx, a);
	}
}

/* Adds silence S as it is (its id too); NULL when there are
 * ENG_SILENCES_MAX already, or S does not end after both its start and NOW. */
static const struct eng_silence *add_silence(struct engine *e, const struct eng_silence *s,
                                             int64_t now_wall)
{
	if (e->nsilences == ENG_SILENCES_MAX || s->end_wall_ms <= s->start_wall_ms ||
	    s->end_wall_ms <= now_wall)
		return NULL;
	struct eng_silence *added = &e->silences[e->nsilences++];
	*added = *s;
	if (added->id >= e->next_silence_id)
		e->next_silence_id = added->id + 1;
	republish_silenced(e, now_wall);
	return added;
}

/* The event of an operator's silence S: set, cancelled or expired. The
 * config's windows make none: the config's own events (its hash) record
 * them. */
static void note_silence(struct engine *e, const struct eng_silence *s, const char *action,
                         int64_t now_wall)
{
	if (s->from_config)
		return;
	char start[CLOCK_ISO_LEN], end[CLOCK_ISO_LEN];
	clock_iso8601(s->start_wall_ms, start, sizeof start);
	clock_iso8601(s->end_wall_ms, end, sizeof end);
	struct eng_notice n = {.subject = ENG_SUBJECT_SILENCE, .action = action};
	eng_notice_number(&n, "id", s->id);
	eng_notice_text(&n, "match", s->match);
	eng_notice_text(&n, "by", s->by);
	eng_notice_text(&n, "why", s->why);
	eng_notice_text(&n, "start", start);
	eng_notice_text(&n, "end", end);
	engine_note(e, ENG_EVENT_SILENCE, &n, now_wall);
}

unsigned engine_silence(struct engine *e, const char *match, int64_t start_wall,
                        int64_t end_wall, const char *by, const char *why,
                        bool from_config, int64_t now_wall)
{
	struct eng_silence s = {.id = e->next_silence_id, .from_config = from_config,
	                        .start_wall_ms = start_wall, .end_wall_ms = end_wall};
	snprintf(s.match, sizeof s.match, "%s", match);
	snprintf(s.by, sizeof s.by, "%s", by ? by : "");
	snprintf(s.why, sizeof s.why, "%s", why ? why : "");
	const struct eng_silence *added = add_silence(e, &s, now_wall);
	if (added)
		note_silence(e, added, "set", now_wall);
	return added ? added->id : 0;
}

/* A stored silence keeps its id: operators cancel by it. */
bool engine_resume_silence(struct engine *e, const struct eng_silence *s, int64_t now_wall)
{
	if (s->id == 0 || engine_find_silence(e, s->id))
		return false;
	struct eng_silence kept = *s;
	kept.from_config = false;
	return add_silence(e, &kept, now_wall) != NULL;
}

void eng_end_silences(struct engine *e, int64_t now_wall)
{
	size_t kept = 0;
	for (size_t i = 0; i < e->nsilences; i++) {
		if (e->silences[i].end_wall_ms > now_wall)
			e->silences[kept++] = e->silences[i];
		else
			note_silence(e, &e->silences[i], "expired", now_wall);
	}
	e->nsilences = kept;
}

const struct eng_silence *engine_find_silence(const struct engine *e, unsigned id)
{
	for (size_t i = 0; i < e->nsilences; i++)
		if (e->silences[i].id == id)
			return &e->silences[i];
	return NULL;
}

size_t engine_unsilence(struct engine *e, unsigned id, const char *match, int64_t now_wall)
{
	size_t kept = 0, ended = 0;
	for (size_t i = 0; i < e->nsilences; i++) {
		const struct eng_silence *s = &e->silences[i];
		bool end = id ? s->id == id : (match && strcmp(s->match, match) == 0);
		if (end) {
			ended++;
			note_silence(e, s, "cancelled", now_wall);
		} else {
			e->silences[kept++] = *s;
		}
	}
	e->nsilences = kept;
	republish_silenced(e, now_wall); /* entries moved: every alert looks again */
	return ended;
}

/* ---- events that are no alert's ---- */

/* Numbers EV and hands it to the publisher. */
static void emit(struct engine *e, struct eng_event *ev)
{
	ev->seq = e->next_seq++;
	if (e->pub.event)
		e->pub.event(e->pub.ctx, ev);
}

void engine_note_store_reset(struct engine *e, const struct eng_store_reset *r,
                             int64_t now_wall)
{
	emit(e, &(struct eng_event){.ts_wall_ms = now_wall, .kind = ENG_EVENT_STORE, .reset = r});
}

void engine_note(struct engine *e, enum eng_event_kind kind, const struct eng_notice *n,
                 int64_t now_wall)
{
	emit(e, &(struct eng_event){.ts_wall_ms = now_wall, .kind = kind, .notice = n});
}

void eng_notice_text(struct eng_notice *n, const char *key, const char *text)
{
	if (n->nfields < ENG_NOTICE_FIELDS)
		n->fields[n->nfields++] = (struct eng_field){.key = key, .text = text ? text : ""};
}

void eng_notice_number(struct eng_notice *n, const char *key, double number)
{
	if (n->nfields < ENG_NOTICE_FIELDS)
		n->fields[n->nfields++] = (struct eng_field){.key = key, .number = number};
}

const char *eng_event_type_name(enum eng_event_kind k)
{
	switch (k) {
	case ENG_EVENT_TRANSITION: return "transition";
	case ENG_EVENT_ACK: return "ack";
	case ENG_EVENT_STORE: return "store";
	case ENG_EVENT_SILENCE: return "silence";
	case ENG_EVENT_AGENT: return "agent";
	case ENG_EVENT_CONFIG: return "config";
	case ENG_EVENT_COMMAND: return "command";
	}
	return "?";
}

const char *eng_event_subject(const struct eng_event *e)
{
	if (e->alert)
		return e->alert->name;
	if (e->notice)
		return e->notice->subject;
	return ENG_STORE_EVENT_NAME;
}

/* ---- acknowledgements ---- */

/* Records BY's acknowledgement of A; false when out of memory. */
static bool alert_set_ack(struct eng_alert *a, const char *by, const char *comment,
                          int64_t wall_ms)
{
	struct eng_ack *ack = a->ack ? a->ack : malloc(sizeof *ack);
	if (!ack)
		return false;
	snprintf(ack->by, sizeof ack->by, "%s", by);
	snprintf(ack->comment, sizeof ack->comment, "%s", comment ? comment : "");
	ack->wall_ms = wall_ms;
	a->ack = ack;
	return true;
}

void eng_alert_unack(struct eng_alert *a)
{
	free(a->ack);
	a->ack = NULL;
}

static enum eng_ack_result ack_one(struct engine *e, struct eng_alert *a, const char *by,
                                   const char *comment, int64_t now_wall)
{
	if (a->fsm.state != FM_ALERT_FIRING)
		return ENG_ACK_NOT_FIRING;
	if (a->ack)
		return ENG_ACK_ALREADY;
	if (!alert_set_ack(a, by, comment, now_wall))
		return ENG_ACK_NO_MEMORY;
	emit(e, &(struct eng_event){.ts_wall_ms = now_wall, .kind = ENG_EVENT_ACK, .alert = a,
	                            .t = {.from = a->fsm.state, .to = a->fsm.state}});
	if (e->pub.alert_state)
		e->pub.alert_state(e->pub.ctx, a);
	return ENG_ACK_DONE;
}

/* NAME is an alert, or a rule with several (rows, bits): the rule's
 * firing ones are acknowledged together. */
enum eng_ack_result engine_ack(struct engine *e, const char *name, const char *by,
                               const char *comment, int64_t now_wall)
{
	struct eng_alert *a = engine_find_alert(e, name);
	if (a)
		return ack_one(e, a, by, comment, now_wall);
	enum eng_ack_result result = ENG_ACK_UNKNOWN;
	for (size_t i = 0; i < e->nalerts; i++) {
		struct eng_alert *x = &e->alerts[i];
		if (!x->rule || !x->name[0] || strcmp(x->rule->name, name) != 0)
			continue;
		enum eng_ack_result r = ack_one(e, x, by, comment, now_wall);
		if (r == ENG_ACK_DONE || result == ENG_ACK_UNKNOWN ||
		    (r == ENG_ACK_ALREADY && result != ENG_ACK_DONE))
			result = r;
	}
	return result;
}

const char *eng_ack_result_text(enum eng_ack_result r)
{
	switch (r) {
	case ENG_ACK_DONE: return "acknowledged";
	case ENG_ACK_UNKNOWN: return "no such alert or rule";
	case ENG_ACK_ALREADY: return "already acknowledged";
	case ENG_ACK_NOT_FIRING: return "not firing; nothing to acknowledge";
	case ENG_ACK_NO_MEMORY: return "out of memory; not acknowledged";
	}
	return "?";
}

/* ---- restored state ---- */

bool engine_resume(struct engine *e, const char *name, enum fm_alert_state state,
                   int64_t since_wall, const char *acked_by, const char *ack_comment,
                   int64_t acked_wall, int64_t now_mono)
{
	struct eng_alert *a = engine_find_alert(e, name);
	if (!a)
		return false;
	/* pending restarts its `for`; resolved has been seen already */
	if (state == FM_ALERT_PENDING || state == FM_ALERT_RESOLVED)
		state = FM_ALERT_OK;
	alert_resume(&a->fsm, state, now_mono, since_wall);
	a->cond = state == FM_ALERT_FIRING ? FM_COND_TRUE
	          : state == FM_ALERT_OK   ? FM_COND_FALSE
	                                   : FM_COND_UNKNOWN;
	a->resumed = state != FM_ALERT_UNKNOWN;
	if (state == FM_ALERT_FIRING && acked_by && acked_by[0] &&
	    !alert_set_ack(a, acked_by, ack_comment, acked_wall))
		log_error("%s: out of memory: its acknowledgement by %s is forgotten", name,
		          acked_by);
	if (state == FM_ALERT_FIRING && a->rule && a->rule->repeat > 0)
		a->next_repeat_mono = now_mono + (int64_t)a->rule->repeat * 1000;
	return true;
}
