/* history.c - `facmon history`: the stored events, for people and scripts.
 *
 * Owns: the output of `facmon history` (ISO 27001 8.15): reading
 * <state_dir>/facmon.db read-only through the store, filtering its events
 * (a time span, a rule, a type, a control ID) and printing them as aligned
 * columns, as CSV, or as a JSON array of the stored rows, each with the
 * event it published. It prints whatever a row holds (an acknowledgement's
 * "acked", a silence's "set" as well as an alert state) and never writes
 * to the database, so it is safe next to a running agent.
 *
 * Every output streams: 90 days of a flapping alert can be more rows than
 * a gateway would like to hold. Text takes two passes over the rows, one
 * to size the columns and one to print them; CSV and JSON print a row at
 * a time.
 */
#include "agent/history.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/csv.h"
#include "store/store.h"

int history_parse_duration(const char *text, int64_t *ms)
{
	static const struct {
		char unit;
		int64_t ms;
	} units[] = {
		{'s', 1000}, {'m', 60 * 1000}, {'h', 3600 * 1000},
		{'d', (int64_t)86400 * 1000}, {'w', (int64_t)7 * 86400 * 1000},
	};
	if (!isdigit((unsigned char)text[0]))
		return -1;
	errno = 0;
	char *end;
	long long n = strtoll(text, &end, 10);
	if (errno != 0 || end[0] == '\0' || end[1] != '\0')
		return -1;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (end[0] != units[i].unit)
			continue;
		if (n > INT64_MAX / units[i].ms)
			return -1;
		*ms = n * units[i].ms;
		return 0;
	}
	return -1;
}

