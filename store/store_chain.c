/* store_chain.c - the hash chain over the stored events.
 *
 * Owns: what makes the history tamper-evident (ISO 27001 8.15): each
 * stored event's document is sealed with the hash of the one before it
 * (docs/reference.md, "The hash chain", says it for a third party):
 *
 *   hash = SHA-256( prev || canonical )       both as bytes; prev in hex
 *   stored and published = canonical less its final "}"
 *                          + ,"prev":"<64 hex>","hash":"<64 hex>"}
 *
 * where canonical is the event's JSON document exactly as the agent built
 * it, and prev is the hash of the stored event before it; the first of a
 * new database follows 64 zeros. The columns of the events table (seq, ts,
 * type, rule, from_state, to_state) are read off the document here, so the
 * document is the one truth and a column changed on its own is caught.
 *
 * Pruning keeps an anchor, the hash of the last event it deleted, so that
 * what remains still verifies from its first row. A database from before
 * the chain gets an anchor at its last event: those events are counted as
 * unchained, never as verified.
 *
 * What it proves: no stored event was changed, deleted or inserted after
 * the fact without rewriting every hash after it. What it does not: a
 * whole file rewritten with freshly computed hashes verifies; the head
 * hash on the broker (R/status and every R/events message) is what shows
 * that.
 */
#include "store/store_private.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sha256.h"

static const char genesis[SHA256_HEX_LEN] =
	"0000000000000000000000000000000000000000000000000000000000000000";

/* ,"prev":"<64>","hash":"<64>"} */
#define SEAL_LEN (9 + 64 + 10 + 64 + 2)

int store_chain_migrate(sqlite3 *db)
{
	int rc = SQLITE_OK;
	bool legacy = !store_has_column(db, "hash");
	if (!store_has_column(db, "type"))
		rc = sqlite3_exec(db, "ALTER TABLE events ADD COLUMN type TEXT;"
		                      "UPDATE events SET type = CASE"
		                      " WHEN to_state = 'acked' THEN 'ack'"
		                      " WHEN rule = 'facmon.store' THEN 'store'"
		                      " ELSE 'transition' END;", NULL, NULL, NULL);
	if (rc == SQLITE_OK && legacy)
		rc = sqlite3_exec(db, "ALTER TABLE events ADD COLUMN hash TEXT;", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "CREATE TABLE IF NOT EXISTS chain_anchor ("
		                      "  id INTEGER PRIMARY KEY CHECK (id = 1),"
		                      "  seq INTEGER NOT NULL,"
		                      "  hash TEXT NOT NULL);", NULL, NULL, NULL);
	/* the events from before the chain: the anchor is set past them */
	if (rc == SQLITE_OK && legacy)
		rc = sqlite3_exec(db, "INSERT OR IGNORE INTO chain_anchor (id, seq, hash)"
		                      " SELECT 1, MAX(seq), '" CHAIN_GENESIS_TEXT "' FROM events"
		                      " HAVING MAX(seq) IS NOT NULL;", NULL, NULL, NULL);
	return rc;
}

