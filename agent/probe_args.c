/* probe_args.c - `facmon probe`'s command line into a probe_opts.
 *
 * Owns: getopt parsing of the probe's arguments, the value parsers (unit,
 * address in decimal or 0x hex, type, order, serial settings, scan range,
 * HOST[:PORT]; those of snmp's options are probe_snmp_args.c's) and the
 * checks of combinations (a --type with coils, a request past address
 * 65535 or over 125 registers, options that mean nothing in the chosen
 * mode or transport, SNMPv3 options without --version 3). Every problem is
 * one message naming the option and what it wants, and nothing touches
 * the line before all is valid. The limits are the config's
 * (config/load_*.c), so a read that works here can be written into a
 * config as it is.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/probe_private.h"

/* Which options were given, to reject combinations that mean nothing. */
enum {
	G_UNIT = 1 << 0, G_READ = 1 << 1, G_ADDRESS = 1 << 2, G_COUNT = 1 << 3,
	G_TYPE = 1 << 4, G_ORDER = 1 << 5, G_SCALE = 1 << 6, G_OFFSET = 1 << 7,
	G_TIMEOUT = 1 << 8, G_SERIAL = 1 << 9, G_ALL_ORDERS = 1 << 10,
	G_PROFILE = 1 << 11, G_PROFILE_DIR = 1 << 12, G_SCAN = 1 << 13,
	/* snmp */
	G_VERSION = 1 << 14, G_COMMUNITY = 1 << 15, G_USER = 1 << 16, G_LEVEL = 1 << 17,
	G_AUTH_PROTOCOL = 1 << 18, G_AUTH_FILE = 1 << 19, G_PRIV_PROTOCOL = 1 << 20,
	G_PRIV_FILE = 1 << 21, G_RETRIES = 1 << 22,
};

/* The options that mean nothing to an SNMP agent, and those that mean
 * nothing to a Modbus device. */
#define G_MODBUS_ONLY (G_UNIT | G_READ | G_ADDRESS | G_COUNT | G_TYPE | G_ORDER | \
                       G_SCALE | G_OFFSET | G_SERIAL | G_ALL_ORDERS | G_SCAN)
#define G_SNMP_ONLY (G_VERSION | G_COMMUNITY | G_USER | G_LEVEL | G_AUTH_PROTOCOL | \
                     G_AUTH_FILE | G_PRIV_PROTOCOL | G_PRIV_FILE | G_RETRIES)
#define G_SNMP_V3 (G_USER | G_LEVEL | G_AUTH_PROTOCOL | G_AUTH_FILE | \
                   G_PRIV_PROTOCOL | G_PRIV_FILE)

enum {
	OPT_BAUD = 256, OPT_PARITY, OPT_DATA_BITS, OPT_STOP_BITS, OPT_SCALE,
	OPT_OFFSET, OPT_TIMEOUT, OPT_ALL_ORDERS, OPT_PROFILE, OPT_PROFILE_DIR,
	OPT_SCAN, OPT_JSON,
	OPT_VERSION, OPT_COMMUNITY, OPT_USER, OPT_LEVEL, OPT_AUTH_PROTOCOL,
	OPT_AUTH_FILE, OPT_PRIV_PROTOCOL, OPT_PRIV_FILE, OPT_RETRIES,
};

struct probe_cli {
	struct probe_opts o;
	unsigned given;
	const char *serial_opt; /* the first serial option given, for messages */
	const char *snmp_opt;   /* the first SNMP option given, for messages */
	const char *transport;
	const char *target;
	char **rest;            /* the words after the target: snmp's OIDs */
	size_t nrest;
	const char *auth_file;  /* snmp v3, checked once the level is known */
	const char *priv_file;
	char err[FM_TEXT_MAX * 2];
};

