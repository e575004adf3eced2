/* test_store_silences.c - operators' silences kept in facmon.db.
 *
 * Each test gets a fresh state_dir under $TMPDIR with a real SQLite
 * database. Checks that a saved silence is read back whole, and only while
 * it has not ended; that one is deleted by its id, or with every other of
 * exactly the same match (the text, not a glob match); that pruning
 * removes the ended ones and nothing else, and store_maintain() does it;
 * that saving the same silence again keeps one row; that the highest id
 * ever stored survives its row being cancelled or pruned and the database
 * being closed and opened again (ids must not come back); that a database
 * from before silences were stored gets the table; and that a failing
 * write says so. Lists print what was got and wanted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store/store.h"
#include "store_fixture.h"

#define MIN_MS ((int64_t)60 * 1000)
#define HOUR_MS (60 * MIN_MS)
/* 2026-11-23T00:00:00.000Z, a maintenance morning */
#define NOW_MS ((int64_t)1795392000000)

/* Saves an operator's silence ID on MATCH, from START to END (ms from NOW_MS). */
static void save(struct fixture *f, unsigned id, const char *match, int64_t start,
                 int64_t end)
{
	struct eng_silence s = {.id = id, .start_wall_ms = NOW_MS + start,
	                        .end_wall_ms = NOW_MS + end};
	snprintf(s.match, sizeof s.match, "%s", match);
	snprintf(s.by, sizeof s.by, "by-%u", id);
	snprintf(s.why, sizeof s.why, "why %u", id);
	char err[512];
	if (store_save_silence(f->store, &s, err, sizeof err) < 0)
		fail_msg("store_save_silence %u: %s", id, err);
}

/* ---- what store_load_silences hands over ---- */

struct loaded {
	char ids[256]; /* "1:crac1* 3:rack-a.*" */
	struct eng_silence last;
};

static void collect(void *ctx, const struct eng_silence *s)
{
	struct loaded *l = ctx;
	size_t len = strlen(l->ids);
	snprintf(l->ids + len, sizeof l->ids - len, "%s%u:%s", len ? " " : "", s->id,
	         s->match);
	l->last = *s;
}

/* Checks that loading at NOW_MS + AT gives WANT ("id:match ..."). */
static void expect_loaded(struct fixture *f, int64_t at, const char *want,
                          struct loaded *out)
{
	struct loaded l = {0};
	char err[512];
	int n = store_load_silences(f->store, NOW_MS + at, collect, &l, err, sizeof err);
	if (n < 0)
		fail_msg("store_load_silences: %s", err);
	if (strcmp(l.ids, want) != 0)
		fail_msg("loaded at +%lld ms: got \"%s\", want \"%s\"", (long long)at, l.ids, want);
	if (out)
		*out = l;
}

/* ---- tests ---- */

static void test_load_gives_unexpired_silences_whole(void **state)
{
	struct fixture *f = *state;
	expect_loaded(f, 0, "", NULL);
	save(f, 1, "crac1*", -2 * HOUR_MS, 6 * HOUR_MS);     /* 09:00 to 15:00 */
	save(f, 2, "ups.*", -3 * HOUR_MS, -HOUR_MS);          /* ended at 08:00 */
	save(f, 3, "rack-a.*", 0, 30 * MIN_MS);
	save(f, 4, "*.comm", HOUR_MS, 2 * HOUR_MS);           /* not begun yet: kept */
	struct loaded l;
	expect_loaded(f, 0, "1:crac1* 3:rack-a.* 4:*.comm", &l);
	assert_int_equal(l.last.start_wall_ms, NOW_MS + HOUR_MS);
	assert_int_equal(l.last.end_wall_ms, NOW_MS + 2 * HOUR_MS);
	assert_string_equal(l.last.by, "by-4");
	assert_string_equal(l.last.why, "why 4");
	assert_false(l.last.from_config);
	/* a silence ends at its end: not loaded at that very millisecond */
	expect_loaded(f, 30 * MIN_MS - 1, "1:crac1* 3:rack-a.* 4:*.comm", NULL);
	expect_loaded(f, 30 * MIN_MS, "1:crac1* 4:*.comm", NULL);
	expect_loaded(f, 6 * HOUR_MS, "", NULL);
	/* and what was saved before a restart is read after it */
	store_fixture_reopen(f);
	expect_loaded(f, 0, "1:crac1* 3:rack-a.* 4:*.comm", NULL);
}

static void test_delete_by_id(void **state)
{
	struct fixture *f = *state;
	save(f, 1, "crac1*", 0, HOUR_MS);
	save(f, 2, "crac1*", 0, HOUR_MS);
	char err[512];
	assert_int_equal(store_delete_silences(f->store, 2, NULL, err, sizeof err), 1);
	expect_loaded(f, 0, "1:crac1*", NULL);
	/* gone already, or never was: nothing to delete, no error */
	assert_int_equal(store_delete_silences(f->store, 2, NULL, err, sizeof err), 0);
	assert_int_equal(store_delete_silences(f->store, 99, "crac1*", err, sizeof err), 0);
	store_fixture_reopen(f);
	expect_loaded(f, 0, "1:crac1*", NULL);
}