int history_parse_time(const char *text, int64_t *ms)
{
	struct tm tm = {0};
	int n = 0, len = (int)strlen(text);
	if (sscanf(text, "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &n) != 3 ||
	    n != 10)
		return -1;
	const char *rest = text + n;
	int m = 0;
	if ((*rest == 'T' || *rest == ' ') &&
	    sscanf(rest + 1, "%2d:%2d%n", &tm.tm_hour, &tm.tm_min, &m) == 2 && m == 5) {
		rest += 1 + m;
		if (*rest == ':' && sscanf(rest + 1, "%2d%n", &tm.tm_sec, &m) == 1 && m == 2)
			rest += 1 + m;
	}
	if (*rest == 'Z')
		rest++;
	if (rest != text + len)
		return -1;
	struct tm want = tm;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t t = timegm(&tm);
	/* timegm normalises 2026-02-30 to March: no such date */
	if (t == (time_t)-1 || tm.tm_mday != want.tm_mday || tm.tm_mon != want.tm_mon - 1 ||
	    tm.tm_hour != want.tm_hour || tm.tm_min != want.tm_min || tm.tm_sec != want.tm_sec)
		return -1;
	*ms = (int64_t)t * 1000;
	return 0;
}

bool history_type_known(const char *type)
{
	static const char *const types[] = {
		"transition", "ack", "store", "silence", "agent", "config", "command",
	};
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (strcmp(type, types[i]) == 0)
			return true;
	return false;
}

/* ---- text ---- */

enum { COL_SEQ, COL_TS, COL_TYPE, COL_RULE, COL_FROM, COL_TO, COL_SEVERITY, COL_VALUE, NCOLS };

static const char *const col_names[NCOLS] = {
	"SEQ", "TS", "TYPE", "RULE", "FROM", "TO", "SEVERITY", "VALUE",
};

struct table {
	int width[NCOLS];
	uint64_t last_seq; /* the newest row measured; later ones are not printed */
	size_t rows;
};

/* One row's cells; the severity and value come from the stored event. */
struct cells {
	char seq[24];
	char severity[32];
	char value[256];
	const char *cell[NCOLS];
};

static const char *json_string(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The reading an event carries ("35", "5 (battery)", "down"), who
 * acknowledged it when it is an acknowledgement, or what happened when it
 * is the agent's own (a store reset). */
static void describe_value(const cJSON *ev, char *buf, size_t len)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(ev, "value");
	const char *text = json_string(ev, "text");
	int n = 0;
	if (cJSON_IsNumber(v) && text)
		n = snprintf(buf, len, "%g (%s)", v->valuedouble, text);
	else if (cJSON_IsNumber(v))
		n = snprintf(buf, len, "%g", v->valuedouble);
	else if (cJSON_IsString(v))
		n = snprintf(buf, len, "%s", v->valuestring);
	else if (cJSON_IsNull(v))
		n = snprintf(buf, len, "no value");
	else if (!v && json_string(ev, "detail")) /* an event of the agent's own */
		n = snprintf(buf, len, "%s", json_string(ev, "detail"));
	size_t used = n > 0 && (size_t)n < len ? (size_t)n : strlen(buf);

	const char *by = json_string(ev, "by");
	const char *comment = json_string(ev, "comment");
	if (by)
		snprintf(buf + used, len - used, "%sby %s%s%s%s", used ? " " : "", by,
		         comment && comment[0] ? ": \"" : "", comment ? comment : "",
		         comment && comment[0] ? "\"" : "");
}

static void row_cells(const struct store_row *r, struct cells *c)
{
	snprintf(c->seq, sizeof c->seq, "%llu", (unsigned long long)r->seq);
	c->severity[0] = c->value[0] = '\0';
	cJSON *ev = cJSON_Parse(r->payload);
	if (ev) {
		const char *sev = json_string(ev, "severity");
		snprintf(c->severity, sizeof c->severity, "%s", sev ? sev : "");
		describe_value(ev, c->value, sizeof c->value);
		cJSON_Delete(ev);
	}
	const char *cell[NCOLS] = {
		c->seq, r->ts, r->type, r->rule, r->from, r->to, c->severity, c->value,
	};
	memcpy(c->cell, cell, sizeof cell);
}

/* Left-aligned columns (SEQ to the right), "FROM -> TO", and no padding
 * after the last cell that has text. */
static void print_line(const struct table *t, const char *const cell[NCOLS])
{
	int last = NCOLS - 1;
	while (last > 0 && !cell[last][0])
		last--;
	for (int i = 0; i <= last; i++) {
		int w = i == last && i != COL_SEQ ? 0 : t->width[i];
		if (i > 0)
			fputs(i == COL_TO ? " -> " : "  ", stdout);
		printf(i == COL_SEQ ? "%*s" : "%-*s", w, cell[i]);
	}
	putchar('\n');
}

static int measure_row(void *ctx, const struct store_row *r)
{
	struct table *t = ctx;
	struct cells c;
	row_cells(r, &c);
	for (int i = 0; i < NCOLS; i++) {
		size_t len = strlen(c.cell[i]);
		if (len > (size_t)t->width[i])
			t->width[i] = len > 200 ? 200 : (int)len;
	}
	t->last_seq = r->seq;
	t->rows++;
	return 0;
}

static int print_row(void *ctx, const struct store_row *r)
{
	const struct table *t = ctx;
	if (r->seq > t->last_seq) /* stored since the first pass */
		return 1;
	struct cells c;
	row_cells(r, &c);
	print_line(t, c.cell);
	return 0;
}

/* One pass over the events: the store's query, and then the control ID,
 * which only the event's document holds. */
struct pass {
	const struct history_opts *o;
	int (*each)(void *ctx, const struct store_row *r);
	void *ctx;
};

static bool carries_control(const char *payload, const char *control)
{
	cJSON *ev = cJSON_Parse(payload);
	const cJSON *c, *controls = cJSON_GetObjectItemCaseSensitive(ev, "controls");
	bool found = false;
	cJSON_ArrayForEach(c, controls)
		found = found || (cJSON_IsString(c) && strcmp(c->valuestring, control) == 0);
	cJSON_Delete(ev);
	return found;
}

static int filtered(void *ctx, const struct store_row *r)
{
	const struct pass *p = ctx;
	if (p->o->control && !carries_control(r->payload, p->o->control))
		return 0;
	return p->each(p->ctx, r);
}

static int run_pass(struct fm_store *s, const struct history_opts *o,
                    int (*each)(void *ctx, const struct store_row *r), void *ctx,
                    char *err, size_t errlen)
{
	int64_t from = o->from_ms;
	if (o->has_since && clock_wall_ms() - o->since_ms > from)
		from = clock_wall_ms() - o->since_ms;
	struct store_query q = {.from_wall_ms = from, .until_wall_ms = o->until_ms,
	                        .rule = o->rule, .type = o->type};
	struct pass p = {.o = o, .each = each, .ctx = ctx};
	return store_history(s, &q, filtered, &p, err, errlen);
}

static int print_text(struct fm_store *s, const struct history_opts *o, char *err,
                      size_t errlen)
{
	struct table t = {0};
	for (int i = 0; i < NCOLS; i++)
		t.width[i] = (int)strlen(col_names[i]);
	if (run_pass(s, o, measure_row, &t, err, errlen) < 0)
		return -1;
	if (t.rows == 0) {
		fputs("no events\n", stderr);
		return 0;
	}
	print_line(&t, col_names);
	return run_pass(s, o, print_row, &t, err, errlen) < 0 ? -1 : 0;
}

/* ---- CSV ---- */

static const char *const csv_names[] = {
	"seq", "ts", "type", "rule", "from", "to", "severity", "value", "controls", "hash",
};
#define CSV_COLS (sizeof csv_names / sizeof csv_names[0])

/* "設46;8.16": the event's control IDs. */
static void controls_text(const cJSON *ev, char *buf, size_t len)
{
	const cJSON *c;
	size_t used = 0;
	buf[0] = '\0';
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(ev, "controls")) {
		if (!cJSON_IsString(c) || used >= len)
			continue;
		int n = snprintf(buf + used, len - used, "%s%s", used ? ";" : "", c->valuestring);
		used += n > 0 ? (size_t)n : 0;
	}
}

