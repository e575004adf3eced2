/* alert.h - the lifecycle of one alert.
 *
 * Owns: the state machine ok -> pending -> firing -> resolved -> ok, plus
 * unknown when the condition cannot be evaluated, with the delays that
 * keep noise out: `for` before firing, `clear_for` before resolving, and
 * flap damping. It is fed one
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

/* Flapping: an alert that fired ALERT_FLAP_FIRES times within
 * ALERT_FLAP_WINDOW_MS resolves only once its condition has been clear for
 * the whole window, so a value crossing back and forth makes at most that
 * many firing/resolved pairs per window, then at most one. */
#define ALERT_FLAP_FIRES 4
#define ALERT_FLAP_WINDOW_MS (10 * 60 * 1000)

struct fm_alert {
	enum fm_alert_state state;
	int64_t since_mono_ms;  /* when the current state began */
	int64_t since_wall_ms;
	int64_t for_ms;         /* how long the condition holds before firing */
	int64_t clear_ms;       /* how long it must be clear before resolving */
	int64_t clear_since_mono_ms; /* firing, condition false since; 0: not */
	bool was_firing;        /* in UNKNOWN: it was firing when data went away */
	int64_t fired_mono_ms[ALERT_FLAP_FIRES]; /* the last firings, a ring */
	size_t nfired;
};

struct fm_transition {
	enum fm_alert_state from;
	enum fm_alert_state to;
};

/* A new alert starts UNKNOWN: nothing has been observed yet, and a sensor
 * that never answered must not read as a healthy one. */
void alert_init(struct fm_alert *a, int64_t for_ms, int64_t clear_ms, int64_t now_mono,
                int64_t now_wall);

/* Puts A in STATE since SINCE_WALL (restored from the store after a
 * restart), without a transition. */
void alert_resume(struct fm_alert *a, enum fm_alert_state state, int64_t now_mono,
                  int64_t since_wall);

/* Whether A fired often enough lately to count as flapping (at NOW). */
bool alert_is_flapping(const struct fm_alert *a, int64_t now_mono);

/* A state name back to the state; false when NAME is none. */
bool alert_state_from_name(const char *name, enum fm_alert_state *out);

/* Feeds condition C observed at NOW. Returns true and fills T when the
 * state changed. At most one transition per call. */
bool alert_step(struct fm_alert *a, enum fm_cond c, int64_t now_mono,
                int64_t now_wall, struct fm_transition *t);

/* Pending or firing: the condition is being held (hysteresis applies). */
bool alert_is_active(const struct fm_alert *a);

const char *alert_state_name(enum fm_alert_state s);

#endif
