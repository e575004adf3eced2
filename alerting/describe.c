/* describe.c - a rule alert's condition in words.
 *
 * Owns: the one wording of what a rule alert checks, shared by `facmon
 * once` (its table of verdicts) and the monthly report (what covers each
 * control): "> 30 (clear < 28)", "== battery", "rises 3 within 600 s",
 * "bit 2 (zone_3) set", and for an all/any rule each point's condition
 * joined with AND or OR.
 */
#include "alerting/describe.h"

#include <stdio.h>

/* One condition in words: "> 30 (clear < 28)", "== battery",
 * "rises 3 within 600 s", "bit 2 (zone_3) set". */
static void describe_term(const struct eng_alert *a, const struct eng_term *t, char *buf,
                          size_t len)
{
	const struct fm_condition *k = t->cond;
	const struct fm_point *pt = &t->device->conf->points[t->point];
	const char *name = point_enum_name(pt, k->threshold);
	switch (k->kind) {
	case FM_RULE_ABOVE:
		snprintf(buf, len, "> %g (clear < %g)", k->threshold, k->clear);
		break;
	case FM_RULE_BELOW:
		snprintf(buf, len, "< %g (clear > %g)", k->threshold, k->clear);
		break;
	case FM_RULE_EQUALS:
	case FM_RULE_NOT_EQUALS:
		if (name)
			snprintf(buf, len, "%s %s", k->kind == FM_RULE_EQUALS ? "==" : "!=", name);
		else
			snprintf(buf, len, "%s %g", k->kind == FM_RULE_EQUALS ? "==" : "!=",
			         k->threshold);
		break;
	case FM_RULE_RISE:
	case FM_RULE_FALL:
		snprintf(buf, len, "%s %g within %d s", k->kind == FM_RULE_RISE ? "rises" : "falls",
		         k->threshold, k->within);
		break;
	case FM_RULE_MASK:
		snprintf(buf, len, "bit %d%s%s%s set", a->bit, a->bit_name ? " (" : "",
		         a->bit_name ? a->bit_name : "", a->bit_name ? ")" : "");
		break;
	}
}

void eng_alert_condition_text(const struct eng_alert *a, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t j = 0; j < a->nterms && used < len; j++) {
		const struct eng_term *t = &a->terms[j];
		char one[96];
		describe_term(a, t, one, sizeof one);
		if (a->nterms == 1)
			used += (size_t)snprintf(buf + used, len - used, "%s", one);
		else
			used += (size_t)snprintf(buf + used, len - used, "%s%s.%s %s",
			                         j ? (a->rule->combine == FM_COMBINE_ALL ? " AND "
			                                                                 : " OR ")
			                           : "",
			                         t->device->conf->name, eng_point_name(t->device, t->point),
			                         one);
	}
}

