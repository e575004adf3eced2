/* report_seed.c - writes synthetic history into a real facmon.db.
 *
 * For the report's tests: a month of history with chosen timestamps,
 * written through the store API exactly as the agent writes it, so the
 * events are sealed in the hash chain and the availability rows are the
 * agent's. Usage: report_seed STATE_DIR < LINES, one JSON object a line:
 *
 *   {"event": {"ts": "...", "type": "...", ...}}   one event document
 *   {"availability": {"device": "rack-a", "hour": "2026-11-01T00:00:00Z",
 *                     "interval_s": 10, "polls": 360, "valid": 360,
 *                     "degraded": 0}}
 *
 * Each event gets the next seq and is stored with "seq" first, then "ts"
 * and "type" (every event starts so), then its other fields in the order
 * given. The events go in one transaction and the availability rows in
 * another, after them. Prints the last seq stored. Exit 0, or 1 with the
 * reason on stderr.
 */
#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "store/store.h"

static const char *text(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : "";
}

static double number(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* The document of EV as the agent orders it, numbered SEQ. */
static char *canonical(const cJSON *ev, uint64_t seq)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON_AddNumberToObject(doc, "seq", (double)seq);
	cJSON_AddStringToObject(doc, "ts", text(ev, "ts"));
	cJSON_AddStringToObject(doc, "type", text(ev, "type"));
	const cJSON *field;
	cJSON_ArrayForEach(field, ev)
		if (strcmp(field->string, "ts") != 0 && strcmp(field->string, "type") != 0)
			cJSON_AddItemToObject(doc, field->string, cJSON_Duplicate(field, true));
	char *out = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	return out;
}

static int record(struct fm_store *s, const cJSON *ev, uint64_t seq, char *err, size_t len)
{
	char *doc = canonical(ev, seq), *sealed = NULL;
	int rc = doc ? store_record_event(s, doc, &sealed, err, len) : -1;
	free(doc);
	free(sealed);
	return rc;
}

/* "2026-11-01T00:00:00Z" into milliseconds; -1 if not that form. */
static int64_t hour_ms(const char *iso)
{
	int64_t ms;
	return clock_parse_iso8601(iso, &ms) == 0 ? ms : -1;
}

/* The rows of the availability lines AV (N of them), in one transaction. */
static int availability(struct fm_store *s, cJSON *const *av, size_t n, char *err, size_t len)
{
	struct store_avail_row *rows = calloc(n + 1, sizeof *rows);
	if (!rows)
		return -1;
	for (size_t i = 0; i < n; i++) {
		rows[i] = (struct store_avail_row){
			.device = text(av[i], "device"),
			.hour_ms = hour_ms(text(av[i], "hour")),
			.interval_s = (int)number(av[i], "interval_s"),
			.polls = (uint64_t)number(av[i], "polls"),
			.valid = (uint64_t)number(av[i], "valid"),
			.degraded = (uint64_t)number(av[i], "degraded"),
		};
		if (rows[i].hour_ms < 0) {
			snprintf(err, len, "availability: bad hour '%s'", text(av[i], "hour"));
			free(rows);
			return -1;
		}
	}
	int rc = store_availability_add(s, rows, n, err, len);
	free(rows);
	return rc;
}

/* Appends A to *AV (freed with it when memory runs out); 0, or -1. */
static int keep(cJSON ***av, size_t *n, size_t *cap, cJSON *a)
{
	if (*n == *cap) {
		size_t more = *cap * 2 + 64;
		cJSON **grown = realloc(*av, more * sizeof *grown);
		if (!grown) {
			cJSON_Delete(a);
			return -1;
		}
		*av = grown;
		*cap = more;
	}
	(*av)[(*n)++] = a;
	return 0;
}

/* Stores each line of IN: events as they come, in one transaction (a
 * month of them is quick), the availability lines after it, together. */
static int seed(struct fm_store *s, FILE *in, uint64_t *seq, char *err, size_t len)
{
	static char line[65536];
	cJSON **av = NULL;
	size_t nav = 0, cap = 0;
	int rc = sqlite3_exec(store_handle(s), "BEGIN;", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
	for (unsigned n = 1; rc == 0 && fgets(line, sizeof line, in); n++) {
		cJSON *o = cJSON_Parse(line);
		cJSON *ev = cJSON_GetObjectItemCaseSensitive(o, "event");
		cJSON *a = cJSON_DetachItemFromObjectCaseSensitive(o, "availability");
		if (cJSON_IsObject(ev)) {
			rc = record(s, ev, (*seq)++, err, len);
		} else if (cJSON_IsObject(a)) {
			rc = keep(&av, &nav, &cap, a);
			a = NULL;
		} else if (line[strspn(line, " \t\r\n")]) {
			snprintf(err, len, "neither an event nor availability");
			rc = -1;
		}
		if (rc < 0)
			fprintf(stderr, "report_seed: line %u: ", n);
		cJSON_Delete(a);
		cJSON_Delete(o);
	}
	if (sqlite3_exec(store_handle(s), rc == 0 ? "COMMIT;" : "ROLLBACK;", NULL, NULL,
	                 NULL) != SQLITE_OK && rc == 0) {
		snprintf(err, len, "%s", sqlite3_errmsg(store_handle(s)));
		rc = -1;
	}
	if (rc == 0)
		rc = availability(s, av, nav, err, len);
	for (size_t i = 0; i < nav; i++)
		cJSON_Delete(av[i]);
	free(av);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fputs("usage: report_seed STATE_DIR < LINES\n", stderr);
		return 1;
	}
	struct fm_store *s;
	char err[1024] = "";
	if (store_open(argv[1], &s, err, sizeof err) < 0) {
		fprintf(stderr, "report_seed: %s\n", err);
		return 1;
	}
	uint64_t seq = store_next_seq(s);
	int rc = seed(s, stdin, &seq, err, sizeof err);
	if (rc < 0)
		fprintf(stderr, "report_seed: %s\n", err);
	else
		printf("%llu\n", (unsigned long long)(seq - 1));
	store_close(s);
	return rc < 0 ? 1 : 0;
}
