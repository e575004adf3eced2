/* test_store.c - the event history in facmon.db: pruning and queries.
 *
 * Each test gets a fresh state_dir under $TMPDIR with a real SQLite
 * database. Events go in through store_record_event() like the agent's,
 * and, for kinds of event the engine does not make yet (an acknowledgement,
 * to_state "acked"), straight into the table. Checks that pruning removes
 * what is older than the cutoff and nothing else, never the highest seq
 * (seq continues from it after a restart), at most once an hour from
 * store_maintain(); and that store_history() returns rows in seq order,
 * filtered by time and by rule name or pattern, whatever their to_state.
 * Also the files' modes and owners (store/state_dir.c). Table rows print
 * what was got and wanted, and the other rows still run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "base/clock.h"
#include "store/store.h"
#include "event_doc.h"
#include "store_fixture.h"

#define DAY_MS ((int64_t)86400 * 1000)
#define HOUR_MS ((int64_t)3600 * 1000)
/* 2026-11-21T00:00:00.000Z */
#define NOW_MS ((int64_t)1795219200000)

/* An event as the agent records one: RULE went FROM -> TO at WALL_MS;
 * delivered, as nearly every event in a history is (see
 * test_prune_keeps_what_waits_in_the_outbox for the others). */
static void record(struct fixture *f, uint64_t seq, int64_t wall_ms, const char *rule,
                   enum fm_alert_state from, enum fm_alert_state to)
{
	char err[512];
	event_record(f->store, seq, wall_ms, rule, alert_state_name(from), alert_state_name(to));
	if (store_outbox_done(f->store, &seq, 1, err, sizeof err) < 0)
		fail_msg("store_outbox_done: %s", err);
}

/* A row written behind the store's back, as a later kind of event would be. */
static void insert_raw(struct fixture *f, uint64_t seq, const char *ts, const char *rule,
                       const char *from, const char *to, const char *payload)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	char *sql = sqlite3_mprintf("INSERT INTO events (seq, ts, rule, from_state, to_state,"
	                            " payload, delivered) VALUES (%llu, %Q, %Q, %Q, %Q, %Q, 1);",
	                            (unsigned long long)seq, ts, rule, from, to, payload);
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		fail_msg("insert: %s", msg);
	sqlite3_free(sql);
	sqlite3_close(db);
}

/* ---- collecting what store_history hands over ---- */

struct collected {
	char seqs[256]; /* "1 2 3" */
	char last_to[32];
	char last_payload[256];
	int stop_after; /* >0: ask to stop after that many rows */
	int seen;
};

static int collect(void *ctx, const struct store_row *r)
{
	struct collected *c = ctx;
	size_t len = strlen(c->seqs);
	snprintf(c->seqs + len, sizeof c->seqs - len, "%s%llu", len ? " " : "",
	         (unsigned long long)r->seq);
	snprintf(c->last_to, sizeof c->last_to, "%s", r->to);
	snprintf(c->last_payload, sizeof c->last_payload, "%s", r->payload);
	c->seen++;
	return c->stop_after > 0 && c->seen >= c->stop_after;
}

/* The seqs store_history gives for SINCE and RULE, as "1 2 3". */
static int history_seqs(struct fm_store *s, int64_t since, const char *rule,
                        struct collected *c)
{
	char err[512];
	struct store_query q = {.from_wall_ms = since, .rule = rule};
	int n = store_history(s, &q, collect, c, err, sizeof err);
	if (n < 0)
		print_error("store_history: %s\n", err);
	return n;
}

/* ---- pruning ---- */

static void test_prune_removes_only_older_rows(void **state)
{
	struct fixture *f = *state;
	int64_t cutoff = NOW_MS - 90 * DAY_MS;
	record(f, 1, NOW_MS - 200 * DAY_MS, "room-temp-high", FM_ALERT_UNKNOWN, FM_ALERT_OK);
	record(f, 2, NOW_MS - 91 * DAY_MS, "room-temp-high", FM_ALERT_OK, FM_ALERT_FIRING);
	record(f, 3, cutoff - 1, "room-temp-high", FM_ALERT_FIRING, FM_ALERT_RESOLVED);
	record(f, 4, cutoff, "room-temp-high", FM_ALERT_RESOLVED, FM_ALERT_OK);
	record(f, 5, NOW_MS - DAY_MS, "water-leak", FM_ALERT_OK, FM_ALERT_FIRING);

	char err[512];
	assert_int_equal(store_prune(f->store, cutoff, err, sizeof err), 3);
	struct collected c = {0};
	assert_int_equal(history_seqs(f->store, 0, NULL, &c), 2);
	assert_string_equal(c.seqs, "4 5"); /* one ms at the cutoff stays */
	assert_int_equal(store_prune(f->store, cutoff, err, sizeof err), 0);
	assert_int_equal(store_last_seq(f->store), 5);
}