static int cli_error(struct probe_cli *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int cli_error(struct probe_cli *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof c->err, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- values ------------------------------------------------------------ */

/* The whole of S as a decimal integer in [MIN, MAX]. */
static int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (s[0] == '\0' || *end != '\0' || errno != 0 || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

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
	static const int rates[] = {1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200};
	long v = 0;
	c->given |= G_SERIAL;
	if (!c->serial_opt)
		c->serial_opt = name;
	switch (opt) {
	case OPT_BAUD:
		if (parse_long(arg, 1, 10000000, &v) == 0)
			for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++)
				if (rates[i] == v) {
					c->o.bus.baud = (int)v;
					return 0;
				}
		return cli_error(c, "--baud %s: not one of 1200, 2400, 4800, 9600, "
		                 "19200, 38400, 57600, 115200", arg);
	case OPT_PARITY:
		if (strcmp(arg, "none") == 0 || strcmp(arg, "N") == 0)
			c->o.bus.parity = 'N';
		else if (strcmp(arg, "even") == 0 || strcmp(arg, "E") == 0)
			c->o.bus.parity = 'E';
		else if (strcmp(arg, "odd") == 0 || strcmp(arg, "O") == 0)
			c->o.bus.parity = 'O';
		else
			return cli_error(c, "--parity %s: want none, even or odd", arg);
		return 0;
	case OPT_DATA_BITS:
		if (parse_long(arg, 7, 8, &v) != 0)
			return cli_error(c, "--data-bits %s: want 7 or 8", arg);
		c->o.bus.data_bits = (int)v;
		return 0;
	default:
		if (parse_long(arg, 1, 2, &v) != 0)
			return cli_error(c, "--stop-bits %s: want 1 or 2", arg);
		c->o.bus.stop_bits = (int)v;
		return 0;
	}
}

/* "FROM-TO" or one unit id. */
static int opt_scan_range(struct probe_cli *c, const char *arg)
{
	char from[16], to[16];
	const char *dash = strchr(arg, '-');
	long a, b;
	size_t len = dash ? (size_t)(dash - arg) : strlen(arg);
	if (len >= sizeof from || strlen(arg) - len >= sizeof to)
		return cli_error(c, "--scan %s: want FROM-TO, e.g. --scan 1-32", arg);
	memcpy(from, arg, len);
	from[len] = '\0';
	snprintf(to, sizeof to, "%s", dash ? dash + 1 : from);
	if (parse_long(from, 1, 247, &a) != 0 || parse_long(to, 1, 247, &b) != 0)
		return cli_error(c, "--scan %s: want FROM-TO with unit ids 1..247, "
		                 "e.g. --scan 1-32", arg);
	if (a > b)
		return cli_error(c, "--scan %s: FROM is above TO", arg);
	c->o.scan_from = (int)a;
	c->o.scan_to = (int)b;
	return 0;
}

/* --scan's range is optional and may be the next word ("--scan 1-5"). */
static bool looks_like_range(const char *s)
{
	return s && s[0] >= '0' && s[0] <= '9' && strspn(s, "0123456789-") == strlen(s);
}

static int opt_what(struct probe_cli *c, int opt, const char *arg)
{
	long v;
	switch (opt) {
	case 'u':
		c->given |= G_UNIT;
		if (parse_long(arg, 1, 247, &v) != 0)
			return cli_error(c, "--unit %s: a unit id is 1..247%s", arg,
			                 strcmp(arg, "0") == 0 ? " (0 is broadcast, which no "
			                 "device answers)" : "");
		c->o.unit = (int)v;
		return 0;
	case 'r':
		c->given |= G_READ;
		if (parse_read_kind(arg, &c->o.read) != 0)
			return cli_error(c, "--read %s: want holding, input, coil or discrete", arg);
		return 0;
	case 'a':
		c->given |= G_ADDRESS;
		if (parse_address(arg, &v) != 0)
			return cli_error(c, "--address %s: a PDU address is 0..65535 "
			                 "(decimal, or hex as 0x...)", arg);
		c->o.address = (uint16_t)v;
		return 0;
	case 'n':
		c->given |= G_COUNT;
		if (parse_long(arg, 1, FM_MODBUS_MAX_BITS, &v) != 0)
			return cli_error(c, "--count %s: want a number of values; one request "
			                 "reads at most 125 registers or 2000 bits", arg);
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
			return cli_error(c, "--type %s: unknown type; want bool, int16, uint16, "
			                 "int32, uint32, float32, int64, uint64 or float64", arg);
		return 0;
	case 'o':
		c->given |= G_ORDER;
		if (parse_order(arg, &c->o.point.order) != 0)
			return cli_error(c, "--order %s: want abcd, cdab, badc or dcba", arg);
		return 0;
	case OPT_SCALE:
		c->given |= G_SCALE;
		if (parse_double(arg, &c->o.point.scale) != 0 || c->o.point.scale == 0)
			return cli_error(c, "--scale %s: want a number other than 0", arg);
		return 0;
	case OPT_OFFSET:
		c->given |= G_OFFSET;
		if (parse_double(arg, &c->o.point.offset) != 0)
			return cli_error(c, "--offset %s: want a number", arg);
		return 0;
	default:
		return -2;
	}
}

static int opt_other(struct probe_cli *c, int opt, const char *arg,
                     char **argv, int argc)
{
	long v;
	switch (opt) {
	case OPT_TIMEOUT:
		c->given |= G_TIMEOUT;
		if (parse_long(arg, 10, 60000, &v) != 0)
			return cli_error(c, "--timeout %s: want 10..60000 (milliseconds)", arg);
		c->o.bus.timeout_ms = (int)v;
		return 0;
	case OPT_ALL_ORDERS:
		c->given |= G_ALL_ORDERS;
		return 0;
	case OPT_PROFILE:
		c->given |= G_PROFILE;
		c->o.profile = arg;
		return 0;
	case OPT_PROFILE_DIR:
		c->given |= G_PROFILE_DIR;
		c->o.profile_dir = arg;
		return 0;
	case OPT_SCAN:
		c->given |= G_SCAN;
		if (!arg && optind < argc && looks_like_range(argv[optind]))
			arg = argv[optind++];
		return arg ? opt_scan_range(c, arg) : 0;
	case OPT_JSON:
		c->o.json = true;
		return 0;
	default:
		return -2;
	}
}

/* ---- snmp options ------------------------------------------------------ */

/* ARG into OUT (OUTSZ bytes with the NUL); never empty. */
static int opt_text(struct probe_cli *c, const char *opt, const char *arg,
                    char *out, size_t outsz)
{
	if (arg[0] == '\0')
		return cli_error(c, "--%s must not be empty", opt);
	if (strlen(arg) >= outsz)
		return cli_error(c, "--%s: too long (at most %zu characters)", opt, outsz - 1);
	memcpy(out, arg, strlen(arg) + 1);
	return 0;
}

static int opt_snmp_enum(struct probe_cli *c, int opt, const char *arg)
{
	struct fm_snmp_conf *s = &c->o.snmp;
	switch (opt) {
	case OPT_VERSION:
		c->given |= G_VERSION;
		if (probe_parse_snmp_version(arg, &s->version) != 0)
			return cli_error(c, "--version %s: want 1, 2c or 3%s", arg,
			                 strcmp(arg, "2") == 0 ? " (SNMPv2 is 2c)" : "");
		return 0;
	case OPT_LEVEL:
		c->given |= G_LEVEL;
		if (probe_parse_snmp_level(arg, &s->level) != 0)
			return cli_error(c, "--level %s: want noAuthNoPriv, authNoPriv or "
			                 "authPriv", arg);
		return 0;
	case OPT_AUTH_PROTOCOL:
		c->given |= G_AUTH_PROTOCOL;
		if (probe_parse_snmp_auth(arg, &s->auth) != 0)
			return cli_error(c, "--auth-protocol %s: want SHA, SHA-224, SHA-256, "
			                 "SHA-384, SHA-512 or MD5", arg);
		return 0;
	case OPT_PRIV_PROTOCOL:
		c->given |= G_PRIV_PROTOCOL;
		if (probe_parse_snmp_priv(arg, &s->priv) != 0)
			return cli_error(c, "--priv-protocol %s: want AES, AES-192, AES-256 or "
			                 "DES", arg);
		return 0;
	default:
		return -2;
	}
}

static int opt_snmp(struct probe_cli *c, int opt, const char *name, const char *arg)
{
	struct fm_snmp_conf *s = &c->o.snmp;
	long v;
	if (opt < OPT_VERSION || opt > OPT_RETRIES)
		return -2;
	if (!c->snmp_opt)
		c->snmp_opt = name;
	switch (opt) {
	case OPT_COMMUNITY:
		c->given |= G_COMMUNITY;
		return opt_text(c, name, arg, s->community, sizeof s->community);
	case OPT_USER:
		c->given |= G_USER;
		return opt_text(c, name, arg, s->user, sizeof s->user);
	case OPT_AUTH_FILE:
		c->given |= G_AUTH_FILE;
		c->auth_file = arg;
		return opt_text(c, name, arg, s->auth_passphrase_file,
		                sizeof s->auth_passphrase_file);
	case OPT_PRIV_FILE:
		c->given |= G_PRIV_FILE;
		c->priv_file = arg;
		return opt_text(c, name, arg, s->priv_passphrase_file,
		                sizeof s->priv_passphrase_file);
	case OPT_RETRIES:
		c->given |= G_RETRIES;
		if (parse_long(arg, 0, 10, &v) != 0)
			return cli_error(c, "--retries %s: want 0..10 (tries after the first)", arg);
		s->retries = (int)v;
		return 0;
	default:
		return opt_snmp_enum(c, opt, arg);
	}
}

static const struct option probe_long_opts[] = {
	{"unit", required_argument, NULL, 'u'},
	{"read", required_argument, NULL, 'r'},
	{"address", required_argument, NULL, 'a'},
	{"count", required_argument, NULL, 'n'},
	{"type", required_argument, NULL, 't'},
	{"order", required_argument, NULL, 'o'},
	{"scale", required_argument, NULL, OPT_SCALE},
	{"offset", required_argument, NULL, OPT_OFFSET},
	{"timeout", required_argument, NULL, OPT_TIMEOUT},
	{"baud", required_argument, NULL, OPT_BAUD},
	{"parity", required_argument, NULL, OPT_PARITY},
	{"data-bits", required_argument, NULL, OPT_DATA_BITS},
	{"stop-bits", required_argument, NULL, OPT_STOP_BITS},
	{"all-orders", no_argument, NULL, OPT_ALL_ORDERS},
	{"profile", required_argument, NULL, OPT_PROFILE},
	{"profile-dir", required_argument, NULL, OPT_PROFILE_DIR},
	{"scan", optional_argument, NULL, OPT_SCAN},
	{"json", no_argument, NULL, OPT_JSON},
	{"version", required_argument, NULL, OPT_VERSION},
	{"community", required_argument, NULL, OPT_COMMUNITY},
	{"user", required_argument, NULL, OPT_USER},
	{"level", required_argument, NULL, OPT_LEVEL},
	{"auth-protocol", required_argument, NULL, OPT_AUTH_PROTOCOL},
	{"auth-passphrase-file", required_argument, NULL, OPT_AUTH_FILE},
	{"priv-protocol", required_argument, NULL, OPT_PRIV_PROTOCOL},
	{"priv-passphrase-file", required_argument, NULL, OPT_PRIV_FILE},
	{"retries", required_argument, NULL, OPT_RETRIES},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static const char *long_name(int opt)
{
	for (const struct option *p = probe_long_opts; p->name; p++)
		if (p->val == opt)
			return p->name;
	return "?";
}

/* getopt's own complaint, in our words. */
static int bad_option(struct probe_cli *c, int opt, char **argv)
{
	const char *word = argv[optind - 1];
	if (opt == ':')
		return cli_error(c, "%s needs a value", word);
	if (optopt != 0 && strncmp(word, "--", 2) != 0)
		return cli_error(c, "unknown option -%c", optopt);
	return cli_error(c, "unknown option '%s'", word);
}

/* Returns 1 for --help, 0 parsed, -1 with the message in C->err. */
static int parse_args(struct probe_cli *c, int argc, char **argv)
{
	int opt;
	optind = 0; /* a full reset of GNU getopt, should anything have parsed before */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":u:r:a:n:t:o:h", probe_long_opts, NULL)) != -1) {
		if (opt == 'h')
			return 1;
		if (opt == '?' || opt == ':')
			return bad_option(c, opt, argv);
		int rc = opt >= OPT_BAUD && opt <= OPT_STOP_BITS
		         ? opt_serial(c, opt, long_name(opt), optarg) : -2;
		if (rc == -2)
			rc = opt_what(c, opt, optarg);
		if (rc == -2)
			rc = opt_decode(c, opt, optarg);
		if (rc == -2)
			rc = opt_other(c, opt, optarg, argv, argc);
		if (rc == -2)
			rc = opt_snmp(c, opt, long_name(opt), optarg);
		if (rc != 0)
			return -1;
	}
	if (optind < argc)
		c->transport = argv[optind++];
	if (optind < argc)
		c->target = argv[optind++];
	c->rest = argv + optind;
	c->nrest = (size_t)(argc - optind);
	return 0;
}

