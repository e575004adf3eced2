/* rtu.c - facmon-sim's Modbus RTU server on a serial line.
 *
 * Owns: the serial device (an RS-485 adapter, or one end of a socat pty
 * pair), opened and configured by libmodbus (modbus_new_rtu,
 * modbus_connect); the framing of the requests read from it; the line's
 * one pending (slow) reply; reopening the line when it goes away.
 *
 * DESIGN: every unit shares the one line, so the simulator must see the
 * requests for all units and answer those for units it serves. libmodbus's
 * modbus_receive() cannot: in RTU mode it keeps only requests for the one
 * slave id given to modbus_set_slave(), returns 0 for any other, and then
 * takes the next frame for that other device's reply and throws it away
 * ("confirmation to ignore"), blocking up to its response timeout. With
 * several units, and unserved ones that never answer, that swallows real
 * requests. So this file frames requests itself: the length follows from
 * the function code and byte count exactly as libmodbus computes it for a
 * request, and the CRC decides. A frame whose CRC fails is resynchronised
 * on by dropping one byte and trying again, which also skips other
 * devices' replies on a shared bus and an adapter's echo of our own. After
 * gap_ms of silence with an unfinished frame, its first byte was garbage
 * too: the search goes on from the next byte, and what is left is dropped. Replies still go
 * through modbus_reply() / modbus_reply_exception() on the RTU context,
 * which add the CRC and write to the line; broadcasts (unit 0) are never
 * answered nor applied. A slow unit's pending reply holds the whole line:
 * nothing is read until it has gone out, as with a real slow device.
 * A line that fails (adapter unplugged, socat stopped) is closed and
 * reopened every second, by name, so a test may restart its pty pair.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hw/sim/sim.h"

#define RTU_REOPEN_MS 1000
/* USB adapters deliver a frame in bursts (an FTDI latency timer is up to
 * 16 ms), so an unfinished frame gets at least this long. */
#define RTU_GAP_MIN_MS 50

void sim_rtu_init(struct sim_rtu *r)
{
	memset(r, 0, sizeof *r);
	r->fd = -1;
}

/* 3.5 character times (start, data, parity and stop bits), or the floor. */
static unsigned rtu_gap_ms(const struct sim_serial *cfg)
{
	int bits = 1 + cfg->data_bits + (cfg->parity != 'N') + cfg->stop_bits;
	unsigned ms = (unsigned)(3500 * bits / cfg->baud) + 1;

	return ms > RTU_GAP_MIN_MS ? ms : RTU_GAP_MIN_MS;
}

/* libmodbus opens the device non-blocking in 3.1.6; make sure of it, as a
 * blocking read would stall the loop. */
static int rtu_connect(struct sim_rtu *r)
{
	if (modbus_connect(r->ctx) != 0)
		return -1;
	int fd = modbus_get_socket(r->ctx);
	int flags = fcntl(fd, F_GETFL);
	if (fd >= FD_SETSIZE || flags < 0 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
		int saved = fd >= FD_SETSIZE ? EMFILE : errno;
		modbus_close(r->ctx);
		errno = saved;
		return -1;
	}
	r->fd = fd;
	r->len = 0;
	r->pending.active = false;
	return 0;
}

int sim_rtu_open(struct sim_rtu *r, const struct sim_serial *cfg,
                 char *err, size_t errlen)
{
	r->cfg = *cfg;
	r->gap_ms = rtu_gap_ms(cfg);
	r->ctx = modbus_new_rtu(cfg->device, cfg->baud, cfg->parity,
	                        cfg->data_bits, cfg->stop_bits);
	if (r->ctx == NULL) {
		snprintf(err, errlen, "serial %s: %s", cfg->device,
		         modbus_strerror(errno));
		return -1;
	}
	if (rtu_connect(r) != 0) {
		snprintf(err, errlen, "serial %s: cannot open: %s", cfg->device,
		         modbus_strerror(errno));
		return -1;
	}
	return 0;
}

void sim_rtu_close(struct sim_rtu *r)
{
	if (r->ctx != NULL) {
		if (r->fd >= 0)
			modbus_close(r->ctx);
		modbus_free(r->ctx);
	}
	r->ctx = NULL;
	r->fd = -1;
}

static void rtu_lower(uint64_t *wake_ms, uint64_t t)
{
	if (t < *wake_ms)
		*wake_ms = t;
}

void sim_rtu_watch(const struct sim_rtu *r, fd_set *set, int *maxfd,
                   uint64_t *wake_ms)
{
	if (r->ctx == NULL)
		return;
	if (r->fd < 0) {
		rtu_lower(wake_ms, r->reopen_ms);
		return;
	}
	if (r->pending.active) {
		rtu_lower(wake_ms, r->pending.due_ms);
		return;
	}
	FD_SET(r->fd, set);
	if (r->fd > *maxfd)
		*maxfd = r->fd;
	if (r->len > 0)
		rtu_lower(wake_ms, r->last_byte_ms + r->gap_ms);
}

/* ---- framing ----------------------------------------------------------- */

/* Modbus CRC-16 (polynomial 0xA001 reflected, initial 0xFFFF). */
static uint16_t rtu_crc16(const uint8_t *p, size_t n)
{
	uint16_t crc = 0xFFFF;

	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int b = 0; b < 8; b++)
			crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0xA001)
			                : (uint16_t)(crc >> 1);
	}
	return crc;
}

