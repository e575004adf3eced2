/* store.h - the agent's local database (SQLite) under agent.state_dir.
 *
 * Owns: facmon.db and everything in it: the event history (every alert
 * transition and acknowledgement, stored and synced to disk before it is
 * published, which is also where `seq` continues from after a restart),
 * its pruning after agent.history_days and the read-only queries of
 * `facmon history`; the outbox, the events the broker has not yet
 * acknowledged (store_outbox.c); each alert's current state
 * (store_alerts.c); the silences operators set over MQTT
 * (store_silences.c); and how many polls returned data, per device and
 * hour (store_availability.c), for the monthly report.
 *
 * A row's to_state is whatever the event says: an alert state for a
 * transition, "acked" for an acknowledgement. Nothing here assumes which.
 *
 * Folder store/ owns the evidence on disk: facmon.db (store*.c) and the
 * seq high-water mark beside it (store_mark.c). Uses alerting/ (the
 * events it stores), config/ and base/; nothing here sends anything.
 */
#ifndef FACMON_STORE_H
#define FACMON_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alerting/engine.h"

struct fm_store;

/* Opens (creating if needed) STATE_DIR/facmon.db, and reads the seq mark
 * beside it. A file that is not a usable database is moved aside to
 * facmon.db.corrupt-<time> and a new one started, so the monitoring keeps
 * running; that is logged as an error, and store_reset() tells what was
 * lost. */
int store_open(const char *state_dir, struct fm_store **out, char *err,
               size_t errlen);
void store_close(struct fm_store *s);

/* Opens STATE_DIR/facmon.db read-only, for `facmon history`, next to a
 * running agent or not: never creates, changes or moves the database (SQLite
 * may leave its -wal and -shm files beside it, owned like it, where it may
 * write; where it may not, a database without a -wal file is read as it
 * is). Fails with "no history yet: PATH does not exist" when there is no
 * database, and with the reason when the file cannot be read or is not
 * facmon's database. Such a store takes only store_history() and
 * store_last_seq(). */
int store_open_readonly(const char *state_dir, struct fm_store **out, char *err,
                        size_t errlen);

/* The highest seq stored, 0 for a new database. */
uint64_t store_last_seq(struct fm_store *s);

/* The seq the agent numbers its next event with: the one after the last
 * stored, or, when the history was lost (store_reset), the one after the
 * high-water mark STATE_DIR/seq.mark that every seq used is under
 * (store_mark.h), so seq never goes backwards. */
uint64_t store_next_seq(struct fm_store *s);

/* What was lost when store_open found no usable history although events
 * had been numbered before (a database moved aside as corrupt, or one
 * missing, empty or behind seq.mark by more than STORE_MARK_BLOCK); NULL
 * when the history goes on. The
 * agent records it as an event (engine_note_store_reset). */
const struct eng_store_reset *store_reset(const struct fm_store *s);

/* Appends one event, its JSON document CANONICAL (from which its columns
 * are read: seq, ts, type, rule, from and to), sealed into the hash chain
 * after the event stored before it (store_chain.c): *SEALED gets the
 * document as stored and to be published, with its "prev" and "hash" (the
 * caller frees it). Durable when it returns 0. First raises the seq mark
 * if the seq is above it (a failure to write the mark is logged,
 * rate-limited; the event is stored all the same). */
int store_record_event(struct fm_store *s, const char *canonical, char **sealed,
                       char *err, size_t errlen);

/* The last stored event's seq and hash (the chain's head; 0 and the
 * anchor's, or 64 zeros, when none): what the heartbeat exports, so a
 * history rewritten whole shows against what the broker saw. */
int store_head(struct fm_store *s, uint64_t *seq, char hash[65]);

/* What store_verify found. */
struct store_verdict {
	bool intact;
	size_t events;           /* events verified */
	uint64_t first_seq, last_seq;
	uint64_t anchor_seq;     /* pruned (or from before the chain) up to here */
	char anchor_hash[65];
	size_t unchained;        /* events from before the chain, not verified */
	uint64_t bad_seq;        /* not intact: the first seq that does not verify */
	char why[FM_TEXT_MAX];   /* and why */
	char head[65];           /* the last verified hash */
};