/* An event the broker never acknowledged is kept however old: it is
 * still to be sent. Once delivered, it goes like any other. */
static void test_prune_keeps_what_waits_in_the_outbox(void **state)
{
	struct fixture *f = *state;
	char err[512];
	record(f, 1, NOW_MS - 200 * DAY_MS, "r", FM_ALERT_OK, FM_ALERT_FIRING);
	event_record(f->store, 2, NOW_MS - 100 * DAY_MS, "r", "firing", "resolved");
	record(f, 3, NOW_MS, "r", FM_ALERT_RESOLVED, FM_ALERT_OK);
	assert_int_equal(store_outbox_count(f->store), 1);
	assert_int_equal(store_prune(f->store, NOW_MS - 90 * DAY_MS, err, sizeof err), 1);
	assert_int_equal(store_outbox_count(f->store), 1); /* seq 2 stays */
	uint64_t two = 2;
	assert_int_equal(store_outbox_done(f->store, &two, 1, err, sizeof err), 0);
	assert_int_equal(store_prune(f->store, NOW_MS - 90 * DAY_MS, err, sizeof err), 1);
	assert_int_equal(store_outbox_count(f->store), 0);
}

static void test_prune_keeps_highest_seq(void **state)
{
	struct fixture *f = *state;
	record(f, 7, NOW_MS - 300 * DAY_MS, "a", FM_ALERT_UNKNOWN, FM_ALERT_OK);
	record(f, 8, NOW_MS - 200 * DAY_MS, "a", FM_ALERT_OK, FM_ALERT_FIRING);
	record(f, 9, NOW_MS - 100 * DAY_MS, "a", FM_ALERT_FIRING, FM_ALERT_RESOLVED);

	char err[512];
	assert_int_equal(store_prune(f->store, NOW_MS - 90 * DAY_MS, err, sizeof err), 2);
	struct collected c = {0};
	history_seqs(f->store, 0, NULL, &c);
	assert_string_equal(c.seqs, "9");

	/* and seq still continues from it after a restart */
	store_fixture_reopen(f);
	assert_int_equal(store_last_seq(f->store), 9);
}

/* The highest seq is kept even when the clock had it older than the rest
 * (a gateway that booted before NTP set its clock). */
static void test_prune_keeps_highest_seq_by_seq_not_time(void **state)
{
	struct fixture *f = *state;
	record(f, 1, NOW_MS - DAY_MS, "a", FM_ALERT_UNKNOWN, FM_ALERT_OK);
	record(f, 2, 1000, "a", FM_ALERT_OK, FM_ALERT_FIRING); /* 1970 */

	char err[512];
	assert_int_equal(store_prune(f->store, NOW_MS - 90 * DAY_MS, err, sizeof err), 0);
	struct collected c = {0};
	history_seqs(f->store, 0, NULL, &c);
	assert_string_equal(c.seqs, "1 2");
}

static void test_maintain_prunes_at_most_hourly(void **state)
{
	struct fixture *f = *state;
	int64_t mono = 5000;
	record(f, 1, NOW_MS - 3 * DAY_MS, "a", FM_ALERT_UNKNOWN, FM_ALERT_OK);
	record(f, 2, NOW_MS - 1 * HOUR_MS, "a", FM_ALERT_OK, FM_ALERT_FIRING);

	assert_int_equal(store_maintain(f->store, 2, mono, NOW_MS), 1); /* first call */
	record(f, 3, NOW_MS, "a", FM_ALERT_FIRING, FM_ALERT_RESOLVED);
	/* an hour on, the 1-hour-old event is 2 days and an hour old */
	int64_t later = NOW_MS + 2 * DAY_MS;
	assert_int_equal(store_maintain(f->store, 2, mono + HOUR_MS - 1, later), 0);
	struct collected c = {0};
	history_seqs(f->store, 0, NULL, &c);
	assert_string_equal(c.seqs, "2 3");
	assert_int_equal(store_maintain(f->store, 2, mono + HOUR_MS, later), 1);
	memset(&c, 0, sizeof c);
	history_seqs(f->store, 0, NULL, &c);
	assert_string_equal(c.seqs, "3");
}

