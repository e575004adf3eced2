/* test_config_controls.c - the catalog of control IDs, and warnings.
 *
 * The catalog (config/controls.c) at each family's boundaries, the
 * look-alike typos it corrects, and how messages describe it; known IDs
 * under agent.strict_controls; diagnostics that are warnings (they leave
 * the config valid) and a warned-about ID kept as written. The messages
 * themselves are rows of test_config_bad.c: the warnings (tests/configs/warn/)
 * and the errors (agent.strict_controls, an ID of the wrong form). A
 * failed row prints what was got and what was wanted, and the other rows
 * still run.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "config_fixture.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the catalog ---- */

static const struct {
	const char *id;
	bool known;
} known_cases[] = {
	/* ISO/IEC 27001:2022 Annex A: 5.1-5.37, 6.1-6.8, 7.1-7.14, 8.1-8.34 */
	{ "5.1", true },   { "5.37", true },  { "5.38", false }, { "5.0", false },
	{ "6.1", true },   { "6.8", true },   { "6.9", false },
	{ "7.1", true },   { "7.11", true },  { "7.14", true },  { "7.15", false },
	{ "8.1", true },   { "8.15", true },  { "8.16", true },  { "8.17", true },
	{ "8.34", true },  { "8.35", false },
	{ "4.1", false },  { "9.1", false },  { "5.01", false }, { "8.", false },
	{ "A.8.16", false }, { "8.16.", false }, { "8.16a", false },
	/* FISC 9th/10th editions: 統1-統27, 実1-実148, 設1-設138, 監1 */
	{ "統1", true },   { "統27", true },  { "統28", false }, { "統0", false },
	{ "実1", true },   { "実102", true }, { "実148", true }, { "実149", false },
	{ "設1", true },   { "設46", true },  { "設76", true },  { "設80", true },
	{ "設138", true }, { "設139", false }, { "設046", false },
	{ "監1", true },   { "監2", false },
	{ "設", false },   { "設8O", false }, { "説46", false }, { "設-46", false },
	{ "実14-1", false }, { "設99999", false },
	{ "", false },     { "46", false },   { "FISC設46", false },
};

