/* availability.h - counting the agent's polls for the monthly report.
 *
 * Owns: the per-device counters behind the availability rows of the store
 * (store_availability.c): for the current UTC hour, how many polls of each
 * device returned, how many with valid data and how many only partly. The
 * event loop counts every poll result it takes; the counters go to the
 * store, one row per device in one transaction, when the hour turns and at
 * a clean stop. Devices are counted by name, so a reload that adds,
 * removes or reorders devices needs nothing from here.
 */
#ifndef FACMON_AVAILABILITY_H
#define FACMON_AVAILABILITY_H

#include <stdint.h>

#include "base/log.h"
#include "collectors/collector.h"
#include "config/config.h"
#include "store/store.h"

struct avail_count {
	char device[FM_NAME_MAX];
	int interval_s;
	unsigned polls, valid, degraded;
};

struct availability {
	struct avail_count *counts;
	size_t n, cap;
	int64_t hour_ms;             /* the UTC hour being counted; 0: none yet */
	struct complaint complaint;  /* writes that fail, rate-limited */
};

/* Counts poll result R of device DEV, taken at NOW_WALL (the previous
 * hour's counts are written first when the hour has turned). */
void avail_count_poll(struct availability *av, struct fm_store *s,
                      const struct fm_device *dev, const struct fm_poll_result *r,
                      int64_t now_wall);
/* Writes the counts when the hour has turned by NOW_WALL (every tick). */
void avail_tick(struct availability *av, struct fm_store *s, int64_t now_wall);
/* Writes the counts of the hour so far (a clean stop). */
void avail_flush(struct availability *av, struct fm_store *s);
void avail_free(struct availability *av);

#endif
