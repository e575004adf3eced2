/* store_silences.c - operators' silences in facmon.db.
 *
 * Owns: the silences table: each silence an operator set over MQTT
 * (R/cmd/silence), written when it is set and deleted when it is
 * cancelled, read once at start, so that a restart does not end a
 * maintenance window early. The config's silences are not here: the
 * config sets them again at every start and reload. A row whose end has
 * passed is never read, and store_maintain() deletes it.
 *
 * Ids are the engine's, stored as given, since operators cancel by id: an
 * id must not come back for another silence. AUTOINCREMENT has SQLite
 * keep the highest id ever stored (in sqlite_sequence) after that row is
 * cancelled or pruned; the agent's next id continues from it.
 */
#include <sqlite3.h>
#include <stdio.h>

#include "store/store.h"

/* The names avoid SQL's keywords (MATCH, END, BY). */
static const char schema[] =
	"CREATE TABLE IF NOT EXISTS silences ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  pattern TEXT NOT NULL,"
	"  start_ms INTEGER NOT NULL,"
	"  end_ms INTEGER NOT NULL,"
	"  set_by TEXT NOT NULL DEFAULT '',"
	"  why TEXT NOT NULL DEFAULT '');";

int store_silences_migrate(sqlite3 *db)
{
	return sqlite3_exec(db, schema, NULL, NULL, NULL);
}

static int fail(struct fm_store *s, char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s: silences: %s: %s", store_path(s), what,
	         sqlite3_errmsg(store_handle(s)));
	return -1;
}

/* Steps ST (prepared, bound, or NULL when preparing failed) to its end and
 * finalizes it: the rows it changed, or -1 with ERR about WHAT. */
static int run(struct fm_store *s, sqlite3_stmt *st, const char *what, char *err,
               size_t errlen)
{
	int rc = st ? sqlite3_step(st) : SQLITE_ERROR;
	int changed = rc == SQLITE_DONE ? sqlite3_changes(store_handle(s))
	                                : fail(s, err, errlen, what);
	sqlite3_finalize(st);
	return changed;
}

static sqlite3_stmt *prepare(struct fm_store *s, const char *sql)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(store_handle(s), sql, -1, &st, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

int store_save_silence(struct fm_store *s, const struct eng_silence *sil, char *err,
                       size_t errlen)
{
	char what[32];
	snprintf(what, sizeof what, "saving silence %u", sil->id);
	sqlite3_stmt *st = prepare(s, "INSERT OR REPLACE INTO silences"
	                              " (id, pattern, start_ms, end_ms, set_by, why)"
	                              " VALUES (?, ?, ?, ?, ?, ?);");
	if (st) {
		sqlite3_bind_int64(st, 1, sil->id);
		sqlite3_bind_text(st, 2, sil->match, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, sil->start_wall_ms);
		sqlite3_bind_int64(st, 4, sil->end_wall_ms);
		sqlite3_bind_text(st, 5, sil->by, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, sil->why, -1, SQLITE_STATIC);
	}
	return run(s, st, what, err, errlen) < 0 ? -1 : 0;
}

int store_delete_silences(struct fm_store *s, unsigned id, const char *match, char *err,
                          size_t errlen)
{
	sqlite3_stmt *st = prepare(s, id ? "DELETE FROM silences WHERE id = ?;"
	                                 : "DELETE FROM silences WHERE pattern = ?;");
	if (st && id)
		sqlite3_bind_int64(st, 1, id);
	else if (st)
		sqlite3_bind_text(st, 1, match ? match : "", -1, SQLITE_STATIC);
	return run(s, st, "deleting", err, errlen);
}

int store_prune_silences(struct fm_store *s, int64_t now_wall_ms, char *err, size_t errlen)
{
	sqlite3_stmt *st = prepare(s, "DELETE FROM silences WHERE end_ms <= ?;");
	if (st)
		sqlite3_bind_int64(st, 1, now_wall_ms);
	return run(s, st, "pruning", err, errlen);
}

static const char *column_text(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	return t ? (const char *)t : "";
}

int store_load_silences(struct fm_store *s, int64_t now_wall_ms,
                        void (*each)(void *ctx, const struct eng_silence *sil), void *ctx,
                        char *err, size_t errlen)
{
	sqlite3_stmt *st = prepare(s, "SELECT id, pattern, start_ms, end_ms, set_by, why"
	                              " FROM silences WHERE end_ms > ? ORDER BY id;");
	if (!st)
		return fail(s, err, errlen, "reading");
	sqlite3_bind_int64(st, 1, now_wall_ms);
	int rc, given = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct eng_silence sil = {.id = (unsigned)sqlite3_column_int64(st, 0),
		                          .start_wall_ms = sqlite3_column_int64(st, 2),
		                          .end_wall_ms = sqlite3_column_int64(st, 3)};
		snprintf(sil.match, sizeof sil.match, "%s", column_text(st, 1));
		snprintf(sil.by, sizeof sil.by, "%s", column_text(st, 4));
		snprintf(sil.why, sizeof sil.why, "%s", column_text(st, 5));
		each(ctx, &sil);
		given++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? given : fail(s, err, errlen, "reading");
}

unsigned store_last_silence_id(struct fm_store *s)
{
	sqlite3_stmt *st = prepare(s, "SELECT seq FROM sqlite_sequence WHERE name = 'silences';");
	unsigned id = 0;
	if (st && sqlite3_step(st) == SQLITE_ROW)
		id = (unsigned)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return id;
}
