/* availability.c - counting the agent's polls for the monthly report.
 *
 * Owns: the counters of availability.h. A poll returned valid data when
 * every request of it was answered (requests_failed == 0, requests_ok >
 * 0), degraded when some were and some were not, and failed when none
 * was. The state is a few counters per device; the store gets them once
 * an hour, so counting costs the SD card one small transaction an hour.
 * A run that ends uncleanly loses the counts of its last hour, which the
 * report then shows as polls that did not return.
 */
#include "agent/availability.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"

#define HOUR_MS ((int64_t)3600 * 1000)

static int64_t hour_of(int64_t wall)
{
	return wall - ((wall % HOUR_MS) + HOUR_MS) % HOUR_MS;
}

void avail_flush(struct availability *av, struct fm_store *s)
{
	struct store_avail_row *rows = calloc(av->n + 1, sizeof *rows);
	size_t n = 0;
	for (size_t i = 0; rows && i < av->n; i++) {
		struct avail_count *c = &av->counts[i];
		if (c->polls)
			rows[n++] = (struct store_avail_row){
				.device = c->device, .hour_ms = av->hour_ms, .interval_s = c->interval_s,
				.polls = c->polls, .valid = c->valid, .degraded = c->degraded};
	}
	char err[FM_TEXT_MAX * 2] = "out of memory";
	if (!rows || store_availability_add(s, rows, n, err, sizeof err) < 0) {
		char hour[CLOCK_ISO_LEN];
		clock_iso8601(av->hour_ms, hour, sizeof hour);
		complain(&av->complaint, clock_mono_ms(), "store: the poll counts of the hour "
		         "from %s are lost: %s", hour, err);
	} else if (n) {
		complain_recovered(&av->complaint, "store: poll counts written");
	}
	free(rows);
	for (size_t i = 0; i < av->n; i++)
		av->counts[i].polls = av->counts[i].valid = av->counts[i].degraded = 0;
}

void avail_tick(struct availability *av, struct fm_store *s, int64_t now_wall)
{
	int64_t hour = hour_of(now_wall);
	if (hour == av->hour_ms)
		return;
	if (av->hour_ms)
		avail_flush(av, s);
	av->hour_ms = hour;
}

/* The counters of device NAME, added when new; NULL when out of memory. */
static struct avail_count *counter(struct availability *av, const char *name)
{
	for (size_t i = 0; i < av->n; i++)
		if (strcmp(av->counts[i].device, name) == 0)
			return &av->counts[i];
	if (av->n == av->cap) {
		size_t cap = av->cap ? av->cap * 2 : 16;
		struct avail_count *grown = realloc(av->counts, cap * sizeof *grown);
		if (!grown)
			return NULL;
		av->counts = grown;
		av->cap = cap;
	}
	struct avail_count *c = &av->counts[av->n++];
	*c = (struct avail_count){0};
	snprintf(c->device, sizeof c->device, "%s", name);
	return c;
}

void avail_count_poll(struct availability *av, struct fm_store *s,
                      const struct fm_device *dev, const struct fm_poll_result *r,
                      int64_t now_wall)
{
	avail_tick(av, s, now_wall);
	struct avail_count *c = counter(av, dev->name);
	if (!c)
		return;
	c->interval_s = dev->interval;
	c->polls++;
	c->valid += r->requests_ok > 0 && r->requests_failed == 0;
	c->degraded += r->requests_ok > 0 && r->requests_failed > 0;
}

void avail_free(struct availability *av)
{
	free(av->counts);
	*av = (struct availability){0};
}
