/* probe_modbus_args.c - `facmon probe tcp|rtu`'s options.
 *
 * Owns: the values of the Modbus options (unit, address in decimal or 0x
 * hex, read kind, type, order, scale and offset, serial settings, the
 * --scan range), the tcp and rtu targets (and their refusal of SNMP
 * options), and the checks of a Modbus request once all is read: a --type
 * or --order with coils, a request over 125 registers or 2000 bits or past
 * address 65535. The option table, the modes and HOST[:PORT] are
 * probe_args.c's.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe/probe_private.h"

/* ---- values ------------------------------------------------------------ */

/* Decimal, or hex with 0x as register maps are often written; never
 * octal, so 010 is ten. */
static int parse_address(const char *s, long *out)
{
	bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	const char *digits = hex ? s + 2 : s;
	char *end;
	if (digits[0] == '\0' || digits[0] == '-' || digits[0] == '+')
		return -1;
	errno = 0;
	long v = strtol(digits, &end, hex ? 16 : 10);
	if (*end != '\0' || errno != 0 || v < 0 || v > 65535)
		return -1;
	*out = v;
	return 0;
}

static int parse_double(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (s[0] == '\0' || *end != '\0' || errno != 0 || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

static int parse_read_kind(const char *s, enum fm_read_kind *out)
{
	for (int k = FM_READ_HOLDING; k <= FM_READ_DISCRETE; k++)
		if (strcmp(s, read_kind_name((enum fm_read_kind)k)) == 0) {
			*out = (enum fm_read_kind)k;
			return 0;
		}
	return -1;
}

static int parse_type(const char *s, enum fm_value_type *out)
{
	for (int t = FM_TYPE_BOOL; t <= FM_TYPE_FLOAT64; t++)
		if (strcmp(s, value_type_name((enum fm_value_type)t)) == 0) {
			*out = (enum fm_value_type)t;
			return 0;
		}
	return -1;
}

static int parse_order(const char *s, enum fm_word_order *out)
{
	for (int w = FM_ORDER_ABCD; w <= FM_ORDER_DCBA; w++)
		if (strcmp(s, word_order_name((enum fm_word_order)w)) == 0) {
			*out = (enum fm_word_order)w;
			return 0;
		}
	return -1;
}

static bool reads_bits(enum fm_read_kind k)
{
	return k == FM_READ_COIL || k == FM_READ_DISCRETE;
}

unsigned probe_span(const struct probe_opts *o)
{
	if (reads_bits(o->read))
		return o->count;
	return o->count * (unsigned)value_type_registers(o->point.type);
}

/* ---- options ----------------------------------------------------------- */

static int opt_serial(struct probe_cli *c, int opt, const char *name, const char *arg)
{
	long v = 0;
	c->given |= G_SERIAL;
	if (!c->serial_opt)
		c->serial_opt = name;
	switch (opt) {
	case OPT_BAUD:
		if (probe_parse_long(arg, 1, 10000000, &v) == 0 && serial_baud_valid(v)) {
			c->o.bus.baud = (int)v;
			return 0;
		}
		return probe_cli_error(c, "--baud %s: not one of " FM_SERIAL_BAUDS, arg);
	case OPT_PARITY:
		/* also the letters a manual prints: 8N1, 8E1 */
		c->o.bus.parity = strlen(arg) == 1 && strchr("NEO", arg[0])
		                      ? arg[0] : serial_parity_from_name(arg);
		if (!c->o.bus.parity)
			return probe_cli_error(c, "--parity %s: want none, even or odd", arg);
		return 0;
	case OPT_DATA_BITS:
		if (probe_parse_long(arg, 7, 8, &v) != 0)
			return probe_cli_error(c, "--data-bits %s: want 7 or 8", arg);
		c->o.bus.data_bits = (int)v;
		return 0;
	default:
		if (probe_parse_long(arg, 1, 2, &v) != 0)
			return probe_cli_error(c, "--stop-bits %s: want 1 or 2", arg);
		c->o.bus.stop_bits = (int)v;
		return 0;
	}
}

/* "FROM-TO" or one unit id. */
int probe_scan_range(struct probe_cli *c, const char *arg)
{
	char from[16], to[16];
	const char *dash = strchr(arg, '-');
	long a, b;
	size_t len = dash ? (size_t)(dash - arg) : strlen(arg);
	if (len >= sizeof from || strlen(arg) - len >= sizeof to)
		return probe_cli_error(c, "--scan %s: want FROM-TO, e.g. --scan 1-32", arg);
	memcpy(from, arg, len);
	from[len] = '\0';
	snprintf(to, sizeof to, "%s", dash ? dash + 1 : from);
	if (probe_parse_long(from, 1, 247, &a) != 0 || probe_parse_long(to, 1, 247, &b) != 0)
		return probe_cli_error(c, "--scan %s: want FROM-TO with unit ids 1..247, "
		                       "e.g. --scan 1-32", arg);
	if (a > b)
		return probe_cli_error(c, "--scan %s: FROM is above TO", arg);
	c->o.scan_from = (int)a;
	c->o.scan_to = (int)b;
	return 0;
}

static int opt_what(struct probe_cli *c, int opt, const char *arg)
{
	long v;
	switch (opt) {
	case 'u':
		c->given |= G_UNIT;
		if (probe_parse_long(arg, 1, 247, &v) != 0)
			return probe_cli_error(c, "--unit %s: a unit id is 1..247%s", arg,
			                       strcmp(arg, "0") == 0 ? " (0 is broadcast, which no "
			                       "device answers)" : "");
		c->o.unit = (int)v;
		return 0;
	case 'r':
		c->given |= G_READ;
		if (parse_read_kind(arg, &c->o.read) != 0)
			return probe_cli_error(c, "--read %s: want holding, input, coil or "
			                       "discrete", arg);
		return 0;
	case 'a':
		c->given |= G_ADDRESS;
		if (parse_address(arg, &v) != 0)
			return probe_cli_error(c, "--address %s: a PDU address is 0..65535 "
			                       "(decimal, or hex as 0x...)", arg);
		c->o.address = (uint16_t)v;
		return 0;
	case 'n':
		c->given |= G_COUNT;
		if (probe_parse_long(arg, 1, FM_MODBUS_MAX_BITS, &v) != 0)
			return probe_cli_error(c, "--count %s: want a number of values; one "
			                       "request reads at most 125 registers or 2000 bits",
			                       arg);
		c->o.count = (unsigned)v;
		return 0;
	default:
		return -2; /* not one of these */
	}
}

static int opt_decode(struct probe_cli *c, int opt, const char *arg)
{
	switch (opt) {
	case 't':
		c->given |= G_TYPE;
		if (parse_type(arg, &c->o.point.type) != 0)
			return probe_cli_error(c, "--type %s: unknown type; want bool, int16, "
			                       "uint16, int32, uint32, float32, int64, uint64 or "
			                       "float64", arg);
		return 0;
	case 'o':
		c->given |= G_ORDER;
		if (parse_order(arg, &c->o.point.order) != 0)
			return probe_cli_error(c, "--order %s: want abcd, cdab, badc or dcba", arg);
		return 0;
	case OPT_SCALE:
		c->given |= G_SCALE;
		if (parse_double(arg, &c->o.point.scale) != 0 || c->o.point.scale == 0)
			return probe_cli_error(c, "--scale %s: want a number other than 0", arg);
		return 0;
	case OPT_OFFSET:
		c->given |= G_OFFSET;
		if (parse_double(arg, &c->o.point.offset) != 0)
			return probe_cli_error(c, "--offset %s: want a number", arg);
		return 0;
	default:
		return -2;
	}
}

int probe_modbus_opt(struct probe_cli *c, int opt, const char *name, const char *arg)
{
	if (opt >= OPT_BAUD && opt <= OPT_STOP_BITS)
		return opt_serial(c, opt, name, arg);
	int rc = opt_what(c, opt, arg);
	return rc == -2 ? opt_decode(c, opt, arg) : rc;
}

/* ---- where ------------------------------------------------------------- */

/* What tcp and rtu refuse: SNMP options, words after the target. */
static int check_modbus_only(struct probe_cli *c)
{
	if (c->given & G_SNMP_ONLY)
		return probe_cli_error(c, "--%s is an SNMP option; it applies to snmp only",
		                       c->snmp_opt);
	if (c->nrest > 0)
		return probe_cli_error(c, "unexpected argument '%s'", c->rest[0]);
	return 0;
}

int probe_tcp_target(struct probe_cli *c)
{
	c->o.bus.type = FM_BUS_MODBUS_TCP;
	if (!c->target)
		return probe_cli_error(c, "tcp needs the device's or gateway's address: "
		                       "facmon probe tcp HOST[:PORT]");
	if (c->given & G_SERIAL)
		return probe_cli_error(c, "--%s is a serial setting; it applies to rtu only",
		                       c->serial_opt);
	if (check_modbus_only(c) != 0)
		return -1;
	return probe_host_port(c, c->target, 502);
}

int probe_rtu_target(struct probe_cli *c)
{
	c->o.bus.type = FM_BUS_MODBUS_RTU;
	if (!c->target)
		return probe_cli_error(c, "rtu needs the serial device: facmon probe rtu "
		                       "/dev/ttyUSB0 (see ls /dev/serial/by-id/)");
	if (check_modbus_only(c) != 0)
		return -1;
	if (strlen(c->target) >= sizeof c->o.bus.device)
		return probe_cli_error(c, "'%s': the device path is too long", c->target);
	snprintf(c->o.bus.device, sizeof c->o.bus.device, "%s", c->target);
	return 0;
}

/* ---- combinations ------------------------------------------------------ */

static int check_types(struct probe_cli *c)
{
	struct probe_opts *o = &c->o;
	bool bits = reads_bits(o->read);
	if (bits && (c->given & G_TYPE) && o->point.type != FM_TYPE_BOOL)
		return probe_cli_error(c, "--type %s with --read %s: coils and discrete inputs "
		                       "are single bits; leave --type out (bool)",
		                       value_type_name(o->point.type), read_kind_name(o->read));
	if (bits && (c->given & G_ORDER))
		return probe_cli_error(c, "--order with --read %s: bits have no byte order",
		                       read_kind_name(o->read));
	if (bits && o->mode == PROBE_MODE_ALL_ORDERS)
		return probe_cli_error(c, "--all-orders reads registers: use --read holding "
		                       "or input");
	if (!(c->given & G_TYPE))
		o->point.type = bits ? FM_TYPE_BOOL : FM_TYPE_UINT16;
	return 0;
}

/* The request must fit one Modbus PDU and the address space. */
static int check_span(struct probe_cli *c)
{
	struct probe_opts *o = &c->o;
	unsigned span = o->mode == PROBE_MODE_ALL_ORDERS ? 2
	                : o->mode == PROBE_MODE_READ ? probe_span(o) : 1;
	unsigned per = reads_bits(o->read) ? 1 : (unsigned)value_type_registers(o->point.type);
	unsigned max = reads_bits(o->read) ? FM_MODBUS_MAX_BITS : FM_MODBUS_MAX_REGISTERS;
	if (o->mode == PROBE_MODE_READ && span > max) {
		if (per == 1)
			return probe_cli_error(c, "--count %u: one request reads at most %u %s",
			                       o->count, max,
			                       reads_bits(o->read) ? "bits" : "registers");
		return probe_cli_error(c, "--count %u of %s is %u registers; one request reads "
		                       "at most %u (%u %s values)", o->count,
		                       value_type_name(o->point.type), span, max, max / per,
		                       value_type_name(o->point.type));
	}
	if ((unsigned long)o->address + span - 1 > 65535)
		return probe_cli_error(c, "--address %u with %u %s ends at %lu, past the last "
		                       "address 65535", o->address, span,
		                       reads_bits(o->read) ? "bits" : "registers",
		                       (unsigned long)o->address + span - 1);
	return 0;
}

int probe_modbus_check(struct probe_cli *c)
{
	return check_types(c) != 0 || check_span(c) != 0 ? -1 : 0;
}
