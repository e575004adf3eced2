/* store_alive.c - when the agent was last known to be running.
 *
 * Owns: the alive table, one row the agent rewrites every minute, and the
 * question a start asks of the history: did the last run end with a
 * "stopped" event? A run that did not (a power cut, kill -9, a crash, the
 * watchdog) is found at the next start, and how long the agent was away
 * is the time since its last mark (ISO 27001 8.16: monitoring
 * availability).
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "store/store_private.h"

int store_alive_migrate(sqlite3 *db)
{
	return sqlite3_exec(db, "CREATE TABLE IF NOT EXISTS alive ("
	                        "  id INTEGER PRIMARY KEY CHECK (id = 1),"
	                        "  wall_ms INTEGER NOT NULL);", NULL, NULL, NULL);
}

int store_alive_write(struct fm_store *s, int64_t wall_ms, char *err, size_t errlen)
{
	sqlite3 *db = store_handle(s);
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO alive (id, wall_ms)"
	                            " VALUES (1, ?);", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, wall_ms);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
	}
	if (rc == SQLITE_DONE)
		return 0;
	snprintf(err, errlen, "%s: alive mark: %s", store_path(s), sqlite3_errmsg(db));
	return -1;
}

int64_t store_alive_read(struct fm_store *s)
{
	sqlite3_stmt *st;
	int64_t wall = 0;
	if (sqlite3_prepare_v2(store_handle(s), "SELECT wall_ms FROM alive WHERE id = 1;", -1,
	                       &st, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		wall = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return wall;
}

int store_last_of_type(struct fm_store *s, const char *type, char *action, size_t alen,
                       char *ts, size_t tlen)
{
	sqlite3_stmt *st;
	action[0] = ts[0] = '\0';
	if (sqlite3_prepare_v2(store_handle(s), "SELECT to_state, ts FROM events WHERE"
	                       " type = ? ORDER BY seq DESC LIMIT 1;", -1, &st,
	                       NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, type, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(action, alen, "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(ts, tlen, "%s", (const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}
