/* rule.h - what a rule's conditions say about the values they watch.
 *
 * Owns: the pure classification of a value against one condition: the
 * hysteresis of threshold rules, equality, one bit of a mask, and the
 * change over a window of a rise/fall rule (computed on the samples
 * actually received, kept in a rate_window); and how the conditions of an
 * all/any rule combine. Knows nothing of devices or publishing; the alert
 * state machine (alert.h) turns classifications into transitions.
 */
#ifndef FACMON_RULE_H
#define FACMON_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

enum fm_cond {
	FM_COND_FALSE,
	FM_COND_TRUE,
	FM_COND_UNKNOWN, /* no trustworthy value: device down, read failed, NaN */
};

/* Whether condition K (above, below, equals, not_equals) holds for VALUE.
 * ACTIVE says the alert is already pending or firing: a threshold then
 * holds until the value is back past `clear`, so a value between `clear`
 * and the threshold keeps it. */
enum fm_cond rule_classify(const struct fm_condition *k, double value, bool active);

/* Mask rules: whether BIT of VALUE (an integer reading) is set. */
enum fm_cond rule_classify_bit(double value, int bit);

/* The samples of one point within a rise/fall window. */
struct rate_window {
	int64_t *t_ms;
	double *v;
	size_t cap, first, n; /* a ring of CAP, N from FIRST */
};

/* CAP samples; 0, or -1 when out of memory. */
int rate_window_init(struct rate_window *w, size_t cap);
void rate_window_free(struct rate_window *w);
/* Adds a sample taken at T_MS and forgets those older than WITHIN_MS
 * before it (the oldest go first when the ring is full). */
void rate_window_add(struct rate_window *w, int64_t t_ms, double v, int64_t within_ms);
/* Samples a window of WITHIN seconds holds at INTERVAL seconds per poll. */
size_t rate_window_size(int within, int interval);

/* rise/fall: whether the newest sample is at least K->threshold above the
 * lowest (rise) or below the highest (fall) in the window; *CHANGE gets
 * that difference. Fewer than two samples in the window (a gap in polling
 * longer than the window) is no evidence of a change: FALSE. */
enum fm_cond rule_classify_rate(const struct fm_condition *k, const struct rate_window *w,
                                double *change);

/* The conditions of an all/any rule together: ALL holds when every one
 * holds, is false when any is false, else unknown; ANY the reverse. */
enum fm_cond cond_combine(enum fm_combine how, const enum fm_cond *c, size_t n);

const char *cond_name(enum fm_cond c);
const char *rule_kind_name(enum fm_rule_kind k);

#endif
