/* rule.c - classifying a value against one rule's condition. */
#include "alerting/rule.h"

#include <math.h>

static enum fm_cond cond_of(bool holds)
{
	return holds ? FM_COND_TRUE : FM_COND_FALSE;
}

/* Threshold rules hold from beyond the threshold until back past `clear`. */
static enum fm_cond classify_above(const struct fm_rule *r, double v, bool active)
{
	return cond_of(active ? v >= r->clear : v > r->threshold);
}

static enum fm_cond classify_below(const struct fm_rule *r, double v, bool active)
{
	return cond_of(active ? v <= r->clear : v < r->threshold);
}

enum fm_cond rule_classify(const struct fm_rule *rule, double value, bool active)
{
	if (isnan(value))
		return FM_COND_UNKNOWN;
	switch (rule->kind) {
	case FM_RULE_ABOVE:
		return classify_above(rule, value, active);
	case FM_RULE_BELOW:
		return classify_below(rule, value, active);
	case FM_RULE_EQUALS:
		return cond_of(value == rule->threshold);
	case FM_RULE_NOT_EQUALS:
		return cond_of(value != rule->threshold);
	}
	return FM_COND_UNKNOWN;
}

const char *cond_name(enum fm_cond c)
{
	switch (c) {
	case FM_COND_FALSE: return "false";
	case FM_COND_TRUE: return "true";
	case FM_COND_UNKNOWN: return "unknown";
	}
	return "?";
}
