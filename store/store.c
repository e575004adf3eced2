/* store.c - facmon.db: the event history on SQLite.
 *
 * WAL mode with synchronous=FULL: an event is on disk when its INSERT
 * returns, so a power cut right after cannot lose it or reuse its seq.
 * seq.mark beside it (store_mark.c) outlives the database: should the
 * history be lost (moved aside as corrupt, deleted, replaced by an empty
 * one), seq goes on above it, and the agent says so with an event.
 *
 * Times are compared as text: ts is always clock_iso8601()'s fixed-width
 * UTC form, whose text order is its time order, so a cutoff is the same
 * string built from milliseconds and the index on ts serves it.
 */
#include "store/store_private.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "store/state_dir.h"
#include "store/store_mark.h"

struct fm_store {
	sqlite3 *db;
	sqlite3_stmt *insert_event; /* NULL when opened read-only */
	bool maintained;            /* store_maintain has pruned once */
	int64_t next_maintain_ms;   /* monotonic: when it prunes again */
	char dir[FM_TEXT_MAX];
	char path[FM_TEXT_MAX + 16];
	uint64_t mark;              /* seq.mark: no seq used above it */
	struct complaint mark_complaint;
	bool was_reset;             /* the history was lost at open */
	struct eng_store_reset reset;
	char head[SHA256_HEX_LEN];  /* the hash the next event is sealed after */
};

#define MAINTAIN_EVERY_MS (3600 * 1000)
#define DAY_MS ((int64_t)86400 * 1000)

/* The page cache is capped at 256 KiB (SQLite's default is 2 MiB): the
 * agent appends events and reads back only the outbox and the newest
 * rows, and the kernel caches the file anyway; a history of months must
 * not grow the agent's resident memory with it. */
static const char schema[] =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=FULL;"
	"PRAGMA cache_size=-256;"
	"CREATE TABLE IF NOT EXISTS events ("
	"  seq INTEGER PRIMARY KEY,"
	"  ts TEXT NOT NULL,"
	"  rule TEXT NOT NULL,"
	"  from_state TEXT NOT NULL,"
	"  to_state TEXT NOT NULL,"
	"  payload TEXT NOT NULL,"
	"  delivered INTEGER NOT NULL DEFAULT 0,"
	"  type TEXT,"
	"  hash TEXT);"
	"CREATE INDEX IF NOT EXISTS events_ts ON events (ts);";

/* An event is in the outbox (delivered = 0) until the broker's PUBACK. */
static const char insert_sql[] =
	"INSERT INTO events (seq, ts, type, rule, from_state, to_state, payload, hash,"
	" delivered) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0);";

/* Where pruning stops: the first event that must stay, because it is
 * newer than the cutoff, still in the outbox, not yet done by a durable
 * output (store_cursor.c), or the last one. */
static const char prune_stop_sql[] =
	"SELECT MIN(seq) FROM events WHERE ts >= ? OR delivered = 0"
	" OR seq > (SELECT MIN(seq) FROM cursors)"
	" OR seq = (SELECT MAX(seq) FROM events);";

static const char history_sql[] =
	"SELECT seq, ts, type, rule, from_state, to_state, payload FROM events"
	" WHERE ts >= ? AND ts < ? ORDER BY seq;";