static int print_csv_row(void *ctx, const struct store_row *r)
{
	(void)ctx;
	struct cells c;
	row_cells(r, &c);
	char controls[256] = "";
	cJSON *ev = cJSON_Parse(r->payload);
	controls_text(ev, controls, sizeof controls);
	const char *hash = json_string(ev, "hash");
	const char *fields[CSV_COLS] = {
		c.seq, r->ts, r->type, r->rule, r->from, r->to, c.severity, c.value, controls,
		hash ? hash : "",
	};
	for (size_t i = 0; i < CSV_COLS; i++)
		csv_field(stdout, fields[i], i + 1 == CSV_COLS);
	cJSON_Delete(ev);
	return 0;
}

static int print_csv(struct fm_store *s, const struct history_opts *o, char *err,
                     size_t errlen)
{
	for (size_t i = 0; i < CSV_COLS; i++)
		csv_field(stdout, csv_names[i], i + 1 == CSV_COLS);
	return run_pass(s, o, print_csv_row, NULL, err, errlen) < 0 ? -1 : 0;
}

/* ---- JSON ---- */

struct json_out {
	size_t printed;
	bool failed; /* out of memory */
};

static int print_json_row(void *ctx, const struct store_row *r)
{
	struct json_out *out = ctx;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "seq", (double)r->seq);
	cJSON_AddStringToObject(o, "ts", r->ts);
	cJSON_AddStringToObject(o, "type", r->type);
	cJSON_AddStringToObject(o, "rule", r->rule);
	cJSON_AddStringToObject(o, "from", r->from);
	cJSON_AddStringToObject(o, "to", r->to);
	cJSON *ev = cJSON_Parse(r->payload);
	cJSON_AddItemToObject(o, "event", ev ? ev : cJSON_CreateNull());
	char *text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!text) {
		out->failed = true;
		return 1;
	}
	printf("%s  %s", out->printed++ ? ",\n" : "[\n", text);
	cJSON_free(text);
	return 0;
}

static int print_json(struct fm_store *s, const struct history_opts *o, char *err,
                      size_t errlen)
{
	struct json_out out = {0};
	int n = run_pass(s, o, print_json_row, &out, err, errlen);
	if (n >= 0 && out.failed) {
		snprintf(err, errlen, "out of memory");
		n = -1;
	}
	puts(out.printed ? "\n]" : "[]");
	return n < 0 ? -1 : 0;
}

int history_print(const struct fm_config *cfg, const struct history_opts *o)
{
	char err[FM_TEXT_MAX * 2];
	struct fm_store *s;
	if (store_open_readonly(cfg->agent.state_dir, &s, err, sizeof err) < 0) {
		fprintf(stderr, "facmon history: %s\n", err);
		return 1;
	}
	int rc = o->json  ? print_json(s, o, err, sizeof err)
	         : o->csv ? print_csv(s, o, err, sizeof err)
	                  : print_text(s, o, err, sizeof err);
	store_close(s);
	if (rc < 0)
		fprintf(stderr, "facmon history: %s\n", err);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "facmon history: writing the output: %s\n", strerror(errno));
		rc = -1;
	}
	return rc < 0 ? 1 : 0;
}

/* ---- the chain ---- */

static void print_verdict(const char *path, const struct store_verdict *v)
{
	char anchor[96] = "", unchained[96] = "";
	if (v->anchor_seq)
		snprintf(anchor, sizeof anchor, ", anchored after seq %llu",
		         (unsigned long long)v->anchor_seq);
	if (v->unchained)
		snprintf(unchained, sizeof unchained, "; %zu older event%s from before the "
		         "chain not covered", v->unchained, v->unchained == 1 ? "" : "s");
	if (!v->intact) {
		printf("%s: chain broken at seq %llu: %s (%zu event%s before it verify%s)\n",
		       path, (unsigned long long)v->bad_seq, v->why, v->events,
		       v->events == 1 ? "" : "s", anchor);
		return;
	}
	if (v->events == 0) {
		printf("%s: chain intact: no chained events yet%s%s\n", path, anchor, unchained);
		return;
	}
	printf("%s: chain intact: %zu event%s, seq %llu..%llu, head %s%s%s\n", path,
	       v->events, v->events == 1 ? "" : "s", (unsigned long long)v->first_seq,
	       (unsigned long long)v->last_seq, v->head, anchor, unchained);
}

int history_verify(const struct fm_config *cfg)
{
	char err[FM_TEXT_MAX * 2];
	struct fm_store *s;
	if (store_open_readonly(cfg->agent.state_dir, &s, err, sizeof err) < 0) {
		fprintf(stderr, "facmon verify: %s\n", err);
		return 1;
	}
	struct store_verdict v;
	int rc = store_verify(s, &v, err, sizeof err);
	if (rc < 0)
		fprintf(stderr, "facmon verify: %s\n", err);
	else
		print_verdict(store_path(s), &v);
	store_close(s);
	return rc == 0 && v.intact ? 0 : 1;
}