/* ---- where ------------------------------------------------------------- */

/* HOST, HOST:PORT, [V6]:PORT, or a bare IPv6 address; PORT defaults to
 * DEFAULT_PORT. */
static int parse_host_port(struct probe_cli *c, const char *s, int default_port)
{
	struct fm_bus *b = &c->o.bus;
	const char *host = s, *port = NULL;
	size_t hostlen = strlen(s);
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || (close[1] != '\0' && close[1] != ':'))
			return cli_error(c, "'%s': want [IPV6-ADDRESS]:PORT", s);
		host = s + 1;
		hostlen = (size_t)(close - host);
		port = close[1] == ':' ? close + 2 : NULL;
	} else if (strchr(s, ':') && strchr(s, ':') == strrchr(s, ':')) {
		port = strchr(s, ':') + 1;
		hostlen = (size_t)(port - 1 - s);
	}
	if (hostlen == 0 || hostlen >= sizeof b->host)
		return cli_error(c, "'%s': want HOST or HOST:PORT", s);
	memcpy(b->host, host, hostlen);
	b->host[hostlen] = '\0';
	long v = default_port;
	if (port && parse_long(port, 1, 65535, &v) != 0)
		return cli_error(c, "'%s': the port must be 1..65535", s);
	b->port = (int)v;
	return 0;
}

