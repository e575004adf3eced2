/* commands.c - the commands of facmon-sim's control protocol.
 *
 * Owns: the command table (name, argument counts, usage, handler), each
 * command's parsing and reply, and running one command line. The sockets
 * and lines around it are control.c's.
 *
 * Protocol: one command per line, one reply line per command, "ok[ ...]"
 * or "err <message>"; `requests` alone answers with several "ok ..."
 * lines ending in "ok end", so a client reads until that line (or an
 * "err" line). `help` lists the commands.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hw/sim/sim.h"

#define CONTROL_MAX_ARGS 6
#define CONTROL_REPLY_MAX 2048

/* Each command writes its result into OUT: on success the text after "ok"
 * (may be empty), on failure the message after "err". */
struct control_command {
	const char *name;
	int min_args, max_args; /* after the command word */
	const char *usage;
	int (*run)(struct sim *sim, char **argv, int argc, char *out,
	           size_t outlen);
	/* Instead of RUN, for a reply of several lines: writes them all to
	 * OUT, or nothing and -1 with the message in ERR. */
	int (*run_lines)(struct sim *sim, char **argv, int argc, FILE *out,
	                 char *err, size_t errlen);
};

static int control_unit_arg(struct sim *sim, const char *text,
                            struct sim_unit **unit, char *out, size_t outlen)
{
	long id;

	if (sim_parse_long(text, SIM_UNIT_MIN, SIM_UNIT_MAX, &id) != 0 ||
	    (*unit = sim_unit_find(sim, (int)id)) == NULL) {
		snprintf(out, outlen, "unknown unit %s", text);
		return -1;
	}
	return 0;
}

static int control_kind_arg(const char *text, enum fm_read_kind *kind,
                            char *out, size_t outlen)
{
	static const enum fm_read_kind kinds[] = {
		FM_READ_HOLDING, FM_READ_INPUT, FM_READ_COIL, FM_READ_DISCRETE,
	};

	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		if (strcmp(text, read_kind_name(kinds[i])) == 0) {
			*kind = kinds[i];
			return 0;
		}
	}
	snprintf(out, outlen, "bad table %s, want holding|input|coil|discrete",
	         text);
	return -1;
}

static int control_set(struct sim *sim, char **argv, int argc, char *out,
                       size_t outlen)
{
	struct sim_unit *u;
	const struct fm_point *p;
	double value;

	(void)argc;
	if (sim_resolve(sim, argv[1], &u, &p, out, outlen) != 0)
		return -1;
	if (sim_parse_double(argv[2], &value) != 0) {
		snprintf(out, outlen, "bad value %s", argv[2]);
		return -1;
	}
	if (sim_point_set(u, p, value, out, outlen) != 0)
		return -1;
	out[0] = '\0';
	return 0;
}

static int control_get(struct sim *sim, char **argv, int argc, char *out,
                       size_t outlen)
{
	struct sim_unit *u;
	const struct fm_point *p;

	(void)argc;
	if (sim_resolve(sim, argv[1], &u, &p, out, outlen) != 0)
		return -1;
	snprintf(out, outlen, "%.10g", sim_point_get(u, p));
	return 0;
}

static int control_mute(struct sim *sim, char **argv, int argc, char *out,
                        size_t outlen)
{
	struct sim_unit *u;

	(void)argc;
	if (control_unit_arg(sim, argv[1], &u, out, outlen) != 0)
		return -1;
	if (strcmp(argv[2], "on") == 0) {
		u->muted = true;
	} else if (strcmp(argv[2], "off") == 0) {
		u->muted = false;
	} else {
		snprintf(out, outlen, "bad state %s, want on|off", argv[2]);
		return -1;
	}
	out[0] = '\0';
	return 0;
}

/* raw UNIT TABLE ADDRESS [VALUE]: writes with a value, reads without. */
static int control_raw(struct sim *sim, char **argv, int argc, char *out,
                       size_t outlen)
{
	struct sim_unit *u;
	enum fm_read_kind kind;
	long address, value;

	if (control_unit_arg(sim, argv[1], &u, out, outlen) != 0 ||
	    control_kind_arg(argv[2], &kind, out, outlen) != 0)
		return -1;
	if (sim_parse_long(argv[3], 0, 65535, &address) != 0) {
		snprintf(out, outlen, "bad address %s, want 0..65535", argv[3]);
		return -1;
	}
	if (argc == 4) {
		uint16_t raw;
		if (sim_raw_get(u, kind, address, &raw, out, outlen) != 0)
			return -1;
		snprintf(out, outlen, "%u", (unsigned)raw);
		return 0;
	}
	if (sim_parse_long(argv[4], -32768, 65535, &value) != 0) {
		snprintf(out, outlen, "bad value %s", argv[4]);
		return -1;
	}
	if (sim_raw_set(u, kind, address, value, out, outlen) != 0)
		return -1;
	out[0] = '\0';
	return 0;
}