/* An index on ts serves pruning and --since. */
static void test_ts_is_indexed(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT sql FROM sqlite_master WHERE "
	                                        "type = 'index' AND tbl_name = 'events';",
	                                    -1, &st, NULL), SQLITE_OK);
	char found[512] = "";
	while (sqlite3_step(st) == SQLITE_ROW) {
		size_t len = strlen(found);
		snprintf(found + len, sizeof found - len, "%s; ", sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	if (!strstr(found, "events_ts ON events (ts)"))
		fail_msg("no index on events (ts); indexes: %s", found);
}

/* ---- history queries ---- */

static void fill_room(struct fixture *f)
{
	record(f, 1, NOW_MS - 10 * DAY_MS, "room-temp-high", FM_ALERT_UNKNOWN, FM_ALERT_OK);
	record(f, 2, NOW_MS - 3 * DAY_MS, "room-hum-low", FM_ALERT_UNKNOWN, FM_ALERT_OK);
	record(f, 3, NOW_MS - 2 * DAY_MS, "rack-a.comm", FM_ALERT_OK, FM_ALERT_FIRING);
	record(f, 4, NOW_MS - HOUR_MS, "water-leak", FM_ALERT_OK, FM_ALERT_FIRING);
	record(f, 5, NOW_MS - 60000, "room-temp-high", FM_ALERT_OK, FM_ALERT_FIRING);
	record(f, 6, NOW_MS, "room-temp-high.rack_3_top", FM_ALERT_OK, FM_ALERT_FIRING);
}

struct query_case {
	int64_t since; /* <= 0: all */
	const char *rule;
	const char *want;
};

static void test_history_filters(void **state)
{
	struct fixture *f = *state;
	fill_room(f);
	static const struct query_case cases[] = {
		{0, NULL, "1 2 3 4 5 6"},
		{-1, NULL, "1 2 3 4 5 6"},
		{NOW_MS - 3 * DAY_MS, NULL, "2 3 4 5 6"}, /* at since: included */
		{NOW_MS - 3 * DAY_MS + 1, NULL, "3 4 5 6"},
		{NOW_MS + 1, NULL, ""},
		{0, "room-temp-high", "1 5"}, /* not its rows: .rack_3_top */
		{0, "room-*", "1 2 5 6"},
		{0, "*.comm", "3"},
		{0, "room-\?\?\?-*", "2"}, /* \? for ??- would be a trigraph */
		{0, "room-temp-high.*", "6"},
		{0, "[rw]a*", "3 4"},
		{0, "water", ""},          /* a name is matched whole */
		{0, "room-temp", ""},
		{NOW_MS - DAY_MS, "room-*", "5 6"},
	};
	int failed = 0;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct query_case *q = &cases[i];
		struct collected c = {0};
		int n = history_seqs(f->store, q->since, q->rule, &c);
		if (n != c.seen || strcmp(c.seqs, q->want) != 0) {
			print_error("FAIL since %lld rule %s: got \"%s\" (returned %d), want \"%s\"\n",
			            (long long)q->since, q->rule ? q->rule : "(all)", c.seqs, n,
			            q->want);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

static void test_history_stops_when_asked(void **state)
{
	struct fixture *f = *state;
	fill_room(f);
	struct collected c = {.stop_after = 2};
	assert_int_equal(history_seqs(f->store, 0, NULL, &c), 2);
	assert_string_equal(c.seqs, "1 2");
}

/* An acknowledgement is an event whose to_state is no alert state. */
static void test_history_gives_any_to_state(void **state)
{
	struct fixture *f = *state;
	record(f, 1, NOW_MS - 60000, "water-leak", FM_ALERT_OK, FM_ALERT_FIRING);
	insert_raw(f, 2, "2026-11-21T00:00:00.000Z", "water-leak", "firing", "acked",
	           "{\"by\":\"ops\",\"comment\":\"mopping\"}");
	struct collected c = {0};
	assert_int_equal(history_seqs(f->store, 0, "water-leak", &c), 2);
	assert_string_equal(c.seqs, "1 2");
	assert_string_equal(c.last_to, "acked");
	assert_string_equal(c.last_payload, "{\"by\":\"ops\",\"comment\":\"mopping\"}");
	char err[512];
	assert_int_equal(store_prune(f->store, NOW_MS + DAY_MS, err, sizeof err), 1);
	assert_int_equal(store_last_seq(f->store), 2);
}

/* ---- read-only opening ---- */

static void test_readonly_reads_what_the_agent_wrote(void **state)
{
	struct fixture *f = *state;
	fill_room(f);
	struct fm_store *ro;
	char err[512];
	assert_int_equal(store_open_readonly(f->dir, &ro, err, sizeof err), 0);
	struct collected c = {0};
	assert_int_equal(history_seqs(ro, NOW_MS - HOUR_MS, NULL, &c), 3);
	assert_string_equal(c.seqs, "4 5 6");
	assert_int_equal(store_last_seq(ro), 6);
	store_close(ro);
}

static void test_readonly_missing_database(void **state)
{
	struct fixture *f = *state;
	char dir[128], err[512];
	snprintf(dir, sizeof dir, "%s/no-such-dir", f->dir);
	struct fm_store *ro = (struct fm_store *)1;
	assert_int_equal(store_open_readonly(dir, &ro, err, sizeof err), -1);
	assert_null(ro);
	char want[256];
	snprintf(want, sizeof want, "no history yet: %s/facmon.db does not exist", dir);
	assert_string_equal(err, want);
	struct stat st;
	assert_int_equal(stat(dir, &st), -1); /* nothing was created */
}

static void test_readonly_not_a_database(void **state)
{
	struct fixture *f = *state;
	store_close(f->store);
	f->store = NULL;
	FILE *fp = fopen(f->db, "w");
	assert_non_null(fp);
	fputs("not a database, and far too short to pass for one\n", fp);
	fclose(fp);

	struct fm_store *ro;
	char err[512];
	assert_int_equal(store_open_readonly(f->dir, &ro, err, sizeof err), -1);
	if (!strstr(err, f->db) || !strstr(err, "file is not a database"))
		fail_msg("got \"%s\"", err);
	struct stat st;
	assert_int_equal(stat(f->db, &st), 0); /* left where it was: only read */
}

/* Mode (permission bits) and owner of the file NAME in F's state_dir;
 * -1 when it is not there. */
static int mode_of(const struct fixture *f, const char *name, uid_t *uid)
{
	char path[sizeof f->dir + 32];
	snprintf(path, sizeof path, "%s/%s", f->dir, name);
	struct stat st;
	if (stat(path, &st) < 0)
		return -1;
	if (uid)
		*uid = st.st_uid;
	return (int)(st.st_mode & 07777);
}

/* The history is evidence: facmon.db, its -wal and seq.mark are 0640
 * whatever the umask, and a database an older version left 0644 is
 * tightened when it is opened. */
static void test_files_are_0640(void **state)
{
	struct fixture *f = *state;
	mode_t old_umask = umask(022);
	store_close(f->store);
	f->store = NULL;
	remove(f->db);
	store_fixture_reopen(f);
	record(f, 1, NOW_MS, "room-temp-high", FM_ALERT_OK, FM_ALERT_FIRING);
	const char *files[] = {"facmon.db", "facmon.db-wal", "seq.mark"};
	int failures = 0;
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		int mode = mode_of(f, files[i], NULL);
		if (mode != 0640) {
			print_message("%s: mode %04o, want 0640\n", files[i], mode);
			failures++;
		}
	}
	store_close(f->store);
	f->store = NULL;
	assert_int_equal(chmod(f->db, 0644), 0);
	store_fixture_reopen(f);
	if (mode_of(f, "facmon.db", NULL) != 0640) {
		print_message("a 0644 database was left %04o\n", mode_of(f, "facmon.db", NULL));
		failures++;
	}
	umask(old_umask);
	assert_int_equal(failures, 0);
}

/* Run as root in a state_dir that belongs to the agent's user (here
 * nobody), the store leaves files that user owns, so the service can open
 * them afterwards. */
static void test_root_leaves_files_to_the_dirs_owner(void **state)
{
	struct fixture *f = *state;
	if (geteuid() != 0) {
		print_message("skipped: needs root (the case is a manual run as root)\n");
		return;
	}
	const uid_t nobody = 65534;
	store_close(f->store);
	f->store = NULL;
	remove(f->db);
	assert_int_equal(chown(f->dir, nobody, nobody), 0);
	store_fixture_reopen(f);
	record(f, 1, NOW_MS, "room-temp-high", FM_ALERT_OK, FM_ALERT_FIRING);
	const char *files[] = {"facmon.db", "facmon.db-wal", "seq.mark"};
	int failures = 0;
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		uid_t uid = 0;
		if (mode_of(f, files[i], &uid) < 0 || uid != nobody) {
			print_message("%s: owned by %u, want %u\n", files[i], (unsigned)uid,
			              (unsigned)nobody);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, store_fixture_setup, store_fixture_teardown)
	const struct CMUnitTest tests[] = {
		T(test_prune_removes_only_older_rows),
		T(test_prune_keeps_highest_seq),
		T(test_prune_keeps_what_waits_in_the_outbox),
		T(test_prune_keeps_highest_seq_by_seq_not_time),
		T(test_maintain_prunes_at_most_hourly),
		T(test_ts_is_indexed),
		T(test_history_filters),
		T(test_history_stops_when_asked),
		T(test_history_gives_any_to_state),
		T(test_readonly_reads_what_the_agent_wrote),
		T(test_readonly_missing_database),
		T(test_readonly_not_a_database),
		T(test_files_are_0640),
		T(test_root_leaves_files_to_the_dirs_owner),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
