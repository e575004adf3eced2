/* modbus_link.h - one libmodbus context for one bus, and what its errors mean.
 *
 * Owns: creating and connecting a modbus_t for a modbus-tcp or modbus-rtu
 * bus (timeouts, serial settings), reading one block of registers or bits
 * from one unit, and classifying libmodbus's errno values: the link is
 * gone, the unit is silent, or the unit answered with an exception. Used by
 * the collector (modbus.c) and by `facmon probe`, so both open a line the
 * same way and say the same things about it.
 */
#ifndef FACMON_MODBUS_LINK_H
#define FACMON_MODBUS_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <modbus.h>

#include "config/config.h"

/* "host:port", "[v6]:port" or "/dev/ttyUSB0 9600 8N1". */
void mb_link_describe(const struct fm_bus *bus, char *buf, size_t len);

/* Creates and connects a context for BUS. NULL with the reason in ERR
 * ("connect 127.0.0.1:502: Connection refused", "open /dev/ttyUSB0: ...")
 * and in errno (ECONNREFUSED, ETIMEDOUT, ENOENT...; 0 for a host name that
 * does not resolve, which ERR names). */
modbus_t *mb_link_open(const struct fm_bus *bus, char *err, size_t errlen);
void mb_link_close(modbus_t *ctx);

/* Reads COUNT registers (into REGS) or bits (into BITS) of kind READ at
 * ADDRESS from UNIT. Returns 0, or the errno libmodbus left (positive). */
int mb_link_read(modbus_t *ctx, int unit, enum fm_read_kind read,
                 uint16_t address, uint16_t count, uint16_t *regs, uint8_t *bits);

/* After a failed read: drops what is left of a late or garbled answer so
 * the next request gets its own. E is the errno of the failure. */
void mb_link_recover(modbus_t *ctx, int e);

/* The link itself failed (reset, closed, unplugged): reopen it. */
bool mb_errno_is_link(int e);
/* The unit did not answer: a timeout, or a gateway saying so. */
bool mb_errno_is_silence(int e);
/* The name of Modbus exception CODE (0..255): "illegal data address", or
 * "not a valid Modbus exception code". */
const char *mb_exception_name(unsigned code);
/* What libmodbus's errno E means, as every Modbus message says it: an
 * exception as "exception 0x02 (illegal data address)", whatever its code
 * (libmodbus's own strerror gives "Unknown error 112345678" for code 0),
 * anything else as modbus_strerror(). Valid until the thread's next call. */
const char *mb_strerror(int e);
/* The unit answered with a Modbus exception (a complete answer). */
bool mb_errno_is_exception(int e);
/* An exception that says "not this range" rather than "not now": reading
 * the block's points one by one may succeed. */
bool mb_errno_is_range(int e);

#endif
