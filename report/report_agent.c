/* report_agent.c - the agent's own record: downtime, config, clock, resets.
 *
 * Owns: when the agent was not running in the period, from its lifecycle
 * events (ISO 27001 8.16, FISC 実102):
 *
 *   stopped at S ... started at T       down from S to T
 *   unclean_stop at T (last_alive L)    down from L to T (the run died)
 *   started at T, no earlier record     down from the period's start to T
 *   stopped at S, no start by the end   down from S to the end
 *   a run going at the end whose unclean stop is found after it (the
 *   first agent event after the period)  down from its last alive mark
 *
 * each clipped to the period; the config each start and reload ran, with
 * the hash before and after; facmon.clock's changes (the gateway clock
 * lost or regained sync, ISO 27001 8.17) and how long it was firing or
 * pending; and store resets (the history lost and started again).
 */
#include "report/report_private.h"

#include <string.h>

/* ---- downtime ---- */

static void add_downtime(struct report_calc *c, int64_t from, int64_t until,
                         enum report_down_kind kind, const char *reason, double away_s,
                         bool open)
{
	if (from < c->from_ms)
		from = c->from_ms;
	if (until > c->until_ms)
		until = c->until_ms;
	if (until <= from)
		return;
	struct report *r = c->r;
	struct report_downtime *d = REPORT_PUSH(r->downtime, r->ndowntime, c->cap_down);
	if (!d) {
		c->failed = true;
		return;
	}
	*d = (struct report_downtime){.from_ms = from, .until_ms = until, .kind = kind,
	                              .away_s = away_s, .open = open};
	snprintf(d->reason, sizeof d->reason, "%s", reason);
	r->downtime_s += (double)(until - from) / 1000;
}

/* An unclean stop at TS: down since the last alive mark it names. */
static void unclean_stop(struct report_calc *c, const cJSON *ev, int64_t ts, int64_t until,
                         bool open)
{
	int64_t alive = report_time_of(ev, "last_alive");
	double away = report_number(ev, "away_s", -1);
	if (!alive && away >= 0)
		alive = ts - (int64_t)(away * 1000);
	if (!alive) /* no mark at all: since the run's start, as far as known */
		alive = c->agent == REPORT_AGENT_RUNNING ? c->agent_since_ms : c->from_ms;
	if (alive >= until)
		return; /* it was still alive when the period ended */
	add_downtime(c, alive, until, REPORT_DOWN_UNCLEAN, "", away, open);
}

static void config_started(struct report_calc *c, const cJSON *ev, int64_t ts);

void report_agent_event(struct report_calc *c, const cJSON *ev, int64_t ts)
{
	const char *action = report_text(ev, "action");
	c->r->agent_known = true;
	if (strcmp(action, "started") == 0) {
		if (c->agent == REPORT_AGENT_STOPPED)
			add_downtime(c, c->agent_since_ms, ts, REPORT_DOWN_STOPPED, c->stop_reason,
			             -1, false);
		else if (c->agent == REPORT_AGENT_UNKNOWN)
			add_downtime(c, c->from_ms, ts, REPORT_DOWN_BEFORE_START, "", -1, false);
		c->agent = REPORT_AGENT_RUNNING;
		c->agent_since_ms = ts;
		config_started(c, ev, ts);
	} else if (strcmp(action, "stopped") == 0) {
		c->agent = REPORT_AGENT_STOPPED;
		c->agent_since_ms = ts;
		snprintf(c->stop_reason, sizeof c->stop_reason, "%s", report_text(ev, "reason"));
	} else if (strcmp(action, "unclean_stop") == 0) {
		unclean_stop(c, ev, ts, ts, false);
		c->agent = REPORT_AGENT_ACCOUNTED;
	}
}

void report_agent_after(struct report_calc *c, const cJSON *ev, int64_t ts)
{
	if (c->agent == REPORT_AGENT_RUNNING &&
	    strcmp(report_text(ev, "action"), "unclean_stop") == 0)
		unclean_stop(c, ev, ts, c->until_ms, true);
}

/* ---- config ---- */

