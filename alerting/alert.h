/* alert.h - the lifecycle of one alert.
 *
 * Owns: the state machine ok -> pending -> firing -> resolved -> ok, plus
 * unknown when the condition cannot be evaluated. It is fed one
 * classification at a time with the current time and reports a transition
 * only when the state changes, so events come out on change, never per poll.
 */
#ifndef FACMON_ALERT_H
#define FACMON_ALERT_H

#include <stdbool.h>
#include <stdint.h>

#include "alerting/rule.h"

enum fm_alert_state {
	FM_ALERT_OK,
	FM_ALERT_PENDING,
	FM_ALERT_FIRING,
	FM_ALERT_RESOLVED,
	FM_ALERT_UNKNOWN,
};

struct fm_alert {
	enum fm_alert_state state;
	int64_t since_mono_ms;  /* when the current state began */
	int64_t since_wall_ms;
	int64_t for_ms;         /* how long the condition holds before firing */
	bool was_firing;        /* in UNKNOWN: it was firing when data went away */
};

struct fm_transition {
	enum fm_alert_state from;
	enum fm_alert_state to;
};

/* A new alert starts UNKNOWN: nothing has been observed yet, and a sensor
 * that never answered must not read as a healthy one. */
void alert_init(struct fm_alert *a, int64_t for_ms, int64_t now_mono, int64_t now_wall);

/* Feeds condition C observed at NOW. Returns true and fills T when the
 * state changed. At most one transition per call. */
bool alert_step(struct fm_alert *a, enum fm_cond c, int64_t now_mono,
                int64_t now_wall, struct fm_transition *t);

/* Pending or firing: the condition is being held (hysteresis applies). */
bool alert_is_active(const struct fm_alert *a);

const char *alert_state_name(enum fm_alert_state s);

#endif
