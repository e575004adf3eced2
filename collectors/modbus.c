/* modbus.c - the Modbus TCP collector, on libmodbus.
 *
 * Owns: one TCP connection (one modbus_t) to a Modbus TCP device or
 * gateway, shared by every device (unit id) configured on that bus, and
 * the reads of each device's planned blocks (modbus_plan.h), decoded with
 * modbus_decode.h. One bus worker thread drives an instance (collector.h),
 * so nothing here locks.
 *
 * FAILURES. Every block is one request and counts as one: requests_ok +
 * requests_failed is always the number of blocks.
 * - An exception or a garbled/late answer fails that block's points only.
 *   Failed points read NaN as well as FAILED: a dead sensor never shows
 *   its last value as a current one.
 * - A timeout (ETIMEDOUT) fails the block, flushes what may still arrive
 *   and goes on: a dead unit behind a gateway must not tear down the
 *   connection the other units share. When the device's first request
 *   times out, its remaining blocks are not sent: a dead unit costs its
 *   bus one timeout per poll, not one per block.
 * - A connection-level error (reset, broken pipe, not connected ...) sets
 *   connection_lost, fails the device's remaining blocks without sending
 *   them, and leaves the reconnect (close, open with backoff) to the worker.
 * read() returns 0 when a request succeeded, else the first failure as
 * -errno (libmodbus's own errors, which are no errno, as -EIO).
 *
 * LIBMODBUS 3.1.6, as checked against the library:
 * - A failed modbus_connect() sets errno to ECONNREFUSED for any failure
 *   SO_ERROR reports and for a host name that does not resolve, and leaves
 *   EINPROGRESS when the connect times out; mb_tcp_connect_error() says
 *   what really happened. The response timeout also bounds the connect.
 * - A read on a connection the peer closed fails with ECONNRESET, the next
 *   with EPIPE (sent with MSG_NOSIGNAL, so no SIGPIPE), and after
 *   modbus_close() with EBADF. A lost answer is ETIMEDOUT, and its late
 *   arrival fails the next read with EMBBADDATA (transaction id mismatch);
 *   see mb_tcp_resync().
 * - With the default MODBUS_ERROR_RECOVERY_NONE the library never closes,
 *   reconnects or sleeps on its own.
 */
#include "collectors/modbus.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <modbus.h>

#include "collectors/modbus_decode.h"
#include "collectors/modbus_plan.h"

struct mb_tcp_device {
	char name[FM_NAME_MAX];
	int unit;
	struct fm_point *points; /* a copy, so a config reload can't pull it away */
	size_t npoints;
	struct mb_plan plan;
};

struct mb_tcp {
	struct fm_bus bus;
	char service[8];                 /* the port, as getaddrinfo takes it */
	char endpoint[FM_TEXT_MAX + 16]; /* "host:port" or "[v6]:port" */
	modbus_t *ctx;                   /* NULL while closed */
	struct mb_tcp_device *devices;
	size_t ndevices;
};

static void mb_tcp_close(void *state);
static void mb_tcp_release(void *state);

static int mb_tcp_device_init(struct mb_tcp_device *d, const struct fm_device *dev)
{
	/* Devices that reject reads across unmapped registers, or take fewer
	 * than 125 registers a request, get per-device max_gap/max_registers
	 * settings in a later issue; they apply here. Until then every device
	 * reads contiguous or overlapping spans only. */
	const unsigned max_gap = 0;

	snprintf(d->name, sizeof d->name, "%s", dev->name);
	d->unit = dev->unit;
	if (dev->npoints > 0) {
		d->points = malloc(dev->npoints * sizeof *d->points);
		if (d->points == NULL)
			return -ENOMEM;
		memcpy(d->points, dev->points, dev->npoints * sizeof *d->points);
	}
	d->npoints = dev->npoints;
	return mb_plan_build(d->points, d->npoints, max_gap, &d->plan);
}

static int mb_tcp_configure(const struct fm_bus *bus,
                            const struct fm_device *const *devices, size_t ndevices,
                            void **state, char *err, size_t errlen)
{
	*state = NULL;
	if (bus->type != FM_BUS_MODBUS_TCP) {
		snprintf(err, errlen, "bus %s is not a modbus-tcp bus", bus->name);
		return -EINVAL;
	}
	struct mb_tcp *t = calloc(1, sizeof *t);
	if (t == NULL)
		goto out_of_memory;
	t->bus = *bus;
	t->bus.origin = (struct fm_origin){ 0 }; /* points into the config */
	snprintf(t->service, sizeof t->service, "%d", bus->port);
	snprintf(t->endpoint, sizeof t->endpoint,
	         strchr(bus->host, ':') ? "[%s]:%d" : "%s:%d", bus->host, bus->port);

	if (ndevices > 0) {
		t->devices = calloc(ndevices, sizeof *t->devices);
		if (t->devices == NULL)
			goto out_of_memory;
	}
	t->ndevices = ndevices;
	for (size_t i = 0; i < ndevices; i++) {
		if (mb_tcp_device_init(&t->devices[i], devices[i]) < 0)
			goto out_of_memory;
	}
	*state = t;
	return 0;

out_of_memory:
	mb_tcp_release(t);
	snprintf(err, errlen, "bus %s: out of memory", bus->name);
	return -ENOMEM;
}

