/* probe_private.h - what the files of `facmon probe` share.
 *
 * Owns: the parsed command line of one probe (struct probe_opts) and the
 * small interfaces between the probe's parts:
 *   probe.c          --help, and dispatch to the mode;
 *   probe_args.c     the command line into a probe_opts: the option table,
 *                    the options of every transport, modes, defaults;
 *   probe_modbus_args.c  tcp's and rtu's options, targets and checks;
 *   probe_read.c     a plain read and --all-orders (mb_link_* directly);
 *   probe_scan.c     --scan: which unit ids answer on the line;
 *   probe_profile.c  --profile: a profile's points through the real collector;
 *   probe_snmp.c     `probe snmp`: OIDs or a profile through the SNMP collector;
 *   probe_snmp_args.c  snmp's options, target and checks (OIDs, passphrase
 *                    files, SNMPv3);
 *   probe_report.c   what a failure means and what to check (explain.h's
 *                    words, shared with `facmon once`), JSON output.
 * Nothing here is used outside probe/probe*.c.
 */
#ifndef FACMON_PROBE_PRIVATE_H
#define FACMON_PROBE_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "config/config.h"

enum probe_exit {
	PROBE_EXIT_OK = 0,        /* the device answered with values */
	PROBE_EXIT_PROFILE = 1,   /* the profile could not be loaded */
	PROBE_EXIT_USAGE = 2,
	PROBE_EXIT_NO_ANSWER = 3, /* no answer, an exception, a broken link */
};

enum probe_mode {
	PROBE_MODE_READ,
	PROBE_MODE_ALL_ORDERS,
	PROBE_MODE_PROFILE,
	PROBE_MODE_SCAN,
};

#define PROBE_TIMEOUT_MS 1000
#define PROBE_SCAN_TIMEOUT_MS 200
#define PROBE_SNMP_PORT 161
#define PROBE_SNMP_RETRIES 1

struct probe_opts {
	/* type, host/port or serial settings, timeout; FM_BUS_SNMP for
	 * `probe snmp`, whose agent and credentials are in snmp below */
	struct fm_bus bus;
	enum probe_mode mode;
	int unit;
	enum fm_read_kind read;
	uint16_t address;
	unsigned count;          /* values, not registers */
	struct fm_point point;   /* type, order, scale, offset of each value */
	int scan_from, scan_to;
	const char *profile;
	const char *profile_dir;
	bool json;
	/* snmp: the agent (host, port, version, community or v3 user and
	 * passphrase files, timeout, retries) as a device's config has it */
	struct fm_snmp_conf snmp;
	char *const *oids;       /* the OIDs to GET, as given (argv); may start with '.' */
	size_t noids;
};

/* Parses ARGV (ARGV[0] is "probe"). Returns 0 with O filled, 1 for
 * --help, -1 with the message in ERR (a usage error). */
int probe_parse(int argc, char **argv, struct probe_opts *o, char *err, size_t errlen);

/* Registers (or bits) a plain read asks for: count values of the type. */
unsigned probe_span(const struct probe_opts *o);

/* The modes; each returns the exit status. */
int probe_read(const struct probe_opts *o);
int probe_all_orders(const struct probe_opts *o);
int probe_scan(const struct probe_opts *o);
int probe_profile(const struct probe_opts *o);
int probe_snmp(const struct probe_opts *o);

/* ---- the command line: probe_args.c, probe_modbus_args.c and
 * probe_snmp_args.c ------------------------------------------------------ */

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

/* getopt's values for the long options without a short letter. */
enum {
	OPT_BAUD = 256, OPT_PARITY, OPT_DATA_BITS, OPT_STOP_BITS, OPT_SCALE,
	OPT_OFFSET, OPT_TIMEOUT, OPT_ALL_ORDERS, OPT_PROFILE, OPT_PROFILE_DIR,
	OPT_SCAN, OPT_JSON,
	OPT_VERSION, OPT_COMMUNITY, OPT_USER, OPT_LEVEL, OPT_AUTH_PROTOCOL,
	OPT_AUTH_FILE, OPT_PRIV_PROTOCOL, OPT_PRIV_FILE, OPT_RETRIES,
};

/* One command line as it is parsed: the options so far, and what the
 * checks of combinations need once all is read. */
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