/* Re-checks the whole stored chain, from the anchor, in seq order:
 * every hash, every link, every row's columns against its document. 0 with
 * V filled (V->intact false names the first seq that does not verify),
 * or -1 with ERR when the database cannot be read. */
int store_verify(struct fm_store *s, struct store_verdict *v, char *err, size_t errlen);

/* Deletes the events stored before OLDER_THAN_WALL_MS (UTC) from the start
 * of the history: every event before the first one that must stay (a
 * newer one, one still in the outbox, the one with the highest seq, which
 * is where seq continues after a restart). The last deleted becomes the
 * chain's anchor, so what remains still verifies. Returns how many it
 * deleted, or -1 with ERR filled. */
int store_prune(struct fm_store *s, int64_t older_than_wall_ms, char *err,
                size_t errlen);

/* What the agent calls at start and then every tick: prunes events and
 * availability counts older than HISTORY_DAYS, and silences that have
 * ended, at most once an hour (on the monotonic clock; the first call
 * always prunes), logging how many events went at info level (silences at
 * debug) and a failure at warn.
 * Returns the number of events deleted, 0 when not due, -1 on error. */
int store_maintain(struct fm_store *s, int history_days, int64_t now_mono_ms,
                   int64_t now_wall_ms);

/* One stored event, as store_history hands it over. The strings live
 * until the callback returns. */
struct store_row {
	uint64_t seq;
	const char *ts;      /* "2026-11-21T22:35:14.123Z" (UTC) */
	const char *type;    /* "transition", "ack", "silence", "agent", ... */
	const char *rule;    /* the alert's name, or the subject ("facmon.agent") */
	const char *from;
	const char *to;      /* an alert state, "acked" for an acknowledgement,
	                      * "reset" for a store reset, else the action */
	const char *payload; /* the JSON that was published */
};

/* Which events store_history gives: stored at or after FROM_WALL_MS and
 * before UNTIL_WALL_MS (<= 0: no bound), whose rule matches RULE (an exact
 * name or an fnmatch(3) pattern such as "room-*"; NULL: any) and whose
 * type is TYPE (NULL: any). */
struct store_query {
	int64_t from_wall_ms;
	int64_t until_wall_ms;
	const char *rule;
	const char *type;
};

/* Calls EACH for every event Q selects, in seq order. EACH returns 0 to
 * go on, anything else to stop. Returns the number of rows given to EACH,
 * or -1 with ERR filled. */
int store_history(struct fm_store *s, const struct store_query *q,
                  int (*each)(void *ctx, const struct store_row *row), void *ctx,
                  char *err, size_t errlen);

/* The path of the database file, for messages. */
const char *store_path(const struct fm_store *s);

/* The open database, for the store's other files (store_alerts.c,
 * store_silences.c). */
struct sqlite3;
struct sqlite3 *store_handle(struct fm_store *s);

/* store_outbox.c: the outbox, the events not yet acknowledged by the
 * broker (events.delivered = 0). Migrate adds the column to a database
 * from before the outbox (its events count as delivered); SQLite's code. */
int store_outbox_migrate(struct sqlite3 *db);
/* Calls EACH for up to MAX outbox events after seq AFTER, in seq order;
 * how many, or -1 with ERR. */
int store_outbox_next(struct fm_store *s, uint64_t after, size_t max,
                      void (*each)(void *ctx, uint64_t seq, const char *payload),
                      void *ctx, char *err, size_t errlen);
/* Marks SEQS (N of them) delivered, in one transaction; 0, or -1. */
int store_outbox_done(struct fm_store *s, const uint64_t *seqs, size_t n, char *err,
                      size_t errlen);
/* Events in the outbox; -1 on error. */
long store_outbox_count(struct fm_store *s);

/* store_alerts.c: each alert's state and acknowledgement, kept so that a
 * restart resumes them instead of announcing every firing alert afresh.
 * Saving writes only what changed (a repeat writes nothing). */
int store_save_alert(struct fm_store *s, const struct eng_alert *a, char *err,
                     size_t errlen);
/* Calls EACH for every saved alert; 0, or -1 with ERR. */
int store_load_alerts(struct fm_store *s,
                      void (*each)(void *ctx, const char *name, const char *state,
                                   int64_t since_wall, const char *acked_by,
                                   const char *ack_comment, int64_t acked_wall),
                      void *ctx, char *err, size_t errlen);

