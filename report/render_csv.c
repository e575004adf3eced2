/* render_csv.c - the report as CSV tables, for spreadsheets and scripts.
 *
 * Owns: `facmon report --format csv`: the figures of the JSON rendering
 * as tables one after another, each opened by a header row whose first
 * field is "table" and closed by an empty line, every data row led by its
 * table's name (so `grep '^alerts,'` takes one table):
 *
 *   report        key, value: the month, the site, the chain's verdict...
 *   covers        what covers each control
 *   availability  each section's devices
 *   alerts        each section's alerts and their times
 *   silences      each section's, then the month's (control empty)
 *   summary       each section's counts and times
 *   downtime, clock, config, resets   the whole month
 *
 * Every time as two columns, _utc and _local; durations in seconds.
 */
#include "report/report_private.h"

#include <math.h>
#include <string.h>

#include "base/clock.h"
#include "base/csv.h"

#define MAX_COLS 24

/* One row being written: its cells as text, for csv_field. */
struct row {
	char cell[MAX_COLS][FM_TEXT_MAX * 2];
	size_t n;
};

static void put(struct row *r, const char *text)
{
	if (r->n < MAX_COLS)
		snprintf(r->cell[r->n++], sizeof r->cell[0], "%s", text);
}

static void put_number(struct row *r, double v)
{
	char buf[48];
	if (v < 0)
		buf[0] = '\0';
	else if (v == floor(v) && v < 1e15)
		snprintf(buf, sizeof buf, "%.0f", v);
	else
		snprintf(buf, sizeof buf, "%.3f", v);
	put(r, buf);
}

static void put_time(struct row *r, int64_t ms)
{
	char utc[CLOCK_ISO_LEN] = "", local[REPORT_TIME_LEN] = "";
	if (ms) {
		clock_iso8601(ms, utc, sizeof utc);
		report_local_iso(ms, local, sizeof local);
	}
	put(r, utc);
	put(r, local);
}

static void emit(FILE *out, const struct row *r)
{
	for (size_t i = 0; i < r->n; i++)
		csv_field(out, r->cell[i], i + 1 == r->n);
}

/* A table's header row: "table" and its columns (NULL-terminated). */
static void header(FILE *out, const char *const *cols)
{
	struct row r = {.n = 0};
	put(&r, "table");
	for (size_t i = 0; cols[i]; i++)
		put(&r, cols[i]);
	emit(out, &r);
}

static struct row *start(struct row *r, const char *table)
{
	r->n = 0;
	put(r, table);
	return r;
}

/* ---- report ---- */

static void pair(FILE *out, struct row *r, const char *key, const char *value)
{
	start(r, "report");
	put(r, key);
	put(r, value);
	emit(out, r);
}

static void pair_time(FILE *out, struct row *r, const char *key, int64_t ms)
{
	char k[64];
	start(r, "report");
	snprintf(k, sizeof k, "%s_utc", key);
	put(r, k);
	char utc[CLOCK_ISO_LEN] = "", local[REPORT_TIME_LEN] = "";
	if (ms) {
		clock_iso8601(ms, utc, sizeof utc);
		report_local_iso(ms, local, sizeof local);
	}
	put(r, utc);
	emit(out, r);
	snprintf(k, sizeof k, "%s_local", key);
	pair(out, r, k, local);
}

static void pair_number(FILE *out, struct row *r, const char *key, double v)
{
	start(r, "report");
	put(r, key);
	put_number(r, v);
	emit(out, r);
}

static void chain_pairs(FILE *out, struct row *r, const struct report *rep)
{
	const struct store_verdict *v = &rep->chain;
	pair(out, r, "chain", !rep->chain_checked ? "unreadable" : v->intact ? "intact" : "broken");
	if (!rep->chain_checked) {
		pair(out, r, "chain_error", rep->chain_error);
		return;
	}
	pair_number(out, r, "chain_events", (double)v->events);
	pair_number(out, r, "chain_first_seq", (double)v->first_seq);
	pair_number(out, r, "chain_last_seq", (double)v->last_seq);
	pair(out, r, "chain_head", v->head);
	if (!v->intact) {
		pair_number(out, r, "chain_bad_seq", (double)v->bad_seq);
		pair(out, r, "chain_why", v->why);
	}
}

static void report_table(FILE *out, struct row *r, const struct report *rep)
{
	static const char *const cols[] = {"key", "value", NULL};
	char month[16], zone[REPORT_TIME_LEN * 2];
	snprintf(month, sizeof month, "%04d-%02d", rep->year, rep->month);
	report_zone_text(rep->from_ms, zone, sizeof zone);
	header(out, cols);
	pair(out, r, "site", rep->site);
	pair(out, r, "gateway", rep->gateway);
	pair(out, r, "month", month);
	pair_time(out, r, "period_from", rep->from_ms);
	pair_time(out, r, "period_until", rep->until_ms);
	pair(out, r, "partial", rep->partial ? "true" : "false");
	pair_time(out, r, "generated", rep->generated_ms);
	pair(out, r, "facmon_version", rep->version);
	pair(out, r, "timezone", zone);
	pair(out, r, "config", rep->config_path);
	pair(out, r, "config_sha256", rep->config_sha256);
	pair(out, r, "database", rep->db_path);
	pair_time(out, r, "history_from", rep->history_from_ms);
	pair_number(out, r, "events", (double)rep->events);
	chain_pairs(out, r, rep);
	pair_number(out, r, "downtime_s", rep->downtime_s);
	pair(out, r, "clock_at_start", rep->clock_at_start);
	pair_number(out, r, "clock_unsynchronised_s", rep->clock_unsynced_s);
	pair_number(out, r, "clock_pending_s", rep->clock_pending_s);
	fputc('\n', out);
}

