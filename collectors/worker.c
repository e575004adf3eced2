/* worker.c - the per-bus I/O thread and the result queue.
 *
 * DESIGN
 * The loop posts "poll device i" jobs; the worker runs them one at a time
 * (a bus carries one request at a time anyway), so a device that times out
 * delays only the devices behind it on the same bus. Results go into one
 * queue shared by all workers; each push writes the eventfd, and the loop
 * drains the whole queue on each wake (eventfd wake-ups coalesce), resetting
 * the eventfd once it finds the queue empty.
 *
 * Connecting: a bus that is not connected is opened when a job arrives. A
 * failed open is retried after a back-off that doubles from 1 s but never
 * exceeds the shortest poll interval on the bus, so a device that comes
 * back is polled again within one interval. Jobs that arrive before the
 * retry is due fail at once with the last error, costing no time.
 *
 * Heartbeat: the thread stamps the monotonic time on every turn of its
 * loop, and an idle one wakes at least every HEARTBEAT_MS to do so, so a
 * stamp older than the longest poll can take means the thread has stopped
 * or hung (self-health, facmon.collectors).
 */
#include "collectors/worker.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"

struct result_node {
	struct fm_poll_result result;
	struct result_node *next;
};

static struct result_node *node_of(struct fm_poll_result *r)
{
	return (struct result_node *)((char *)r - offsetof(struct result_node, result));
}

struct result_queue {
	pthread_mutex_t lock;
	struct result_node *head, *tail;
	int efd;
};

struct result_queue *result_queue_create(void)
{
	struct result_queue *q = calloc(1, sizeof *q);
	if (!q)
		return NULL;
	q->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (q->efd < 0) {
		free(q);
		return NULL;
	}
	pthread_mutex_init(&q->lock, NULL);
	return q;
}

