/* test_store_chain.c - the hash chain over the stored events.
 *
 * Events go in through store_record_event() as the agent's do, into a real
 * facmon.db; the tampering is done with SQLite directly, as someone with
 * the file would. Checks: each stored document carries prev and hash, and
 * the hash is SHA-256 over prev and the document as documented (recomputed
 * here from the stored text); the chain continues across a reopen;
 * store_verify() passes an untouched history and names the first seq that
 * does not verify after a document is changed, a column is changed, a row
 * is deleted, or one is inserted (with and without a forged seal); pruning
 * keeps an anchor so the rest still verifies; a database from before the
 * chain gets one past its old events, which are counted, never verified.
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

#include "base/sha256.h"
#include "store/store_private.h"
#include "event_doc.h"
#include "store_fixture.h"

#define DAY_MS ((int64_t)86400 * 1000)
/* 2026-11-21T00:00:00.000Z */
#define NOW_MS ((int64_t)1795219200000)

/* Events 1..N, a minute apart, all delivered. */
static void record_n(struct fixture *f, uint64_t first, uint64_t n, int64_t wall)
{
	char err[512];
	for (uint64_t seq = first; seq < first + n; seq++) {
		event_record(f->store, seq, wall + (int64_t)seq * 60000, "room-temp-high",
		             seq % 2 ? "ok" : "firing", seq % 2 ? "firing" : "resolved");
		if (store_outbox_done(f->store, &seq, 1, err, sizeof err) < 0)
			fail_msg("%s", err);
	}
}

