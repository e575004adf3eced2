/* device_state.h - a device's communication state from its poll outcomes.
 *
 * Owns: up / degraded / down (and not-yet-known before the first verdict).
 * up: every request of the last poll answered. degraded: some requests
 * failed, or the device missed polls but fewer than down_after in a row.
 * down: down_after polls in a row got no answer at all. A device that has
 * never answered goes down the same way; it is never assumed healthy.
 */
#ifndef FACMON_DEVICE_STATE_H
#define FACMON_DEVICE_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"

enum fm_dev_state {
	FM_DEV_UNKNOWN, /* not polled yet, or failing but not yet down_after times */
	FM_DEV_UP,
	FM_DEV_DEGRADED,
	FM_DEV_DOWN,
};

struct fm_dev_health {
	enum fm_dev_state state;
	unsigned fails_in_row;   /* polls with no answer at all */
	unsigned down_after;
	int64_t since_wall_ms;
	char error[FM_TEXT_MAX]; /* last failure; empty when up */
};

void dev_health_init(struct fm_dev_health *h, unsigned down_after, int64_t now_wall);

/* Applies one poll: OK and FAILED count its requests. Returns true when
 * the state (or, while not up, the error text) changed. */
bool dev_health_apply(struct fm_dev_health *h, unsigned ok, unsigned failed,
                      const char *error, int64_t now_wall);

const char *dev_state_name(enum fm_dev_state s);

#endif
