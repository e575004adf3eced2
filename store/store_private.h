/* store_private.h - what the store's files share and nothing else uses.
 *
 * Owns: the interface between store.c (the database, events in and out)
 * and store_chain.c (the hash chain over them): reading an event's
 * columns off its document, sealing a document, and the chain's anchor.
 */
#ifndef FACMON_STORE_PRIVATE_H
#define FACMON_STORE_PRIVATE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/sha256.h"
#include "store/store.h"

#define CHAIN_GENESIS_TEXT "0000000000000000000000000000000000000000000000000000000000000000"

/* Runs SQL (binding seq AFTER and MAX, selecting seq and payload) and
 * calls EACH per row; how many, or -1 with ERR. */
int store_each_event(struct fm_store *s, const char *sql, uint64_t after, size_t max,
                     void (*each)(void *ctx, uint64_t seq, const char *payload), void *ctx,
                     char *err, size_t errlen);

/* Whether the events table has a column named NAME. */
bool store_has_column(sqlite3 *db, const char *name);

/* An event's columns, read off its document. */
struct store_doc {
	uint64_t seq;
	char ts[32];
	char type[16];
	char rule[FM_NAME_MAX * 2];
	char from[16];
	char to[32];
};

/* Reads D off the JSON document CANONICAL: 0, or -1 when it is not an
 * event document (no seq, ts, type or rule). */
int store_doc_read(const char *canonical, struct store_doc *d);

/* Creates the alive table (store_alive.c), the cursors table
 * (store_cursor.c). */
int store_alive_migrate(sqlite3 *db);
int store_cursor_migrate(sqlite3 *db);
/* Creates the availability table (store_availability.c). */
int store_availability_migrate(sqlite3 *db);

/* Adds the type and hash columns and the anchor table to a database from
 * before them (its events are left unchained, behind the anchor). */
int store_chain_migrate(sqlite3 *db);
/* The anchor: the last event pruned (or, in a database from before the
 * chain, the last one it held), 0 and 64 zeros when none. */
int store_chain_anchor(sqlite3 *db, uint64_t *seq, char hash[SHA256_HEX_LEN]);
int store_chain_set_anchor(sqlite3 *db, uint64_t seq, const char *hash);
/* The hash the next stored event follows: the last stored one's, else the
 * anchor's. */
int store_chain_head(sqlite3 *db, char head[SHA256_HEX_LEN]);
/* CANONICAL sealed after PREV (see store_chain.c): a new string, with its
 * hash in HASH; NULL when CANONICAL is no JSON object or memory ran out. */
char *store_chain_seal(const char *canonical, const char *prev, char hash[SHA256_HEX_LEN]);

#endif
