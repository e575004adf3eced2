/* test_store_mark.c - seq never goes backwards, even when facmon.db is lost.
 *
 * A real state_dir with a real facmon.db and seq.mark (store_fixture.h).
 * Events go in through store_record_event() as the agent's do; a restart
 * is a close and an open. Checks that the mark is raised a block ahead
 * before a seq is used, that a database moved aside as corrupt, deleted,
 * emptied or put back from an old copy makes the store continue above the
 * mark and report what was
 * lost (store_reset), that an intact database continues without a gap,
 * and that a mark that is not a number is not trusted.
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

#include "store/store.h"
#include "store/store_mark.h"
#include "event_doc.h"
#include "store_fixture.h"

/* 2026-11-21T00:00:00.000Z */
#define NOW_MS ((int64_t)1795219200000)

static void record(struct fixture *f, uint64_t seq, bool delivered)
{
	char err[512];
	event_record(f->store, seq, NOW_MS, "room-temp-high", "ok", "firing");
	if (delivered && store_outbox_done(f->store, &seq, 1, err, sizeof err) < 0)
		fail_msg("store_outbox_done: %s", err);
}

static uint64_t mark_on_disk(const struct fixture *f)
{
	uint64_t mark;
	char err[512];
	if (store_mark_read(f->dir, &mark, err, sizeof err) < 0)
		fail_msg("store_mark_read: %s", err);
	return mark;
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void remove_db(const struct fixture *f)
{
	static const char *const suffixes[] = {"", "-wal", "-shm"};
	for (size_t i = 0; i < 3; i++) {
		char path[128];
		snprintf(path, sizeof path, "%s%s", f->db, suffixes[i]);
		remove(path);
	}
}

static void test_mark_is_raised_a_block_ahead(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(mark_on_disk(f), 0);
	assert_int_equal(store_next_seq(f->store), 1);
	record(f, 1, true);
	assert_int_equal(mark_on_disk(f), STORE_MARK_BLOCK);
	for (uint64_t seq = 2; seq <= STORE_MARK_BLOCK; seq++)
		record(f, seq, true);
	assert_int_equal(mark_on_disk(f), STORE_MARK_BLOCK); /* once per block */
	record(f, STORE_MARK_BLOCK + 1, true);
	assert_int_equal(mark_on_disk(f), 2 * STORE_MARK_BLOCK);
}

static void test_intact_database_continues_without_gap(void **state)
{
	struct fixture *f = *state;
	for (uint64_t seq = 1; seq <= 7; seq++)
		record(f, seq, true);
	store_fixture_reopen(f);
	assert_int_equal(store_next_seq(f->store), 8);
	assert_null(store_reset(f->store));
}

static void test_deleted_database_continues_above_mark(void **state)
{
	struct fixture *f = *state;
	for (uint64_t seq = 1; seq <= 7; seq++)
		record(f, seq, seq < 5);
	store_close(f->store);
	f->store = NULL;
	remove_db(f);
	assert_int_equal(store_fixture_open(f), 0);
	assert_int_equal(store_next_seq(f->store), STORE_MARK_BLOCK + 1);
	const struct eng_store_reset *r = store_reset(f->store);
	assert_non_null(r);
	assert_non_null(strstr(r->why, "was missing"));
	assert_string_equal(r->moved_to, "");
	assert_int_equal(r->unsent, -1); /* nobody can say: the file is gone */
	assert_int_equal(r->mark, STORE_MARK_BLOCK);
}

static void test_garbage_header_is_moved_aside(void **state)
{
	struct fixture *f = *state;
	for (uint64_t seq = 1; seq <= 3; seq++)
		record(f, seq, false);
	store_close(f->store);
	f->store = NULL;
	remove_db(f);
	write_file(f->db, "this is not an SQLite database, but it is long enough "
	                  "to have a header: 0123456789abcdef0123456789abcdef");
	assert_int_equal(store_fixture_open(f), 0);
	const struct eng_store_reset *r = store_reset(f->store);
	assert_non_null(r);
	assert_non_null(strstr(r->why, "was not a usable database"));
	assert_non_null(strstr(r->moved_to, "facmon.db.corrupt-"));
	assert_int_equal(access(r->moved_to, F_OK), 0);
	assert_int_equal(r->unsent, -1);
	assert_int_equal(store_next_seq(f->store), STORE_MARK_BLOCK + 1);
}

static void test_replaced_database_is_reported_once(void **state)
{
	struct fixture *f = *state;
	for (uint64_t seq = 1; seq <= 7; seq++)
		record(f, seq, seq < 5);
	store_close(f->store);
	f->store = NULL;
	/* someone moved the history away: a new, empty one is started */
	char kept[160];
	snprintf(kept, sizeof kept, "%s/old.db", f->dir);
	assert_int_equal(rename(f->db, kept), 0);
	assert_int_equal(store_fixture_open(f), 0);
	assert_non_null(store_reset(f->store));
	assert_int_equal(store_next_seq(f->store), STORE_MARK_BLOCK + 1);
	record(f, STORE_MARK_BLOCK + 1, true);
	store_fixture_reopen(f); /* the new history is not lost again */
	assert_null(store_reset(f->store));
}

static void test_old_copy_of_database_continues_above_mark(void **state)
{
	struct fixture *f = *state;
	for (uint64_t seq = 1; seq <= 5; seq++)
		record(f, seq, true);
	store_close(f->store);
	f->store = NULL;
	char copy[160], cmd[400];
	snprintf(copy, sizeof copy, "%s/copy.db", f->dir);
	snprintf(cmd, sizeof cmd, "cp %s %s", f->db, copy);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(store_fixture_open(f), 0);
	for (uint64_t seq = 6; seq <= 150; seq++)
		record(f, seq, true);
	store_close(f->store);
	f->store = NULL;
	remove_db(f);
	assert_int_equal(rename(copy, f->db), 0); /* the backup of seq 1 to 5 */
	assert_int_equal(store_fixture_open(f), 0);
	const struct eng_store_reset *r = store_reset(f->store);
	assert_non_null(r);
	assert_non_null(strstr(r->why, "ends at seq 5"));
	assert_int_equal(store_next_seq(f->store), 2 * STORE_MARK_BLOCK + 1);
}

static void test_mark_that_is_not_a_number_is_not_trusted(void **state)
{
	struct fixture *f = *state;
	record(f, 1, true);
	char path[128], err[512];
	snprintf(path, sizeof path, "%s/seq.mark", f->dir);
	static const char *const bad[] = {"", "12x\n", "-5\n", " 7\n", "99999999999999999999999\n"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		write_file(path, bad[i]);
		uint64_t mark = 42;
		if (store_mark_read(f->dir, &mark, err, sizeof err) != -1 || mark != 0) {
			print_error("mark %zu %.30s: got rc 0 or mark %llu, want -1 and 0\n", i,
			            bad[i], (unsigned long long)mark);
			fail();
		}
	}
	store_fixture_reopen(f);
	assert_int_equal(store_next_seq(f->store), 2); /* from the database */
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, store_fixture_setup, store_fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_mark_is_raised_a_block_ahead),
		T(test_intact_database_continues_without_gap),
		T(test_deleted_database_continues_above_mark),
		T(test_garbage_header_is_moved_aside),
		T(test_replaced_database_is_reported_once),
		T(test_old_copy_of_database_continues_above_mark),
		T(test_mark_that_is_not_a_number_is_not_trusted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
