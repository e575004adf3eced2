/* device_state.c - up / degraded / down from poll outcomes. */
#include "alerting/device_state.h"

#include <stdio.h>
#include <string.h>

void dev_health_init(struct fm_dev_health *h, unsigned down_after, int64_t now_wall)
{
	*h = (struct fm_dev_health){
		.state = FM_DEV_UNKNOWN,
		.down_after = down_after ? down_after : 1,
		.since_wall_ms = now_wall,
	};
}

static enum fm_dev_state verdict(const struct fm_dev_health *h, unsigned ok,
                                 unsigned failed)
{
	if (ok > 0)
		return failed > 0 ? FM_DEV_DEGRADED : FM_DEV_UP;
	/* down ends only with an answer (a reload may raise down_after) */
	if (h->fails_in_row >= h->down_after || h->state == FM_DEV_DOWN)
		return FM_DEV_DOWN;
	/* Missed a poll but not down yet: a device that was heard from is
	 * degraded; one never heard from stays unknown until it is down. */
	return h->state == FM_DEV_UNKNOWN ? FM_DEV_UNKNOWN : FM_DEV_DEGRADED;
}

bool dev_health_apply(struct fm_dev_health *h, unsigned ok, unsigned failed,
                      const char *error, int64_t now_wall)
{
	h->fails_in_row = ok > 0 ? 0 : h->fails_in_row + 1;
	enum fm_dev_state next = verdict(h, ok, failed);
	char text[sizeof h->error] = "";
	if (next != FM_DEV_UP && error)
		snprintf(text, sizeof text, "%s", error);
	bool changed = next != h->state || strcmp(text, h->error) != 0;
	if (next != h->state)
		h->since_wall_ms = now_wall;
	h->state = next;
	memcpy(h->error, text, sizeof text);
	return changed;
}

const char *dev_state_name(enum fm_dev_state s)
{
	switch (s) {
	case FM_DEV_UNKNOWN: return "unknown";
	case FM_DEV_UP: return "up";
	case FM_DEV_DEGRADED: return "degraded";
	case FM_DEV_DOWN: return "down";
	}
	return "?";
}
