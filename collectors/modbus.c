/* modbus.c - the Modbus collectors (TCP and RTU), on libmodbus.
 *
 * Owns: one bus (a TCP connection to a device or gateway, or one serial
 * line), shared by every device (unit id) configured on it, and the reads
 * of each device's planned blocks (modbus_plan.h), decoded with
 * modbus_decode.h. Opening the link and the meaning of libmodbus's errors
 * live in modbus_link.c. One bus worker thread drives an instance
 * (collector.h), so the line carries one request at a time and nothing here
 * locks. The two kinds differ only in how the link is opened and in the
 * RTU pause between requests (delay_ms).
 *
 * FAILURES. Every block read is one request and counts as one.
 * - A Modbus exception fails that block's points only. "Illegal data
 *   address/value" on a block of several points splits the block for good
 *   (mb_plan_split): its points are read one by one from then on, so the
 *   other points keep working and only the bad one fails, by name.
 * - A unit that does not answer a request (timeout, or a gateway saying
 *   its target is silent) is not asked for its other blocks in that poll:
 *   a dead unit costs its line one timeout per poll, not one per block.
 * - A link error (reset, closed, unplugged) sets connection_lost and fails
 *   the device's remaining blocks without sending them; the worker closes
 *   and reopens the bus with back-off.
 * Failed points read NaN as well as FAILED: a dead sensor never shows its
 * last value as a current one.
 */
#include "collectors/modbus.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "collectors/modbus_decode.h"
#include "collectors/modbus_link.h"
#include "collectors/modbus_plan.h"

struct mb_device {
	char name[FM_NAME_MAX];
	int unit;
	const struct fm_point *points; /* the config's (it outlives the worker) */
	size_t npoints;
	struct mb_plan plan;
};

struct mb_bus {
	const struct fm_bus *bus;        /* the config's */
	char where[FM_TEXT_MAX + 16];   /* for messages */
	modbus_t *ctx;                   /* NULL while closed */
	struct mb_device *devices;
	size_t ndevices;
};

static void mb_release(void *state);

static int device_init(struct mb_device *d, const struct fm_device *dev)
{
	snprintf(d->name, sizeof d->name, "%s", dev->name);
	d->unit = dev->unit;
	d->points = dev->points;
	d->npoints = dev->npoints;
	struct mb_limits limits = mb_limits_for(dev);
	return mb_plan_build(d->points, d->npoints, &limits, &d->plan);
}

static int mb_configure(const struct fm_bus *bus, const struct fm_device *const *devices,
                        size_t ndevices, void **state, char *err, size_t errlen)
{
	*state = NULL;
	struct mb_bus *t = calloc(1, sizeof *t);
	if (t == NULL)
		goto out_of_memory;
	t->bus = bus;
	mb_link_describe(bus, t->where, sizeof t->where);
	if (ndevices > 0) {
		t->devices = calloc(ndevices, sizeof *t->devices);
		if (t->devices == NULL)
			goto out_of_memory;
	}
	t->ndevices = ndevices;
	for (size_t i = 0; i < ndevices; i++)
		if (device_init(&t->devices[i], devices[i]) < 0)
			goto out_of_memory;
	*state = t;
	return 0;

out_of_memory:
	mb_release(t);
	snprintf(err, errlen, "bus %s: out of memory", bus->name);
	return -ENOMEM;
}

static void mb_close(void *state)
{
	struct mb_bus *t = state;
	if (t == NULL)
		return;
	mb_link_close(t->ctx);
	t->ctx = NULL;
}

static int mb_open(void *state, char *err, size_t errlen)
{
	struct mb_bus *t = state;
	mb_close(t);
	t->ctx = mb_link_open(t->bus, err, errlen);
	if (t->ctx)
		return 0;
	return errno ? -errno : -ENOTCONN; /* why, for explain.h */
}