static int control_stats(struct sim *sim, char **argv, int argc, char *out,
                         size_t outlen)
{
	struct sim_unit *u;

	if (argc == 1) {
		snprintf(out, outlen, "requests=%lu", sim->requests);
		return 0;
	}
	if (control_unit_arg(sim, argv[1], &u, out, outlen) != 0)
		return -1;
	snprintf(out, outlen, "requests=%lu", u->requests);
	return 0;
}

/* Appends to OUT without overflowing; the reply is cut, never corrupt. */
static void control_append(char *out, size_t outlen, size_t *used,
                           const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void control_append(char *out, size_t outlen, size_t *used,
                           const char *fmt, ...)
{
	va_list ap;

	if (*used >= outlen)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(out + *used, outlen - *used, fmt, ap);
	va_end(ap);
	if (n > 0)
		*used = *used + (size_t)n < outlen ? *used + (size_t)n : outlen;
}

/* list: the units and their profiles; list UNIT: its points and values. */
static int control_list(struct sim *sim, char **argv, int argc, char *out,
                        size_t outlen)
{
	struct sim_unit *u;
	size_t used = 0;

	out[0] = '\0';
	if (argc == 1) {
		for (size_t i = 0; i < sim->nunits; i++)
			control_append(out, outlen, &used, "%s%d=%s%s",
			               i ? " " : "", sim->units[i].id,
			               sim->units[i].profile,
			               sim->units[i].muted ? "(muted)" : "");
		return 0;
	}
	if (control_unit_arg(sim, argv[1], &u, out, outlen) != 0)
		return -1;
	for (size_t i = 0; i < u->prof.npoints; i++)
		control_append(out, outlen, &used, "%s%s=%.10g", i ? " " : "",
		               u->prof.points[i].name, sim_point_get(u, &u->prof.points[i]));
	return 0;
}

/* slow UNIT MS */
static int control_slow(struct sim *sim, char **argv, int argc, char *out,
                        size_t outlen)
{
	struct sim_unit *u;
	long ms;

	(void)argc;
	if (control_unit_arg(sim, argv[1], &u, out, outlen) != 0)
		return -1;
	if (sim_parse_long(argv[2], 0, SIM_SLOW_MAX_MS, &ms) != 0) {
		snprintf(out, outlen, "bad delay %s, want 0..%d ms", argv[2],
		         SIM_SLOW_MAX_MS);
		return -1;
	}
	u->slow_ms = (unsigned)ms;
	out[0] = '\0';
	return 0;
}

/* exception UNIT TABLE ADDRESS CODE, or exception UNIT clear */
static int control_exception(struct sim *sim, char **argv, int argc,
                             char *out, size_t outlen)
{
	struct sim_unit *u;
	enum fm_read_kind kind;
	long address, code;

	if (control_unit_arg(sim, argv[1], &u, out, outlen) != 0)
		return -1;
	if (argc == 3 && strcmp(argv[2], "clear") == 0) {
		sim_exception_clear(u);
		out[0] = '\0';
		return 0;
	}
	if (argc != 5) {
		snprintf(out, outlen, "usage: exception UNIT holding|input|coil|"
		         "discrete ADDRESS CODE, or exception UNIT clear");
		return -1;
	}
	if (control_kind_arg(argv[2], &kind, out, outlen) != 0)
		return -1;
	if (sim_parse_long(argv[3], 0, 65535, &address) != 0) {
		snprintf(out, outlen, "bad address %s, want 0..65535", argv[3]);
		return -1;
	}
	if (sim_parse_long(argv[4], 0, 11, &code) != 0) {
		snprintf(out, outlen, "bad exception code %s, want 0..11",
		         argv[4]);
		return -1;
	}
	if (sim_exception_add(u, kind, address, code, out, outlen) != 0)
		return -1;
	out[0] = '\0';
	return 0;
}

/* log on|off */
static int control_log(struct sim *sim, char **argv, int argc, char *out,
                       size_t outlen)
{
	(void)argc;
	if (strcmp(argv[1], "on") == 0) {
		if (sim_reqlog_start(&sim->log) != 0) {
			snprintf(out, outlen, "out of memory for the log");
			return -1;
		}
	} else if (strcmp(argv[1], "off") == 0) {
		sim_reqlog_stop(&sim->log);
	} else {
		snprintf(out, outlen, "bad state %s, want on|off", argv[1]);
		return -1;
	}
	out[0] = '\0';
	return 0;
}

/* requests [N]: one "ok t=..." line per request, oldest first, then
 * "ok end". */
static int control_requests(struct sim *sim, char **argv, int argc,
                            FILE *out, char *err, size_t errlen)
{
	const struct sim_reqlog *log = &sim->log;
	long n = (long)log->count;

	if (log->ring == NULL) {
		snprintf(err, errlen, "no request log: turn it on with log on");
		return -1;
	}
	if (argc == 2 && sim_parse_long(argv[1], 0, SIM_REQLOG_MAX, &n) != 0) {
		snprintf(err, errlen, "bad count %s, want 0..%d", argv[1],
		         SIM_REQLOG_MAX);
		return -1;
	}
	if ((size_t)n > log->count)
		n = (long)log->count;
	for (size_t i = 0; i < (size_t)n; i++) {
		const struct sim_request *r = sim_reqlog_get(log, (size_t)n, i);
		fprintf(out, "ok t=%llu unit=%u fc=%u addr=%u count=%u\n",
		        (unsigned long long)r->t_ms, (unsigned)r->unit,
		        (unsigned)r->function, (unsigned)r->address,
		        (unsigned)r->count);
	}
	fputs("ok end\n", out);
	return 0;
}

static int control_help(struct sim *sim, char **argv, int argc, char *out,
                        size_t outlen);

static const struct control_command control_commands[] = {
	{ "set", 2, 2, "set UNIT.POINT VALUE", control_set, NULL },
	{ "get", 1, 1, "get UNIT.POINT", control_get, NULL },
	{ "mute", 2, 2, "mute UNIT on|off", control_mute, NULL },
	{ "slow", 2, 2, "slow UNIT MS", control_slow, NULL },
	{ "exception", 2, 4, "exception UNIT holding|input|coil|discrete "
	  "ADDRESS CODE | exception UNIT clear", control_exception, NULL },
	{ "raw", 3, 4, "raw UNIT holding|input|coil|discrete ADDRESS [VALUE]",
	  control_raw, NULL },
	{ "stats", 0, 1, "stats [UNIT]", control_stats, NULL },
	{ "log", 1, 1, "log on|off", control_log, NULL },
	{ "requests", 0, 1, "requests [N]", NULL, control_requests },
	{ "list", 0, 1, "list [UNIT]", control_list, NULL },
	{ "help", 0, 0, "help", control_help, NULL },
};

#define CONTROL_NCOMMANDS (sizeof control_commands / sizeof control_commands[0])

static int control_help(struct sim *sim, char **argv, int argc, char *out,
                        size_t outlen)
{
	size_t used = 0;

	(void)sim, (void)argv, (void)argc;
	out[0] = '\0';
	for (size_t i = 0; i < CONTROL_NCOMMANDS; i++)
		control_append(out, outlen, &used, "%s%s", i ? " | " : "",
		               control_commands[i].usage);
	return 0;
}

static const struct control_command *control_lookup(const char *name)
{
	for (size_t i = 0; i < CONTROL_NCOMMANDS; i++)
		if (strcmp(control_commands[i].name, name) == 0)
			return &control_commands[i];
	return NULL;
}

/* Splits LINE into ARGV at blanks; -1 when there are too many words. */
static int control_split(char *line, char **argv, int *argc)
{
	char *save = NULL;

	*argc = 0;
	for (char *tok = strtok_r(line, " \t", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t", &save)) {
		if (*argc == CONTROL_MAX_ARGS)
			return -1;
		argv[(*argc)++] = tok;
	}
	argv[*argc] = NULL;
	return 0;
}

void control_execute(struct sim *sim, char *line, FILE *out)
{
	char *argv[CONTROL_MAX_ARGS + 1];
	char result[CONTROL_REPLY_MAX];
	int argc;

	if (control_split(line, argv, &argc) != 0) {
		fputs("err too many arguments\n", out);
		return;
	}
	if (argc == 0) {
		fputs("err empty command\n", out);
		return;
	}
	const struct control_command *cmd = control_lookup(argv[0]);
	if (cmd == NULL) {
		fprintf(out, "err unknown command %s (try help)\n", argv[0]);
		return;
	}
	if (argc - 1 < cmd->min_args || argc - 1 > cmd->max_args) {
		fprintf(out, "err usage: %s\n", cmd->usage);
		return;
	}
	result[0] = '\0';
	if (cmd->run_lines != NULL) {
		if (cmd->run_lines(sim, argv, argc, out, result, sizeof result) != 0)
			fprintf(out, "err %s\n", result);
	} else if (cmd->run(sim, argv, argc, result, sizeof result) != 0) {
		fprintf(out, "err %s\n", result);
	} else {
		fprintf(out, "ok%s%s\n", result[0] ? " " : "", result);
	}
}