/* The errno a failed modbus_connect() means (see the top comment), with
 * the message in ERR. A name that does not resolve is -EHOSTUNREACH. */
static int mb_tcp_connect_error(const struct mb_tcp *t, int e, char *err, size_t errlen)
{
	if (e == EINPROGRESS || e == 0)
		e = ETIMEDOUT;
	if (e == ECONNREFUSED) {
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG };
		struct addrinfo *ai = NULL;
		int g = getaddrinfo(t->bus.host, t->service, &hints, &ai);
		if (g != 0) {
			snprintf(err, errlen, "connect %s: %s", t->endpoint,
			         g == EAI_SYSTEM ? strerror(errno) : gai_strerror(g));
			return -EHOSTUNREACH;
		}
		freeaddrinfo(ai);
	}
	snprintf(err, errlen, "connect %s: %s", t->endpoint, modbus_strerror(e));
	return -e;
}

static int mb_tcp_open(void *state, char *err, size_t errlen)
{
	struct mb_tcp *t = state;
	int ms = t->bus.timeout_ms;

	mb_tcp_close(t);
	if (t->bus.host[0] == '\0') {
		snprintf(err, errlen, "connect %s: no host", t->endpoint);
		return -EINVAL;
	}
	modbus_t *ctx = modbus_new_tcp_pi(t->bus.host, t->service);
	if (ctx == NULL) {
		int e = errno != 0 ? errno : ENOMEM;
		snprintf(err, errlen, "connect %s: %s", t->endpoint, modbus_strerror(e));
		return -e;
	}
	if (ms > 0)
		modbus_set_response_timeout(ctx, (uint32_t)ms / 1000,
		                            (uint32_t)(ms % 1000) * 1000);
	if (modbus_connect(ctx) < 0) {
		int rc = mb_tcp_connect_error(t, errno, err, errlen);
		modbus_free(ctx);
		return rc;
	}
	t->ctx = ctx;
	return 0;
}

/* Errors after which the connection is useless. */
static bool mb_errno_is_link(int e)
{
	switch (e) {
	case ECONNRESET:
	case ECONNABORTED:
	case EPIPE:
	case ENOTCONN:
	case EBADF:
	case ECONNREFUSED:
		return true;
	default:
		return false;
	}
}

/* A Modbus exception is a complete, well-formed answer. */
static bool mb_errno_is_exception(int e)
{
	return e > MODBUS_ENOBASE && e <= EMBXGTAR;
}

/* An answer that arrives after its request timed out is read as the
 * answer to the next request, which libmodbus rejects (EMBBADDATA: the
 * transaction id differs); the next answer is on its way by then, so a
 * flush misses it and every later request would get its predecessor's
 * answer for as long as the connection lives. Consume answers until the
 * line stays quiet for one response timeout instead; this costs a timeout
 * only when it happens, never for a unit that is merely dead. */
static void mb_tcp_resync(struct mb_tcp *t)
{
	uint8_t rsp[MODBUS_TCP_MAX_ADU_LENGTH];

	for (int i = 0; i < 64 && modbus_receive_confirmation(t->ctx, rsp) > 0; i++)
		;
	modbus_flush(t->ctx);
}

/* Records the failure of BLK (errno E) in OUT; returns the code for it. */
static int mb_tcp_block_failed(struct mb_tcp *t, const struct mb_block *blk, int e,
                               struct fm_poll_result *out)
{
	if (out->error[0] == '\0')
		snprintf(out->error, sizeof out->error, "read %s %u+%u: %s",
		         read_kind_name(blk->read), blk->address, blk->count,
		         modbus_strerror(e));
	if (mb_errno_is_link(e)) {
		out->connection_lost = true;
		return -e;
	}
	if (e == EMBBADDATA)
		mb_tcp_resync(t);
	else if (!mb_errno_is_exception(e))
		modbus_flush(t->ctx); /* what is left of a late or garbled answer */
	return e >= MODBUS_ENOBASE || e <= 0 ? -EIO : -e;
}

