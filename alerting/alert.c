/* alert.c - the alert state machine.
 *
 *   ok/resolved --true--> pending --true for `for`--> firing
 *   firing --false for `clear_for`--> resolved
 *   pending --false--> ok         resolved --false--> ok
 *   any --unknown--> unknown --true--> firing if it was firing, else pending
 *                            --false--> resolved if it was firing, else ok
 * With for = 0 the pending step is skipped, with clear_for = 0 a false
 * resolves at once. resolved lasts one evaluation so that consumers see
 * the resolution before the alert settles to ok. A flapping alert (see
 * alert.h) needs the condition clear for the flap window to resolve.
 */
#include "alerting/alert.h"

#include <string.h>

static void enter(struct fm_alert *a, enum fm_alert_state to, int64_t now_mono,
                  int64_t now_wall, struct fm_transition *t)
{
	t->from = a->state;
	t->to = to;
	if (to == FM_ALERT_UNKNOWN)
		a->was_firing = a->state == FM_ALERT_FIRING;
	if (to == FM_ALERT_FIRING && a->state != FM_ALERT_UNKNOWN)
		a->fired_mono_ms[a->nfired++ % ALERT_FLAP_FIRES] = now_mono;
	a->clear_since_mono_ms = 0;
	a->state = to;
	a->since_mono_ms = now_mono;
	a->since_wall_ms = now_wall;
}

void alert_init(struct fm_alert *a, int64_t for_ms, int64_t clear_ms, int64_t now_mono,
                int64_t now_wall)
{
	*a = (struct fm_alert){
		.state = FM_ALERT_UNKNOWN,
		.since_mono_ms = now_mono,
		.since_wall_ms = now_wall,
		.for_ms = for_ms,
		.clear_ms = clear_ms,
	};
}

void alert_resume(struct fm_alert *a, enum fm_alert_state state, int64_t now_mono,
                  int64_t since_wall)
{
	a->state = state;
	a->since_mono_ms = now_mono;
	a->since_wall_ms = since_wall;
	a->clear_since_mono_ms = 0;
}

bool alert_is_flapping(const struct fm_alert *a, int64_t now_mono)
{
	if (a->nfired < ALERT_FLAP_FIRES)
		return false;
	/* the oldest of the last ALERT_FLAP_FIRES firings */
	int64_t oldest = a->fired_mono_ms[a->nfired % ALERT_FLAP_FIRES];
	return now_mono - oldest < ALERT_FLAP_WINDOW_MS;
}

/* Firing and now clear: resolved once clear long enough. */
static enum fm_alert_state clearing(struct fm_alert *a, int64_t now_mono)
{
	int64_t need = a->clear_ms;
	if (alert_is_flapping(a, now_mono) && need < ALERT_FLAP_WINDOW_MS)
		need = ALERT_FLAP_WINDOW_MS;
	if (need <= 0)
		return FM_ALERT_RESOLVED;
	if (a->clear_since_mono_ms == 0)
		a->clear_since_mono_ms = now_mono;
	return now_mono - a->clear_since_mono_ms >= need ? FM_ALERT_RESOLVED
	                                                 : FM_ALERT_FIRING;
}

static enum fm_alert_state next_when_true(const struct fm_alert *a, int64_t now_mono)
{
	switch (a->state) {
	case FM_ALERT_PENDING:
		return now_mono - a->since_mono_ms >= a->for_ms ? FM_ALERT_FIRING
		                                                : FM_ALERT_PENDING;
	case FM_ALERT_FIRING:
		return FM_ALERT_FIRING;
	case FM_ALERT_UNKNOWN:
		if (a->was_firing)
			return FM_ALERT_FIRING;
		/* fall through */
	case FM_ALERT_OK:
	case FM_ALERT_RESOLVED:
		return a->for_ms > 0 ? FM_ALERT_PENDING : FM_ALERT_FIRING;
	}
	return a->state;
}

static enum fm_alert_state next_when_false(struct fm_alert *a, int64_t now_mono)
{
	switch (a->state) {
	case FM_ALERT_FIRING:
		return clearing(a, now_mono);
	case FM_ALERT_UNKNOWN:
		return a->was_firing ? FM_ALERT_RESOLVED : FM_ALERT_OK;
	case FM_ALERT_PENDING:
	case FM_ALERT_RESOLVED:
	case FM_ALERT_OK:
		return FM_ALERT_OK;
	}
	return a->state;
}

bool alert_step(struct fm_alert *a, enum fm_cond c, int64_t now_mono,
                int64_t now_wall, struct fm_transition *t)
{
	enum fm_alert_state next;
	switch (c) {
	case FM_COND_TRUE:
		a->clear_since_mono_ms = 0;
		next = next_when_true(a, now_mono);
		break;
	case FM_COND_FALSE:
		next = next_when_false(a, now_mono);
		break;
	default:
		next = FM_ALERT_UNKNOWN;
		break;
	}
	if (next == a->state)
		return false;
	enter(a, next, now_mono, now_wall, t);
	return true;
}

bool alert_is_active(const struct fm_alert *a)
{
	return a->state == FM_ALERT_PENDING || a->state == FM_ALERT_FIRING;
}

const char *alert_state_name(enum fm_alert_state s)
{
	switch (s) {
	case FM_ALERT_OK: return "ok";
	case FM_ALERT_PENDING: return "pending";
	case FM_ALERT_FIRING: return "firing";
	case FM_ALERT_RESOLVED: return "resolved";
	case FM_ALERT_UNKNOWN: return "unknown";
	}
	return "?";
}

bool alert_state_from_name(const char *name, enum fm_alert_state *out)
{
	for (int s = FM_ALERT_OK; s <= FM_ALERT_UNKNOWN; s++)
		if (strcmp(alert_state_name((enum fm_alert_state)s), name) == 0) {
			*out = (enum fm_alert_state)s;
			return true;
		}
	return false;
}