static const char *first_given(unsigned given, unsigned mask);

/* What tcp and rtu refuse: SNMP options, words after the target. */
static int check_modbus_only(struct probe_cli *c)
{
	if (c->given & G_SNMP_ONLY)
		return cli_error(c, "--%s is an SNMP option; it applies to snmp only",
		                 c->snmp_opt);
	if (c->nrest > 0)
		return cli_error(c, "unexpected argument '%s'", c->rest[0]);
	return 0;
}

/* "1.3.6.1.2.1.1.3.0" where the agent's address belongs: digits and dots,
 * but not the four numbers of an IPv4 address. */
static bool looks_like_oid(const char *s)
{
	size_t dots = 0;
	if (strspn(s, "0123456789.") != strlen(s))
		return false;
	for (const char *p = s; *p; p++)
		dots += *p == '.';
	return s[0] == '.' || dots > 3;
}

static int parse_snmp_target(struct probe_cli *c)
{
	struct probe_opts *o = &c->o;
	o->bus.type = FM_BUS_SNMP;
	snprintf(o->bus.name, sizeof o->bus.name, "%s", FM_SNMP_BUS_NAME);
	if (!c->target)
		return cli_error(c, "snmp needs the agent's address: facmon probe snmp "
		                 "HOST[:PORT] OID... (or --profile NAME)");
	if (looks_like_oid(c->target))
		return cli_error(c, "'%s' looks like an OID; give the agent's address "
		                 "first: facmon probe snmp HOST[:PORT] OID...", c->target);
	if (c->given & G_SERIAL)
		return cli_error(c, "--%s is a serial setting of Modbus RTU; snmp reads OIDs",
		                 c->serial_opt);
	const char *clash = first_given(c->given, G_MODBUS_ONLY);
	if (clash)
		return cli_error(c, "%s is a Modbus option; snmp reads OIDs: facmon probe "
		                 "snmp HOST[:PORT] OID... (or --profile NAME)", clash);
	if (parse_host_port(c, c->target, PROBE_SNMP_PORT) != 0)
		return -1;
	snprintf(o->snmp.host, sizeof o->snmp.host, "%s", o->bus.host);
	o->snmp.port = o->bus.port;
	return 0;
}