void result_queue_destroy(struct result_queue *q)
{
	if (!q)
		return;
	struct fm_poll_result *r;
	while ((r = result_queue_pop(q)))
		poll_result_free(r);
	close(q->efd);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

int result_queue_fd(const struct result_queue *q)
{
	return q->efd;
}

void result_queue_push(struct result_queue *q, struct fm_poll_result *r)
{
	struct result_node *n = node_of(r);
	pthread_mutex_lock(&q->lock);
	if (q->tail)
		q->tail->next = n;
	else
		q->head = n;
	q->tail = n;
	pthread_mutex_unlock(&q->lock);
	uint64_t one = 1;
	if (write(q->efd, &one, sizeof one) < 0 && errno != EAGAIN)
		log_error("bus: eventfd write: %s", strerror(errno));
}

static struct result_node *result_queue_take_head(struct result_queue *q)
{
	pthread_mutex_lock(&q->lock);
	struct result_node *n = q->head;
	if (n) {
		q->head = n->next;
		if (!q->head)
			q->tail = NULL;
	}
	pthread_mutex_unlock(&q->lock);
	return n;
}

/* The eventfd is reset only once the queue is found empty, not on every
 * pop (a system call per result), and the queue is looked at once more
 * after the reset: a push before the reset is seen then, and one after it
 * leaves the eventfd set for the loop's next poll(). */
struct fm_poll_result *result_queue_pop(struct result_queue *q)
{
	struct result_node *n = result_queue_take_head(q);
	if (!n) {
		uint64_t count;
		if (read(q->efd, &count, sizeof count) < 0 && errno != EAGAIN)
			log_error("bus: eventfd read: %s", strerror(errno));
		n = result_queue_take_head(q);
	}
	return n ? &n->result : NULL;
}

struct fm_poll_result *collector_result_new(size_t dev, size_t npoints)
{
	struct result_node *n = calloc(1, sizeof *n);
	struct fm_point_value *values = calloc(npoints ? npoints : 1, sizeof *values);
	if (!n || !values) {
		free(n);
		free(values);
		return NULL;
	}
	for (size_t i = 0; i < npoints; i++)
		values[i] = (struct fm_point_value){.status = FM_POINT_FAILED, .value = NAN};
	n->result.device = dev;
	n->result.values = values;
	n->result.nvalues = npoints;
	return &n->result;
}

void poll_result_free(struct fm_poll_result *r)
{
	if (!r)
		return;
	free(r->values);
	free(r->rows);
	free((char *)r - offsetof(struct result_node, result));
}

/* ---- the worker ---- */

struct bus_worker {
	const struct fm_bus *bus;
	const struct fm_collector_ops *ops;
	void *state;
	const struct fm_device **devices; /* our copy of the list */
	size_t *device_ids;
	size_t ndevices;
	struct result_queue *results;

	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool *pending;        /* per device: a poll is queued */
	size_t cursor;        /* round robin over pending devices */
	bool stopping;
	int wake_fd;          /* eventfd: async collectors sleep in select() */
	_Atomic int64_t alive_ms; /* heartbeat: clock_mono_ms() of the last turn */

	bool connected;
	int64_t retry_at_ms;
	int64_t backoff_ms;
	int64_t backoff_max_ms;
	char last_error[FM_TEXT_MAX];
	int last_errnum;      /* why the last open failed (positive errno, or 0) */
	struct complaint connect_complaint;
};

#define BACKOFF_MIN_MS 1000
#define HEARTBEAT_MS 2000 /* longest idle sleep between heartbeats */

static const char *bus_kind(const struct fm_bus *b)
{
	switch (b->type) {
	case FM_BUS_MODBUS_TCP: return "modbus-tcp";
	case FM_BUS_MODBUS_RTU: return "modbus-rtu";
	case FM_BUS_SNMP: return "snmp";
	}
	return "?";
}

/* Makes sure the bus is open; false (with last_error set) when it isn't. */
static bool ensure_open(struct bus_worker *w)
{
	if (w->connected)
		return true;
	int64_t now = clock_mono_ms();
	if (now < w->retry_at_ms)
		return false;
	char err[FM_TEXT_MAX] = "";
	int rc = w->ops->open(w->state, err, sizeof err);
	if (rc < 0) {
		snprintf(w->last_error, sizeof w->last_error, "%s", err);
		w->last_errnum = -rc;
		complain(&w->connect_complaint, now, "%s[%s]: %s", bus_kind(w->bus),
		         w->bus->name, err);
		w->retry_at_ms = now + w->backoff_ms;
		w->backoff_ms *= 2;
		if (w->backoff_ms > w->backoff_max_ms)
			w->backoff_ms = w->backoff_max_ms;
		return false;
	}
	complain_recovered(&w->connect_complaint, "%s[%s]: connected", bus_kind(w->bus),
	                   w->bus->name);
	log_debug("%s[%s]: connected", bus_kind(w->bus), w->bus->name);
	w->connected = true;
	w->backoff_ms = BACKOFF_MIN_MS;
	w->last_error[0] = '\0';
	w->last_errnum = 0;
	return true;
}

static struct fm_poll_result *new_result(struct bus_worker *w, size_t local)
{
	const struct fm_device *dev = w->devices[local];
	struct fm_poll_result *r = collector_result_new(local, dev->npoints);
	if (!r)
		log_error("%s[%s/%s]: out of memory", bus_kind(w->bus), w->bus->name,
		          dev->name);
	return r;
}

/* A blocking collector: one request after another on this thread. */
static void poll_device(struct bus_worker *w, size_t local)
{
	struct fm_poll_result *r = new_result(w, local);
	if (!r)
		return;
	r->device = w->device_ids[local];
	if (!ensure_open(w)) {
		r->requests_failed = 1;
		r->connection_lost = true;
		r->open_failed = true;
		r->errnum = w->last_errnum;
		snprintf(r->error, sizeof r->error, "%s", w->last_error);
	} else {
		w->ops->read(w->state, local, r);
		if (r->connection_lost) {
			w->ops->close(w->state);
			w->connected = false;
			w->retry_at_ms = 0; /* the next poll tries again at once */
		}
	}
	result_queue_push(w->results, r);
}

/* An asynchronous collector finished a poll (or reports a trap). */
static void async_done(void *arg, struct fm_poll_result *r)
{
	struct bus_worker *w = arg;
	if (r->device < w->ndevices)
		r->device = w->device_ids[r->device];
	result_queue_push(w->results, r);
}

static void beat(struct bus_worker *w)
{
	atomic_store_explicit(&w->alive_ms, clock_mono_ms(), memory_order_relaxed);
}

/* Sleeps on the condition variable for at most HEARTBEAT_MS (monotonic). */
static void wait_for_job(struct bus_worker *w)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += HEARTBEAT_MS / 1000;
	pthread_cond_timedwait(&w->wake, &w->lock, &until);
}

