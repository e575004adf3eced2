/* report_build.c - the report of a month, read from the store.
 *
 * Owns: report_build and report_free: the period (the month, or up to the
 * start of the current hour while the month runs: the hour in progress
 * has no counts yet), every stored event from the first to the period's
 * end in seq order through the computation (those before the period only
 * say how things stood when it began), the first agent event after it,
 * the availability counts of the period, the sections, and the chain's
 * verdict over the whole store. The store is only read.
 */
#include "report/report_private.h"

#include <stdlib.h>
#include <string.h>

#include "base/clock.h"

static int feed_event(void *ctx, const struct store_row *row)
{
	report_calc_event(ctx, row->payload); /* a row no event reads is skipped */
	return 0;
}

static int feed_after(void *ctx, const struct store_row *row)
{
	report_calc_after(ctx, row->payload);
	return 1; /* the first one is enough */
}

static int feed_avail(void *ctx, const struct store_avail_row *row)
{
	report_avail_row(ctx, row);
	return 0;
}

/* The events and counts of R's period, into R's figures. */
static int read_figures(struct fm_store *s, struct report *r, const struct fm_config *cfg,
                        char *err, size_t errlen)
{
	struct report_calc c;
	report_calc_init(&c, r, r->from_ms, r->until_ms);
	struct store_query all = {.until_wall_ms = r->until_ms};
	struct store_query after = {.from_wall_ms = r->until_ms, .type = "agent"};
	if (store_history(s, &all, feed_event, &c, err, errlen) < 0 ||
	    store_history(s, &after, feed_after, &c, err, errlen) < 0) {
		report_calc_finish(&c);
		return -1;
	}
	struct report_avail_calc a;
	if (report_calc_finish(&c) < 0 || report_avail_begin(&a, r, cfg) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int n = store_availability_read(s, r->from_ms, r->until_ms, feed_avail, &a, err, errlen);
	report_avail_end(&a);
	return n < 0 ? -1 : 0;
}

static void describe(struct report *r, const struct report_request *q, struct fm_store *s)
{
	const struct fm_config *cfg = q->cfg;
	snprintf(r->site, sizeof r->site, "%s", cfg->agent.site);
	snprintf(r->gateway, sizeof r->gateway, "%s", cfg->agent.name);
	snprintf(r->version, sizeof r->version, "%s", FACMON_VERSION);
	snprintf(r->config_path, sizeof r->config_path, "%s", cfg->path ? cfg->path : "");
	snprintf(r->config_sha256, sizeof r->config_sha256, "%s",
	         q->config_sha256 ? q->config_sha256 : "");
	snprintf(r->db_path, sizeof r->db_path, "%s", store_path(s));
	r->year = q->year;
	r->month = q->month;
	r->generated_ms = q->now_ms;
	r->from_ms = report_month_start(q->year, q->month);
	r->month_end_ms = report_month_start(q->year + q->month / 12, q->month % 12 + 1);
	r->until_ms = r->month_end_ms;
	if (q->now_ms < r->month_end_ms) {
		r->partial = true;
		r->until_ms = q->now_ms - q->now_ms % REPORT_HOUR_MS;
		if (r->until_ms < r->from_ms)
			r->until_ms = r->from_ms;
	}
}

int report_build(struct fm_store *s, const struct report_request *q, struct report **out,
                 char *err, size_t errlen)
{
	*out = NULL;
	struct report *r = calloc(1, sizeof *r);
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	describe(r, q, s);
	if (read_figures(s, r, q->cfg, err, errlen) < 0)
		goto failed;
	if (report_sections_build(r, q->catalog) < 0) {
		snprintf(err, errlen, "out of memory");
		goto failed;
	}
	r->chain_checked = store_verify(s, &r->chain, r->chain_error,
	                                sizeof r->chain_error) == 0;
	*out = r;
	return 0;
failed:
	report_free(r);
	return -1;
}

void report_free(struct report *r)
{
	if (!r)
		return;
	report_free_figures(r);
	free(r);
}

void report_free_figures(struct report *r)
{
	report_sections_free(r);
	free(r->avail);
	free(r->alerts);
	free(r->silences);
	free(r->downtime);
	free(r->clock);
	free(r->configs);
	free(r->resets);
}
