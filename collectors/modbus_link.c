/* modbus_link.c - opening buses with libmodbus, reading, and its errors.
 *
 * LIBMODBUS 3.1.6, as checked against the library:
 * - A failed TCP modbus_connect() sets errno to ECONNREFUSED for any failure
 *   SO_ERROR reports and for a host name that does not resolve, and leaves
 *   EINPROGRESS when the connect times out; tcp_connect_error() says what
 *   really happened. The response timeout also bounds the connect.
 * - A read on a connection the peer closed fails with ECONNRESET, the next
 *   with EPIPE (sent with MSG_NOSIGNAL, so no SIGPIPE), and after
 *   modbus_close() with EBADF. An unplugged USB serial adapter gives EIO or
 *   ENXIO. A lost answer is ETIMEDOUT, and on TCP its late arrival fails the
 *   next read with EMBBADDATA (transaction id mismatch); see resync().
 * - With the default MODBUS_ERROR_RECOVERY_NONE the library never closes,
 *   reconnects or sleeps on its own.
 */
#include "collectors/modbus_link.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

void mb_link_describe(const struct fm_bus *bus, char *buf, size_t len)
{
	if (bus->type == FM_BUS_MODBUS_RTU)
		snprintf(buf, len, "%s %d %d%c%d", bus->device, bus->baud, bus->data_bits,
		         bus->parity, bus->stop_bits);
	else
		snprintf(buf, len, strchr(bus->host, ':') ? "[%s]:%d" : "%s:%d",
		         bus->host, bus->port);
}

/* The errno a failed TCP modbus_connect() means, with the message in ERR;
 * returns that errno, 0 for a host name that does not resolve. */
static int tcp_connect_error(const struct fm_bus *bus, int e, char *err,
                             size_t errlen)
{
	char where[FM_TEXT_MAX + 16], service[8];
	mb_link_describe(bus, where, sizeof where);
	if (e == EINPROGRESS || e == 0)
		e = ETIMEDOUT;
	if (e == ECONNREFUSED) {
		struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG};
		struct addrinfo *ai = NULL;
		snprintf(service, sizeof service, "%d", bus->port);
		int g = getaddrinfo(bus->host, service, &hints, &ai);
		if (g != 0) {
			snprintf(err, errlen, "connect %s: %s", where,
			         g == EAI_SYSTEM ? strerror(errno) : gai_strerror(g));
			return 0;
		}
		freeaddrinfo(ai);
	}
	snprintf(err, errlen, "connect %s: %s", where, modbus_strerror(e));
	return e;
}

static modbus_t *new_context(const struct fm_bus *bus)
{
	if (bus->type == FM_BUS_MODBUS_RTU)
		return modbus_new_rtu(bus->device, bus->baud, bus->parity, bus->data_bits,
		                      bus->stop_bits);
	char service[8];
	snprintf(service, sizeof service, "%d", bus->port);
	return modbus_new_tcp_pi(bus->host, service);
}

modbus_t *mb_link_open(const struct fm_bus *bus, char *err, size_t errlen)
{
	char where[FM_TEXT_MAX + 16];
	mb_link_describe(bus, where, sizeof where);
	modbus_t *ctx = new_context(bus);
	if (!ctx) {
		int e = errno ? errno : ENOMEM;
		snprintf(err, errlen, "%s: %s", where, modbus_strerror(e));
		errno = e;
		return NULL;
	}
	int ms = bus->timeout_ms > 0 ? bus->timeout_ms : 1000;
	modbus_set_response_timeout(ctx, (uint32_t)ms / 1000, (uint32_t)(ms % 1000) * 1000);
	if (modbus_connect(ctx) < 0) {
		int e = errno;
		if (bus->type == FM_BUS_MODBUS_RTU)
			snprintf(err, errlen, "open %s: %s", bus->device, modbus_strerror(e));
		else
			e = tcp_connect_error(bus, e, err, errlen);
		modbus_free(ctx);
		errno = e;
		return NULL;
	}
	return ctx;
}

void mb_link_close(modbus_t *ctx)
{
	if (!ctx)
		return;
	modbus_close(ctx);
	modbus_free(ctx);
}

