/* poller.h - when each device is polled, and by which bus worker.
 *
 * Owns: the schedule (per device: next due time on the monotonic clock, one
 * poll in flight at most) and the set of bus workers. Due devices are
 * posted to their bus; results come back through poller_fd().
 */
#ifndef FACMON_POLLER_H
#define FACMON_POLLER_H

#include <stdint.h>

#include "collectors/collector.h"
#include "config/config.h"

struct poller;

struct poller *poller_create(const struct fm_config *cfg, int64_t now_mono,
                             char *err, size_t errlen);
/* Stops every bus worker (each after its current request); NULL-safe. */
void poller_destroy(struct poller *p);

/* A reload: stops every worker (each after its current request) but keeps
 * the results they sent, for poller_take; then a new poller takes over the
 * old one's schedule for the devices (by name) both have, so a device the
 * reload did not touch is polled when it was due anyway. */
void poller_stop(struct poller *p);
void poller_adopt_schedule(struct poller *p, const struct poller *old);

/* Readable when poll results are waiting. */
int poller_fd(const struct poller *p);

/* Posts every device that is due and not in flight. Returns the monotonic
 * time the next device falls due. */
int64_t poller_run_due(struct poller *p, int64_t now_mono);

/* Posts every device now (facmon once). */
void poller_post_all(struct poller *p);

/* Polls DEVICE as soon as possible (a trap came from it): now if it is not
 * in flight, else right after the poll in flight comes back. */
void poller_poll_soon(struct poller *p, size_t device);

/* The next waiting result, or NULL. Free it with poll_result_free(). */
struct fm_poll_result *poller_take(struct poller *p);

/* The worker of cfg->buses[BUS], NULL for a bus no device uses (self-health
 * reads its heartbeat). */
struct bus_worker;
const struct bus_worker *poller_worker(const struct poller *p, size_t bus);

#endif
