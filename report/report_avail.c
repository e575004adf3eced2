/* report_avail.c - each device's monitoring availability over the period.
 *
 * Owns: the share of scheduled polls that returned valid data (every
 * request answered), from the hourly counts the agent stored:
 *
 *   availability = polls with valid data / polls scheduled
 *   polls scheduled = the sum over the period's hours of
 *                     seconds of the hour in the period / interval
 *
 * where the interval is the one the agent stored with the hour's counts,
 * or the config's for an hour it stored none for. An hour without counts
 * is an hour the agent was not running (or not polling the device): its
 * polls were scheduled and none returned, so it counts as unavailable. A
 * degraded poll (some requests answered) is not valid. More valid polls
 * than scheduled (a trap asks for a poll at once) caps at 100%.
 */
#include "report/report_private.h"

#include <stdlib.h>
#include <string.h>

int report_avail_begin(struct report_avail_calc *a, struct report *r,
                       const struct fm_config *cfg)
{
	int64_t span = r->until_ms - r->from_ms;
	*a = (struct report_avail_calc){
		.r = r, .cfg = cfg,
		.hours = span > 0 ? (unsigned)((span + REPORT_HOUR_MS - 1) / REPORT_HOUR_MS) : 0,
	};
	size_t n = cfg->ndevices;
	r->avail = calloc(n + 1, sizeof *r->avail);
	a->intervals = calloc(n * a->hours + 1, sizeof *a->intervals);
	if (!r->avail || !a->intervals) {
		free(a->intervals);
		a->intervals = NULL;
		return -1;
	}
	r->navail = n;
	for (size_t i = 0; i < n; i++) {
		snprintf(r->avail[i].device, sizeof r->avail[i].device, "%s", cfg->devices[i].name);
		r->avail[i].interval_s = cfg->devices[i].interval;
		r->avail[i].hours = a->hours;
	}
	return 0;
}

/* The device of NAME, starting with the last one found (rows come by
 * device); -1 for a device the config no longer has. */
static long device_index(struct report_avail_calc *a, const char *name)
{
	struct report *r = a->r;
	if (a->last < r->navail && strcmp(r->avail[a->last].device, name) == 0)
		return (long)a->last;
	for (size_t i = 0; i < r->navail; i++)
		if (strcmp(r->avail[i].device, name) == 0) {
			a->last = i;
			return (long)i;
		}
	return -1;
}

void report_avail_row(struct report_avail_calc *a, const struct store_avail_row *row)
{
	long d = device_index(a, row->device);
	int64_t h = (row->hour_ms - a->r->from_ms) / REPORT_HOUR_MS;
	if (d < 0 || row->hour_ms < a->r->from_ms || h >= (int64_t)a->hours)
		return;
	struct report_avail *v = &a->r->avail[d];
	int *interval = &a->intervals[(size_t)d * a->hours + (size_t)h];
	if (!*interval)
		v->hours_counted++;
	*interval = row->interval_s;
	v->polls += row->polls;
	v->valid += row->valid;
	v->degraded += row->degraded;
}

void report_avail_end(struct report_avail_calc *a)
{
	struct report *r = a->r;
	for (size_t d = 0; a->intervals && d < r->navail; d++) {
		struct report_avail *v = &r->avail[d];
		for (unsigned h = 0; h < a->hours; h++) {
			int64_t start = r->from_ms + (int64_t)h * REPORT_HOUR_MS;
			int64_t end = start + REPORT_HOUR_MS < r->until_ms ? start + REPORT_HOUR_MS
			                                                   : r->until_ms;
			int interval = a->intervals[d * a->hours + h];
			if (interval <= 0)
				interval = v->interval_s;
			v->scheduled += (double)(end - start) / 1000 / interval;
		}
		v->availability = v->scheduled > 0 ? (double)v->valid / v->scheduled : 0;
		if (v->availability > 1)
			v->availability = 1;
	}
	free(a->intervals);
	a->intervals = NULL;
}
