/* render_html.c - the report as one HTML file, for people and for print.
 *
 * Owns: `facmon report --format html` (the default): one self-contained
 * file (inline CSS, no script, no image, font or other file it needs) that
 * reads on a screen and prints on A4: each control's section starts on a
 * new page, a table row is never cut across two, and table headers repeat
 * on every page a table runs over. The top says whose report it is (site,
 * gateway, month, when it was made, by which facmon) and the verdict on
 * the hash chain; then a summary per control, the whole month's figures
 * (availability, the agent's downtime, the clock, config changes,
 * silences, the chain), then one section per control. Every time is shown
 * in UTC and, under it, in the gateway's local time. Every string that
 * comes from the config or the store is escaped.
 */
#include "report/report_private.h"

#include <string.h>

static const char css[] =
	"@page{size:A4;margin:14mm 12mm 16mm 12mm}\n"
	"body{font-family:'DejaVu Sans','Liberation Sans','IPAPGothic','IPAGothic',"
	"'Noto Sans CJK JP',sans-serif;font-size:9pt;line-height:1.35;color:#111;"
	"margin:0 auto;max-width:186mm}\n"
	"@media screen{body{padding:10mm}}\n"
	"h1{font-size:16pt;margin:0 0 4pt}\n"
	"h2{font-size:12.5pt;margin:14pt 0 4pt;padding-bottom:2pt;border-bottom:1.5px solid #333;"
	"break-after:avoid;page-break-after:avoid}\n"
	"h3{font-size:10pt;margin:10pt 0 3pt;break-after:avoid;page-break-after:avoid}\n"
	"p{margin:3pt 0}\n"
	"table{border-collapse:collapse;width:100%;margin:3pt 0 8pt;font-size:8pt}\n"
	"th,td{border:1px solid #999;padding:2pt 3pt;text-align:left;vertical-align:top;"
	"overflow-wrap:break-word}\n"
	"th{background:#e8e8e8;font-weight:bold}\n"
	"thead{display:table-header-group}\n"
	"tr{break-inside:avoid;page-break-inside:avoid}\n"
	"td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
	".meta{font-size:9pt}\n"
	"td.t{white-space:nowrap}\n"
	".sub{color:#333}\n"
	".local{color:#555}\n"
	".hash{font-family:'DejaVu Sans Mono',monospace;font-size:7pt;word-break:break-all}\n"
	".meta th{width:28%;background:#f4f4f4}\n"
	".verdict{margin:8pt 0;padding:6pt 8pt;border:2px solid #2a7a3a;background:#eef7ef}\n"
	".verdict.bad{border-color:#b00;background:#fbeaea}\n"
	".note{color:#444;font-size:8.5pt}\n"
	".warn{border-left:3px solid #b60;padding-left:6pt}\n"
	"section.control{break-before:page;page-break-before:always}\n"
	"footer{margin-top:12pt;color:#555;font-size:8pt}\n";

/* ---- escaping and cells ---- */

static void esc(FILE *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default: putc(*s, out);
		}
	}
}

static void td(FILE *out, const char *s)
{
	fputs("<td>", out);
	esc(out, s);
	fputs("</td>", out);
}

/* A time in UTC, and under it the gateway's local time; "-" for none. */
static void time_html(FILE *out, int64_t ms)
{
	if (!ms) {
		fputs("-", out);
		return;
	}
	char utc[REPORT_TIME_LEN], local[REPORT_TIME_LEN];
	report_utc_text(ms, utc, sizeof utc);
	report_local_text(ms, local, sizeof local);
	esc(out, utc);
	fputs("<br><span class=\"local\">", out);
	esc(out, local);
	fputs("</span>", out);
}

static void td_time(FILE *out, int64_t ms)
{
	fputs("<td class=\"t\">", out);
	time_html(out, ms);
	fputs("</td>", out);
}

static void td_duration(FILE *out, double s)
{
	char d[48];
	report_duration_text(s, d, sizeof d);
	fprintf(out, "<td class=\"n\">%s</td>", d);
}

/* "after 4 min 00 s" under a time, when S is one (not below 0). */
static void after(FILE *out, const char *what, double s)
{
	char d[48];
	if (s < 0)
		return;
	report_duration_text(s, d, sizeof d);
	fprintf(out, "<br><span class=\"sub\">%s %s</span>", what, d);
}