static struct report_config_change *config_change(struct report_calc *c, int64_t ts,
                                                  const char *action)
{
	if (ts < c->from_ms || ts >= c->until_ms)
		return NULL;
	struct report *r = c->r;
	struct report_config_change *k = REPORT_PUSH(r->configs, r->nconfigs, c->cap_configs);
	if (!k) {
		c->failed = true;
		return NULL;
	}
	k->at_ms = ts;
	snprintf(k->action, sizeof k->action, "%s", action);
	snprintf(k->old_sha256, sizeof k->old_sha256, "%s", c->running_sha256);
	return k;
}

static void config_started(struct report_calc *c, const cJSON *ev, int64_t ts)
{
	const char *sha = report_text(ev, "config_sha256");
	struct report_config_change *k = config_change(c, ts, "started");
	if (k) {
		snprintf(k->version, sizeof k->version, "%s", report_text(ev, "version"));
		snprintf(k->new_sha256, sizeof k->new_sha256, "%s", sha);
	}
	snprintf(c->running_sha256, sizeof c->running_sha256, "%s", sha);
}

void report_config_event(struct report_calc *c, const cJSON *ev, int64_t ts)
{
	const char *action = report_text(ev, "action");
	bool accepted = strcmp(action, "accepted") == 0;
	const char *sha = report_text(ev, "new_sha256");
	struct report_config_change *k = config_change(c, ts, action);
	if (k) {
		const char *old = report_text(ev, "old_sha256");
		if (old[0])
			snprintf(k->old_sha256, sizeof k->old_sha256, "%s", old);
		snprintf(k->new_sha256, sizeof k->new_sha256, "%s",
		         sha[0] ? sha : report_text(ev, "file_sha256"));
		snprintf(k->why, sizeof k->why, "%s", report_text(ev, "why"));
	}
	if (accepted && sha[0])
		snprintf(c->running_sha256, sizeof c->running_sha256, "%s", sha);
}

/* ---- the clock ---- */

/* Adds the time since the last change, within the period, to the state
 * the clock was in. */
static void clock_span(struct report_calc *c, int64_t until)
{
	int64_t from = c->clock_since_ms > c->from_ms ? c->clock_since_ms : c->from_ms;
	if (until > c->until_ms)
		until = c->until_ms;
	if (until <= from)
		return;
	double s = (double)(until - from) / 1000;
	if (strcmp(c->clock_state, "firing") == 0)
		c->r->clock_unsynced_s += s;
	else if (strcmp(c->clock_state, "pending") == 0)
		c->r->clock_pending_s += s;
}

void report_clock_transition(struct report_calc *c, const cJSON *ev, int64_t ts)
{
	struct report *r = c->r;
	if (ts < c->from_ms) {
		snprintf(r->clock_at_start, sizeof r->clock_at_start, "%s", report_text(ev, "to"));
	} else if (ts < c->until_ms) {
		struct report_clock_change *k = REPORT_PUSH(r->clock, r->nclock, c->cap_clock);
		if (!k) {
			c->failed = true;
			return;
		}
		k->at_ms = ts;
		snprintf(k->from, sizeof k->from, "%s", report_text(ev, "from"));
		snprintf(k->to, sizeof k->to, "%s", report_text(ev, "to"));
		snprintf(k->detail, sizeof k->detail, "%s", report_text(ev, "detail"));
	}
	clock_span(c, ts);
	snprintf(c->clock_state, sizeof c->clock_state, "%s", report_text(ev, "to"));
	c->clock_since_ms = ts;
}

/* ---- store resets ---- */

void report_reset_event(struct report_calc *c, const cJSON *ev, int64_t ts)
{
	if (ts < c->from_ms || ts >= c->until_ms)
		return;
	struct report *r = c->r;
	struct report_reset *k = REPORT_PUSH(r->resets, r->nresets, c->cap_resets);
	if (!k) {
		c->failed = true;
		return;
	}
	k->at_ms = ts;
	k->seq = (uint64_t)report_number(ev, "seq", 0);
	snprintf(k->detail, sizeof k->detail, "%s", report_text(ev, "detail"));
}

void report_agent_finish(struct report_calc *c)
{
	if (c->agent == REPORT_AGENT_STOPPED)
		add_downtime(c, c->agent_since_ms, c->until_ms, REPORT_DOWN_STOPPED,
		             c->stop_reason, -1, true);
	if (c->clock_state[0])
		clock_span(c, c->until_ms);
}
