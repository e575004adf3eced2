/* store.h - the agent's local database (SQLite) under agent.state_dir.
 *
 * Owns: facmon.db and everything in it: the event history (every alert
 * transition and acknowledgement, stored and synced to disk before it is
 * published, which is also where `seq` continues from after a restart),
 * and each alert's current state (store_alerts.c).
 */
#ifndef FACMON_STORE_H
#define FACMON_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "alerting/engine.h"

struct fm_store;

/* Opens (creating if needed) STATE_DIR/facmon.db. A file that is not a
 * usable database is moved aside to facmon.db.corrupt-<time> and a new one
 * started, so the monitoring keeps running; that is logged as an error. */
int store_open(const char *state_dir, struct fm_store **out, char *err,
               size_t errlen);
void store_close(struct fm_store *s);

/* The highest seq stored, 0 for a new database. */
uint64_t store_last_seq(struct fm_store *s);

/* Appends one event with its published JSON; durable when it returns 0. */
int store_record_event(struct fm_store *s, const struct eng_event *e,
                       const char *payload, char *err, size_t errlen);

/* The path of the database file, for messages. */
const char *store_path(const struct fm_store *s);

/* The open database, for the store's other files (store_alerts.c). */
struct sqlite3;
struct sqlite3 *store_handle(struct fm_store *s);

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

#endif