int store_chain_anchor(sqlite3 *db, uint64_t *seq, char hash[SHA256_HEX_LEN])
{
	sqlite3_stmt *st;
	*seq = 0;
	memcpy(hash, genesis, SHA256_HEX_LEN);
	if (sqlite3_prepare_v2(db, "SELECT seq, hash FROM chain_anchor WHERE id = 1;", -1,
	                       &st, NULL) != SQLITE_OK)
		return -1;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*seq = (uint64_t)sqlite3_column_int64(st, 0);
		const char *h = (const char *)sqlite3_column_text(st, 1);
		snprintf(hash, SHA256_HEX_LEN, "%s", h ? h : "");
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int store_chain_set_anchor(sqlite3 *db, uint64_t seq, const char *hash)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO chain_anchor (id, seq, hash)"
	                       " VALUES (1, ?, ?);", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int store_chain_head(sqlite3 *db, char head[SHA256_HEX_LEN])
{
	uint64_t anchor_seq;
	if (store_chain_anchor(db, &anchor_seq, head) < 0)
		return -1;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT hash FROM events WHERE seq > ? AND hash IS NOT NULL"
	                       " ORDER BY seq DESC LIMIT 1;", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)anchor_seq);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(head, SHA256_HEX_LEN, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* ---- documents and their columns ---- */

static void copy_string(const cJSON *doc, const char *key, char *out, size_t len)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);
	snprintf(out, len, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

/* from_state and to_state: an alert's states for a transition, "acked" for
 * an acknowledgement, "reset" for a store reset, the action of any other. */
static void state_columns(const cJSON *doc, struct store_doc *d)
{
	copy_string(doc, "from", d->from, sizeof d->from);
	if (strcmp(d->type, "ack") == 0)
		snprintf(d->to, sizeof d->to, "acked");
	else if (strcmp(d->type, "store") == 0)
		snprintf(d->to, sizeof d->to, "reset");
	else if (strcmp(d->type, "transition") == 0)
		copy_string(doc, "to", d->to, sizeof d->to);
	else
		copy_string(doc, "action", d->to, sizeof d->to);
}

int store_doc_read(const char *canonical, struct store_doc *d)
{
	memset(d, 0, sizeof *d);
	cJSON *doc = cJSON_Parse(canonical);
	const cJSON *seq = cJSON_GetObjectItemCaseSensitive(doc, "seq");
	if (!cJSON_IsObject(doc) || !cJSON_IsNumber(seq) || seq->valuedouble < 1) {
		cJSON_Delete(doc);
		return -1;
	}
	d->seq = (uint64_t)seq->valuedouble;
	copy_string(doc, "ts", d->ts, sizeof d->ts);
	copy_string(doc, "type", d->type, sizeof d->type);
	copy_string(doc, "rule", d->rule, sizeof d->rule);
	state_columns(doc, d);
	cJSON_Delete(doc);
	return d->ts[0] && d->type[0] && d->rule[0] ? 0 : -1;
}

/* ---- sealing ---- */

static void chain_hash(const char *prev, const char *canonical, size_t len,
                       char out[SHA256_HEX_LEN])
{
	struct sha256 h;
	sha256_init(&h);
	sha256_update(&h, prev, SHA256_HEX_LEN - 1);
	sha256_update(&h, canonical, len);
	sha256_hex(&h, out);
}

char *store_chain_seal(const char *canonical, const char *prev, char hash[SHA256_HEX_LEN])
{
	size_t len = strlen(canonical);
	if (len < 2 || canonical[len - 1] != '}' || strlen(prev) != SHA256_HEX_LEN - 1)
		return NULL;
	chain_hash(prev, canonical, len, hash);
	char *sealed = malloc(len - 1 + SEAL_LEN + 1);
	if (!sealed)
		return NULL;
	memcpy(sealed, canonical, len - 1);
	snprintf(sealed + len - 1, SEAL_LEN + 1, ",\"prev\":\"%s\",\"hash\":\"%s\"}", prev, hash);
	return sealed;
}

/* Splits a stored document into its canonical text (into a new string)
 * and its prev and hash; NULL if it carries no seal of the right form. */
static char *unseal(const char *stored, char prev[SHA256_HEX_LEN], char hash[SHA256_HEX_LEN])
{
	size_t len = strlen(stored);
	if (len < SEAL_LEN + 2)
		return NULL;
	const char *seal = stored + len - SEAL_LEN;
	if (sscanf(seal, ",\"prev\":\"%64[0-9a-f]\",\"hash\":\"%64[0-9a-f]\"}", prev, hash) != 2 ||
	    strlen(prev) != 64 || strlen(hash) != 64)
		return NULL;
	char *canonical = malloc(len - SEAL_LEN + 2);
	if (!canonical)
		return NULL;
	memcpy(canonical, stored, len - SEAL_LEN);
	canonical[len - SEAL_LEN] = '}';
	canonical[len - SEAL_LEN + 1] = '\0';
	return canonical;
}

/* ---- verifying ---- */

struct row {
	uint64_t seq;
	const char *cols[6]; /* ts, type, rule, from_state, to_state, hash */
	const char *payload;
};

static const char *const col_names[] = {"ts", "type", "rule", "from_state", "to_state"};

/* Why ROW does not verify after an event whose hash was PREV, or NULL
 * when it does; its hash into HASH. */
static const char *check_row(const struct row *r, const char *prev, char hash[SHA256_HEX_LEN],
                             char *why, size_t len)
{
	char sealed_prev[SHA256_HEX_LEN], sealed_hash[SHA256_HEX_LEN], computed[SHA256_HEX_LEN];
	char *canonical = unseal(r->payload, sealed_prev, sealed_hash);
	if (!canonical) {
		snprintf(why, len, "it carries no hash: it was not stored by the agent");
		return why;
	}
	memcpy(hash, sealed_hash, SHA256_HEX_LEN);
	chain_hash(sealed_prev, canonical, strlen(canonical), computed);
	struct store_doc d;
	int parsed = store_doc_read(canonical, &d);
	free(canonical);
	if (strcmp(computed, sealed_hash) != 0 || parsed < 0)
		snprintf(why, len, "its content was changed (its hash does not match it)");
	else if (strcmp(sealed_prev, prev) != 0)
		snprintf(why, len, "it does not follow the event stored before it: an event "
		         "was deleted or inserted before it");
	else if (d.seq != r->seq || strcmp(r->cols[5], sealed_hash) != 0)
		snprintf(why, len, "its row was changed (seq or hash column)");
	else {
		const char *want[] = {d.ts, d.type, d.rule, d.from, d.to};
		for (size_t i = 0; i < 5; i++)
			if (strcmp(r->cols[i], want[i]) != 0) {
				snprintf(why, len, "its %s column was changed ('%s', the event "
				         "says '%s')", col_names[i], r->cols[i], want[i]);
				return why;
			}
		return NULL;
	}
	return why;
}

static int count_unchained(sqlite3 *db, uint64_t anchor, size_t *n)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM events WHERE seq <= ?;", -1, &st,
	                       NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)anchor);
	int rc = sqlite3_step(st);
	*n = rc == SQLITE_ROW ? (size_t)sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