static int mb_tcp_read_block(struct mb_tcp *t, const struct mb_tcp_device *d,
                             const struct mb_block *blk, struct fm_poll_result *out)
{
	uint16_t regs[FM_MODBUS_MAX_REGISTERS];
	uint8_t bits[FM_MODBUS_MAX_BITS];
	int n = -1;

	assert(blk->count <= (blk->read == FM_READ_HOLDING || blk->read == FM_READ_INPUT
	                      ? FM_MODBUS_MAX_REGISTERS : FM_MODBUS_MAX_BITS));
	errno = 0;
	if (modbus_set_slave(t->ctx, d->unit) == 0) {
		switch (blk->read) {
		case FM_READ_HOLDING:
			n = modbus_read_registers(t->ctx, blk->address, blk->count, regs);
			break;
		case FM_READ_INPUT:
			n = modbus_read_input_registers(t->ctx, blk->address, blk->count, regs);
			break;
		case FM_READ_COIL:
			n = modbus_read_bits(t->ctx, blk->address, blk->count, bits);
			break;
		case FM_READ_DISCRETE:
			n = modbus_read_input_bits(t->ctx, blk->address, blk->count, bits);
			break;
		}
	}
	if (n != blk->count)
		return mb_tcp_block_failed(t, blk, n < 0 ? errno : EMBBADDATA, out);

	bool bit_read = blk->read == FM_READ_COIL || blk->read == FM_READ_DISCRETE;
	for (size_t k = 0; k < blk->npoints; k++) {
		size_t i = blk->points[k];
		const struct fm_point *p = &d->points[i];
		size_t off = p->address - blk->address;
		out->values[i].value = bit_read ? mb_decode_bit(p, bits[off])
		                                : mb_decode_registers(p, &regs[off]);
		out->values[i].status = FM_POINT_OK;
	}
	return 0;
}

static int mb_tcp_read(void *state, size_t dev, struct fm_poll_result *out)
{
	struct mb_tcp *t = state;
	assert(dev < t->ndevices);
	const struct mb_tcp_device *d = &t->devices[dev];
	size_t nblocks = d->plan.nblocks;
	int first = 0;

	out->requests_ok = 0;
	out->requests_failed = 0;
	out->connection_lost = false;
	out->error[0] = '\0';
	assert(out->nvalues >= d->npoints);
	if (out->nvalues < d->npoints) {
		snprintf(out->error, sizeof out->error,
		         "%zu values for the %zu points of %s", out->nvalues,
		         d->npoints, d->name);
		out->requests_failed = (unsigned)nblocks;
		return -EINVAL;
	}
	for (size_t i = 0; i < d->npoints; i++)
		out->values[i] = (struct fm_point_value){ FM_POINT_FAILED, NAN };

	if (t->ctx == NULL) {
		snprintf(out->error, sizeof out->error, "not connected");
		out->requests_failed = (unsigned)nblocks;
		out->connection_lost = true;
		return -ENOTCONN;
	}
	for (size_t b = 0; b < nblocks; b++) {
		int rc = mb_tcp_read_block(t, d, &d->plan.blocks[b], out);
		if (rc == 0) {
			out->requests_ok++;
			continue;
		}
		out->requests_failed++;
		if (first == 0)
			first = rc;
		/* a unit whose first request times out is most likely dead:
		 * it costs its bus one timeout per poll, not one per block */
		bool silent = rc == -ETIMEDOUT && out->requests_ok == 0;
		if (out->connection_lost || silent) {
			out->requests_failed += (unsigned)(nblocks - b - 1);
			break;
		}
	}
	return out->requests_ok > 0 || nblocks == 0 ? 0 : first;
}

static void mb_tcp_close(void *state)
{
	struct mb_tcp *t = state;

	if (t == NULL || t->ctx == NULL)
		return;
	modbus_close(t->ctx);
	modbus_free(t->ctx);
	t->ctx = NULL;
}

static void mb_tcp_release(void *state)
{
	struct mb_tcp *t = state;

	if (t == NULL)
		return;
	mb_tcp_close(t);
	for (size_t i = 0; i < t->ndevices && t->devices != NULL; i++) {
		mb_plan_free(&t->devices[i].plan);
		free(t->devices[i].points);
	}
	free(t->devices);
	free(t);
}

const struct fm_collector_ops modbus_tcp_collector = {
	.kind = "modbus-tcp",
	.configure = mb_tcp_configure,
	.open = mb_tcp_open,
	.read = mb_tcp_read,
	.close = mb_tcp_close,
	.release = mb_tcp_release,
};