/* ---- the sections ---- */

static void covers_table(FILE *out, struct row *r, const struct report *rep)
{
	static const char *const cols[] = {"control", "in_config", "name", "builtin",
	                                   "severity", "condition", "points", NULL};
	header(out, cols);
	for (size_t i = 0; i < rep->nsections; i++) {
		const struct report_section *s = &rep->sections[i];
		for (size_t k = 0; k < s->ncovers; k++) {
			const struct report_cover *c = &s->covers[k];
			start(r, "covers");
			put(r, s->control);
			put(r, s->in_config ? "true" : "false");
			put(r, c->name);
			put(r, c->builtin ? "true" : "false");
			put(r, c->severity);
			put(r, c->condition);
			put(r, c->points);
			emit(out, r);
		}
	}
	fputc('\n', out);
}

static void availability_table(FILE *out, struct row *r, const struct report *rep)
{
	static const char *const cols[] = {"control", "device", "interval_s", "scheduled",
	                                   "polls", "valid", "degraded", "failed", "hours",
	                                   "hours_counted", "availability", NULL};
	header(out, cols);
	for (size_t i = 0; i < rep->nsections; i++) {
		const struct report_section *s = &rep->sections[i];
		for (size_t k = 0; k < s->ndevices; k++) {
			const struct report_avail *v = &rep->avail[s->devices[k]];
			char share[32];
			snprintf(share, sizeof share, "%.6f", v->availability);
			start(r, "availability");
			put(r, s->control);
			put(r, v->device);
			put_number(r, v->interval_s);
			put_number(r, v->scheduled);
			put_number(r, (double)v->polls);
			put_number(r, (double)v->valid);
			put_number(r, (double)v->degraded);
			put_number(r, (double)(v->polls - v->valid - v->degraded));
			put_number(r, v->hours);
			put_number(r, v->hours_counted);
			put(r, share);
			emit(out, r);
		}
	}
	fputc('\n', out);
}

static void alert_row(FILE *out, struct row *r, const struct report *rep,
                      const char *control, const struct report_alert *a)
{
	char silenced[FM_TEXT_MAX] = "";
	size_t used = 0;
	for (size_t k = 0; k < a->nsilences && used < sizeof silenced; k++) {
		const struct report_silence *s = &rep->silences[a->silences[k] - 1];
		int n = snprintf(silenced + used, sizeof silenced - used, "%s%u:%s", k ? ";" : "",
		                 s->id, s->match);
		used += n > 0 ? (size_t)n : 0;
	}
	start(r, "alerts");
	put(r, control);
	put(r, a->name);
	put(r, a->rule);
	put(r, a->severity);
	put(r, a->point);
	put(r, a->value);
	put(r, a->carried_in ? "true" : "false");
	put_time(r, a->start_ms);
	put_time(r, a->fired_ms);
	put_time(r, a->acked_ms);
	put(r, a->acked_by);
	put(r, a->ack_comment);
	put_time(r, a->resolved_ms);
	put_number(r, report_alert_detect_s(a));
	put_number(r, report_alert_ack_s(a));
	put_number(r, report_alert_resolve_s(a));
	put(r, silenced);
	emit(out, r);
}

static void alerts_table(FILE *out, struct row *r, const struct report *rep)
{
	static const char *const cols[] = {
		"control", "alert", "rule", "severity", "point", "value", "carried_in",
		"condition_start_utc", "condition_start_local", "fired_utc", "fired_local",
		"acknowledged_utc", "acknowledged_local", "acknowledged_by", "ack_comment",
		"resolved_utc", "resolved_local", "detect_s", "ack_s", "resolve_s", "silenced_by",
		NULL};
	header(out, cols);
	for (size_t i = 0; i < rep->nsections; i++)
		for (size_t k = 0; k < rep->sections[i].nalerts; k++)
			alert_row(out, r, rep, rep->sections[i].control,
			          &rep->alerts[rep->sections[i].alerts[k]]);
	fputc('\n', out);
}

static void silence_row(FILE *out, struct row *r, const char *control,
                        const struct report_silence *s)
{
	start(r, "silences");
	put(r, control);
	put_number(r, s->id);
	put(r, s->from_config ? "true" : "false");
	put(r, s->match);
	put(r, s->by);
	put(r, s->why);
	put_time(r, s->set_ms);
	put_time(r, s->start_ms);
	put_time(r, s->end_ms);
	put_time(r, s->ended_ms);
	put(r, s->ended[0] ? s->ended : "in place");
	put_number(r, s->start_ms ? (double)(s->end_ms - s->start_ms) / 1000 : -1);
	put_number(r, s->start_ms && s->ended_ms ? (double)(s->ended_ms - s->start_ms) / 1000
	                                         : -1);
	emit(out, r);
}