/* Formats the message into C->err; returns -1. */
int probe_cli_error(struct probe_cli *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The whole of S as a decimal integer in [MIN, MAX]; 0, or -1. */
int probe_parse_long(const char *s, long min, long max, long *out);
/* HOST, HOST:PORT, [V6]:PORT, or a bare IPv6 address into C->o.bus; PORT
 * defaults to DEFAULT_PORT. */
int probe_host_port(struct probe_cli *c, const char *s, int default_port);
/* The first option in MASK that was given, named for a message. */
const char *probe_first_given(unsigned given, unsigned mask);

/* An option's handlers return -2 for an option not theirs, else 0 or -1
 * with the message in C->err; NAME is the option's long name. A target
 * sets the bus from C->transport's word and C->target; a check runs once
 * all is read and the mode is known. */
int probe_modbus_opt(struct probe_cli *c, int opt, const char *name, const char *arg);
/* --scan's "FROM-TO" or one unit id. */
int probe_scan_range(struct probe_cli *c, const char *arg);
int probe_tcp_target(struct probe_cli *c);
int probe_rtu_target(struct probe_cli *c);
int probe_modbus_check(struct probe_cli *c);

int probe_snmp_opt(struct probe_cli *c, int opt, const char *name, const char *arg);
int probe_snmp_target(struct probe_cli *c);
int probe_snmp_check(struct probe_cli *c);

/* ---- probe_snmp_args.c: the values of snmp's options ------------------- */

/* Each returns 0 with the value in OUT, or -1 when S is not a name of one
 * ("2c", "authPriv", "SHA-256", "AES"; case does not matter). */
int probe_parse_snmp_version(const char *s, enum fm_snmp_version *out);
int probe_parse_snmp_level(const char *s, enum fm_snmp_level *out);
int probe_parse_snmp_auth(const char *s, enum fm_snmp_auth *out);
int probe_parse_snmp_priv(const char *s, enum fm_snmp_priv *out);
/* "2c", "authPriv": as the command line and the config write them. */
const char *probe_snmp_version_name(enum fm_snmp_version v);
const char *probe_snmp_level_name(enum fm_snmp_level l);

/* TEXT as a numeric OID the collector can send; 0, or -1 with why in ERR. */
int probe_check_oid(const char *text, char *err, size_t errlen);
/* The passphrase file PATH given to --OPT, as the config loader checks
 * one (readable, a regular file, not readable by every user), with a
 * passphrase of at least 8 characters on its first line; 0, or -1 with
 * why in ERR. */
int probe_check_secret_file(const char *opt, const char *path, char *err,
                            size_t errlen);

/* ---- probe_profile.c, shared with probe_snmp.c ------------------------- */

/* Where O's profile is looked up: --profile-dir, $FACMON_PROFILE_DIR, or
 * the compiled-in directory. */
const char *probe_profile_dir(const struct probe_opts *o);

/* Loads O's profile from DIR into OUT and checks it is for the probe's
 * transport (an SNMP profile's points have OIDs). Problems go to stderr.
 * Returns PROBE_EXIT_OK, PROBE_EXIT_PROFILE (cannot be loaded) or
 * PROBE_EXIT_USAGE (a profile of the other kind of device); free OUT with
 * config_profile_free either way. */
int probe_profile_load(const struct probe_opts *o, const char *dir, struct fm_profile *out);

/* ---- probe_report.c ---------------------------------------------------- */

/* "unit 1 at 127.0.0.1:502" / "unit 1 on /dev/ttyUSB0 9600 8N1". */
void probe_where(const struct probe_opts *o, int unit, char *buf, size_t len);

/* `probe snmp`: "192.0.2.20:161 (SNMP v2c)", "[2001:db8::1]:161 (SNMPv3
 * user ops, authPriv)". */
void probe_snmp_where(const struct probe_opts *o, char *buf, size_t len);

/* `probe snmp`: the agent did not answer the poll at all; ERROR is the
 * collector's words ("192.0.2.20:161: no answer (timeout)"). The message
 * with what to check in MSG; returns a short kind for JSON: "no-answer",
 * "v3-auth" or "connection". */
const char *probe_snmp_explain_dead(const struct probe_opts *o, const char *error,
                                    char *msg, size_t len);

/* What failed read errno E of WHAT ("input 1..2") from UNIT means, with
 * what to check, in MSG (one paragraph); returns a short kind for JSON:
 * "no-answer", "exception", "connection", "garbled". */
const char *probe_explain(const struct probe_opts *o, int unit, int e,
                          const char *what, char *msg, size_t len);

/* After mb_link_open failed with ERR and errno E (0: not known): the
 * message with what to check. */
void probe_explain_open(const struct probe_opts *o, int e, const char *err,
                        char *msg, size_t len);

/* "input 1..2" or "holding 7" for messages. */
void probe_range_text(enum fm_read_kind read, unsigned address, unsigned count,
                      char *buf, size_t len);

/* A JSON document with what every mode reports first: transport, target,
 * unit (when UNIT > 0); for snmp the version and, for v3, user and level. */
cJSON *probe_json_start(const struct probe_opts *o, int unit);
/* Adds {"kind","message"} as "error" to DOC. */
void probe_json_error(cJSON *doc, const char *kind, const char *message);
/* Prints DOC on stdout and frees it. */
void probe_json_print(cJSON *doc);

/* A value for people: integers exactly, float32 to its precision. */
void probe_format_value(const struct fm_point *p, double v, char *buf, size_t len);

/* Prints "facmon probe: MSG" on stderr. */
void probe_fail(const char *msg);
/* The device did not answer: prints MSG, and for --json (DOC not NULL)
 * prints DOC with {"kind": KIND, "message": MSG} as its error and frees it.
 * Returns PROBE_EXIT_NO_ANSWER. */
int probe_give_up(cJSON *doc, const char *kind, const char *msg);

#endif