static const char *column(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? (const char *)t : "";
}

/* Walks the rows after the anchor in seq order, stopping at the first
 * that does not verify. */
static int walk(sqlite3 *db, struct store_verdict *v)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT seq, ts, type, rule, from_state, to_state, hash,"
	                       " payload FROM events WHERE seq > ? ORDER BY seq;", -1, &st,
	                       NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)v->anchor_seq);
	char prev[SHA256_HEX_LEN], hash[SHA256_HEX_LEN];
	memcpy(prev, v->anchor_hash, SHA256_HEX_LEN);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct row r = {.seq = (uint64_t)sqlite3_column_int64(st, 0),
		                .payload = column(st, 7)};
		for (int i = 0; i < 6; i++)
			r.cols[i] = column(st, i + 1);
		if (check_row(&r, prev, hash, v->why, sizeof v->why)) {
			v->intact = false;
			v->bad_seq = r.seq;
			break;
		}
		if (!v->events++)
			v->first_seq = r.seq;
		v->last_seq = r.seq;
		memcpy(prev, hash, SHA256_HEX_LEN);
	}
	memcpy(v->head, prev, SHA256_HEX_LEN);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int store_verify(struct fm_store *s, struct store_verdict *v, char *err, size_t errlen)
{
	sqlite3 *db = store_handle(s);
	memset(v, 0, sizeof *v);
	v->intact = true;
	/* one read transaction: a snapshot, even beside a running agent */
	int rc = sqlite3_exec(db, "BEGIN;", NULL, NULL, NULL) == SQLITE_OK &&
	                 store_chain_anchor(db, &v->anchor_seq, v->anchor_hash) == 0 &&
	                 count_unchained(db, v->anchor_seq, &v->unchained) == 0 && walk(db, v) == 0
	             ? 0 : -1;
	if (rc < 0)
		snprintf(err, errlen, "%s: reading the chain: %s", store_path(s), sqlite3_errmsg(db));
	sqlite3_exec(db, "COMMIT;", NULL, NULL, NULL);
	return rc;
}