static void td_count(FILE *out, double n)
{
	fprintf(out, "<td class=\"n\">%.0f</td>", n);
}

static void td_share(FILE *out, double share)
{
	fprintf(out, "<td class=\"n\">%.3f %%</td>", share * 100);
}

/* <table><thead> with COLS (a trailing '#' right-aligns one). */
static void table_head(FILE *out, const char *const *cols)
{
	fputs("<table><thead><tr>", out);
	for (size_t i = 0; cols[i]; i++) {
		size_t len = strlen(cols[i]);
		bool num = len && cols[i][len - 1] == '#';
		fprintf(out, "<th%s>%.*s</th>", num ? " class=\"n\"" : "", (int)(len - num), cols[i]);
	}
	fputs("</tr></thead><tbody>\n", out);
}

static void table_end(FILE *out)
{
	fputs("</tbody></table>\n", out);
}

static void none(FILE *out, const char *what)
{
	fputs("<p class=\"note\">", out);
	esc(out, what);
	fputs("</p>\n", out);
}

/* ---- the top ---- */

static void meta_row(FILE *out, const char *key, const char *value, bool hash)
{
	fprintf(out, "<tr><th>%s</th><td%s>", key, hash ? " class=\"hash\"" : "");
	esc(out, value);
	fputs("</td></tr>\n", out);
}

static void meta_time_row(FILE *out, const char *key, int64_t ms)
{
	fprintf(out, "<tr><th>%s</th><td>", key);
	time_html(out, ms);
	fputs("</td></tr>\n", out);
}

static void verdict(FILE *out, const struct report *r)
{
	const struct store_verdict *v = &r->chain;
	bool ok = r->chain_checked && v->intact;
	fprintf(out, "<div class=\"verdict%s\"><strong>Hash chain: %s</strong>", ok ? "" : " bad",
	        !r->chain_checked ? "could not be read" : ok ? "intact" : "BROKEN");
	if (!r->chain_checked) {
		fputs(" &mdash; ", out);
		esc(out, r->chain_error);
	} else if (!ok) {
		fprintf(out, " at seq %llu &mdash; ", (unsigned long long)v->bad_seq);
		esc(out, v->why);
		fprintf(out, ". %zu event%s before it verify; the history from seq %llu on cannot "
		        "be relied on.", v->events, v->events == 1 ? "" : "s",
		        (unsigned long long)v->bad_seq);
	} else if (v->events) {
		fprintf(out, " &mdash; %zu stored events verified, seq %llu to %llu. Head: "
		        "<span class=\"hash\">%s</span>", v->events,
		        (unsigned long long)v->first_seq, (unsigned long long)v->last_seq, v->head);
	} else {
		fputs(" &mdash; no chained events stored yet.", out);
	}
	fputs("</div>\n", out);
}

static void warnings(FILE *out, const struct report *r)
{
	if (r->partial)
		fputs("<p class=\"warn\">The month has not ended: this report covers it up to the "
		      "start of the hour it was made in.</p>\n", out);
	if (r->history_from_ms > r->from_ms || !r->history_from_ms) {
		fputs("<p class=\"warn\">The store holds no event before ", out);
		time_html(out, r->history_from_ms ? r->history_from_ms : r->until_ms);
		fputs(" (pruned after agent.history_days, or the agent was not installed yet): "
		      "what happened before that is not in this report.</p>\n", out);
	}
}

static void top(FILE *out, const struct report *r)
{
	char month[16], zone[REPORT_TIME_LEN * 2], period[REPORT_TIME_LEN * 2];
	snprintf(month, sizeof month, "%04d-%02d", r->year, r->month);
	report_zone_text(r->from_ms, zone, sizeof zone);
	fputs("<header>\n<h1>Monitoring evidence report, ", out);
	esc(out, month);
	fputs("</h1>\n<table class=\"meta\"><tbody>\n", out);
	meta_row(out, "Site", r->site, false);
	meta_row(out, "Gateway", r->gateway, false);
	snprintf(period, sizeof period, "%s%s", month, r->partial ? " (so far)" : "");
	meta_row(out, "Month (UTC)", period, false);
	meta_time_row(out, "Period from", r->from_ms);
	meta_time_row(out, "Period until (excluded)", r->until_ms);
	meta_row(out, "Local time zone", zone, false);
	meta_time_row(out, "Generated", r->generated_ms);
	meta_row(out, "facmon version", r->version, false);
	meta_row(out, "Config", r->config_path, false);
	meta_row(out, "Config SHA-256 (now)", r->config_sha256, true);
	meta_row(out, "Database", r->db_path, false);
	fputs("</tbody></table>\n", out);
	verdict(out, r);
	warnings(out, r);
	fputs("</header>\n", out);
}

