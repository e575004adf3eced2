/* controls.c - the catalog of control IDs a rule may name.
 *
 * Owns: which strings are control IDs facmon knows (`controls = ["設46",
 * "8.16"]` on a rule), the look-alike typos it can correct ("設8O" with a
 * letter O is "設80"), and the words messages use to say what is known.
 * validate.c decides whether an unknown ID is a warning or, with
 * agent.strict_controls, an error.
 *
 * THE CATALOG is the table below: a family prefix and the range of item
 * numbers after it. It is data, kept here rather than in a file installed
 * beside the package because it changes only with a new edition of a
 * standard, when the docs and tests change with it; compiled in, `facmon
 * check` on a PC and the agent on the gateway cannot disagree about it,
 * and there is no file to go missing. To extend it (a new edition, a
 * standard of your own) add or widen a row; tests/unit/test_config_controls.c
 * names the boundaries it expects.
 *
 * Sources, as of this writing:
 * - ISO/IEC 27001:2022 Annex A has 93 controls in four themes, numbered
 *   5.1-5.37 (organizational), 6.1-6.8 (people), 7.1-7.14 (physical) and
 *   8.1-8.34 (technological), the same numbers as ISO/IEC 27002:2022.
 *   This is certain.
 * - FISC 安全対策基準・解説書, 9th edition (2018) and its 10th (2022), number
 *   their items by kind: 統 (governance), 実 (practice), 設 (facilities),
 *   監 (audit). 実1-実148 is confirmed: AWS's public mappings of the 9th
 *   (revised) and 10th editions to its services (the repository
 *   aws-samples/baseline-environment-on-aws-for-financial-services-institute)
 *   list 実1 to 実148 without a gap, one row each. The other three ranges
 *   could NOT be confirmed for the 9th and 10th editions from public
 *   material; the ranges below are the best supported, from a public
 *   personal mapping of the 13th edition (2025) to Azure services, which
 *   numbers its governance items 統1-統28 (統28 new in the 13th), its
 *   facility items up to 設138, and its audit items 監1 (and 監1-1, new in
 *   the 13th). 統1-統27 and 監1 are that, less what it marks as new;
 *   設1-設138 is taken as it is. An unknown ID is only a warning unless
 *   agent.strict_controls is set, so a range that is too wide misses a
 *   typo at its end while one that is too narrow would refuse a real item.
 * Later editions add items (実149 in the 12th, 実150-実153 and numbers
 * with a branch such as 実14-1 in the 13th): not in this catalog.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"

/* A family of control IDs: PREFIX then a whole number FIRST..LAST, written
 * without leading zeros ("設46", "8.16"). A STANDARD's families are
 * consecutive rows. */
struct ctl_family {
	const char *standard;
	const char *prefix;
	int first, last;
};

#define ISO "ISO/IEC 27001:2022 Annex A"
#define FISC "FISC"

static const struct ctl_family ctl_catalog[] = {
	/* 9th and 10th editions; see above for which ranges are confirmed */
	{ FISC, "統", 1, 27 },
	{ FISC, "実", 1, 148 },
	{ FISC, "設", 1, 138 },
	{ FISC, "監", 1, 1 },
	/* themes numbered in order: messages say 5.1..8.34 */
	{ ISO, "5.", 1, 37 },
	{ ISO, "6.", 1, 8 },
	{ ISO, "7.", 1, 14 },
	{ ISO, "8.", 1, 34 },
};

#define NFAMILIES (sizeof ctl_catalog / sizeof ctl_catalog[0])

/* The number after a family's prefix: decimal digits, up to 4 of them, to
 * the end. With LEADING_ZEROS false, "046" is not a number. -1 if not. */