static void test_known(void **state)
{
	(void)state;
	size_t failed = 0;
	for (size_t i = 0; i < LEN(known_cases); i++) {
		bool got = control_id_known(known_cases[i].id);
		if (got != known_cases[i].known) {
			print_error("FAIL control_id_known(\"%s\"): got %d, want %d\n",
			            known_cases[i].id, got, known_cases[i].known);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

static const struct {
	const char *id;
	const char *want; /* NULL: no suggestion */
} suggest_cases[] = {
	{ "設8O", "設80" },      /* a letter O for a zero */
	{ "設8o", "設80" },
	{ "8.l6", "8.16" },      /* a letter l for a one */
	{ "8.I7", "8.17" },
	{ "設４６", "設46" },    /* full-width digits */
	{ "８．１６", "8.16" },  /* and a full-width dot */
	{ "8,16", "8.16" },
	{ "説46", "設46" },      /* せつ converted to the other kanji */
	{ "實102", "実102" },    /* the old form of 実 */
	{ "A.8.16", "8.16" },    /* Annex A's numbering written out */
	{ "設 46", "設46" },     /* spaces of every kind */
	{ "設\u300046", "設46" },
	{ "設046", "設46" },     /* a leading zero */
	{ "設46", NULL },        /* already right */
	{ "設139", NULL },       /* no such item, nothing like one */
	{ "8.35", NULL },
	{ "ISO-27001", NULL },
	{ "", NULL },
};

static void test_suggest(void **state)
{
	(void)state;
	size_t failed = 0;
	for (size_t i = 0; i < LEN(suggest_cases); i++) {
		char got[FM_CONTROL_MAX] = "";
		bool found = control_id_suggest(suggest_cases[i].id, got, sizeof got);
		const char *want = suggest_cases[i].want;
		if (found != (want != NULL) || (want && strcmp(got, want) != 0)) {
			print_error("FAIL control_id_suggest(\"%s\"): got %s%s%s, want %s%s%s\n",
			            suggest_cases[i].id, found ? "'" : "", found ? got : "none",
			            found ? "'" : "", want ? "'" : "", want ? want : "none",
			            want ? "'" : "");
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

static const struct {
	const char *id;
	const char *want;
} describe_cases[] = {
	{ "設8O", "FISC 設1..設138" },
	{ "実999", "FISC 実1..実148" },
	{ "監2", "FISC 監1" },
	{ "統30", "FISC 統1..統27" },
	{ "8.35", "ISO/IEC 27001:2022 Annex A 8.1..8.34" },
	{ "A.5.40", "ISO/IEC 27001:2022 Annex A 5.1..5.37" },
	{ "ISO-27001", "FISC 統1..統27, 実1..実148, 設1..設138, 監1; "
	  "ISO/IEC 27001:2022 Annex A 5.1..8.34" },
};

static void test_describe(void **state)
{
	(void)state;
	size_t failed = 0;
	for (size_t i = 0; i < LEN(describe_cases); i++) {
		char got[FM_TEXT_MAX / 2];
		control_catalog_describe(describe_cases[i].id, got, sizeof got);
		if (strcmp(got, describe_cases[i].want) != 0) {
			print_error("FAIL control_catalog_describe(\"%s\"):\n    got  %s\n"
			            "    want %s\n", describe_cases[i].id, got,
			            describe_cases[i].want);
			failed++;
		}
	}
	/* a buffer too small is cut short, never overrun */
	char tiny[12];
	control_catalog_describe("ISO-27001", tiny, sizeof tiny);
	assert_int_equal(strlen(tiny), sizeof tiny - 1);
	assert_int_equal(failed, 0);
}

/* Known IDs are no problem, even with agent.strict_controls. */
static void test_strict_with_known_ids(void **state)
{
	(void)state;
	struct fm_config *cfg = load_good("configs/good/controls.cfg");
	assert_true(cfg->agent.strict_controls);
	assert_int_equal(cfg->rules[0].ncontrols, 7);
	assert_string_equal(cfg->rules[0].controls[5], "設138");
	assert_int_equal(cfg->rules[1].ncontrols, 8);
	config_free(cfg);
}

/* ---- warnings ---- */

static void test_diag_severity(void **state)
{
	(void)state;
	struct fm_diags d = { 0 };
	assert_int_equal(diags_errors(&d), 0);
	diags_warn(&d, "a.cfg", 3, "a warning %d", 1);
	diags_add(&d, "a.cfg", 4, "an error %d", 2);
	diags_warn(&d, "a.cfg", 5, "another warning");
	assert_int_equal(d.count, 3);
	assert_int_equal(diags_errors(&d), 1);
	assert_int_equal(d.items[0].severity, FM_DIAG_WARNING);
	assert_string_equal(d.items[0].message, "a warning 1");
	assert_int_equal(d.items[1].severity, FM_DIAG_ERROR);
	assert_int_equal(d.items[1].line, 4);
	diags_free(&d);
}

/* An ID warned about stays in the rule as written: the alert carries what
 * the config says, and the warning says what to change. A load fails on
 * its own errors only, not on one a caller had in DIAGS already. */
static void test_warned_ids_are_kept(void **state)
{
	(void)state;
	char path[PATH_MAX];
	data_path(path, sizeof path, "configs/warn/controls-unknown.cfg");
	struct fm_diags d = { 0 };
	diags_add(&d, "earlier.cfg", 2, "an earlier error");
	struct fm_config *cfg = config_load(path, &d);
	assert_non_null(cfg);
	assert_int_equal(d.count, 1 + 5);
	assert_int_equal(diags_errors(&d), 1);
	assert_false(cfg->agent.strict_controls);
	assert_int_equal(cfg->rules[0].ncontrols, 2);
	assert_string_equal(cfg->rules[0].controls[0], "設46");
	assert_string_equal(cfg->rules[0].controls[1], "設8O");
	assert_int_equal(cfg->rules[2].ncontrols, 2);
	config_free(cfg);
	diags_free(&d);
}

int main(void)
{
	find_dirs();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known),
		cmocka_unit_test(test_suggest),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_strict_with_known_ids),
		cmocka_unit_test(test_diag_severity),
		cmocka_unit_test(test_warned_ids_are_kept),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
