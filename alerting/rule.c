/* rule.c - classifying values against a rule's conditions. */
#include "alerting/rule.h"

#include <math.h>
#include <stdlib.h>

#define RATE_WINDOW_MAX 4096 /* samples kept per rise/fall condition */

static enum fm_cond cond_of(bool holds)
{
	return holds ? FM_COND_TRUE : FM_COND_FALSE;
}

/* Threshold rules hold from beyond the threshold until back past `clear`. */
static enum fm_cond classify_above(const struct fm_condition *k, double v, bool active)
{
	return cond_of(active ? v >= k->clear : v > k->threshold);
}

static enum fm_cond classify_below(const struct fm_condition *k, double v, bool active)
{
	return cond_of(active ? v <= k->clear : v < k->threshold);
}

enum fm_cond rule_classify(const struct fm_condition *k, double value, bool active)
{
	if (isnan(value))
		return FM_COND_UNKNOWN;
	switch (k->kind) {
	case FM_RULE_ABOVE:
		return classify_above(k, value, active);
	case FM_RULE_BELOW:
		return classify_below(k, value, active);
	case FM_RULE_EQUALS:
		return cond_of(value == k->threshold);
	case FM_RULE_NOT_EQUALS:
		return cond_of(value != k->threshold);
	default:
		return FM_COND_UNKNOWN; /* rates and masks have their own */
	}
}

enum fm_cond rule_classify_bit(double value, int bit)
{
	if (isnan(value) || value < 0 || value > 4294967295.0 || value != floor(value))
		return FM_COND_UNKNOWN; /* not a bit field reading */
	return cond_of(((uint32_t)value >> bit) & 1u);
}

int rate_window_init(struct rate_window *w, size_t cap)
{
	*w = (struct rate_window){.cap = cap ? cap : 1};
	w->t_ms = calloc(w->cap, sizeof *w->t_ms);
	w->v = calloc(w->cap, sizeof *w->v);
	return w->t_ms && w->v ? 0 : -1;
}

void rate_window_free(struct rate_window *w)
{
	free(w->t_ms);
	free(w->v);
	*w = (struct rate_window){0};
}

size_t rate_window_size(int within, int interval)
{
	size_t n = (size_t)(within / (interval > 0 ? interval : 1)) + 2;
	return n < RATE_WINDOW_MAX ? n : RATE_WINDOW_MAX;
}

void rate_window_add(struct rate_window *w, int64_t t_ms, double v, int64_t within_ms)
{
	if (!w->cap)
		return;
	if (w->n == w->cap) { /* full: the oldest goes */
		w->first = (w->first + 1) % w->cap;
		w->n--;
	}
	size_t at = (w->first + w->n) % w->cap;
	w->t_ms[at] = t_ms;
	w->v[at] = v;
	w->n++;
	while (w->n > 1 && w->t_ms[w->first] < t_ms - within_ms) {
		w->first = (w->first + 1) % w->cap;
		w->n--;
	}
}

enum fm_cond rule_classify_rate(const struct fm_condition *k, const struct rate_window *w,
                                double *change)
{
	*change = 0;
	if (w->n < 2)
		return FM_COND_FALSE;
	double newest = w->v[(w->first + w->n - 1) % w->cap];
	double lo = newest, hi = newest;
	for (size_t i = 0; i < w->n; i++) {
		double v = w->v[(w->first + i) % w->cap];
		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
	}
	*change = k->kind == FM_RULE_RISE ? newest - lo : hi - newest;
	return cond_of(*change >= k->threshold);
}

enum fm_cond cond_combine(enum fm_combine how, const enum fm_cond *c, size_t n)
{
	/* ALL: one false decides; ANY: one true decides */
	enum fm_cond decisive = how == FM_COMBINE_ANY ? FM_COND_TRUE : FM_COND_FALSE;
	bool unknown = false;
	for (size_t i = 0; i < n; i++) {
		if (c[i] == decisive)
			return decisive;
		unknown = unknown || c[i] == FM_COND_UNKNOWN;
	}
	if (unknown)
		return FM_COND_UNKNOWN;
	return decisive == FM_COND_TRUE ? FM_COND_FALSE : FM_COND_TRUE;
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

const char *rule_kind_name(enum fm_rule_kind k)
{
	static const char *const names[] = {
		[FM_RULE_ABOVE] = "above", [FM_RULE_BELOW] = "below",
		[FM_RULE_EQUALS] = "equals", [FM_RULE_NOT_EQUALS] = "not_equals",
		[FM_RULE_RISE] = "rise", [FM_RULE_FALL] = "fall", [FM_RULE_MASK] = "mask",
	};
	return (size_t)k < sizeof names / sizeof names[0] ? names[k] : "?";
}