/* Opens PATH and applies the schema; SQLITE_OK or the failing code. */
static int open_db(struct fm_store *s, char *err, size_t errlen)
{
	int e = state_dir_adopt(s->dir, s->path);
	if (e < 0) {
		snprintf(err, errlen, "%s: %s", s->path, strerror(-e));
		return SQLITE_CANTOPEN;
	}
	int rc = sqlite3_open_v2(s->path, &s->db,
	                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(s->db, 1000);
		rc = sqlite3_exec(s->db, schema, NULL, NULL, NULL);
	}
	if (rc == SQLITE_OK)
		rc = store_outbox_migrate(s->db);
	if (rc == SQLITE_OK)
		rc = store_silences_migrate(s->db);
	if (rc == SQLITE_OK)
		rc = store_chain_migrate(s->db);
	if (rc == SQLITE_OK)
		rc = store_alive_migrate(s->db);
	if (rc == SQLITE_OK)
		rc = store_cursor_migrate(s->db);
	if (rc == SQLITE_OK)
		rc = store_availability_migrate(s->db);
	if (rc == SQLITE_OK && store_chain_head(s->db, s->head) < 0)
		rc = sqlite3_errcode(s->db);
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

/* The events a database moved aside held that the broker never
 * acknowledged; -1 when it cannot be read that far. */
static long count_unsent(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long n = -1;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM events WHERE delivered = 0;", -1,
	                       &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

static void move_aside(struct fm_store *s)
{
	struct eng_store_reset *r = &s->reset;
	s->was_reset = true;
	snprintf(r->why, sizeof r->why, "%s was not a usable database", s->path);
	r->unsent = -1;
	char aside[sizeof r->moved_to];
	snprintf(aside, sizeof aside, "%s.corrupt-%lld", s->path, (long long)time(NULL));
	if (rename(s->path, aside) == 0) {
		log_error("store: %s is not a usable database; moved it to %s and "
		          "started a new one", s->path, aside);
		memcpy(r->moved_to, aside, sizeof aside);
		r->unsent = count_unsent(aside);
	}
	char wal[sizeof s->path + 8];
	snprintf(wal, sizeof wal, "%s-wal", s->path);
	remove(wal);
	snprintf(wal, sizeof wal, "%s-shm", s->path);
	remove(wal);
}

/* ---- the seq high-water mark (store_mark.c) ---- */

static void read_mark(struct fm_store *s)
{
	char err[FM_TEXT_MAX * 2];
	if (store_mark_read(s->dir, &s->mark, err, sizeof err) < 0)
		log_error("store: %s (seq continues from the database alone)", err);
}

/* Whether the database's last seq lies in the block the mark reserved
 * last: then it is the history the mark was raised for. */
static bool history_reaches_mark(uint64_t last, uint64_t mark)
{
	return last + STORE_MARK_BLOCK > mark;
}

/* A database that is gone, empty or behind the mark by more than a block
 * although seq.mark says events were numbered: the history was lost
 * (deleted, replaced, restored from an old copy) even if nothing had to be
 * moved aside. */
static void note_lost_history(struct fm_store *s, bool existed)
{
	struct eng_store_reset *r = &s->reset;
	uint64_t last = store_last_seq(s);
	if (!s->was_reset && !history_reaches_mark(last, s->mark)) {
		s->was_reset = true;
		if (last == 0)
			snprintf(r->why, sizeof r->why, "%s %s", s->path,
			         existed ? "holds no events" : "was missing");
		else
			snprintf(r->why, sizeof r->why, "%s ends at seq %llu", s->path,
			         (unsigned long long)last);
		r->unsent = -1;
		log_error("store: %s although seq.mark says events up to seq %llu may "
		          "have been numbered; seq goes on above that", r->why,
		          (unsigned long long)s->mark);
	}
	r->mark = s->mark;
}

/* Before SEQ is used: the mark covers it, a block ahead, on disk. */
static void raise_mark(struct fm_store *s, uint64_t seq)
{
	char err[FM_TEXT_MAX * 2];
	uint64_t mark = seq + STORE_MARK_BLOCK - 1;
	if (store_mark_write(s->dir, mark, err, sizeof err) < 0) {
		complain(&s->mark_complaint, clock_mono_ms(), "store: seq mark: %s", err);
		return;
	}
	complain_recovered(&s->mark_complaint, "store: seq mark: written");
	s->mark = mark;
}

uint64_t store_next_seq(struct fm_store *s)
{
	uint64_t last = store_last_seq(s);
	if (history_reaches_mark(last, s->mark))
		return last + 1;
	return s->mark + 1; /* a lost history: above every seq it may have had */
}

const struct eng_store_reset *store_reset(const struct fm_store *s)
{
	return s->was_reset ? &s->reset : NULL;
}

int store_open(const char *state_dir, struct fm_store **out, char *err,
               size_t errlen)
{
	*out = NULL;
	if (state_dir_create(state_dir, err, errlen) < 0)
		return -1;
	struct fm_store *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(s->dir, sizeof s->dir, "%s", state_dir);
	snprintf(s->path, sizeof s->path, "%s/facmon.db", state_dir);
	read_mark(s);
	bool existed = access(s->path, F_OK) == 0;
	int rc = open_db(s, err, errlen);
	if (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT) {
		move_aside(s);
		rc = open_db(s, err, errlen);
	}
	if (rc != SQLITE_OK) {
		free(s);
		return -1;
	}
	note_lost_history(s, existed);
	*out = s;
	return 0;
}

/* For a reader, a database the agent has not made yet is "no history yet",
 * not SQLite's "unable to open database file". */
static int check_readable(const char *path, char *err, size_t errlen)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		if (errno == ENOENT)
			snprintf(err, errlen, "no history yet: %s does not exist", path);
		else
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (access(path, R_OK) != 0) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* PATH as an SQLite URI that reads the file as it is, creating nothing. */
static void immutable_uri(const char *path, char *uri, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = (size_t)snprintf(uri, len, "file:");
	for (const unsigned char *p = (const unsigned char *)path; *p && n + 4 < len; p++) {
		if (isalnum(*p) || strchr("/-._~", *p)) {
			uri[n++] = (char)*p;
		} else {
			uri[n++] = '%';
			uri[n++] = hex[*p >> 4];
			uri[n++] = hex[*p & 15];
		}
	}
	snprintf(uri + n, len - n, "?immutable=1");
}

static int open_reader(struct fm_store *s, const char *uri)
{
	int rc = sqlite3_open_v2(uri ? uri : s->path, &s->db,
	                         SQLITE_OPEN_READONLY | (uri ? SQLITE_OPEN_URI : 0), NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(s->db, 1000);
		/* not a database, or not facmon's: say so now, not mid-listing */
		rc = sqlite3_exec(s->db, "SELECT seq FROM events LIMIT 0;", NULL, NULL, NULL);
	}
	return rc;
}

int store_open_readonly(const char *state_dir, struct fm_store **out, char *err,
                        size_t errlen)
{
	*out = NULL;
	struct fm_store *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(s->path, sizeof s->path, "%s/facmon.db", state_dir);
	if (check_readable(s->path, err, errlen) < 0) {
		free(s);
		return -1;
	}
	int rc = open_reader(s, NULL);
	/* A WAL database is read through its -wal and -shm files, which a user
	 * who may read state_dir but not write it cannot create. Without a -wal
	 * file nothing is waiting outside the database (the agent is not
	 * running, or closed it cleanly), so the file alone is the history. An
	 * agent starting during the listing could make it miss new events or
	 * fail; it cannot harm the database, which is only read. */
	char wal[sizeof s->path + 8];
	snprintf(wal, sizeof wal, "%s-wal", s->path);
	if (((rc & 0xff) == SQLITE_READONLY || (rc & 0xff) == SQLITE_CANTOPEN) &&
	    access(wal, F_OK) != 0 && errno == ENOENT) {
		char uri[sizeof s->path * 3 + 32];
		immutable_uri(s->path, uri, sizeof uri);
		sqlite3_close(s->db);
		s->db = NULL;
		rc = open_reader(s, uri);
	}
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", s->path,
		         s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		store_close(s);
		return -1;
	}
	if (!store_has_column(s->db, "hash")) {
		snprintf(err, errlen, "%s is from an older facmon: start the agent once (it "
		         "brings the database up to date), then ask again", s->path);
		store_close(s);
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

static int record_failed(struct fm_store *s, uint64_t seq, const char *what, char *err,
                         size_t errlen)
{
	snprintf(err, errlen, "%s: event seq %llu: %s", s->path, (unsigned long long)seq, what);
	return -1;
}

int store_record_event(struct fm_store *s, const char *canonical, char **sealed,
                       char *err, size_t errlen)
{
	*sealed = NULL;
	struct store_doc d;
	if (store_doc_read(canonical, &d) < 0)
		return record_failed(s, 0, "not an event document", err, errlen);
	if (d.seq > s->mark)
		raise_mark(s, d.seq);
	char hash[SHA256_HEX_LEN];
	char *text = store_chain_seal(canonical, s->head, hash);
	if (!text)
		return record_failed(s, d.seq, "cannot seal it (out of memory?)", err, errlen);
	sqlite3_stmt *st = s->insert_event;
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)d.seq);
	const char *cols[] = {d.ts, d.type, d.rule, d.from, d.to, text, hash};
	for (int i = 0; i < 7; i++)
		sqlite3_bind_text(st, i + 2, cols[i], -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		free(text);
		return record_failed(s, d.seq, sqlite3_errmsg(s->db), err, errlen);
	}
	memcpy(s->head, hash, SHA256_HEX_LEN);
	*sealed = text;
	return 0;
}

int store_head(struct fm_store *s, uint64_t *seq, char hash[SHA256_HEX_LEN])
{
	*seq = store_last_seq(s);
	return store_chain_head(s->db, hash);
}

/* The seq of the first event that must stay after pruning before
 * CUTOFF (0: no events), or -1. */
static int64_t prune_stop(sqlite3 *db, const char *cutoff)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, prune_stop_sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, cutoff, -1, SQLITE_STATIC);
	int64_t stop = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_finalize(st);
	return stop;
}

