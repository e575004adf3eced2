/* store_cursor.c - how far each durable output has got in the history.
 *
 * Owns: the cursors table: per output that delivers events itself
 * (Alertmanager, the exec notifier), the seq of the last event it has
 * done. It is fed the events after it in seq order, from the store, so
 * an output that is away loses nothing and holds nothing in memory, and
 * pruning keeps every event some output has still to do. MQTT's own
 * outbox is the delivered column (store_outbox.c).
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "store/store_private.h"

int store_cursor_migrate(sqlite3 *db)
{
	return sqlite3_exec(db, "CREATE TABLE IF NOT EXISTS cursors ("
	                        "  output TEXT PRIMARY KEY,"
	                        "  seq INTEGER NOT NULL);", NULL, NULL, NULL);
}

static int failed(struct fm_store *s, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: %s: %s", store_path(s), what,
	         sqlite3_errmsg(store_handle(s)));
	return -1;
}

int store_cursor_get(struct fm_store *s, const char *output, uint64_t *seq, char *err,
                     size_t errlen)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(store_handle(s), "SELECT seq FROM cursors WHERE output = ?;",
	                       -1, &st, NULL) != SQLITE_OK)
		return failed(s, "cursor", err, errlen);
	sqlite3_bind_text(st, 1, output, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*seq = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : failed(s, "cursor", err, errlen);
}

int store_cursor_set(struct fm_store *s, const char *output, uint64_t seq, char *err,
                     size_t errlen)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(store_handle(s), "INSERT OR REPLACE INTO cursors (output, seq)"
	                       " VALUES (?, ?);", -1, &st, NULL) != SQLITE_OK)
		return failed(s, "cursor", err, errlen);
	sqlite3_bind_text(st, 1, output, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : failed(s, "cursor", err, errlen);
}

int store_cursor_forget(struct fm_store *s, const char *output, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(store_handle(s), "DELETE FROM cursors WHERE output = ?;", -1,
	                       &st, NULL) != SQLITE_OK)
		return failed(s, "cursor", err, errlen);
	sqlite3_bind_text(st, 1, output, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : failed(s, "cursor", err, errlen);
}

int store_each_event(struct fm_store *s, const char *sql, uint64_t after, size_t max,
                     void (*each)(void *ctx, uint64_t seq, const char *payload), void *ctx,
                     char *err, size_t errlen)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(store_handle(s), sql, -1, &st, NULL) != SQLITE_OK)
		return failed(s, "events", err, errlen);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)after);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	int n = 0, rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		each(ctx, (uint64_t)sqlite3_column_int64(st, 0),
		     (const char *)sqlite3_column_text(st, 1));
		n++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? n : failed(s, "events", err, errlen);
}

int store_events_after(struct fm_store *s, uint64_t after, size_t max,
                       void (*each)(void *ctx, uint64_t seq, const char *payload), void *ctx,
                       char *err, size_t errlen)
{
	return store_each_event(s, "SELECT seq, payload FROM events WHERE seq > ?"
	                        " ORDER BY seq LIMIT ?;", after, max, each, ctx, err, errlen);
}