/* store_cursor.c: how far each durable output (Alertmanager, the exec
 * notifier) has got: the seq of the last event it has done; 0 found, 1
 * none yet, -1 with ERR. Pruning keeps every event after the lowest. */
int store_cursor_get(struct fm_store *s, const char *output, uint64_t *seq, char *err,
                     size_t errlen);
int store_cursor_set(struct fm_store *s, const char *output, uint64_t seq, char *err,
                     size_t errlen);
/* An output no longer configured: its cursor no longer holds events. */
int store_cursor_forget(struct fm_store *s, const char *output, char *err, size_t errlen);
/* Calls EACH for up to MAX stored events after seq AFTER, in seq order,
 * with the document as stored (sealed); how many, or -1 with ERR. */
int store_events_after(struct fm_store *s, uint64_t after, size_t max,
                       void (*each)(void *ctx, uint64_t seq, const char *payload), void *ctx,
                       char *err, size_t errlen);

/* store_alive.c: when the agent was last known to be running. Writes
 * the mark (every minute); 0, or -1 with ERR. */
int store_alive_write(struct fm_store *s, int64_t wall_ms, char *err, size_t errlen);
/* The last mark written, 0 for none. */
int64_t store_alive_read(struct fm_store *s);
/* The action ("started", "stopped", ...) and ts of the last stored event
 * of TYPE, "" for none; 0, or -1 when the database cannot be read. */
int store_last_of_type(struct fm_store *s, const char *type, char *action, size_t alen,
                       char *ts, size_t tlen);

/* store_availability.c: per device and UTC hour, how many polls returned,
 * how many with valid data (every request answered) and how many only
 * partly: the monthly report's monitoring availability, since telemetry is
 * never stored. One row per device and hour (HOUR_MS, the hour's start). */
struct store_avail_row {
	const char *device;
	int64_t hour_ms;
	int interval_s;      /* the device's interval when the row was written */
	uint64_t polls;      /* polls that returned */
	uint64_t valid;      /* ... every request answered */
	uint64_t degraded;   /* ... some requests answered, some not */
};
/* Adds ROWS (N of them) in one transaction, to the counts already stored
 * for the same device and hour; 0, or -1 with ERR. */
int store_availability_add(struct fm_store *s, const struct store_avail_row *rows, size_t n,
                           char *err, size_t errlen);
/* Calls EACH for every row of an hour in [FROM_MS, UNTIL_MS), by device
 * then hour (none when the database has no such table yet); EACH returns
 * 0 to go on. How many, or -1 with ERR. Works on a read-only store. */
int store_availability_read(struct fm_store *s, int64_t from_ms, int64_t until_ms,
                            int (*each)(void *ctx, const struct store_avail_row *r),
                            void *ctx, char *err, size_t errlen);
/* Deletes the rows of hours before BEFORE_MS; how many, or -1 with ERR. */
int store_availability_prune(struct fm_store *s, int64_t before_ms, char *err,
                             size_t errlen);

/* store_silences.c: the operators' silences (never the config's), kept so
 * that a restart does not end them, with the ids the engine gave them.
 * Migrate creates the table (at open); SQLite's code. */
int store_silences_migrate(struct sqlite3 *db);
/* Writes silence SIL (an operator's) under its id; 0, or -1 with ERR. */
int store_save_silence(struct fm_store *s, const struct eng_silence *sil, char *err,
                       size_t errlen);
/* Deletes silence ID (0: every silence whose match is exactly MATCH); how
 * many, or -1 with ERR. */
int store_delete_silences(struct fm_store *s, unsigned id, const char *match, char *err,
                          size_t errlen);
/* Deletes the silences that end at or before NOW_WALL_MS; how many, or -1. */
int store_prune_silences(struct fm_store *s, int64_t now_wall_ms, char *err,
                         size_t errlen);
/* Calls EACH for every silence that ends after NOW_WALL_MS, in id order;
 * how many, or -1 with ERR. */
int store_load_silences(struct fm_store *s, int64_t now_wall_ms,
                        void (*each)(void *ctx, const struct eng_silence *sil), void *ctx,
                        char *err, size_t errlen);
/* The highest silence id ever stored, even if cancelled or pruned since;
 * 0 for none. */
unsigned store_last_silence_id(struct fm_store *s);

#endif