int mb_link_read(modbus_t *ctx, int unit, enum fm_read_kind read,
                 uint16_t address, uint16_t count, uint16_t *regs, uint8_t *bits)
{
	int n = -1;
	errno = 0;
	if (modbus_set_slave(ctx, unit) < 0)
		return errno ? errno : EINVAL;
	switch (read) {
	case FM_READ_HOLDING:
		n = modbus_read_registers(ctx, address, count, regs);
		break;
	case FM_READ_INPUT:
		n = modbus_read_input_registers(ctx, address, count, regs);
		break;
	case FM_READ_COIL:
		n = modbus_read_bits(ctx, address, count, bits);
		break;
	case FM_READ_DISCRETE:
		n = modbus_read_input_bits(ctx, address, count, bits);
		break;
	}
	if (n == count)
		return 0;
	return n < 0 && errno ? errno : EMBBADDATA;
}

/* An answer that arrives after its request timed out is read as the
 * answer to the next request, which libmodbus rejects (EMBBADDATA: the
 * transaction id differs); the next answer is on its way by then, so a
 * flush misses it and every later request would get its predecessor's
 * answer for as long as the connection lives. Consume answers until the
 * line stays quiet for one response timeout instead; this costs a timeout
 * only when it happens, never for a unit that is merely dead. */
static void resync(modbus_t *ctx)
{
	uint8_t rsp[MODBUS_MAX_ADU_LENGTH];
	for (int i = 0; i < 64 && modbus_receive_confirmation(ctx, rsp) > 0; i++)
		;
	modbus_flush(ctx);
}

void mb_link_recover(modbus_t *ctx, int e)
{
	if (mb_errno_is_link(e) || mb_errno_is_exception(e))
		return; /* nothing to drain: gone, or a complete answer */
	if (e == EMBBADDATA)
		resync(ctx);
	else
		modbus_flush(ctx);
}

bool mb_errno_is_link(int e)
{
	switch (e) {
	case ECONNRESET:
	case ECONNABORTED:
	case EPIPE:
	case ENOTCONN:
	case EBADF:
	case ECONNREFUSED:
	case EIO:
	case ENXIO:
	case ENODEV:
		return true;
	default:
		return false;
	}
}

bool mb_errno_is_silence(int e)
{
	return e == ETIMEDOUT || e == EMBXGTAR || e == EMBXGPATH;
}

bool mb_errno_is_exception(int e)
{
	/* code 0 is not a valid one, but still a complete answer from the unit */
	return (e >= MODBUS_ENOBASE && e <= EMBXGTAR) || e == EMBBADEXC;
}

/* The Modbus application protocol's names (V1.1b3, section 7); 7 and 9
 * are not in it any more, libmodbus still knows 7. Every other code of
 * the byte is invalid. */
static const char *const exception_names[] = {
	[0x01] = "illegal function",
	[0x02] = "illegal data address",
	[0x03] = "illegal data value",
	[0x04] = "server device failure",
	[0x05] = "acknowledge: accepted, still processing",
	[0x06] = "server device busy",
	[0x07] = "negative acknowledge",
	[0x08] = "memory parity error",
	[0x0A] = "gateway path unavailable",
	[0x0B] = "gateway target device failed to respond",
};

const char *mb_exception_name(unsigned code)
{
	if (code < sizeof exception_names / sizeof exception_names[0] &&
	    exception_names[code])
		return exception_names[code];
	return "not a valid Modbus exception code";
}

const char *mb_strerror(int e)
{
	/* per thread: each bus worker formats its own */
	static _Thread_local char buf[96];
	if (e >= MODBUS_ENOBASE && e <= EMBXGTAR) {
		unsigned code = (unsigned)(e - MODBUS_ENOBASE);
		snprintf(buf, sizeof buf, "exception 0x%02X (%s)", code, mb_exception_name(code));
		return buf;
	}
	if (e == EMBBADEXC) /* libmodbus keeps no code past 0x0B */
		return "exception above 0x0B (not a valid Modbus exception code), or a "
		       "malformed exception answer";
	return modbus_strerror(e);
}

bool mb_errno_is_range(int e)
{
	return e == EMBXILADD || e == EMBXILVAL;
}
