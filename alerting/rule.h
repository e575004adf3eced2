/* rule.h - what a rule says about one value.
 *
 * Owns: the pure classification of a value against a rule's condition,
 * including the hysteresis of threshold rules. Knows nothing of time,
 * devices or publishing; the alert state machine (alert.h) turns these
 * classifications into transitions.
 */
#ifndef FACMON_RULE_H
#define FACMON_RULE_H

#include <stdbool.h>

#include "config/config.h"

enum fm_cond {
	FM_COND_FALSE,
	FM_COND_TRUE,
	FM_COND_UNKNOWN, /* no trustworthy value: device down, read failed, NaN */
};

/* Whether RULE's condition holds for VALUE. ACTIVE says the alert is
 * already pending or firing: a threshold rule then holds until the value is
 * back past `clear`, so a value between `clear` and the threshold keeps it. */
enum fm_cond rule_classify(const struct fm_rule *rule, double value, bool active);

const char *cond_name(enum fm_cond c);

#endif
