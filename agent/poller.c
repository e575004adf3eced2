/* poller.c - the polling schedule and the bus workers behind it.
 *
 * Each device is due every `interval` seconds on the monotonic clock:
 * next += interval, clamped to now when a poll overran, so a slow bus never
 * builds a backlog and the wall clock jumping (NTP on a Pi) changes nothing.
 * Devices are few (hundreds at most), so a scan finds the due ones; a heap
 * would buy nothing here.
 */
#include "agent/poller.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/worker.h"

struct poll_slot {
	const struct fm_device *dev;
	struct bus_worker *worker;
	size_t local;           /* index of the device on its worker */
	int64_t next_due_ms;
	bool in_flight;
	bool urgent;            /* poll as soon as possible (a trap) */
};

struct poller {
	const struct fm_config *cfg;
	struct result_queue *results;
	struct bus_worker **workers; /* one per bus, NULL for a bus with no devices */
	struct poll_slot *slots;     /* one per device, in config order */
	size_t nslots;
};

/* Starts the worker for bus B over the devices that name it. */
static int start_bus(struct poller *p, size_t b, char *err, size_t errlen)
{
	const struct fm_config *cfg = p->cfg;
	const struct fm_device **devs = calloc(cfg->ndevices + 1, sizeof *devs);
	size_t *ids = calloc(cfg->ndevices + 1, sizeof *ids);
	size_t n = 0;
	int rc = -1;
	if (!devs || !ids) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t d = 0; d < cfg->ndevices; d++)
		if (strcmp(cfg->devices[d].bus, cfg->buses[b].name) == 0) {
			p->slots[d].local = n;
			devs[n] = &cfg->devices[d];
			ids[n++] = d;
		}
	rc = 0;
	if (n == 0)
		goto out;
	p->workers[b] = bus_worker_start(&cfg->buses[b], devs, ids, n, p->results,
	                                 err, errlen);
	if (!p->workers[b]) {
		rc = -1;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		p->slots[ids[i]].worker = p->workers[b];
out:
	free(devs);
	free(ids);
	return rc;
}

struct poller *poller_create(const struct fm_config *cfg, int64_t now_mono,
                             char *err, size_t errlen)
{
	struct poller *p = calloc(1, sizeof *p);
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->cfg = cfg;
	p->nslots = cfg->ndevices;
	p->results = result_queue_create();
	p->workers = calloc(cfg->nbuses + 1, sizeof *p->workers);
	p->slots = calloc(cfg->ndevices + 1, sizeof *p->slots);
	if (!p->results || !p->workers || !p->slots) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (size_t d = 0; d < cfg->ndevices; d++)
		p->slots[d] = (struct poll_slot){.dev = &cfg->devices[d],
		                                 .next_due_ms = now_mono};
	for (size_t b = 0; b < cfg->nbuses; b++)
		if (start_bus(p, b, err, errlen) < 0)
			goto fail;
	return p;
fail:
	poller_destroy(p);
	return NULL;
}

void poller_stop(struct poller *p)
{
	for (size_t b = 0; p->workers && b < p->cfg->nbuses; b++) {
		bus_worker_stop(p->workers[b]);
		p->workers[b] = NULL;
	}
	for (size_t d = 0; p->slots && d < p->nslots; d++)
		p->slots[d].worker = NULL;
}

void poller_adopt_schedule(struct poller *p, const struct poller *old)
{
	for (size_t d = 0; d < p->nslots; d++)
		for (size_t o = 0; o < old->nslots; o++)
			if (strcmp(p->slots[d].dev->name, old->slots[o].dev->name) == 0) {
				p->slots[d].next_due_ms = old->slots[o].next_due_ms;
				p->slots[d].urgent = old->slots[o].urgent;
				break;
			}
}

void poller_destroy(struct poller *p)
{
	if (!p)
		return;
	poller_stop(p);
	result_queue_destroy(p->results);
	free(p->workers);
	free(p->slots);
	free(p);
}

int poller_fd(const struct poller *p)
{
	return result_queue_fd(p->results);
}

int64_t poller_run_due(struct poller *p, int64_t now_mono)
{
	int64_t next = now_mono + 1000;
	for (size_t d = 0; d < p->nslots; d++) {
		struct poll_slot *s = &p->slots[d];
		if (!s->worker)
			continue;
		if (!s->in_flight && s->urgent) {
			/* an extra poll: the regular schedule stays as it was */
			s->urgent = false;
			s->in_flight = true;
			bus_worker_post(s->worker, s->local);
		} else if (!s->in_flight && now_mono >= s->next_due_ms) {
			s->in_flight = true;
			bus_worker_post(s->worker, s->local);
			s->next_due_ms += (int64_t)s->dev->interval * 1000;
			if (s->next_due_ms < now_mono)
				s->next_due_ms = now_mono;
		}
		if (!s->in_flight && s->next_due_ms < next)
			next = s->next_due_ms;
	}
	return next;
}

void poller_post_all(struct poller *p)
{
	for (size_t d = 0; d < p->nslots; d++) {
		struct poll_slot *s = &p->slots[d];
		if (s->worker && !s->in_flight) {
			s->in_flight = true;
			bus_worker_post(s->worker, s->local);
		}
	}
}

void poller_poll_soon(struct poller *p, size_t device)
{
	if (device < p->nslots)
		p->slots[device].urgent = true; /* poller_run_due posts it */
}

struct fm_poll_result *poller_take(struct poller *p)
{
	struct fm_poll_result *r = result_queue_pop(p->results);
	if (r && !r->trap[0] && r->device < p->nslots)
		p->slots[r->device].in_flight = false;
	return r;
}

const struct bus_worker *poller_worker(const struct poller *p, size_t bus)
{
	return bus < p->cfg->nbuses ? p->workers[bus] : NULL;
}
