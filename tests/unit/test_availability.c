/* test_availability.c - the agent's poll counts and their rows in facmon.db.
 *
 * The real counters (agent/availability.c) over a real database in a fresh
 * state_dir. Checks: a poll is valid when every request was answered,
 * degraded when some were, failed when none; nothing is written within
 * the hour, and one row per device is written when the hour turns and by
 * a flush (a clean stop), with the device's interval; a second run in the
 * same hour adds to the row; devices are counted by name whatever their
 * index; pruning drops the hours before the cutoff and store_maintain
 * does it with the events; a read-only store reads the rows, and a
 * database without the table reads as none. Rows print as text, got and
 * wanted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "agent/availability.h"
#include "store/store.h"
#include "store_fixture.h"

#define HOUR_MS ((int64_t)3600 * 1000)
/* 2026-11-23T00:00:00.000Z */
#define DAY0_MS ((int64_t)1795392000000)

static const struct fm_device rack = {.name = "rack-a", .interval = 10};
static const struct fm_device pdu = {.name = "pdu-1", .interval = 30};

static void poll(struct fixture *f, struct availability *av, const struct fm_device *d,
                 unsigned ok, unsigned failed, int64_t wall)
{
	struct fm_poll_result r = {.requests_ok = ok, .requests_failed = failed};
	avail_count_poll(av, f->store, d, &r, wall);
}

struct rows {
	char text[1024];
};

static int collect(void *ctx, const struct store_avail_row *r)
{
	struct rows *rows = ctx;
	size_t len = strlen(rows->text);
	snprintf(rows->text + len, sizeof rows->text - len, "%s%s@%lld/%ds:%llu,%llu,%llu",
	         len ? " " : "", r->device, (long long)((r->hour_ms - DAY0_MS) / HOUR_MS),
	         r->interval_s, (unsigned long long)r->polls, (unsigned long long)r->valid,
	         (unsigned long long)r->degraded);
	return 0;
}

/* The rows of F's database, "device@hour/interval:polls,valid,degraded". */
static void expect_rows(struct fm_store *s, const char *want)
{
	struct rows got = {""};
	char err[512];
	if (store_availability_read(s, 0, INT64_MAX, collect, &got, err, sizeof err) < 0)
		fail_msg("store_availability_read: %s", err);
	if (strcmp(got.text, want) != 0)
		fail_msg("rows\n got: %s\nwant: %s", got.text, want);
}

static void test_counts_written_when_the_hour_turns(void **state)
{
	struct fixture *f = *state;
	struct availability av = {0};
	poll(f, &av, &rack, 3, 0, DAY0_MS + 1000);         /* valid */
	poll(f, &av, &rack, 2, 1, DAY0_MS + 11000);        /* degraded */
	poll(f, &av, &rack, 0, 3, DAY0_MS + 21000);        /* failed */
	poll(f, &av, &pdu, 1, 0, DAY0_MS + 2000);
	avail_tick(&av, f->store, DAY0_MS + HOUR_MS - 1);
	expect_rows(f->store, ""); /* nothing within the hour */
	avail_tick(&av, f->store, DAY0_MS + HOUR_MS);
	expect_rows(f->store, "pdu-1@0/30s:1,1,0 rack-a@0/10s:3,1,1");
	poll(f, &av, &pdu, 0, 1, DAY0_MS + HOUR_MS + 5000);
	avail_flush(&av, f->store); /* a clean stop: the hour so far */
	expect_rows(f->store, "pdu-1@0/30s:1,1,0 pdu-1@1/30s:1,0,0 rack-a@0/10s:3,1,1");
	avail_free(&av);
}

static void test_a_poll_in_a_new_hour_writes_the_last(void **state)
{
	struct fixture *f = *state;
	struct availability av = {0};
	poll(f, &av, &rack, 1, 0, DAY0_MS + 5000);
	poll(f, &av, &rack, 1, 0, DAY0_MS + 2 * HOUR_MS + 5000); /* no tick between */
	expect_rows(f->store, "rack-a@0/10s:1,1,0");
	avail_free(&av);
}

static void test_a_restart_in_the_hour_adds(void **state)
{
	struct fixture *f = *state;
	struct availability av = {0};
	poll(f, &av, &rack, 1, 0, DAY0_MS + 5000);
	avail_flush(&av, f->store);
	avail_free(&av);
	store_fixture_reopen(f);
	struct fm_device slower = rack;
	slower.interval = 20; /* the config changed across the restart */
	poll(f, &av, &slower, 1, 0, DAY0_MS + 600000);
	poll(f, &av, &slower, 0, 1, DAY0_MS + 620000);
	avail_flush(&av, f->store);
	expect_rows(f->store, "rack-a@0/20s:3,2,0");
	avail_free(&av);
}

static void test_prune_with_the_history(void **state)
{
	struct fixture *f = *state;
	struct availability av = {0};
	for (int h = 0; h < 3; h++)
		poll(f, &av, &rack, 1, 0, DAY0_MS + h * HOUR_MS);
	avail_flush(&av, f->store);
	char err[512];
	assert_int_equal(store_availability_prune(f->store, DAY0_MS + HOUR_MS, err, sizeof err),
	                 1);
	expect_rows(f->store, "rack-a@1/10s:1,1,0 rack-a@2/10s:1,1,0");
	/* 1 day kept, 1 day and 1 hour later: the hour 1 goes, not 2 */
	store_maintain(f->store, 1, 0, DAY0_MS + 25 * HOUR_MS + 1);
	expect_rows(f->store, "rack-a@2/10s:1,1,0");
	avail_free(&av);
}

static void test_read_only_and_without_the_table(void **state)
{
	struct fixture *f = *state;
	struct availability av = {0};
	poll(f, &av, &pdu, 1, 0, DAY0_MS);
	avail_flush(&av, f->store);
	avail_free(&av);
	struct fm_store *ro;
	char err[512];
	if (store_open_readonly(f->dir, &ro, err, sizeof err) < 0)
		fail_msg("store_open_readonly: %s", err);
	expect_rows(ro, "pdu-1@0/30s:1,1,0");
	store_close(ro);
	/* a database from before the table, as an older agent left it */
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE availability;", NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(db);
	if (store_open_readonly(f->dir, &ro, err, sizeof err) < 0)
		fail_msg("store_open_readonly: %s", err);
	expect_rows(ro, "");
	store_close(ro);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, store_fixture_setup, store_fixture_teardown)
	const struct CMUnitTest tests[] = {
		T(test_counts_written_when_the_hour_turns),
		T(test_a_poll_in_a_new_hour_writes_the_last),
		T(test_a_restart_in_the_hour_adds),
		T(test_prune_with_the_history),
		T(test_read_only_and_without_the_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