/* The last event before STOP becomes the anchor (one from before the
 * chain, with no hash, leaves the anchor where it is: past it). */
static int move_anchor(sqlite3 *db, int64_t stop)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT seq, hash FROM events WHERE seq < ?"
	                       " ORDER BY seq DESC LIMIT 1;", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, stop);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 1) != SQLITE_NULL)
		rc = store_chain_set_anchor(db, (uint64_t)sqlite3_column_int64(st, 0),
		                            (const char *)sqlite3_column_text(st, 1)) == 0
		         ? SQLITE_DONE : SQLITE_ERROR;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static int delete_before(sqlite3 *db, int64_t stop)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "DELETE FROM events WHERE seq < ?;", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, stop);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? sqlite3_changes(db) : -1;
}

int store_prune(struct fm_store *s, int64_t older_than_wall_ms, char *err,
                size_t errlen)
{
	if (older_than_wall_ms <= 0) /* before 1970: nothing is older */
		return 0;
	char cutoff[CLOCK_ISO_LEN];
	clock_iso8601(older_than_wall_ms, cutoff, sizeof cutoff);
	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE;", NULL, NULL, NULL) != SQLITE_OK)
		goto failed;
	int64_t stop = prune_stop(s->db, cutoff);
	int n = stop < 0 ? -1 : 0;
	if (stop > 0 && move_anchor(s->db, stop) == 0)
		n = delete_before(s->db, stop);
	else if (stop > 0)
		n = -1;
	if (n < 0 || sqlite3_exec(s->db, "COMMIT;", NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_exec(s->db, "ROLLBACK;", NULL, NULL, NULL);
		goto failed;
	}
	return n;
failed:
	snprintf(err, errlen, "%s: deleting events before %s: %s", s->path, cutoff,
	         sqlite3_errmsg(s->db));
	return -1;
}

int store_maintain(struct fm_store *s, int history_days, int64_t now_mono_ms,
                   int64_t now_wall_ms)
{
	if (s->maintained && now_mono_ms < s->next_maintain_ms)
		return 0;
	s->maintained = true;
	s->next_maintain_ms = now_mono_ms + MAINTAIN_EVERY_MS;

	int64_t cutoff = now_wall_ms - history_days * DAY_MS;
	char err[FM_TEXT_MAX * 2];
	int n = store_prune(s, cutoff, err, sizeof err);
	if (n < 0) {
		log_warn("store: pruning the history: %s", err);
	} else if (n > 0) {
		char iso[CLOCK_ISO_LEN];
		clock_iso8601(cutoff, iso, sizeof iso);
		log_info("store: pruned %d event%s older than %d day%s (before %s)", n,
		         n == 1 ? "" : "s", history_days, history_days == 1 ? "" : "s", iso);
	}
	if (store_availability_prune(s, cutoff, err, sizeof err) < 0)
		log_warn("store: pruning the availability counts: %s", err);
	int ended = store_prune_silences(s, now_wall_ms, err, sizeof err);
	if (ended < 0)
		log_warn("store: pruning the silences: %s", err);
	else if (ended > 0)
		log_debug("store: dropped %d silence%s that ended", ended, ended == 1 ? "" : "s");
	return n;
}

static const char *column_text(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	return t ? (const char *)t : "";
}

/* Whether ROW passes the filters of Q that SQL does not apply. */
static bool row_wanted(const struct store_query *q, const struct store_row *row)
{
	return (!q->rule || fnmatch(q->rule, row->rule, 0) == 0) &&
	       (!q->type || strcmp(q->type, row->type) == 0);
}

int store_history(struct fm_store *s, const struct store_query *q,
                  int (*each)(void *ctx, const struct store_row *row), void *ctx,
                  char *err, size_t errlen)
{
	char from[CLOCK_ISO_LEN] = "", until[CLOCK_ISO_LEN] = "~"; /* every ts sorts between */
	if (q->from_wall_ms > 0)
		clock_iso8601(q->from_wall_ms, from, sizeof from);
	if (q->until_wall_ms > 0)
		clock_iso8601(q->until_wall_ms, until, sizeof until);
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, history_sql, -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 1, from, -1, SQLITE_TRANSIENT);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 2, until, -1, SQLITE_TRANSIENT);
	int given = 0;
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_row row = {
			.seq = (uint64_t)sqlite3_column_int64(st, 0),
			.ts = column_text(st, 1),
			.type = column_text(st, 2),
			.rule = column_text(st, 3),
			.from = column_text(st, 4),
			.to = column_text(st, 5),
			.payload = column_text(st, 6),
		};
		if (!row_wanted(q, &row)) {
			rc = SQLITE_OK;
			continue;
		}
		given++;
		rc = each(ctx, &row) == 0 ? SQLITE_OK : SQLITE_DONE;
	}
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s: reading events: %s", s->path, sqlite3_errmsg(s->db));
		given = -1;
	}
	sqlite3_finalize(st);
	return given;
}

const char *store_path(const struct fm_store *s)
{
	return s->path;
}

sqlite3 *store_handle(struct fm_store *s)
{
	return s->db;
}
