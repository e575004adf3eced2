/* probe_args.c - `facmon probe`'s command line into a probe_opts.
 *
 * Owns: the option table and the getopt loop that hands each option to
 * its transport's handler (probe_modbus_args.c, probe_snmp_args.c), the
 * options every transport takes (--timeout, the modes --all-orders,
 * --profile and --scan, --json), which mode was asked for, the transport
 * word and HOST[:PORT], the defaults, and the order of the checks. Every
 * problem is one message naming the option and what it wants, and nothing
 * touches the line before all is valid. The limits are the config's
 * (config/load_*.c), so a read that works here can be written into a
 * config as it is.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe/probe_private.h"

int probe_cli_error(struct probe_cli *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof c->err, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- values ------------------------------------------------------------ */

/* The whole of S as a decimal integer in [MIN, MAX]. */
int probe_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (s[0] == '\0' || *end != '\0' || errno != 0 || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* HOST, HOST:PORT, [V6]:PORT, or a bare IPv6 address; PORT defaults to
 * DEFAULT_PORT. */
int probe_host_port(struct probe_cli *c, const char *s, int default_port)
{
	struct fm_bus *b = &c->o.bus;
	const char *host = s, *port = NULL;
	size_t hostlen = strlen(s);
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || (close[1] != '\0' && close[1] != ':'))
			return probe_cli_error(c, "'%s': want [IPV6-ADDRESS]:PORT", s);
		host = s + 1;
		hostlen = (size_t)(close - host);
		port = close[1] == ':' ? close + 2 : NULL;
	} else if (strchr(s, ':') && strchr(s, ':') == strrchr(s, ':')) {
		port = strchr(s, ':') + 1;
		hostlen = (size_t)(port - 1 - s);
	}
	if (hostlen == 0 || hostlen >= sizeof b->host)
		return probe_cli_error(c, "'%s': want HOST or HOST:PORT", s);
	memcpy(b->host, host, hostlen);
	b->host[hostlen] = '\0';
	long v = default_port;
	if (port && probe_parse_long(port, 1, 65535, &v) != 0)
		return probe_cli_error(c, "'%s': the port must be 1..65535", s);
	b->port = (int)v;
	return 0;
}

/* ---- options every transport takes ------------------------------------ */

/* --scan's range is optional and may be the next word ("--scan 1-5"). */
static bool looks_like_range(const char *s)
{
	return s && s[0] >= '0' && s[0] <= '9' && strspn(s, "0123456789-") == strlen(s);
}

static int opt_common(struct probe_cli *c, int opt, const char *arg,
                     char **argv, int argc)
{
	long v;
	switch (opt) {
	case OPT_TIMEOUT:
		c->given |= G_TIMEOUT;
		if (probe_parse_long(arg, 10, 60000, &v) != 0)
			return probe_cli_error(c, "--timeout %s: want 10..60000 (milliseconds)",
			                       arg);
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
		return arg ? probe_scan_range(c, arg) : 0;
	case OPT_JSON:
		c->o.json = true;
		return 0;
	default:
		return -2;
	}
}

/* ---- the command line -------------------------------------------------- */

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
		return probe_cli_error(c, "%s needs a value", word);
	if (optopt != 0 && strncmp(word, "--", 2) != 0)
		return probe_cli_error(c, "unknown option -%c", optopt);
	return probe_cli_error(c, "unknown option '%s'", word);
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
		int rc = probe_modbus_opt(c, opt, long_name(opt), optarg);
		if (rc == -2)
			rc = opt_common(c, opt, optarg, argv, argc);
		if (rc == -2)
			rc = probe_snmp_opt(c, opt, long_name(opt), optarg);
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

/* ---- where, and which job ---------------------------------------------- */

static int parse_target(struct probe_cli *c)
{
	if (!c->transport)
		return probe_cli_error(c, "say where the device is: tcp HOST[:PORT] or rtu DEVICE "
		                       "(Modbus), or snmp HOST[:PORT] (an SNMP agent)");
	if (strcmp(c->transport, "tcp") == 0)
		return probe_tcp_target(c);
	if (strcmp(c->transport, "rtu") == 0)
		return probe_rtu_target(c);
	if (strcmp(c->transport, "snmp") == 0)
		return probe_snmp_target(c);
	return probe_cli_error(c, "unknown transport '%s': want tcp HOST[:PORT] or rtu DEVICE "
	                       "(Modbus), or snmp HOST[:PORT] (an SNMP agent)", c->transport);
}

/* The first option in MASK that was given, named for a message. */
const char *probe_first_given(unsigned given, unsigned mask)
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
		return probe_cli_error(c, "--all-orders, --profile and --scan are separate "
		                       "jobs: give one of them");
	if ((c->given & G_PROFILE_DIR) && !(c->given & G_PROFILE))
		return probe_cli_error(c, "--profile-dir is for --profile");
	if (modes == G_PROFILE) {
		c->o.mode = PROBE_MODE_PROFILE;
		clash = probe_first_given(c->given, G_READ | G_ADDRESS | G_COUNT | G_TYPE |
		                          G_ORDER | G_SCALE | G_OFFSET);
		if (clash)
			return probe_cli_error(c, "%s does not apply to --profile: the profile "
			                       "says what to read and how", clash);
	} else if (modes == G_SCAN) {
		c->o.mode = PROBE_MODE_SCAN;
		clash = probe_first_given(c->given, G_UNIT | G_COUNT | G_TYPE | G_ORDER |
		                          G_SCALE | G_OFFSET);
		if (clash)
			return probe_cli_error(c, "%s does not apply to --scan, which asks every "
			                       "unit id for one --read/--address value", clash);
	} else if (modes == G_ALL_ORDERS) {
		c->o.mode = PROBE_MODE_ALL_ORDERS;
		clash = probe_first_given(c->given, G_COUNT | G_TYPE | G_ORDER);
		if (clash)
			return probe_cli_error(c, "%s does not apply to --all-orders, which shows "
			                       "2 registers as every 32-bit type in every order",
			                       clash);
	}
	return 0;
}

/* ---- all together ------------------------------------------------------ */

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
	if (c->o.bus.type == FM_BUS_SNMP ? probe_snmp_check(c) != 0
	                                 : probe_modbus_check(c) != 0)
		return -1;
	if (c->o.mode == PROBE_MODE_SCAN && !(c->given & G_TIMEOUT))
		c->o.bus.timeout_ms = PROBE_SCAN_TIMEOUT_MS;
	if (c->o.mode == PROBE_MODE_PROFILE && c->o.profile[0] == '\0')
		return probe_cli_error(c, "--profile needs a profile name, e.g. --profile xy-md02");
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