static int ctl_number(const char *s, bool leading_zeros)
{
	size_t n = strspn(s, "0123456789");
	if (n == 0 || n > 4 || s[n] != '\0' || (!leading_zeros && n > 1 && s[0] == '0'))
		return -1;
	int v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

/* Whether PREFIX is a number and a dot, as Annex A's themes are ("8."). */
static bool ctl_number_prefix(const char *prefix)
{
	size_t n = strspn(prefix, "0123456789");
	return n > 0 && strcmp(prefix + n, ".") == 0;
}

/* The family ID belongs to by its prefix, or NULL. */
static const struct ctl_family *ctl_family_of(const char *id)
{
	for (size_t i = 0; i < NFAMILIES; i++)
		if (strncmp(id, ctl_catalog[i].prefix, strlen(ctl_catalog[i].prefix)) == 0)
			return &ctl_catalog[i];
	return NULL;
}

/* The family and number of ID if it is in the catalog (*NUMBER set). */
static const struct ctl_family *ctl_lookup(const char *id, bool leading_zeros,
                                           int *number)
{
	const struct ctl_family *f = ctl_family_of(id);
	if (!f)
		return NULL;
	int v = ctl_number(id + strlen(f->prefix), leading_zeros);
	if (v < f->first || v > f->last)
		return NULL;
	*number = v;
	return f;
}

bool control_id_known(const char *id)
{
	int v;
	return ctl_lookup(id, false, &v) != NULL;
}

/* Characters typed for others: the UTF-8 text seen and what was meant.
 * Letters for digits, full-width digits and dots (an IME left in
 * full-width mode), 説 for 設 (both read せつ: one keystroke off in
 * conversion), the old form 實 for 実, and any kind of space. */
static const struct {
	const char *seen, *meant;
} ctl_lookalikes[] = {
	{ "O", "0" }, { "o", "0" }, { "l", "1" }, { "I", "1" }, { "|", "1" },
	{ "\xef\xbc\x90", "0" }, { "\xef\xbc\x91", "1" }, { "\xef\xbc\x92", "2" },
	{ "\xef\xbc\x93", "3" }, { "\xef\xbc\x94", "4" }, { "\xef\xbc\x95", "5" },
	{ "\xef\xbc\x96", "6" }, { "\xef\xbc\x97", "7" }, { "\xef\xbc\x98", "8" },
	{ "\xef\xbc\x99", "9" }, { "\xef\xbc\x8e", "." }, { ",", "." },
	{ "説", "設" }, { "實", "実" },
	{ " ", "" }, { "\t", "" }, { "\xe3\x80\x80", "" }, { "\xc2\xa0", "" },
};

#define NLOOKALIKES (sizeof ctl_lookalikes / sizeof ctl_lookalikes[0])

/* ID with every look-alike replaced, into OUT; false if it does not fit. */
static bool ctl_normalize(const char *id, char *out, size_t outsz)
{
	size_t used = 0;
	if (strncmp(id, "A.", 2) == 0) /* Annex A's controls written "A.8.16" */
		id += 2;
	while (*id) {
		const char *put = NULL;
		size_t take = 1;
		for (size_t i = 0; !put && i < NLOOKALIKES; i++) {
			size_t len = strlen(ctl_lookalikes[i].seen);
			if (strncmp(id, ctl_lookalikes[i].seen, len) == 0) {
				put = ctl_lookalikes[i].meant;
				take = len;
			}
		}
		size_t n = put ? strlen(put) : 1;
		if (used + n >= outsz)
			return false;
		memcpy(out + used, put ? put : id, n);
		used += n;
		id += take;
	}
	out[used] = '\0';
	return true;
}

bool control_id_suggest(const char *id, char *out, size_t outsz)
{
	char norm[FM_CONTROL_MAX * 2];
	int v;
	if (!ctl_normalize(id, norm, sizeof norm))
		return false;
	const struct ctl_family *f = ctl_lookup(norm, true, &v);
	if (!f)
		return false;
	int n = snprintf(out, outsz, "%s%d", f->prefix, v);
	return n > 0 && (size_t)n < outsz && strcmp(out, id) != 0;
}

/* Appends to OUT (OUTSZ bytes, *USED of them used); cut short if full. */
static void ctl_append(char *out, size_t outsz, size_t *used, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void ctl_append(char *out, size_t outsz, size_t *used, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(out + *used, outsz - *used, fmt, ap);
	va_end(ap);
	if (n > 0)
		*used = *used + (size_t)n < outsz ? *used + (size_t)n : outsz - 1;
}

/* The rows of F's standard: [*FIRST, *LAST]. */
static void ctl_standard_rows(const struct ctl_family *f, size_t *first, size_t *last)
{
	size_t i = (size_t)(f - ctl_catalog);
	*first = *last = i;
	while (*first > 0 && strcmp(ctl_catalog[*first - 1].standard, f->standard) == 0)
		(*first)--;
	while (*last + 1 < NFAMILIES && strcmp(ctl_catalog[*last + 1].standard, f->standard) == 0)
		(*last)++;
}

/* "設1..設138", "監1" (a family of one), appended to OUT. */
static void ctl_put_range(const struct ctl_family *a, const struct ctl_family *z,
                          char *out, size_t outsz, size_t *used)
{
	if (a == z && a->first == a->last)
		ctl_append(out, outsz, used, "%s%d", a->prefix, a->first);
	else
		ctl_append(out, outsz, used, "%s%d..%s%d", a->prefix, a->first, z->prefix,
		           z->last);
}

/* Every family of the standard of rows [FIRST, LAST]: one span when its
 * prefixes are numbered themes ("5." .. "8.": 5.1..8.34), else each. */
static void ctl_put_standard(size_t first, size_t last, char *out, size_t outsz,
                             size_t *used)
{
	bool themes = true;
	for (size_t i = first; i <= last; i++)
		themes = themes && ctl_number_prefix(ctl_catalog[i].prefix);
	ctl_append(out, outsz, used, "%s ", ctl_catalog[first].standard);
	if (themes) {
		ctl_put_range(&ctl_catalog[first], &ctl_catalog[last], out, outsz, used);
		return;
	}
	for (size_t i = first; i <= last; i++) {
		ctl_append(out, outsz, used, "%s", i > first ? ", " : "");
		ctl_put_range(&ctl_catalog[i], &ctl_catalog[i], out, outsz, used);
	}
}

void control_catalog_describe(const char *id, char *out, size_t outsz)
{
	char norm[FM_CONTROL_MAX * 2];
	const struct ctl_family *f =
		ctl_normalize(id, norm, sizeof norm) ? ctl_family_of(norm) : NULL;
	size_t used = 0;
	out[0] = '\0';
	if (f) {
		ctl_append(out, outsz, &used, "%s ", f->standard);
		ctl_put_range(f, f, out, outsz, &used);
		return;
	}
	for (size_t i = 0; i < NFAMILIES; i++) {
		size_t first, last;
		ctl_standard_rows(&ctl_catalog[i], &first, &last);
		if (first != i)
			continue;
		ctl_append(out, outsz, &used, "%s", i ? "; " : "");
		ctl_put_standard(first, last, out, outsz, &used);
	}
}