static void test_delete_by_match_is_exact(void **state)
{
	struct fixture *f = *state;
	save(f, 1, "crac1*", 0, HOUR_MS);
	save(f, 2, "crac1a", 0, HOUR_MS);  /* the glob would match it: the text does not */
	save(f, 3, "crac1*", 0, 2 * HOUR_MS);
	save(f, 4, "CRAC1*", 0, HOUR_MS);
	char err[512];
	assert_int_equal(store_delete_silences(f->store, 0, "crac1*", err, sizeof err), 2);
	expect_loaded(f, 0, "2:crac1a 4:CRAC1*", NULL);
	assert_int_equal(store_delete_silences(f->store, 0, "crac1*", err, sizeof err), 0);
}

static void test_prune_removes_only_ended(void **state)
{
	struct fixture *f = *state;
	save(f, 1, "a", -2 * HOUR_MS, -HOUR_MS);
	save(f, 2, "b", -HOUR_MS, 0);           /* ends now: over */
	save(f, 3, "c", -HOUR_MS, 1);
	save(f, 4, "d", HOUR_MS, 2 * HOUR_MS);
	char err[512];
	assert_int_equal(store_prune_silences(f->store, NOW_MS, err, sizeof err), 2);
	assert_int_equal(store_prune_silences(f->store, NOW_MS, err, sizeof err), 0);
	/* loading far back shows what is left in the table */
	expect_loaded(f, -10 * HOUR_MS, "3:c 4:d", NULL);
}

static void test_maintain_prunes_ended(void **state)
{
	struct fixture *f = *state;
	save(f, 1, "a", -2 * HOUR_MS, -HOUR_MS);
	save(f, 2, "b", 0, HOUR_MS);
	store_maintain(f->store, 30, 0, NOW_MS); /* the first call always prunes */
	expect_loaded(f, -10 * HOUR_MS, "2:b", NULL);
}

static void test_saving_again_keeps_one_row(void **state)
{
	struct fixture *f = *state;
	save(f, 5, "crac1*", 0, HOUR_MS);
	save(f, 5, "crac1*", 0, 2 * HOUR_MS);
	struct loaded l;
	expect_loaded(f, 0, "5:crac1*", &l);
	assert_int_equal(l.last.end_wall_ms, NOW_MS + 2 * HOUR_MS);
}

static void test_ids_continue_after_reopen(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(store_last_silence_id(f->store), 0);
	save(f, 1, "a", 0, HOUR_MS);
	save(f, 2, "b", -2 * HOUR_MS, -HOUR_MS);
	save(f, 7, "c", 0, HOUR_MS);  /* ids 3..6 went to the config's silences */
	assert_int_equal(store_last_silence_id(f->store), 7);
	store_fixture_reopen(f);
	assert_int_equal(store_last_silence_id(f->store), 7);
	/* the highest one cancelled, an ended one pruned: 7 is still taken */
	char err[512];
	assert_int_equal(store_delete_silences(f->store, 7, NULL, err, sizeof err), 1);
	assert_int_equal(store_prune_silences(f->store, NOW_MS, err, sizeof err), 1);
	store_fixture_reopen(f);
	assert_int_equal(store_last_silence_id(f->store), 7);
	expect_loaded(f, 0, "1:a", NULL);
	/* every silence gone: still 7 */
	assert_int_equal(store_delete_silences(f->store, 1, NULL, err, sizeof err), 1);
	store_fixture_reopen(f);
	assert_int_equal(store_last_silence_id(f->store), 7);
}

static void test_database_from_before_gets_the_table(void **state)
{
	struct fixture *f = *state;
	store_close(f->store);
	f->store = NULL;
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE silences;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_fixture_open(f), 0);
	assert_int_equal(store_last_silence_id(f->store), 0);
	save(f, 1, "a", 0, HOUR_MS);
	expect_loaded(f, 0, "1:a", NULL);
}

static void test_failing_write_says_why(void **state)
{
	struct fixture *f = *state;
	save(f, 1, "a", 0, HOUR_MS);
	/* another process holds the write lock past the busy timeout */
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE;", NULL, NULL, NULL), SQLITE_OK);
	struct eng_silence s = {.id = 2, .start_wall_ms = NOW_MS, .end_wall_ms = NOW_MS + 1};
	snprintf(s.match, sizeof s.match, "b");
	char err[512] = "";
	assert_int_equal(store_save_silence(f->store, &s, err, sizeof err), -1);
	if (!strstr(err, f->db) || !strstr(err, "saving silence 2") ||
	    !strstr(err, "locked"))
		fail_msg("got \"%s\"", err);
	assert_int_equal(store_delete_silences(f->store, 1, NULL, err, sizeof err), -1);
	if (!strstr(err, "deleting"))
		fail_msg("got \"%s\"", err);
	sqlite3_exec(db, "ROLLBACK;", NULL, NULL, NULL);
	sqlite3_close(db);
	expect_loaded(f, 0, "1:a", NULL);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, store_fixture_setup, store_fixture_teardown)
	const struct CMUnitTest tests[] = {
		T(test_load_gives_unexpired_silences_whole),
		T(test_delete_by_id),
		T(test_delete_by_match_is_exact),
		T(test_prune_removes_only_ended),
		T(test_maintain_prunes_ended),
		T(test_saving_again_keeps_one_row),
		T(test_ids_continue_after_reopen),
		T(test_database_from_before_gets_the_table),
		T(test_failing_write_says_why),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
