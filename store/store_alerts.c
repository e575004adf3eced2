/* store_alerts.c - each alert's current state in facmon.db.
 *
 * Owns: the alert_states table: per alert name, its state, since when,
 * and its acknowledgement. Written when an alert's state is published
 * (an upsert that changes nothing when only a repeat was published, so a
 * repeating alert costs the SD card nothing), read once at start so the
 * engine resumes where it was.
 */
#include <sqlite3.h>
#include <stdio.h>

#include "store/store.h"

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS alert_states ("
	"  name TEXT PRIMARY KEY,"
	"  state TEXT NOT NULL,"
	"  since_ms INTEGER NOT NULL,"
	"  acked_by TEXT NOT NULL DEFAULT '',"
	"  ack_comment TEXT NOT NULL DEFAULT '',"
	"  acked_ms INTEGER NOT NULL DEFAULT 0);";

static const char upsert[] =
	"INSERT INTO alert_states (name, state, since_ms, acked_by, ack_comment, acked_ms)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
	" ON CONFLICT(name) DO UPDATE SET state = ?2, since_ms = ?3, acked_by = ?4,"
	"   ack_comment = ?5, acked_ms = ?6"
	" WHERE state IS NOT ?2 OR since_ms IS NOT ?3 OR acked_by IS NOT ?4"
	"   OR acked_ms IS NOT ?6;";

static int fail(struct fm_store *s, char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s: %s: %s", store_path(s), what,
	         sqlite3_errmsg(store_handle(s)));
	return -1;
}

int store_save_alert(struct fm_store *s, const struct eng_alert *a, char *err,
                     size_t errlen)
{
	sqlite3 *db = store_handle(s);
	sqlite3_stmt *st;
	if (sqlite3_exec(db, schema, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, upsert, -1, &st, NULL) != SQLITE_OK)
		return fail(s, err, errlen, "alert state");
	sqlite3_bind_text(st, 1, a->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, alert_state_name(a->fsm.state), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, a->fsm.since_wall_ms);
	sqlite3_bind_text(st, 4, a->ack ? a->ack->by : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, a->ack ? a->ack->comment : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, a->ack ? a->ack->wall_ms : 0);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail(s, err, errlen, a->name);
}

int store_load_alerts(struct fm_store *s,
                      void (*each)(void *ctx, const char *name, const char *state,
                                   int64_t since_wall, const char *acked_by,
                                   const char *ack_comment, int64_t acked_wall),
                      void *ctx, char *err, size_t errlen)
{
	sqlite3 *db = store_handle(s);
	sqlite3_stmt *st;
	if (sqlite3_exec(db, schema, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT name, state, since_ms, acked_by, ack_comment,"
	                           " acked_ms FROM alert_states;", -1, &st, NULL) != SQLITE_OK)
		return fail(s, err, errlen, "alert states");
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		each(ctx, (const char *)sqlite3_column_text(st, 0),
		     (const char *)sqlite3_column_text(st, 1), sqlite3_column_int64(st, 2),
		     (const char *)sqlite3_column_text(st, 3),
		     (const char *)sqlite3_column_text(st, 4), sqlite3_column_int64(st, 5));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail(s, err, errlen, "alert states");
}