static int parse_target(struct probe_cli *c)
{
	if (!c->transport)
		return cli_error(c, "say where the device is: tcp HOST[:PORT] or rtu DEVICE "
		                 "(Modbus), or snmp HOST[:PORT] (an SNMP agent)");
	if (strcmp(c->transport, "tcp") == 0) {
		c->o.bus.type = FM_BUS_MODBUS_TCP;
		if (!c->target)
			return cli_error(c, "tcp needs the device's or gateway's address: "
			                 "facmon probe tcp HOST[:PORT]");
		if (c->given & G_SERIAL)
			return cli_error(c, "--%s is a serial setting; it applies to rtu only",
			                 c->serial_opt);
		if (check_modbus_only(c) != 0)
			return -1;
		return parse_host_port(c, c->target, 502);
	}
	if (strcmp(c->transport, "rtu") == 0) {
		c->o.bus.type = FM_BUS_MODBUS_RTU;
		if (!c->target)
			return cli_error(c, "rtu needs the serial device: facmon probe rtu "
			                 "/dev/ttyUSB0 (see ls /dev/serial/by-id/)");
		if (check_modbus_only(c) != 0)
			return -1;
		if (strlen(c->target) >= sizeof c->o.bus.device)
			return cli_error(c, "'%s': the device path is too long", c->target);
		snprintf(c->o.bus.device, sizeof c->o.bus.device, "%s", c->target);
		return 0;
	}
	if (strcmp(c->transport, "snmp") == 0)
		return parse_snmp_target(c);
	return cli_error(c, "unknown transport '%s': want tcp HOST[:PORT] or rtu DEVICE "
	                 "(Modbus), or snmp HOST[:PORT] (an SNMP agent)", c->transport);
}

