/* probe_private.h - what the files of `facmon probe` share.
 *
 * Owns: the parsed command line of one probe (struct probe_opts) and the
 * small interfaces between the probe's parts:
 *   probe.c          --help, and dispatch to the mode;
 *   probe_args.c     the command line into a probe_opts, validated;
 *   probe_read.c     a plain read and --all-orders (mb_link_* directly);
 *   probe_scan.c     --scan: which unit ids answer on the line;
 *   probe_profile.c  --profile: a profile's points through the real collector;
 *   probe_report.c   what a failure means and what to check, JSON output.
 * Nothing here is used outside agent/probe*.c.
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

struct probe_opts {
	struct fm_bus bus;       /* type, host/port or serial settings, timeout */
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

/* ---- probe_report.c ---------------------------------------------------- */

/* "unit 1 at 127.0.0.1:502" / "unit 1 on /dev/ttyUSB0 9600 8N1". */
void probe_where(const struct probe_opts *o, int unit, char *buf, size_t len);

/* What failed read errno E of WHAT ("input 1..2") from UNIT means, with
 * what to check, in MSG (one paragraph); returns a short kind for JSON:
 * "no-answer", "exception", "connection", "garbled". */
const char *probe_explain(const struct probe_opts *o, int unit, int e,
                          const char *what, char *msg, size_t len);

/* After mb_link_open failed with ERR: the message with what to check. */
void probe_explain_open(const struct probe_opts *o, const char *err,
                        char *msg, size_t len);

/* "input 1..2" or "holding 7" for messages. */
void probe_range_text(enum fm_read_kind read, unsigned address, unsigned count,
                      char *buf, size_t len);

/* A JSON document with what every mode reports first: transport, target,
 * unit (when UNIT > 0). */
cJSON *probe_json_start(const struct probe_opts *o, int unit);
/* Adds {"kind","message"} as "error" to DOC. */
void probe_json_error(cJSON *doc, const char *kind, const char *message);
/* Prints DOC on stdout and frees it. */
void probe_json_print(cJSON *doc);

/* A value for people: integers exactly, float32 to its precision. */
void probe_format_value(const struct fm_point *p, double v, char *buf, size_t len);

/* Prints "facmon probe: MSG" on stderr. */
void probe_fail(const char *msg);

#endif