/* ---- the summary ---- */

static double lowest_share(const struct report *r, const struct report_section *s)
{
	double low = 2;
	for (size_t i = 0; i < s->ndevices; i++)
		if (r->avail[s->devices[i]].availability < low)
			low = r->avail[s->devices[i]].availability;
	return low;
}

static void summary(FILE *out, const struct report *r)
{
	static const char *const cols[] = {"Control", "Covered by", "Devices#", "Lowest availability#",
	                                   "Alerts#", "Acknowledged#", "Resolved#", "Silences#",
	                                   NULL};
	fputs("<section>\n<h2>Summary by control</h2>\n", out);
	table_head(out, cols);
	for (size_t i = 0; i < r->nsections; i++) {
		const struct report_section *s = &r->sections[i];
		fputs("<tr>", out);
		td(out, s->control);
		fputs("<td>", out);
		for (size_t k = 0; k < s->ncovers; k++) {
			fputs(k ? ", " : "", out);
			esc(out, s->covers[k].name);
		}
		fputs(s->in_config ? "</td>" : "(not in the config now)</td>", out);
		td_count(out, (double)s->ndevices);
		if (s->ndevices)
			td_share(out, lowest_share(r, s));
		else
			fputs("<td class=\"n\">-</td>", out);
		td_count(out, (double)s->nalerts);
		td_count(out, (double)s->acked);
		td_count(out, (double)s->resolved);
		td_count(out, (double)s->nsilences);
		fputs("</tr>\n", out);
	}
	table_end(out);
	fputs("</section>\n", out);
}

/* ---- availability ---- */

static void avail_rows(FILE *out, const struct report *r, const size_t *devices, size_t n)
{
	static const char *const cols[] = {"Device", "Interval#", "Scheduled#", "Returned#",
	                                   "Valid#", "Degraded#", "Failed#", "Hours counted#",
	                                   "Availability#", NULL};
	table_head(out, cols);
	for (size_t i = 0; i < n; i++) {
		const struct report_avail *v = &r->avail[devices ? devices[i] : i];
		fputs("<tr>", out);
		td(out, v->device);
		fprintf(out, "<td class=\"n\">%d s</td>", v->interval_s);
		td_count(out, v->scheduled);
		td_count(out, (double)v->polls);
		td_count(out, (double)v->valid);
		td_count(out, (double)v->degraded);
		td_count(out, (double)(v->polls - v->valid - v->degraded));
		fprintf(out, "<td class=\"n\">%u / %u</td>", v->hours_counted, v->hours);
		td_share(out, v->availability);
		fputs("</tr>\n", out);
	}
	table_end(out);
}

static void availability(FILE *out, const struct report *r)
{
	fputs("<section>\n<h2>Monitoring availability</h2>\n<p class=\"note\">Availability = "
	      "polls that returned valid data (every request answered) / polls scheduled over "
	      "the period at the device's interval. Telemetry is not stored; the agent counts "
	      "its polls per device and hour. Time the agent was not running counts as "
	      "unavailable (its hours have no counts); a degraded poll (some requests "
	      "unanswered) is not valid.</p>\n", out);
	if (r->navail)
		avail_rows(out, r, NULL, r->navail);
	else
		none(out, "The config has no devices.");
	fputs("</section>\n", out);
}

/* ---- the agent, the clock, the config ---- */

static const char *down_kind(const struct report_downtime *d)
{
	switch (d->kind) {
	case REPORT_DOWN_STOPPED: return "stopped";
	case REPORT_DOWN_UNCLEAN: return "ended without a stop (crash, power, kill)";
	case REPORT_DOWN_BEFORE_START: return "no record before the first start";
	}
	return "?";
}