/* The RTU pause between requests, for devices that need a rest. */
static void pause_between_requests(const struct mb_bus *t)
{
	if (t->bus->type != FM_BUS_MODBUS_RTU || t->bus->delay_ms <= 0)
		return;
	struct timespec ts = {t->bus->delay_ms / 1000, (long)(t->bus->delay_ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void note_failure(const struct mb_device *d, const struct mb_block *blk, int e,
                         struct fm_poll_result *out)
{
	if (out->error[0] != '\0')
		return;
	if (blk->npoints == 1)
		snprintf(out->error, sizeof out->error, "%s: read %s %u+%u: %s",
		         d->points[blk->points[0]].name, read_kind_name(blk->read),
		         blk->address, blk->count, mb_strerror(e));
	else
		snprintf(out->error, sizeof out->error, "read %s %u+%u: %s",
		         read_kind_name(blk->read), blk->address, blk->count,
		         mb_strerror(e));
}

static void decode_block(const struct mb_device *d, const struct mb_block *blk,
                         const uint16_t *regs, const uint8_t *bits,
                         struct fm_poll_result *out)
{
	bool bit_read = blk->read == FM_READ_COIL || blk->read == FM_READ_DISCRETE;
	for (size_t k = 0; k < blk->npoints; k++) {
		size_t i = blk->points[k];
		const struct fm_point *p = &d->points[i];
		size_t off = p->address - blk->address;
		out->values[i].value = bit_read ? mb_decode_bit(p, bits[off])
		                                : mb_decode_registers(p, &regs[off]);
		out->values[i].status = FM_POINT_OK;
	}
}

/* Reads one block: 0, or the (positive) errno of the failure. */
static int read_block(struct mb_bus *t, const struct mb_device *d,
                      const struct mb_block *blk, struct fm_poll_result *out)
{
	uint16_t regs[FM_MODBUS_MAX_REGISTERS];
	uint8_t bits[FM_MODBUS_MAX_BITS];
	pause_between_requests(t);
	int e = mb_link_read(t->ctx, d->unit, blk->read, blk->address, blk->count,
	                     regs, bits);
	if (e == 0) {
		decode_block(d, blk, regs, bits, out);
		return 0;
	}
	mb_link_recover(t->ctx, e);
	return e;
}

/* An exception that a smaller request may avoid: read the points apart. */
static bool split_block(struct mb_bus *t, struct mb_device *d, size_t b, int e)
{
	const struct mb_block *blk = &d->plan.blocks[b];
	if (!mb_errno_is_range(e) || blk->npoints <= 1)
		return false;
	char what[64];
	snprintf(what, sizeof what, "read %s %u+%u", read_kind_name(blk->read),
	         blk->address, blk->count);
	size_t npoints = blk->npoints;
	if (mb_plan_split(&d->plan, b, d->points) <= 0)
		return false;
	log_warn("modbus[%s/%s]: %s: %s; reading its %zu points one by one from now on",
	         t->bus->name, d->name, what, mb_strerror(e), npoints);
	return true;
}

static int mb_read(void *state, size_t dev, struct fm_poll_result *out)
{
	struct mb_bus *t = state;
	assert(dev < t->ndevices);
	struct mb_device *d = &t->devices[dev];
	int first = 0;

	out->requests_ok = out->requests_failed = 0;
	out->connection_lost = false;
	out->error[0] = '\0';
	out->errnum = 0;
	out->open_failed = false;
	for (size_t i = 0; i < d->npoints && i < out->nvalues; i++)
		out->values[i] = (struct fm_point_value){FM_POINT_FAILED, NAN};
	if (t->ctx == NULL || out->nvalues < d->npoints) {
		snprintf(out->error, sizeof out->error, "not connected to %.200s", t->where);
		out->requests_failed = (unsigned)d->plan.nblocks;
		out->connection_lost = true;
		out->open_failed = true;
		out->errnum = ENOTCONN;
		return -ENOTCONN;
	}
	for (size_t b = 0; b < d->plan.nblocks; b++) {
		int e = read_block(t, d, &d->plan.blocks[b], out);
		if (e == 0) {
			out->requests_ok++;
			continue;
		}
		if (split_block(t, d, b, e)) {
			b--; /* block b is now the first of its parts */
			continue;
		}
		note_failure(d, &d->plan.blocks[b], e, out);
		out->requests_failed++;
		if (first == 0) {
			first = -e;
			out->errnum = e;
		}
		out->connection_lost = mb_errno_is_link(e);
		if (out->connection_lost || mb_errno_is_silence(e)) {
			out->requests_failed += (unsigned)(d->plan.nblocks - b - 1);
			break;
		}
	}
	return out->requests_ok > 0 || d->plan.nblocks == 0 ? 0 : first;
}

static void mb_release(void *state)
{
	struct mb_bus *t = state;
	if (t == NULL)
		return;
	mb_close(t);
	for (size_t i = 0; i < t->ndevices && t->devices != NULL; i++)
		mb_plan_free(&t->devices[i].plan);
	free(t->devices);
	free(t);
}

const struct fm_collector_ops modbus_tcp_collector = {
	.kind = "modbus-tcp",
	.configure = mb_configure,
	.open = mb_open,
	.read = mb_read,
	.close = mb_close,
	.release = mb_release,
};

const struct fm_collector_ops modbus_rtu_collector = {
	.kind = "modbus-rtu",
	.configure = mb_configure,
	.open = mb_open,
	.read = mb_read,
	.close = mb_close,
	.release = mb_release,
};