static void silences_table(FILE *out, struct row *r, const struct report *rep)
{
	static const char *const cols[] = {
		"control", "id", "from_config", "match", "by", "why", "set_utc", "set_local",
		"start_utc", "start_local", "end_utc", "end_local", "ended_utc", "ended_local",
		"how_ended", "planned_s", "lasted_s", NULL};
	header(out, cols);
	for (size_t i = 0; i < rep->nsections; i++)
		for (size_t k = 0; k < rep->sections[i].nsilences; k++)
			silence_row(out, r, rep->sections[i].control,
			            &rep->silences[rep->sections[i].silences[k]]);
	for (size_t i = 0; i < rep->nsilences; i++)
		silence_row(out, r, "", &rep->silences[i]);
	fputc('\n', out);
}

static void put_times(struct row *r, const struct report_times *t)
{
	put_number(r, (double)t->n);
	put_number(r, t->n ? t->mean_s : -1);
	put_number(r, t->n ? t->max_s : -1);
}

static void summary_table(FILE *out, struct row *r, const struct report *rep)
{
	static const char *const cols[] = {
		"control", "alerts", "carried_in", "acknowledged", "resolved", "detect_n",
		"detect_mean_s", "detect_max_s", "ack_n", "ack_mean_s", "ack_max_s", "resolve_n",
		"resolve_mean_s", "resolve_max_s", NULL};
	header(out, cols);
	for (size_t i = 0; i < rep->nsections; i++) {
		const struct report_section *s = &rep->sections[i];
		start(r, "summary");
		put(r, s->control);
		put_number(r, (double)s->nalerts);
		put_number(r, (double)s->carried_in);
		put_number(r, (double)s->acked);
		put_number(r, (double)s->resolved);
		put_times(r, &s->detect);
		put_times(r, &s->ack);
		put_times(r, &s->resolve);
		emit(out, r);
	}
	fputc('\n', out);
}

/* ---- the whole month ---- */

static void downtime_table(FILE *out, struct row *r, const struct report *rep)
{
	static const char *const kinds[] = {"stopped", "unclean_stop", "before_first_start"};
	static const char *const cols[] = {"from_utc", "from_local", "until_utc", "until_local",
	                                   "seconds", "kind", "reason", "away_s", "open", NULL};
	header(out, cols);
	for (size_t i = 0; i < rep->ndowntime; i++) {
		const struct report_downtime *d = &rep->downtime[i];
		start(r, "downtime");
		put_time(r, d->from_ms);
		put_time(r, d->until_ms);
		put_number(r, (double)(d->until_ms - d->from_ms) / 1000);
		put(r, kinds[d->kind]);
		put(r, d->reason);
		put_number(r, d->away_s);
		put(r, d->open ? "true" : "false");
		emit(out, r);
	}
	fputc('\n', out);
}

static void clock_table(FILE *out, struct row *r, const struct report *rep)
{
	static const char *const cols[] = {"at_utc", "at_local", "from", "to", "detail", NULL};
	header(out, cols);
	for (size_t i = 0; i < rep->nclock; i++) {
		start(r, "clock");
		put_time(r, rep->clock[i].at_ms);
		put(r, rep->clock[i].from);
		put(r, rep->clock[i].to);
		put(r, rep->clock[i].detail);
		emit(out, r);
	}
	fputc('\n', out);
}

static void config_table(FILE *out, struct row *r, const struct report *rep)
{
	static const char *const cols[] = {"at_utc", "at_local", "action", "version",
	                                   "old_sha256", "new_sha256", "why", NULL};
	header(out, cols);
	for (size_t i = 0; i < rep->nconfigs; i++) {
		const struct report_config_change *k = &rep->configs[i];
		start(r, "config");
		put_time(r, k->at_ms);
		put(r, k->action);
		put(r, k->version);
		put(r, k->old_sha256);
		put(r, k->new_sha256);
		put(r, k->why);
		emit(out, r);
	}
	fputc('\n', out);
}

static void resets_table(FILE *out, struct row *r, const struct report *rep)
{
	static const char *const cols[] = {"at_utc", "at_local", "seq", "detail", NULL};
	header(out, cols);
	for (size_t i = 0; i < rep->nresets; i++) {
		start(r, "resets");
		put_time(r, rep->resets[i].at_ms);
		put_number(r, (double)rep->resets[i].seq);
		put(r, rep->resets[i].detail);
		emit(out, r);
	}
}

int report_render_csv(const struct report *rep, FILE *out)
{
	struct row r;
	report_table(out, &r, rep);
	covers_table(out, &r, rep);
	availability_table(out, &r, rep);
	alerts_table(out, &r, rep);
	silences_table(out, &r, rep);
	summary_table(out, &r, rep);
	downtime_table(out, &r, rep);
	clock_table(out, &r, rep);
	config_table(out, &r, rep);
	resets_table(out, &r, rep);
	return ferror(out) ? -1 : 0;
}