/* The CRC goes low byte first. */
static bool rtu_crc_ok(const uint8_t *frame, size_t n)
{
	uint16_t crc = rtu_crc16(frame, n - 2);

	return frame[n - 2] == (crc & 0xFF) && frame[n - 1] == (crc >> 8);
}

/* The length of the request starting in BUF (LEN bytes so far), as
 * libmodbus computes it for a request: 0 when more bytes are needed to
 * know, -1 when no request starts here. Functions libmodbus knows nothing
 * of carry no data (FC07, FC17 really do not). */
static int rtu_frame_length(const uint8_t *buf, size_t len)
{
	int n;

	if (len < 2)
		return 0;
	switch (buf[1]) {
	case MODBUS_FC_READ_COILS:
	case MODBUS_FC_READ_DISCRETE_INPUTS:
	case MODBUS_FC_READ_HOLDING_REGISTERS:
	case MODBUS_FC_READ_INPUT_REGISTERS:
	case MODBUS_FC_WRITE_SINGLE_COIL:
	case MODBUS_FC_WRITE_SINGLE_REGISTER:
		n = 8;
		break;
	case MODBUS_FC_WRITE_MULTIPLE_COILS:
	case MODBUS_FC_WRITE_MULTIPLE_REGISTERS:
		if (len < 7)
			return 0;
		n = 9 + buf[6];
		break;
	case MODBUS_FC_MASK_WRITE_REGISTER:
		n = 10;
		break;
	case MODBUS_FC_WRITE_AND_READ_REGISTERS:
		if (len < 11)
			return 0;
		n = 13 + buf[10];
		break;
	default:
		n = buf[1] & 0x80 ? -1 : 4; /* 0x80 and up: an exception reply */
		break;
	}
	return n > MODBUS_RTU_MAX_ADU_LENGTH ? -1 : n;
}

static void rtu_consume(struct sim_rtu *r, size_t n)
{
	r->len -= n;
	memmove(r->buf, r->buf + n, r->len);
}

static void rtu_request(struct sim_rtu *r, struct sim *sim, int n)
{
	int hdr = modbus_get_header_length(r->ctx);
	struct sim_unit *u = sim_request_accept(sim, r->buf, hdr, n, "rtu");

	if (u != NULL)
		sim_request_answer(sim, r->ctx, u, r->buf, n, &r->pending);
}

/* Handles every whole request in the buffer, until a slow unit takes the
 * line. */
static void rtu_frames(struct sim_rtu *r, struct sim *sim)
{
	while (!r->pending.active) {
		int n = rtu_frame_length(r->buf, r->len);
		if (n == 0 || (n > 0 && (size_t)n > r->len))
			return;
		if (n < 0 || !rtu_crc_ok(r->buf, (size_t)n)) {
			rtu_consume(r, 1);
			continue;
		}
		rtu_request(r, sim, n);
		rtu_consume(r, (size_t)n);
	}
}

/* Silence after an unfinished frame: no frame starts where it seemed to
 * (garbage that looked like the start of a long one), so look for one
 * further on, byte by byte, and drop what is left. */
static void rtu_silence(struct sim_rtu *r, struct sim *sim)
{
	while (r->len > 0 && !r->pending.active) {
		rtu_consume(r, 1);
		rtu_frames(r, sim);
	}
}

/* ---- the line ---------------------------------------------------------- */

static void rtu_lost(struct sim_rtu *r, const char *why)
{
	fprintf(stderr, "facmon-sim: serial %s: %s; reopening it every "
	        "second\n", r->cfg.device, why);
	modbus_close(r->ctx);
	r->fd = -1;
	r->len = 0;
	r->pending.active = false;
	r->reopen_ms = sim_now_ms() + RTU_REOPEN_MS;
}

static void rtu_reopen(struct sim_rtu *r)
{
	if (rtu_connect(r) == 0)
		fprintf(stderr, "facmon-sim: serial %s: open again\n",
		        r->cfg.device);
	else
		r->reopen_ms = sim_now_ms() + RTU_REOPEN_MS;
}

static void rtu_read(struct sim_rtu *r, struct sim *sim)
{
	if (r->len == sizeof r->buf) /* cannot be: a frame is shorter */
		r->len = 0;
	ssize_t n = read(r->fd, r->buf + r->len, sizeof r->buf - r->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		rtu_lost(r, n < 0 ? strerror(errno) : "end of file");
		return;
	}
	r->len += (size_t)n;
	r->last_byte_ms = sim_now_ms();
	rtu_frames(r, sim);
}

void sim_rtu_serve(struct sim_rtu *r, const fd_set *ready, struct sim *sim)
{
	uint64_t now = sim_now_ms();

	if (r->ctx == NULL)
		return;
	if (r->fd < 0) {
		if (now >= r->reopen_ms)
			rtu_reopen(r);
		return;
	}
	if (r->pending.active) {
		if (r->pending.due_ms <= now) {
			sim_pending_fire(sim, r->ctx, &r->pending);
			rtu_frames(r, sim); /* what came with the slow request */
		}
		return;
	}
	if (FD_ISSET(r->fd, ready))
		rtu_read(r, sim);
	else if (r->len > 0 && now - r->last_byte_ms >= r->gap_ms)
		rtu_silence(r, sim);
}