static void downtime(FILE *out, const struct report *r)
{
	static const char *const cols[] = {"From", "Until", "Duration#", "What", "Reason", NULL};
	char total[48], share[32];
	double period_s = (double)(r->until_ms - r->from_ms) / 1000;
	report_duration_text(r->downtime_s, total, sizeof total);
	snprintf(share, sizeof share, "%.3f %%", period_s > 0 ? r->downtime_s / period_s * 100 : 0);
	fprintf(out, "<section>\n<h2>Agent downtime</h2>\n<p>Total: <strong>%s</strong> (%s of "
	        "the period).</p>\n", total, share);
	if (!r->agent_known)
		none(out, "No start or stop of the agent is stored: its uptime is not known.");
	else if (!r->ndowntime)
		none(out, "The agent ran through the whole period.");
	if (r->ndowntime)
		table_head(out, cols);
	for (size_t i = 0; i < r->ndowntime; i++) {
		const struct report_downtime *d = &r->downtime[i];
		char reason[96] = "";
		if (d->kind == REPORT_DOWN_UNCLEAN && d->away_s >= 0)
			snprintf(reason, sizeof reason, "away %.0f s", d->away_s);
		else
			snprintf(reason, sizeof reason, "%s", d->reason);
		fputs("<tr>", out);
		td_time(out, d->from_ms);
		if (d->open)
			fputs("<td>(not started again in the period)</td>", out);
		else
			td_time(out, d->until_ms);
		td_duration(out, (double)(d->until_ms - d->from_ms) / 1000);
		td(out, down_kind(d));
		td(out, reason);
		fputs("</tr>\n", out);
	}
	if (r->ndowntime)
		table_end(out);
	fputs("</section>\n", out);
}

static void clock_sync(FILE *out, const struct report *r)
{
	static const char *const cols[] = {"At", "From", "To", "Detail", NULL};
	char unsynced[48], pending[48];
	report_duration_text(r->clock_unsynced_s, unsynced, sizeof unsynced);
	report_duration_text(r->clock_pending_s, pending, sizeof pending);
	fputs("<section>\n<h2>Clock synchronisation (facmon.clock)</h2>\n<p>State when the "
	      "period began: <strong>", out);
	esc(out, r->clock_at_start[0] ? r->clock_at_start : "not recorded");
	fprintf(out, "</strong>. Unsynchronised past the grace (firing): <strong>%s</strong>; "
	        "unsynchronised within the grace (pending): %s.</p>\n", unsynced, pending);
	if (!r->nclock) {
		none(out, "No change of the clock's state in the period.");
		fputs("</section>\n", out);
		return;
	}
	table_head(out, cols);
	for (size_t i = 0; i < r->nclock; i++) {
		fputs("<tr>", out);
		td_time(out, r->clock[i].at_ms);
		td(out, r->clock[i].from);
		td(out, r->clock[i].to);
		td(out, r->clock[i].detail);
		fputs("</tr>\n", out);
	}
	table_end(out);
	fputs("</section>\n", out);
}

static void td_hash(FILE *out, const char *sha)
{
	fputs("<td class=\"hash\">", out);
	esc(out, sha[0] ? sha : "-");
	fputs("</td>", out);
}

static void configs(FILE *out, const struct report *r)
{
	static const char *const cols[] = {"At", "What", "Config before (SHA-256)",
	                                   "Config after (SHA-256)", "Why", NULL};
	fputs("<section>\n<h2>Configuration changes</h2>\n<p class=\"note\">Each start "
	      "(with the config it ran) and each reload, accepted or rejected. A rejected "
	      "reload names the file it refused; the agent went on with the config before.</p>\n",
	      out);
	if (!r->nconfigs) {
		none(out, "No start or reload in the period.");
		fputs("</section>\n", out);
		return;
	}
	table_head(out, cols);
	for (size_t i = 0; i < r->nconfigs; i++) {
		const struct report_config_change *k = &r->configs[i];
		char what[96];
		bool changed = strcmp(k->action, "started") == 0 && k->old_sha256[0] &&
		               strcmp(k->old_sha256, k->new_sha256) != 0;
		snprintf(what, sizeof what, "%s%s%s%s%s", k->action,
		         k->version[0] ? " (facmon " : "", k->version, k->version[0] ? ")" : "",
		         changed ? ", with a changed config" : "");
		fputs("<tr>", out);
		td_time(out, k->at_ms);
		td(out, what);
		td_hash(out, k->old_sha256);
		td_hash(out, k->new_sha256);
		td(out, k->why);
		fputs("</tr>\n", out);
	}
	table_end(out);
	fputs("</section>\n", out);
}

/* ---- silences ---- */

