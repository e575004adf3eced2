/* alert.c - the alert state machine.
 *
 *   ok/resolved --true--> pending --true for `for`--> firing --false--> resolved
 *   pending --false--> ok         resolved --false--> ok
 *   any --unknown--> unknown --true--> firing if it was firing, else pending
 *                            --false--> resolved if it was firing, else ok
 * With for = 0 the pending step is skipped. resolved lasts one evaluation so
 * that consumers see the resolution before the alert settles to ok.
 */
#include "alerting/alert.h"

static void enter(struct fm_alert *a, enum fm_alert_state to, int64_t now_mono,
                  int64_t now_wall, struct fm_transition *t)
{
	t->from = a->state;
	t->to = to;
	if (to == FM_ALERT_UNKNOWN)
		a->was_firing = a->state == FM_ALERT_FIRING;
	a->state = to;
	a->since_mono_ms = now_mono;
	a->since_wall_ms = now_wall;
}

void alert_init(struct fm_alert *a, int64_t for_ms, int64_t now_mono, int64_t now_wall)
{
	*a = (struct fm_alert){
		.state = FM_ALERT_UNKNOWN,
		.since_mono_ms = now_mono,
		.since_wall_ms = now_wall,
		.for_ms = for_ms,
	};
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

static enum fm_alert_state next_when_false(const struct fm_alert *a)
{
	switch (a->state) {
	case FM_ALERT_FIRING:
		return FM_ALERT_RESOLVED;
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
		next = next_when_true(a, now_mono);
		break;
	case FM_COND_FALSE:
		next = next_when_false(a);
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