static void sql(const struct fixture *f, const char *statement)
{
	sqlite3 *db;
	char *msg = NULL;
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	if (sqlite3_exec(db, statement, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", statement, msg);
	sqlite3_close(db);
}

/* The verdict on F's history, read through a read-only store as
 * `facmon verify` reads it. */
static struct store_verdict verdict(struct fixture *f)
{
	struct fm_store *ro;
	char err[512];
	struct store_verdict v;
	if (store_open_readonly(f->dir, &ro, err, sizeof err) < 0)
		fail_msg("store_open_readonly: %s", err);
	if (store_verify(ro, &v, err, sizeof err) < 0)
		fail_msg("store_verify: %s", err);
	store_close(ro);
	return v;
}

static void expect_broken(struct fixture *f, uint64_t seq, const char *why)
{
	struct store_verdict v = verdict(f);
	if (v.intact || v.bad_seq != seq || !strstr(v.why, why))
		fail_msg("got intact %d, bad seq %llu (%s); want seq %llu: %s", v.intact,
		         (unsigned long long)v.bad_seq, v.why, (unsigned long long)seq, why);
}

static char *payload_of(const struct fixture *f, uint64_t seq)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	char *text = NULL;
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT payload FROM events WHERE seq = ?;",
	                                    -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	if (sqlite3_step(st) == SQLITE_ROW)
		text = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	assert_non_null(text);
	return text;
}

/* The documented rule, applied by hand to a stored document: the last
 * 149 bytes are ,"prev":"<64>","hash":"<64>"}, and hash is SHA-256 over
 * prev (hex) followed by the document without them (closed with "}"). */
static void test_seal_is_as_documented(void **state)
{
	struct fixture *f = *state;
	record_n(f, 1, 3, NOW_MS);
	char prev[65] = CHAIN_GENESIS_TEXT, *text;
	for (uint64_t seq = 1; seq <= 3; seq++) {
		text = payload_of(f, seq);
		size_t len = strlen(text);
		assert_true(len > 149);
		char got_prev[65] = "", got_hash[65] = "";
		assert_int_equal(sscanf(text + len - 149, ",\"prev\":\"%64[0-9a-f]\",\"hash\":"
		                        "\"%64[0-9a-f]\"}", got_prev, got_hash), 2);
		assert_string_equal(got_prev, prev);
		text[len - 149] = '}';
		text[len - 148] = '\0';
		struct sha256 h;
		char want[65];
		sha256_init(&h);
		sha256_update(&h, prev, 64);
		sha256_update(&h, text, strlen(text));
		sha256_hex(&h, want);
		assert_string_equal(got_hash, want);
		memcpy(prev, got_hash, sizeof prev);
		free(text);
	}
	/* the chain goes on after a restart */
	store_fixture_reopen(f);
	record_n(f, 4, 1, NOW_MS);
	text = payload_of(f, 4);
	assert_non_null(strstr(text, prev));
	free(text);
	struct store_verdict v = verdict(f);
	assert_true(v.intact);
	assert_int_equal(v.events, 4);
	assert_int_equal(v.first_seq, 1);
	assert_int_equal(v.last_seq, 4);
}

static void test_changed_document(void **state)
{
	struct fixture *f = *state;
	record_n(f, 1, 5, NOW_MS);
	assert_true(verdict(f).intact);
	sql(f, "UPDATE events SET payload = replace(payload, '31.5', '25.5') WHERE seq = 3;");
	expect_broken(f, 3, "its content was changed");
}

static void test_changed_column(void **state)
{
	struct fixture *f = *state;
	record_n(f, 1, 5, NOW_MS);
	sql(f, "UPDATE events SET to_state = 'ok' WHERE seq = 2;");
	expect_broken(f, 2, "its to_state column was changed");
}

static void test_deleted_row(void **state)
{
	struct fixture *f = *state;
	record_n(f, 1, 5, NOW_MS);
	sql(f, "DELETE FROM events WHERE seq = 3;");
	expect_broken(f, 4, "does not follow the event stored before it");
}

/* A row inserted with no seal fails itself; one with a seal forged after
 * the event before it verifies, and the next one fails. */
static void test_inserted_row(void **state)
{
	struct fixture *f = *state;
	record_n(f, 1, 2, NOW_MS);
	record_n(f, 4, 2, NOW_MS); /* seq 3 never numbered: no harm */
	assert_true(verdict(f).intact);
	char doc[512], *sealed, hash[65], *prev = payload_of(f, 2);
	prev[strlen(prev) - 2] = '\0'; /* the hash of seq 2 is its last 64 digits */
	event_doc(doc, sizeof doc, 3, NOW_MS + 180000, "room-temp-high", "firing", "resolved");
	sealed = store_chain_seal(doc, prev + strlen(prev) - 64, hash);
	assert_non_null(sealed);
	char *ins = sqlite3_mprintf("INSERT INTO events (seq, ts, type, rule, from_state,"
	                            " to_state, payload, hash, delivered) VALUES (3,"
	                            " '2026-11-21T00:03:00.000Z', 'transition', 'room-temp-high',"
	                            " 'firing', 'resolved', %Q, %Q, 1);", sealed, hash);
	sql(f, ins);
	expect_broken(f, 4, "does not follow the event stored before it");
	sql(f, "UPDATE events SET payload = replace(payload, ',\"prev\"', ',\"x\"') WHERE seq = 3;");
	expect_broken(f, 3, "it carries no hash");
	sqlite3_free(ins);
	free(sealed);
	free(prev);
}

/* What pruning leaves still verifies, from the anchor it keeps. */
static void test_prune_keeps_an_anchor(void **state)
{
	struct fixture *f = *state;
	record_n(f, 1, 3, NOW_MS - 200 * DAY_MS);
	record_n(f, 4, 3, NOW_MS);
	char err[512];
	assert_int_equal(store_prune(f->store, NOW_MS - 90 * DAY_MS, err, sizeof err), 3);
	struct store_verdict v = verdict(f);
	assert_true(v.intact);
	assert_int_equal(v.anchor_seq, 3);
	assert_int_equal(v.first_seq, 4);
	assert_int_equal(v.events, 3);
	/* and deleting the oldest that remains is still seen */
	sql(f, "DELETE FROM events WHERE seq = 4;");
	expect_broken(f, 5, "does not follow");
}

/* A database from before the chain: its events are left behind an
 * anchor, counted, never verified; new ones chain from there. */
static void test_database_from_before_the_chain(void **state)
{
	struct fixture *f = *state;
	store_close(f->store);
	f->store = NULL;
	remove(f->db);
	sql(f, "CREATE TABLE events (seq INTEGER PRIMARY KEY, ts TEXT NOT NULL,"
	       " rule TEXT NOT NULL, from_state TEXT NOT NULL, to_state TEXT NOT NULL,"
	       " payload TEXT NOT NULL, delivered INTEGER NOT NULL DEFAULT 1);"
	       "INSERT INTO events VALUES (1, '2026-11-01T00:00:00.000Z', 'a', 'ok', 'firing',"
	       " '{\"seq\":1}', 1), (2, '2026-11-02T00:00:00.000Z', 'a', 'firing', 'acked',"
	       " '{\"seq\":2}', 1);");
	store_fixture_reopen(f);
	record_n(f, 3, 2, NOW_MS);
	struct store_verdict v = verdict(f);
	assert_true(v.intact);
	assert_int_equal(v.anchor_seq, 2);
	assert_int_equal(v.unchained, 2);
	assert_int_equal(v.events, 2);
	/* their type was read off what they were */
	struct fm_store *ro;
	assert_int_equal(store_open_readonly(f->dir, &ro, (char[512]){0}, 512), 0);
	char action[16], ts[32];
	assert_int_equal(store_last_of_type(ro, "ack", action, sizeof action, ts, sizeof ts), 0);
	assert_string_equal(action, "acked");
	store_close(ro);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, store_fixture_setup, store_fixture_teardown)
	const struct CMUnitTest tests[] = {
		T(test_seal_is_as_documented),
		T(test_changed_document),
		T(test_changed_column),
		T(test_deleted_row),
		T(test_inserted_row),
		T(test_prune_keeps_an_anchor),
		T(test_database_from_before_the_chain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
