/* store.c - facmon.db: the event history on SQLite.
 *
 * WAL mode with synchronous=FULL: an event is on disk when its INSERT
 * returns, so a power cut right after cannot lose it or reuse its seq.
 */
#include "alerting/store.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "agent/clock.h"
#include "agent/log.h"
#include "alerting/payload.h"

struct fm_store {
	sqlite3 *db;
	sqlite3_stmt *insert_event;
	char path[FM_TEXT_MAX + 16];
};

static const char schema[] =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=FULL;"
	"CREATE TABLE IF NOT EXISTS events ("
	"  seq INTEGER PRIMARY KEY,"
	"  ts TEXT NOT NULL,"
	"  rule TEXT NOT NULL,"
	"  from_state TEXT NOT NULL,"
	"  to_state TEXT NOT NULL,"
	"  payload TEXT NOT NULL);";

static const char insert_sql[] =
	"INSERT INTO events (seq, ts, rule, from_state, to_state, payload)"
	" VALUES (?, ?, ?, ?, ?, ?);";

static int ensure_dir(const char *dir, char *err, size_t errlen)
{
	if (mkdir(dir, 0750) == 0 || errno == EEXIST)
		return 0;
	snprintf(err, errlen, "state_dir %s: cannot create: %s", dir, strerror(errno));
	return -errno;
}

/* Opens PATH and applies the schema; SQLITE_OK or the failing code. */
static int open_db(struct fm_store *s, char *err, size_t errlen)
{
	int rc = sqlite3_open_v2(s->path, &s->db,
	                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(s->db, 1000);
		rc = sqlite3_exec(s->db, schema, NULL, NULL, NULL);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(s->db, insert_sql, -1, &s->insert_event, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", s->path,
		         s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		sqlite3_finalize(s->insert_event);
		sqlite3_close(s->db);
		s->insert_event = NULL;
		s->db = NULL;
	}
	return rc;
}

static void move_aside(const struct fm_store *s)
{
	char aside[sizeof s->path + 32];
	snprintf(aside, sizeof aside, "%s.corrupt-%lld", s->path, (long long)time(NULL));
	if (rename(s->path, aside) == 0)
		log_error("store: %s is not a usable database; moved it to %s and "
		          "started a new one", s->path, aside);
	char wal[sizeof s->path + 8];
	snprintf(wal, sizeof wal, "%s-wal", s->path);
	remove(wal);
	snprintf(wal, sizeof wal, "%s-shm", s->path);
	remove(wal);
}

int store_open(const char *state_dir, struct fm_store **out, char *err,
               size_t errlen)
{
	*out = NULL;
	if (ensure_dir(state_dir, err, errlen) < 0)
		return -1;
	struct fm_store *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(s->path, sizeof s->path, "%s/facmon.db", state_dir);
	int rc = open_db(s, err, errlen);
	if (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT) {
		move_aside(s);
		rc = open_db(s, err, errlen);
	}
	if (rc != SQLITE_OK) {
		free(s);
		return -1;
	}
	*out = s;
	return 0;
}

void store_close(struct fm_store *s)
{
	if (!s)
		return;
	sqlite3_finalize(s->insert_event);
	sqlite3_close(s->db);
	free(s);
}

uint64_t store_last_seq(struct fm_store *s)
{
	sqlite3_stmt *st;
	uint64_t seq = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT MAX(seq) FROM events;", -1, &st, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		seq = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return seq;
}

int store_record_event(struct fm_store *s, const struct eng_event *e,
                       const char *payload, char *err, size_t errlen)
{
	char ts[CLOCK_ISO_LEN];
	clock_iso8601(e->ts_wall_ms, ts, sizeof ts);
	sqlite3_stmt *st = s->insert_event;
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)e->seq);
	sqlite3_bind_text(st, 2, ts, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, e->alert->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, alert_state_name(e->t.from), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, e->kind == ENG_EVENT_ACK ? "acked" : alert_state_name(e->t.to),
	                  -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, payload, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s: event seq %llu: %s", s->path,
		         (unsigned long long)e->seq, sqlite3_errmsg(s->db));
		return -1;
	}
	return 0;
}

const char *store_path(const struct fm_store *s)
{
	return s->path;
}

sqlite3 *store_handle(struct fm_store *s)
{
	return s->db;
}