static void silence_rows(FILE *out, const struct report *r, const size_t *which, size_t n)
{
	static const char *const cols[] = {"Silence", "By, why", "Set", "Window", "Ended", NULL};
	table_head(out, cols);
	for (size_t i = 0; i < n; i++) {
		const struct report_silence *s = &r->silences[which ? which[i] : i];
		fprintf(out, "<tr><td>%u%s<br><strong>", s->id, s->from_config ? " (config)" : "");
		esc(out, s->match);
		fputs("</strong></td><td>", out);
		esc(out, s->by);
		fputs("<br>", out);
		esc(out, s->why);
		fputs("</td>", out);
		td_time(out, s->set_ms);
		fputs("<td class=\"t\">", out);
		time_html(out, s->start_ms);
		fputs("<br>to ", out);
		time_html(out, s->end_ms);
		after(out, "planned", s->start_ms ? (double)(s->end_ms - s->start_ms) / 1000 : -1);
		fprintf(out, "</td><td class=\"t\">%s<br>", s->ended[0] ? s->ended : "in place");
		time_html(out, s->ended_ms);
		after(out, "lasted", s->start_ms && s->ended_ms
		                          ? (double)(s->ended_ms - s->start_ms) / 1000 : -1);
		fputs("</td></tr>\n", out);
	}
	table_end(out);
}

static void silences(FILE *out, const struct report *r)
{
	fputs("<section>\n<h2>Silences in the period</h2>\n<p class=\"note\">Operators' "
	      "silences (set, cancelled, expired: each an event) and the config's maintenance "
	      "windows that covered an alert. A silenced alert still changes state and is "
	      "stored; it is only not repeated.</p>\n", out);
	if (r->nsilences)
		silence_rows(out, r, NULL, r->nsilences);
	else
		none(out, "No silence in the period.");
	fputs("</section>\n", out);
}

/* ---- the chain ---- */

static void chain(FILE *out, const struct report *r)
{
	static const char *const cols[] = {"At", "Seq#", "What", NULL};
	const struct store_verdict *v = &r->chain;
	fputs("<section>\n<h2>Integrity of the history</h2>\n<p class=\"note\">Every stored "
	      "event carries a SHA-256 hash over the one before it and its own document; "
	      "<code>facmon verify</code> checks the same chain. The chain shows events "
	      "changed, deleted or inserted afterwards; a file rewritten whole with new hashes "
	      "is shown only by the head hash the broker received.</p>\n", out);
	verdict(out, r);
	if (r->chain_checked && (v->anchor_seq || v->unchained))
		fprintf(out, "<p>Events up to seq %llu were pruned (the chain is anchored after "
		        "them); %zu older event%s from before the chain are not covered.</p>\n",
		        (unsigned long long)v->anchor_seq, v->unchained, v->unchained == 1 ? "" : "s");
	fprintf(out, "<p>Events stored in the period: %zu.</p>\n", r->events);
	if (r->nresets) {
		fputs("<h3>Store resets (the history was lost and started again)</h3>\n", out);
		table_head(out, cols);
		for (size_t i = 0; i < r->nresets; i++) {
			fputs("<tr>", out);
			td_time(out, r->resets[i].at_ms);
			td_count(out, (double)r->resets[i].seq);
			td(out, r->resets[i].detail);
			fputs("</tr>\n", out);
		}
		table_end(out);
	}
	fputs("</section>\n", out);
}

/* ---- a control's section ---- */

static void covers(FILE *out, const struct report_section *s)
{
	static const char *const cols[] = {"Rule or alert", "Kind", "Severity", "Condition",
	                                   "Watches", NULL};
	fputs("<h3>Covered by</h3>\n", out);
	if (!s->ncovers) {
		none(out, "Nothing in the current config carries this control ID; only events of "
		          "the period do.");
		return;
	}
	table_head(out, cols);
	for (size_t i = 0; i < s->ncovers; i++) {
		const struct report_cover *c = &s->covers[i];
		fputs("<tr>", out);
		td(out, c->name);
		td(out, c->builtin ? "built-in" : "rule");
		td(out, c->severity);
		td(out, c->condition);
		td(out, c->points[0] ? c->points : "the agent itself");
		fputs("</tr>\n", out);
	}
	table_end(out);
}

