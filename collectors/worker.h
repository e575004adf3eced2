/* worker.h - one thread per bus, doing the blocking device I/O.
 *
 * Owns: the thread that owns one collector instance (one TCP endpoint or
 * serial line), its job queue, connecting and reconnecting with back-off,
 * and handing poll results back to the event loop through a shared result
 * queue whose eventfd wakes the loop. A dead device stalls only its own bus.
 */
#ifndef FACMON_BUS_WORKER_H
#define FACMON_BUS_WORKER_H

#include <stddef.h>

#include "collectors/collector.h"
#include "config/config.h"

/* Poll results from every bus, drained by the loop thread. */
struct result_queue;

struct result_queue *result_queue_create(void);
void result_queue_destroy(struct result_queue *q);
/* The eventfd, readable while results are waiting: it stays set until a
 * pop finds the queue empty. */
int result_queue_fd(const struct result_queue *q);
/* Hands R (from collector_result_new) to the loop; any thread. */
void result_queue_push(struct result_queue *q, struct fm_poll_result *r);
/* The oldest waiting result, or NULL once there is none (call it until
 * then). Free with poll_result_free. */
struct fm_poll_result *result_queue_pop(struct result_queue *q);
void poll_result_free(struct fm_poll_result *r);

struct bus_worker;

/* Starts the worker for BUS serving DEVICES; DEVICE_IDS[i] is the engine
 * index reported in results for DEVICES[i]. */
struct bus_worker *bus_worker_start(const struct fm_bus *bus,
                                    const struct fm_device *const *devices,
                                    const size_t *device_ids, size_t ndevices,
                                    struct result_queue *results,
                                    char *err, size_t errlen);
/* Queues one poll of DEVICES[LOCAL]. */
void bus_worker_post(struct bus_worker *w, size_t local);
/* Stops the thread (after its current request) and frees it; NULL-safe. */
void bus_worker_stop(struct bus_worker *w);

/* Liveness, for self-health; any thread may ask. The heartbeat is the
 * clock_mono_ms() of the worker's last turn: it beats between polls and at
 * least every 2 s while idle, so it grows old only while one poll takes
 * long or the thread has stopped or hung. */
int64_t bus_worker_heartbeat_ms(const struct bus_worker *w);
/* The name of the bus W serves. */
const char *bus_worker_name(const struct bus_worker *w);

#endif