/* The next queued device, or -1 when none is (or when stopping). Called with
 * the lock held; WAIT blocks until there is one, beating while it waits. */
static long next_job(struct bus_worker *w, bool wait)
{
	for (;;) {
		beat(w);
		if (w->stopping)
			return -1;
		for (size_t k = 0; k < w->ndevices; k++) {
			size_t i = (w->cursor + k) % w->ndevices;
			if (w->pending[i]) {
				w->pending[i] = false;
				w->cursor = i + 1;
				return (long)i;
			}
		}
		if (!wait)
			return -1;
		wait_for_job(w);
	}
}

static void run_blocking(struct bus_worker *w)
{
	pthread_mutex_lock(&w->lock);
	long job;
	while ((job = next_job(w, true)) >= 0) {
		pthread_mutex_unlock(&w->lock);
		poll_device(w, (size_t)job);
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	if (w->connected)
		w->ops->close(w->state);
}

/* Starts every queued poll; false when the worker is stopping. */
static bool start_queued(struct bus_worker *w)
{
	pthread_mutex_lock(&w->lock);
	long job;
	while ((job = next_job(w, false)) >= 0) {
		pthread_mutex_unlock(&w->lock);
		struct fm_poll_result *r = new_result(w, (size_t)job);
		if (r)
			w->ops->start(w->state, (size_t)job, r);
		pthread_mutex_lock(&w->lock);
	}
	bool stopping = w->stopping;
	pthread_mutex_unlock(&w->lock);
	return !stopping;
}

/* An asynchronous collector: requests of many devices in flight at once,
 * this thread sleeping in select() on the collector's sockets and on the
 * eventfd that bus_worker_post() writes. */
static void run_async(struct bus_worker *w)
{
	char err[FM_TEXT_MAX] = "";
	w->ops->attach(w->state, async_done, w);
	if (w->ops->open(w->state, err, sizeof err) < 0)
		log_error("%s[%s]: %s", bus_kind(w->bus), w->bus->name, err);
	while (start_queued(w)) {
		fd_set rfds;
		FD_ZERO(&rfds);
		FD_SET(w->wake_fd, &rfds);
		int maxfd = w->wake_fd, timeout_ms = 1000;
		w->ops->wait_set(w->state, &rfds, &maxfd, &timeout_ms);
		struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
		if (select(maxfd + 1, &rfds, NULL, NULL, &tv) < 0 && errno != EINTR) {
			log_error("%s[%s]: select: %s", bus_kind(w->bus), w->bus->name,
			          strerror(errno));
			FD_ZERO(&rfds);
		}
		if (FD_ISSET(w->wake_fd, &rfds)) {
			uint64_t count;
			if (read(w->wake_fd, &count, sizeof count) < 0 && errno != EAGAIN)
				log_error("bus: eventfd read: %s", strerror(errno));
		}
		w->ops->process(w->state, &rfds);
	}
	w->ops->close(w->state);
}

static void *worker_main(void *arg)
{
	struct bus_worker *w = arg;
	if (w->ops->read)
		run_blocking(w);
	else
		run_async(w);
	return NULL;
}

static int64_t shortest_interval_ms(const struct fm_device *const *devs, size_t n)
{
	int64_t best = 30000;
	for (size_t i = 0; i < n; i++)
		if ((int64_t)devs[i]->interval * 1000 < best)
			best = (int64_t)devs[i]->interval * 1000;
	return best < BACKOFF_MIN_MS ? BACKOFF_MIN_MS : best;
}

struct bus_worker *bus_worker_start(const struct fm_bus *bus,
                                    const struct fm_device *const *devices,
                                    const size_t *device_ids, size_t ndevices,
                                    struct result_queue *results,
                                    char *err, size_t errlen)
{
	const struct fm_collector_ops *ops = collector_for_bus(bus->type);
	if (!ops) {
		snprintf(err, errlen, "bus %s: type %s is not supported yet", bus->name,
		         bus_kind(bus));
		return NULL;
	}
	struct bus_worker *w = calloc(1, sizeof *w);
	if (!w)
		goto nomem;
	*w = (struct bus_worker){
		.bus = bus, .ops = ops, .ndevices = ndevices,
		.results = results, .backoff_ms = BACKOFF_MIN_MS,
		.backoff_max_ms = shortest_interval_ms(devices, ndevices),
		.wake_fd = -1,
	};
	atomic_init(&w->alive_ms, clock_mono_ms());
	w->device_ids = calloc(ndevices ? ndevices : 1, sizeof *w->device_ids);
	w->pending = calloc(ndevices ? ndevices : 1, sizeof *w->pending);
	w->devices = calloc(ndevices ? ndevices : 1, sizeof *w->devices);
	if (!w->device_ids || !w->pending || !w->devices)
		goto nomem_free;
	memcpy(w->device_ids, device_ids, ndevices * sizeof *device_ids);
	memcpy(w->devices, devices, ndevices * sizeof *devices);
	w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->wake_fd < 0) {
		snprintf(err, errlen, "bus %s: eventfd: %s", bus->name, strerror(errno));
		goto fail_free;
	}
	if (ops->configure(bus, w->devices, ndevices, &w->state, err, errlen) < 0)
		goto fail_free;
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* NTP steps do not matter */
	pthread_cond_init(&w->wake, &ca);
	pthread_condattr_destroy(&ca);
	int rc = pthread_create(&w->thread, NULL, worker_main, w);
	if (rc != 0) {
		snprintf(err, errlen, "bus %s: cannot start thread: %s", bus->name,
		         strerror(rc));
		pthread_mutex_destroy(&w->lock);
		pthread_cond_destroy(&w->wake);
		ops->release(w->state);
		goto fail_free;
	}
	return w;
nomem_free:
	snprintf(err, errlen, "out of memory");
fail_free:
	if (w->wake_fd >= 0)
		close(w->wake_fd);
	free(w->device_ids);
	free(w->pending);
	free(w->devices);
	free(w);
	return NULL;
nomem:
	snprintf(err, errlen, "out of memory");
	return NULL;
}

/* Wakes the thread whichever way it sleeps: on the condition variable
 * (blocking collectors) or in select() (asynchronous ones). */
static void wake_locked(struct bus_worker *w)
{
	pthread_cond_signal(&w->wake);
	uint64_t one = 1;
	if (write(w->wake_fd, &one, sizeof one) < 0 && errno != EAGAIN)
		log_error("bus: eventfd write: %s", strerror(errno));
}

void bus_worker_post(struct bus_worker *w, size_t local)
{
	pthread_mutex_lock(&w->lock);
	w->pending[local] = true;
	wake_locked(w);
	pthread_mutex_unlock(&w->lock);
}

void bus_worker_stop(struct bus_worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	wake_locked(w);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	close(w->wake_fd);
	w->ops->release(w->state);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->wake);
	free(w->device_ids);
	free(w->pending);
	free(w->devices);
	free(w);
}

int64_t bus_worker_heartbeat_ms(const struct bus_worker *w)
{
	return atomic_load_explicit(&w->alive_ms, memory_order_relaxed);
}

const char *bus_worker_name(const struct bus_worker *w)
{
	return w->bus->name;
}
