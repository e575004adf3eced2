/* store_availability.c - how many polls returned data, per device and hour.
 *
 * Owns: the availability table, the evidence behind the monthly report's
 * monitoring availability (ISO 27001 8.16, FISC 実102): telemetry is never
 * stored, so the agent counts its polls instead and writes, per device and
 * per UTC hour, how many returned, how many returned valid data (every
 * request answered), how many only partly, and the device's interval then.
 * One row per device and hour: a run that stops and starts again within
 * the hour adds to the row it wrote (an upsert), and a whole hour is one
 * small transaction for every device. Rows older than agent.history_days
 * are pruned with the events (store_maintain).
 *
 * A database from before this table gets it at open; read-only, a missing
 * table reads as no rows (the agent has not counted there yet).
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "store/store_private.h"

int store_availability_migrate(sqlite3 *db)
{
	return sqlite3_exec(db, "CREATE TABLE IF NOT EXISTS availability ("
	                        "  device TEXT NOT NULL,"
	                        "  hour_ms INTEGER NOT NULL,"
	                        "  interval_s INTEGER NOT NULL,"
	                        "  polls INTEGER NOT NULL,"
	                        "  valid INTEGER NOT NULL,"
	                        "  degraded INTEGER NOT NULL,"
	                        "  PRIMARY KEY (device, hour_ms));", NULL, NULL, NULL);
}

static int failed(struct fm_store *s, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: availability: %s: %s", store_path(s), what,
	         sqlite3_errmsg(store_handle(s)));
	return -1;
}

static const char add_sql[] =
	"INSERT INTO availability (device, hour_ms, interval_s, polls, valid, degraded)"
	" VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (device, hour_ms) DO UPDATE SET"
	" interval_s = excluded.interval_s, polls = polls + excluded.polls,"
	" valid = valid + excluded.valid, degraded = degraded + excluded.degraded;";

static int add_row(sqlite3_stmt *st, const struct store_avail_row *r)
{
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, r->device, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, r->hour_ms);
	sqlite3_bind_int(st, 3, r->interval_s);
	sqlite3_bind_int64(st, 4, r->polls);
	sqlite3_bind_int64(st, 5, r->valid);
	sqlite3_bind_int64(st, 6, r->degraded);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
}

int store_availability_add(struct fm_store *s, const struct store_avail_row *rows, size_t n,
                           char *err, size_t errlen)
{
	sqlite3 *db = store_handle(s);
	sqlite3_stmt *st = NULL;
	if (n == 0)
		return 0;
	if (sqlite3_exec(db, "BEGIN IMMEDIATE;", NULL, NULL, NULL) != SQLITE_OK)
		return failed(s, "writing", err, errlen);
	int rc = sqlite3_prepare_v2(db, add_sql, -1, &st, NULL) == SQLITE_OK ? 0 : -1;
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = add_row(st, &rows[i]);
	sqlite3_finalize(st);
	if (rc == 0 && sqlite3_exec(db, "COMMIT;", NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	failed(s, "writing", err, errlen);
	sqlite3_exec(db, "ROLLBACK;", NULL, NULL, NULL);
	return -1;
}

static bool has_table(sqlite3 *db)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table'"
	                       " AND name = 'availability';", -1, &st, NULL) != SQLITE_OK)
		return false;
	bool found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

int store_availability_read(struct fm_store *s, int64_t from_ms, int64_t until_ms,
                            int (*each)(void *ctx, const struct store_avail_row *r),
                            void *ctx, char *err, size_t errlen)
{
	sqlite3 *db = store_handle(s);
	if (!has_table(db))
		return 0;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT device, hour_ms, interval_s, polls, valid, degraded"
	                       " FROM availability WHERE hour_ms >= ? AND hour_ms < ?"
	                       " ORDER BY device, hour_ms;", -1, &st, NULL) != SQLITE_OK)
		return failed(s, "reading", err, errlen);
	sqlite3_bind_int64(st, 1, from_ms);
	sqlite3_bind_int64(st, 2, until_ms);
	int rc, given = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *device = sqlite3_column_text(st, 0);
		struct store_avail_row r = {
			.device = device ? (const char *)device : "",
			.hour_ms = sqlite3_column_int64(st, 1),
			.interval_s = sqlite3_column_int(st, 2),
			.polls = (uint64_t)sqlite3_column_int64(st, 3),
			.valid = (uint64_t)sqlite3_column_int64(st, 4),
			.degraded = (uint64_t)sqlite3_column_int64(st, 5),
		};
		given++;
		if (each(ctx, &r) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? given : failed(s, "reading", err, errlen);
}

int store_availability_prune(struct fm_store *s, int64_t before_ms, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(store_handle(s), "DELETE FROM availability WHERE hour_ms < ?;",
	                       -1, &st, NULL) != SQLITE_OK)
		return failed(s, "pruning", err, errlen);
	sqlite3_bind_int64(st, 1, before_ms);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return failed(s, "pruning", err, errlen);
	return sqlite3_changes(store_handle(s));
}