/* ---- combinations ------------------------------------------------------ */

/* The first option in MASK that was given, named for a message. */
static const char *first_given(unsigned given, unsigned mask)
{
	static const struct { unsigned bit; const char *name; } names[] = {
		{G_UNIT, "--unit"}, {G_READ, "--read"}, {G_ADDRESS, "--address"},
		{G_COUNT, "--count"}, {G_TYPE, "--type"}, {G_ORDER, "--order"},
		{G_SCALE, "--scale"}, {G_OFFSET, "--offset"},
		{G_ALL_ORDERS, "--all-orders"}, {G_PROFILE, "--profile"},
		{G_SCAN, "--scan"}, {G_USER, "--user"}, {G_LEVEL, "--level"},
		{G_AUTH_PROTOCOL, "--auth-protocol"}, {G_AUTH_FILE, "--auth-passphrase-file"},
		{G_PRIV_PROTOCOL, "--priv-protocol"}, {G_PRIV_FILE, "--priv-passphrase-file"},
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (given & mask & names[i].bit)
			return names[i].name;
	return NULL;
}

static int pick_mode(struct probe_cli *c)
{
	unsigned modes = c->given & (G_ALL_ORDERS | G_PROFILE | G_SCAN);
	const char *clash;
	if (modes & (modes - 1))
		return cli_error(c, "--all-orders, --profile and --scan are separate "
		                 "jobs: give one of them");
	if ((c->given & G_PROFILE_DIR) && !(c->given & G_PROFILE))
		return cli_error(c, "--profile-dir is for --profile");
	if (modes == G_PROFILE) {
		c->o.mode = PROBE_MODE_PROFILE;
		clash = first_given(c->given, G_READ | G_ADDRESS | G_COUNT | G_TYPE |
		                    G_ORDER | G_SCALE | G_OFFSET);
		if (clash)
			return cli_error(c, "%s does not apply to --profile: the profile "
			                 "says what to read and how", clash);
	} else if (modes == G_SCAN) {
		c->o.mode = PROBE_MODE_SCAN;
		clash = first_given(c->given, G_UNIT | G_COUNT | G_TYPE | G_ORDER |
		                    G_SCALE | G_OFFSET);
		if (clash)
			return cli_error(c, "%s does not apply to --scan, which asks every "
			                 "unit id for one --read/--address value", clash);
	} else if (modes == G_ALL_ORDERS) {
		c->o.mode = PROBE_MODE_ALL_ORDERS;
		clash = first_given(c->given, G_COUNT | G_TYPE | G_ORDER);
		if (clash)
			return cli_error(c, "%s does not apply to --all-orders, which shows "
			                 "2 registers as every 32-bit type in every order", clash);
	}
	return 0;
}

static int check_types(struct probe_cli *c)
{
	struct probe_opts *o = &c->o;
	bool bits = reads_bits(o->read);
	if (bits && (c->given & G_TYPE) && o->point.type != FM_TYPE_BOOL)
		return cli_error(c, "--type %s with --read %s: coils and discrete inputs "
		                 "are single bits; leave --type out (bool)",
		                 value_type_name(o->point.type), read_kind_name(o->read));
	if (bits && (c->given & G_ORDER))
		return cli_error(c, "--order with --read %s: bits have no byte order",
		                 read_kind_name(o->read));
	if (bits && o->mode == PROBE_MODE_ALL_ORDERS)
		return cli_error(c, "--all-orders reads registers: use --read holding "
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
			return cli_error(c, "--count %u: one request reads at most %u %s",
			                 o->count, max, reads_bits(o->read) ? "bits" : "registers");
		return cli_error(c, "--count %u of %s is %u registers; one request reads "
		                 "at most %u (%u %s values)", o->count,
		                 value_type_name(o->point.type), span, max, max / per,
		                 value_type_name(o->point.type));
	}
	if ((unsigned long)o->address + span - 1 > 65535)
		return cli_error(c, "--address %u with %u %s ends at %lu, past the last "
		                 "address 65535", o->address, span,
		                 reads_bits(o->read) ? "bits" : "registers",
		                 (unsigned long)o->address + span - 1);
	return 0;
}

/* ---- snmp: which options go together ----------------------------------- */

static int check_secret(struct probe_cli *c, const char *opt, const char *path)
{
	return probe_check_secret_file(opt, path, c->err, sizeof c->err);
}

static int check_v3(struct probe_cli *c)
{
	struct fm_snmp_conf *s = &c->o.snmp;
	const char *level = probe_snmp_level_name(s->level);
	if (c->given & G_COMMUNITY)
		return cli_error(c, "--community is for --version 1 and 2c; SNMPv3 "
		                 "authenticates with --user and --level (and passphrase files)");
	if (!(c->given & G_USER))
		return cli_error(c, "--version 3 needs --user: the SNMPv3 user configured "
		                 "on the agent");
	if (s->level == FM_SNMP_NOAUTH && (c->given & (G_AUTH_PROTOCOL | G_AUTH_FILE)))
		return cli_error(c, "--%s is not used with --level noAuthNoPriv (no "
		                 "authentication); leave it out or raise --level",
		                 c->given & G_AUTH_PROTOCOL ? "auth-protocol" : "auth-passphrase-file");
	if (s->level != FM_SNMP_AUTHPRIV && (c->given & (G_PRIV_PROTOCOL | G_PRIV_FILE)))
		return cli_error(c, "--%s is not used with --level %s (no encryption); leave "
		                 "it out or use --level authPriv",
		                 c->given & G_PRIV_PROTOCOL ? "priv-protocol" : "priv-passphrase-file",
		                 level);
	if (s->level == FM_SNMP_NOAUTH) {
		s->auth = FM_AUTH_NONE;
		s->priv = FM_PRIV_NONE;
		return 0;
	}
	if (!c->auth_file)
		return cli_error(c, "--level %s%s needs --auth-passphrase-file FILE (the "
		                 "passphrase on its first line, chmod 600)", level,
		                 c->given & G_LEVEL ? "" : " (the default)");
	if (check_secret(c, "auth-passphrase-file", c->auth_file) != 0)
		return -1;
	if (s->level == FM_SNMP_AUTHNOPRIV) {
		s->priv = FM_PRIV_NONE;
		return 0;
	}
	if (!c->priv_file)
		return cli_error(c, "--level authPriv%s needs --priv-passphrase-file FILE "
		                 "(the passphrase on its first line, chmod 600)",
		                 c->given & G_LEVEL ? "" : " (the default)");
	return check_secret(c, "priv-passphrase-file", c->priv_file);
}

static int check_snmp(struct probe_cli *c)
{
	struct probe_opts *o = &c->o;
	if (o->snmp.version == FM_SNMP_V3) {
		if (check_v3(c) != 0)
			return -1;
	} else if (c->given & G_SNMP_V3) {
		return cli_error(c, "%s is an SNMPv3 option; add --version 3 (this probe "
		                 "speaks version %s, with --community)",
		                 first_given(c->given, G_SNMP_V3),
		                 probe_snmp_version_name(o->snmp.version));
	}
	o->snmp.timeout_ms = o->bus.timeout_ms;
	if (o->mode == PROBE_MODE_PROFILE && c->nrest > 0)
		return cli_error(c, "'%s': give OIDs or --profile, not both", c->rest[0]);
	if (o->mode != PROBE_MODE_PROFILE && c->nrest == 0)
		return cli_error(c, "say what to read: numeric OIDs (facmon probe snmp %s "
		                 "1.3.6.1.2.1.1.3.0) or --profile NAME", c->target);
	for (size_t i = 0; i < c->nrest; i++)
		if (probe_check_oid(c->rest[i], c->err, sizeof c->err) != 0)
			return -1;
	o->oids = c->rest;
	o->noids = c->nrest;
	return 0;
}

static void set_defaults(struct probe_opts *o)
{
	memset(o, 0, sizeof *o);
	snprintf(o->bus.name, sizeof o->bus.name, "probe");
	o->bus.baud = 9600;
	o->bus.parity = 'N';
	o->bus.data_bits = 8;
	o->bus.stop_bits = 1;
	o->bus.timeout_ms = PROBE_TIMEOUT_MS;
	o->mode = PROBE_MODE_READ;
	o->unit = 1;
	o->read = FM_READ_HOLDING;
	o->count = 1;
	o->point.type = FM_TYPE_UINT16;
	o->point.order = FM_ORDER_ABCD;
	o->point.bit = -1;
	o->point.scale = 1.0;
	o->scan_from = 1;
	o->scan_to = 247;
	o->snmp.port = PROBE_SNMP_PORT;
	o->snmp.version = FM_SNMP_V2C;
	snprintf(o->snmp.community, sizeof o->snmp.community, "public");
	o->snmp.level = FM_SNMP_AUTHPRIV; /* with --version 3, as in the config */
	o->snmp.auth = FM_AUTH_SHA;
	o->snmp.priv = FM_PRIV_AES;
	o->snmp.timeout_ms = PROBE_TIMEOUT_MS;
	o->snmp.retries = PROBE_SNMP_RETRIES;
}

static int validate(struct probe_cli *c)
{
	if (parse_target(c) != 0 || pick_mode(c) != 0)
		return -1;
	if (c->o.bus.type == FM_BUS_SNMP ? check_snmp(c) != 0
	                                 : check_types(c) != 0 || check_span(c) != 0)
		return -1;
	if (c->o.mode == PROBE_MODE_SCAN && !(c->given & G_TIMEOUT))
		c->o.bus.timeout_ms = PROBE_SCAN_TIMEOUT_MS;
	if (c->o.mode == PROBE_MODE_PROFILE && c->o.profile[0] == '\0')
		return cli_error(c, "--profile needs a profile name, e.g. --profile xy-md02");
	return 0;
}

int probe_parse(int argc, char **argv, struct probe_opts *o, char *err, size_t errlen)
{
	struct probe_cli c = {0};
	set_defaults(&c.o);
	int rc = parse_args(&c, argc, argv);
	if (rc == 0)
		rc = validate(&c);
	*o = c.o;
	if (rc < 0)
		snprintf(err, errlen, "%s", c.err);
	return rc;
}