static void alert_row(FILE *out, const struct report_alert *a)
{
	fputs("<tr><td><strong>", out);
	esc(out, a->name);
	fputs("</strong><br>", out);
	esc(out, a->severity);
	if (a->value[0]) {
		fputs(", value ", out);
		esc(out, a->value);
	}
	if (a->carried_in)
		fputs("<br><em>carried in: firing when the period began</em>", out);
	if (a->nsilences)
		fputs("<br><em>silenced</em>", out);
	fputs("</td>", out);
	td_time(out, a->start_ms);
	fputs("<td class=\"t\">", out);
	time_html(out, a->fired_ms);
	after(out, "detected after", report_alert_detect_s(a));
	fputs("</td><td class=\"t\">", out);
	time_html(out, a->acked_ms);
	after(out, "after", report_alert_ack_s(a));
	if (a->acked_ms) {
		fputs("<br>by ", out);
		esc(out, a->acked_by);
		if (a->ack_comment[0]) {
			fputs(":<br>&ldquo;", out);
			esc(out, a->ack_comment);
			fputs("&rdquo;", out);
		}
	}
	fputs("</td><td class=\"t\">", out);
	if (a->resolved_ms)
		time_html(out, a->resolved_ms);
	else
		fputs("still firing when the period ended", out);
	after(out, "after", report_alert_resolve_s(a));
	fputs("</td></tr>\n", out);
}

static void times_line(FILE *out, const char *what, const struct report_times *t)
{
	char mean[48], max[48];
	if (!t->n)
		return;
	report_duration_text(t->mean_s, mean, sizeof mean);
	report_duration_text(t->max_s, max, sizeof max);
	fprintf(out, " %s: mean %s, longest %s (%zu).", what, mean, max, t->n);
}

static void alerts(FILE *out, const struct report *r, const struct report_section *s)
{
	static const char *const cols[] = {"Alert", "Condition start", "Fired",
	                                   "Acknowledged", "Resolved", NULL};
	fprintf(out, "<h3>Alerts (%zu)</h3>\n", s->nalerts);
	if (!s->nalerts) {
		none(out, "No alert fired in the period.");
		return;
	}
	fprintf(out, "<p>%zu carried in from before the period, %zu acknowledged, %zu resolved.",
	        s->carried_in, s->acked, s->resolved);
	times_line(out, "To detect", &s->detect);
	times_line(out, "To acknowledge", &s->ack);
	times_line(out, "To resolve", &s->resolve);
	fputs("</p>\n", out);
	table_head(out, cols);
	for (size_t i = 0; i < s->nalerts; i++)
		alert_row(out, &r->alerts[s->alerts[i]]);
	table_end(out);
}

static void control_section(FILE *out, const struct report *r, const struct report_section *s)
{
	fputs("<section class=\"control\">\n<h2>Control ", out);
	esc(out, s->control);
	fputs("</h2>\n", out);
	if (!s->in_config)
		none(out, "This control ID is no longer in the config: events of the period "
		          "carry it.");
	covers(out, s);
	fputs("<h3>Monitoring availability of its devices</h3>\n", out);
	if (s->ndevices)
		avail_rows(out, r, s->devices, s->ndevices);
	else
		none(out, "No device: this control is covered by the agent's checks of itself "
		          "(see Agent downtime).");
	alerts(out, r, s);
	fprintf(out, "<h3>Silences that covered these alerts (%zu)</h3>\n", s->nsilences);
	if (s->nsilences)
		silence_rows(out, r, s->silences, s->nsilences);
	else
		none(out, "None.");
	fputs("</section>\n", out);
}

int report_render_html(const struct report *r, FILE *out)
{
	char month[16];
	snprintf(month, sizeof month, "%04d-%02d", r->year, r->month);
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>"
	      "facmon evidence report ", out);
	esc(out, month);
	fputs(" &ndash; ", out);
	esc(out, r->site);
	fputs(" / ", out);
	esc(out, r->gateway);
	fprintf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", css);
	top(out, r);
	summary(out, r);
	availability(out, r);
	downtime(out, r);
	clock_sync(out, r);
	configs(out, r);
	silences(out, r);
	chain(out, r);
	for (size_t i = 0; i < r->nsections; i++)
		control_section(out, r, &r->sections[i]);
	fputs("<footer>Made by facmon ", out);
	esc(out, r->version);
	fputs(" from the gateway's store alone. Times: UTC, and below them the gateway's local "
	      "time.</footer>\n</body>\n</html>\n", out);
	return ferror(out) ? -1 : 0;
}
