/* store_outbox.c - the outbox: events stored but not yet acknowledged by
 * the broker.
 *
 * Owns: the `delivered` column of the events table and the queries on it.
 * An event is inserted with delivered = 0 (store.c) before it is handed to
 * MQTT, and marked 1 when its PUBACK has come (marks are batched into one
 * transaction, see outputs/outbox.c). A partial index keeps the outbox
 * query cheap however long the history grows.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "store/store_private.h"

bool store_has_column(sqlite3 *db, const char *name)
{
	sqlite3_stmt *st;
	bool found = false;
	if (sqlite3_prepare_v2(db, "PRAGMA table_info(events);", -1, &st, NULL) != SQLITE_OK)
		return false;
	while (!found && sqlite3_step(st) == SQLITE_ROW)
		found = strcmp((const char *)sqlite3_column_text(st, 1), name) == 0;
	sqlite3_finalize(st);
	return found;
}

int store_outbox_migrate(sqlite3 *db)
{
	/* a database from before the outbox: what it holds was handed to
	 * MQTT already and cannot be told apart; it counts as delivered */
	if (!store_has_column(db, "delivered")) {
		int rc = sqlite3_exec(db, "ALTER TABLE events ADD COLUMN delivered INTEGER"
		                          " NOT NULL DEFAULT 1;", NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			return rc;
	}
	return sqlite3_exec(db, "CREATE INDEX IF NOT EXISTS events_outbox ON events (seq)"
	                        " WHERE delivered = 0;", NULL, NULL, NULL);
}

static int fail(struct fm_store *s, char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s: outbox: %s: %s", store_path(s), what,
	         sqlite3_errmsg(store_handle(s)));
	return -1;
}

int store_outbox_next(struct fm_store *s, uint64_t after, size_t max,
                      void (*each)(void *ctx, uint64_t seq, const char *payload),
                      void *ctx, char *err, size_t errlen)
{
	return store_each_event(s, "SELECT seq, payload FROM events WHERE delivered = 0"
	                        " AND seq > ? ORDER BY seq LIMIT ?;", after, max, each, ctx, err,
	                        errlen);
}

int store_outbox_done(struct fm_store *s, const uint64_t *seqs, size_t n, char *err,
                      size_t errlen)
{
	sqlite3 *db = store_handle(s);
	sqlite3_stmt *st;
	if (n == 0)
		return 0;
	if (sqlite3_exec(db, "BEGIN;", NULL, NULL, NULL) != SQLITE_OK)
		return fail(s, err, errlen, "begin");
	if (sqlite3_prepare_v2(db, "UPDATE events SET delivered = 1 WHERE seq = ?;", -1, &st,
	                       NULL) != SQLITE_OK) {
		sqlite3_exec(db, "ROLLBACK;", NULL, NULL, NULL);
		return fail(s, err, errlen, "mark");
	}
	int rc = SQLITE_DONE;
	for (size_t i = 0; i < n && rc == SQLITE_DONE; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, (sqlite3_int64)seqs[i]);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE || sqlite3_exec(db, "COMMIT;", NULL, NULL, NULL) != SQLITE_OK) {
		fail(s, err, errlen, "mark");
		sqlite3_exec(db, "ROLLBACK;", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

long store_outbox_count(struct fm_store *s)
{
	sqlite3_stmt *st;
	long n = -1;
	if (sqlite3_prepare_v2(store_handle(s), "SELECT COUNT(*) FROM events"
	                       " WHERE delivered = 0;", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}
