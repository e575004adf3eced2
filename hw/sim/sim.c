/* sim.c - facmon-sim, a Modbus device simulator for tests and demos.
 *
 * Owns: the command line and the single select() loop. The same units,
 * each a device with a profile from hw/profiles (units.c), are served over
 * Modbus TCP (tcp.c), Modbus RTU on a serial line (rtu.c), or both; what a
 * request gets is decided in request.c; the control port (control.c,
 * commands.c) changes values and injects faults while an agent polls.
 *
 * DESIGN: one thread. Signal handlers only set a flag; select() wakes at
 * least every 200 ms, and sooner when a slow unit's held reply is due or
 * an unfinished RTU frame has been silent too long (deadlines on
 * CLOCK_MONOTONIC, in milliseconds).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/sim/sim.h"

#define SIM_TICK_MS 200
#define SIM_DEFAULT_LISTEN "127.0.0.1:1502"

enum { SIM_EXIT_OK = 0, SIM_EXIT_FAIL = 1, SIM_EXIT_USAGE = 2 };

/* Long options without a short letter. */
enum {
	SIM_OPT_SERIAL = 256,
	SIM_OPT_BAUD,
	SIM_OPT_PARITY,
	SIM_OPT_DATA_BITS,
	SIM_OPT_STOP_BITS,
};

struct sim_endpoint {
	char host[FM_TEXT_MAX];
	char port[8];
};

struct sim_options {
	struct sim_endpoint listen;
	bool listen_given;
	bool tcp_enabled;
	struct sim_endpoint control;
	bool control_enabled;
	struct sim_serial serial;  /* device NULL: no RTU */
	const char *serial_setting; /* a --baud etc. seen, for the check */
	const char *profile_dir;
	const char **sets;      /* "UNIT.POINT=VALUE", applied after loading */
	size_t nsets;
	bool verbose;
};

static volatile sig_atomic_t sim_stop_signal;

static void sim_on_signal(int sig)
{
	sim_stop_signal = sig;
}

static void sim_usage(FILE *out)
{
	fputs(
"usage: facmon-sim [--listen HOST:PORT] [--serial DEVICE [--baud N]\n"
"                  [--parity none|even|odd] [--data-bits 7|8]\n"
"                  [--stop-bits 1|2]] [--control HOST:PORT]\n"
"                  [--profile-dir DIR] [--set UNIT.POINT=VALUE ...]\n"
"                  [--verbose] UNIT=PROFILE [UNIT=PROFILE ...]\n"
"\n"
"Simulates Modbus devices behind one Modbus TCP endpoint, on one Modbus RTU\n"
"serial line, or both at once (the same units and values on each), for\n"
"tests, demos and people without hardware. Each UNIT (1..247) is a device\n"
"whose points come from the profile hw/profiles/PROFILE.cfg, the same file\n"
"the agent reads, so addresses and encodings agree. Requests for a unit id\n"
"that is not served, or that is muted, get no answer at all: the client\n"
"times out, as with a dead RTU device behind a gateway or on the line.\n"
"Broadcasts (unit 0) are never answered, nor applied.\n"
"\n"
"options:\n"
"  -l, --listen HOST:PORT   Modbus TCP address (default " SIM_DEFAULT_LISTEN
" without\n"
"                           --serial; with --serial, TCP only if given)\n"
"      --serial DEVICE      serve Modbus RTU on DEVICE: an RS-485 adapter\n"
"                           (/dev/ttyUSB0) or a pty, e.g. one end of\n"
"                           socat -d -d pty,raw,echo=0,link=/tmp/a \\\n"
"                                       pty,raw,echo=0,link=/tmp/b\n"
"                           with the client on the other end\n"
"      --baud N             1200..115200 (default 9600)\n"
"      --parity P           none, even or odd (default none)\n"
"      --data-bits N        7 or 8 (default 8)\n"
"      --stop-bits N        1 or 2 (default 1)\n"
"  -c, --control HOST:PORT  enable the text control port (default: off)\n"
"  -p, --profile-dir DIR    profile directory (default: $FACMON_PROFILE_DIR,\n"
"                           else the compiled-in directory)\n"
"  -s, --set UNIT.POINT=VALUE\n"
"                           initial engineering value of a point; repeatable.\n"
"                           Without it, points whose names end in\n"
"                           \"temperature\" start at 22.5, in \"humidity\" at 45,\n"
"                           everything else at 0\n"
"  -v, --verbose            log every Modbus request to stderr\n"
"  -h, --help               show this help\n"
"\n"
"control protocol (one command per line, reply \"ok[ ...]\" or \"err MESSAGE\"):\n"
"  set UNIT.POINT VALUE     write an engineering value (encoded like the device)\n"
"  get UNIT.POINT           ok VALUE, decoded back from the registers\n"
"  mute UNIT on|off         the unit stops / starts answering\n"
"  slow UNIT MS             the unit answers MS (0..60000) ms late; 0: at once.\n"
"                           The reply is held, not slept on: on RTU the line\n"
"                           waits (nothing else is read meanwhile), on TCP\n"
"                           only that connection does\n"
"  exception UNIT holding|input|coil|discrete ADDRESS CODE\n"
"                           a read of that table by the unit whose range\n"
"                           covers ADDRESS gets Modbus exception CODE (0..11:\n"
"                           2 illegal data address, 4 device failure, 6 busy;\n"
"                           0 is not a valid code, to test clients);\n"
"                           several may be set, the first set wins\n"
"  exception UNIT clear     remove the unit's exceptions\n"
"  raw UNIT holding|input|coil|discrete ADDRESS [VALUE]\n"
"                           write a raw register (-32768..65535, or 0x...) or\n"
"                           bit (0/1); without VALUE, read it\n"
"  stats [UNIT]             ok requests=N (Modbus requests received)\n"
"  log on|off               record every request received (on empties the\n"
"                           log; it keeps the last 20000)\n"
"  requests [N]             the last N (default all) recorded requests, oldest\n"
"                           first, one line each, then a line \"ok end\":\n"
"                           ok t=MS unit=U fc=FC addr=A count=N\n"
"                           MS on CLOCK_MONOTONIC (Python's time.monotonic()\n"
"                           * 1000), FC in decimal; ADDR/COUNT of the read\n"
"                           (FC01-04, FC23) or write (FC05/06/15/16), else 0.\n"
"                           Unanswered requests are recorded too\n"
"  list [UNIT]              the units, or a unit's points and values\n"
"  help                     the command list\n"
"\n"
"example:\n"
"  facmon-sim --listen 127.0.0.1:1502 --control 127.0.0.1:1503 \\\n"
"      1=xy-md02 2=xy-md02 3=modbus-di8\n"
"  nc 127.0.0.1 1503            (or: socat - TCP:127.0.0.1:1503)\n"
"  set 1.temperature 35\n"
"  ok\n"
"\n"
"Stops cleanly on SIGTERM or SIGINT. Exit status: 0 stopped, 1 could not\n"
"start (bad profile, address in use, no such serial device), 2 bad command\n"
"line. A serial line that fails later is reopened every second.\n",
	      out);
}

/* ---- command line ------------------------------------------------------ */

/* "HOST:PORT", or "[V6ADDR]:PORT". */
static int sim_parse_endpoint(const char *text, struct sim_endpoint *ep)
{
	const char *colon = strrchr(text, ':');
	const char *host = text;
	size_t hostlen;
	long port;

	if (colon == NULL || colon == text)
		return -1;
	hostlen = (size_t)(colon - text);
	if (host[0] == '[' && hostlen >= 2 && colon[-1] == ']') {
		host++;
		hostlen -= 2;
	}
	if (hostlen == 0 || hostlen >= sizeof ep->host ||
	    sim_parse_long(colon + 1, 1, 65535, &port) != 0)
		return -1;
	memcpy(ep->host, host, hostlen);
	ep->host[hostlen] = '\0';
	snprintf(ep->port, sizeof ep->port, "%ld", port);
	return 0;
}

/* The rates facmon's own config accepts for an RTU bus. */
static int sim_parse_baud(const char *text, int *baud)
{
	long b;

	if (sim_parse_long(text, 1, 10000000, &b) != 0 || !serial_baud_valid(b))
		return -1;
	*baud = (int)b;
	return 0;
}

static int sim_parse_parity(const char *text, char *parity)
{
	*parity = serial_parity_from_name(text);
	return *parity ? 0 : -1;
}

static int sim_parse_serial_option(int c, const char *arg,
                                   struct sim_options *o)
{
	struct sim_serial *s = &o->serial;
	long n;

	if (c == SIM_OPT_SERIAL) {
		s->device = arg;
		return 0;
	}
	o->serial_setting = arg;
	switch (c) {
	case SIM_OPT_BAUD:
		if (sim_parse_baud(arg, &s->baud) == 0)
			return 0;
		fprintf(stderr, "facmon-sim: bad --baud %s, want 1200, 2400, "
		        "4800, 9600, 19200, 38400, 57600 or 115200\n", arg);
		return -1;
	case SIM_OPT_PARITY:
		if (sim_parse_parity(arg, &s->parity) == 0)
			return 0;
		fprintf(stderr, "facmon-sim: bad --parity %s, want none, even "
		        "or odd\n", arg);
		return -1;
	case SIM_OPT_DATA_BITS:
	case SIM_OPT_STOP_BITS: {
		bool data = c == SIM_OPT_DATA_BITS;
		if (sim_parse_long(arg, data ? 7 : 1, data ? 8 : 2, &n) == 0) {
			*(data ? &s->data_bits : &s->stop_bits) = (int)n;
			return 0;
		}
		fprintf(stderr, "facmon-sim: bad --%s %s, want %s\n",
		        data ? "data-bits" : "stop-bits", arg,
		        data ? "7 or 8" : "1 or 2");
		return -1;
	}
	default:
		return -1;
	}
}

static int sim_parse_option(int c, const char *arg, struct sim_options *o)
{
	switch (c) {
	case 'l':
		if (sim_parse_endpoint(arg, &o->listen) != 0) {
			fprintf(stderr, "facmon-sim: bad --listen %s, "
			        "want HOST:PORT\n", arg);
			return -1;
		}
		o->listen_given = true;
		return 0;
	case 'c':
		if (sim_parse_endpoint(arg, &o->control) != 0) {
			fprintf(stderr, "facmon-sim: bad --control %s, "
			        "want HOST:PORT\n", arg);
			return -1;
		}
		o->control_enabled = true;
		return 0;
	case 'p': o->profile_dir = arg; return 0;
	case 's': o->sets[o->nsets++] = arg; return 0;
	case 'v': o->verbose = true; return 0;
	case 'h': sim_usage(stdout); exit(SIM_EXIT_OK);
	default:
		if (c >= SIM_OPT_SERIAL)
			return sim_parse_serial_option(c, arg, o);
		return -1;
	}
}

static int sim_parse_options(int argc, char **argv, struct sim_options *o)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "serial", required_argument, NULL, SIM_OPT_SERIAL },
		{ "baud", required_argument, NULL, SIM_OPT_BAUD },
		{ "parity", required_argument, NULL, SIM_OPT_PARITY },
		{ "data-bits", required_argument, NULL, SIM_OPT_DATA_BITS },
		{ "stop-bits", required_argument, NULL, SIM_OPT_STOP_BITS },
		{ "control", required_argument, NULL, 'c' },
		{ "profile-dir", required_argument, NULL, 'p' },
		{ "set", required_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->sets = calloc((size_t)argc, sizeof *o->sets);
	if (o->sets == NULL)
		return -1;
	o->serial = (struct sim_serial){
		.baud = 9600, .parity = 'N', .data_bits = 8, .stop_bits = 1,
	};
	sim_parse_endpoint(SIM_DEFAULT_LISTEN, &o->listen);
	while ((c = getopt_long(argc, argv, "l:c:p:s:vh", longopts, NULL)) != -1)
		if (sim_parse_option(c, optarg, o) != 0)
			return -1;
	if (o->serial_setting != NULL && o->serial.device == NULL) {
		fprintf(stderr, "facmon-sim: --baud, --parity, --data-bits and "
		        "--stop-bits need --serial\n");
		return -1;
	}
	o->tcp_enabled = o->listen_given || o->serial.device == NULL;
	if (optind >= argc) {
		fprintf(stderr, "facmon-sim: no units given (UNIT=PROFILE)\n");
		return -1;
	}
	return 0;
}

static const char *sim_profile_dir(const struct sim_options *o)
{
	const char *env = getenv("FACMON_PROFILE_DIR");

	if (o->profile_dir != NULL)
		return o->profile_dir;
	if (env != NULL && env[0] != '\0')
		return env;
	return config_default_profile_dir();
}

/* "UNIT=PROFILE", read without writing into argv (ps shows it as given). */
static int sim_parse_unit_arg(const char *arg, long *id, const char **profile)
{
	const char *eq = strchr(arg, '=');
	char idtext[16];

	if (eq == NULL || eq[1] == '\0' || (size_t)(eq - arg) >= sizeof idtext) {
		fprintf(stderr, "facmon-sim: bad unit %s, want UNIT=PROFILE\n", arg);
		return -1;
	}
	memcpy(idtext, arg, (size_t)(eq - arg));
	idtext[eq - arg] = '\0';
	if (sim_parse_long(idtext, SIM_UNIT_MIN, SIM_UNIT_MAX, id) != 0) {
		fprintf(stderr, "facmon-sim: bad unit id %s, want %d..%d\n",
		        idtext, SIM_UNIT_MIN, SIM_UNIT_MAX);
		return -1;
	}
	*profile = eq + 1;
	return 0;
}

static int sim_load_units(struct sim *sim, char **args, int nargs,
                          const char *profile_dir)
{
	char err[SIM_ERR_MAX];

	for (int i = 0; i < nargs; i++) {
		const char *profile;
		long id;
		if (sim_parse_unit_arg(args[i], &id, &profile) != 0)
			return -1;
		if (sim_unit_add(sim, (int)id, profile_dir, profile, err,
		                 sizeof err) != 0) {
			fprintf(stderr, "facmon-sim: unit %ld: %s\n", id, err);
			return -1;
		}
	}
	return 0;
}

/* --set UNIT.POINT=VALUE */
static int sim_apply_set(struct sim *sim, const char *text)
{
	char ref[FM_NAME_MAX * 2];
	char err[SIM_ERR_MAX];
	const char *eq = strchr(text, '=');
	struct sim_unit *u;
	const struct fm_point *p;
	double value;

	if (eq == NULL || (size_t)(eq - text) >= sizeof ref) {
		fprintf(stderr, "facmon-sim: bad --set %s, want "
		        "UNIT.POINT=VALUE\n", text);
		return -1;
	}
	memcpy(ref, text, (size_t)(eq - text));
	ref[eq - text] = '\0';
	if (sim_resolve(sim, ref, &u, &p, err, sizeof err) != 0)
		goto fail;
	if (sim_parse_double(eq + 1, &value) != 0) {
		snprintf(err, sizeof err, "bad value %s", eq + 1);
		goto fail;
	}
	if (sim_point_set(u, p, value, err, sizeof err) != 0)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "facmon-sim: --set %s: %s\n", text, err);
	return -1;
}

/* ---- main loop --------------------------------------------------------- */

static void sim_install_signals(void)
{
	struct sigaction sa = { .sa_handler = sim_on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL); /* no SA_RESTART: select returns */
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* "serving units 1,2 on 127.0.0.1:1502 and /dev/ttyUSB0 (RTU 9600 8N1),
 * control on 127.0.0.1:1503": tests look for the TCP-only form. */
static void sim_announce(const struct sim *sim, const struct sim_options *o)
{
	const struct sim_serial *s = &o->serial;

	fprintf(stderr, "facmon-sim: serving units ");
	for (size_t i = 0; i < sim->nunits; i++)
		fprintf(stderr, "%s%d", i ? "," : "", sim->units[i].id);
	if (o->tcp_enabled)
		fprintf(stderr, " on %s:%s", o->listen.host, o->listen.port);
	if (s->device != NULL)
		fprintf(stderr, "%s %s (RTU %d %d%c%d)",
		        o->tcp_enabled ? " and" : " on", s->device, s->baud,
		        s->data_bits, s->parity, s->stop_bits);
	if (o->control_enabled)
		fprintf(stderr, ", control on %s:%s", o->control.host,
		        o->control.port);
	fprintf(stderr, "\n");
}

struct sim_servers {
	struct sim_tcp tcp;
	struct sim_rtu rtu;
	struct sim_control ctl;
};

static int sim_loop(struct sim *sim, struct sim_servers *sv)
{
	while (!sim_stop_signal) {
		uint64_t now = sim_now_ms(), wake = now + SIM_TICK_MS;
		fd_set ready;
		int maxfd = -1;

		FD_ZERO(&ready);
		sim_tcp_watch(&sv->tcp, &ready, &maxfd, &wake);
		sim_rtu_watch(&sv->rtu, &ready, &maxfd, &wake);
		control_watch(&sv->ctl, &ready, &maxfd);
		uint64_t wait = wake > now ? wake - now : 0;
		struct timeval tv = {
			.tv_sec = (time_t)(wait / 1000),
			.tv_usec = (suseconds_t)(wait % 1000 * 1000),
		};
		int n = select(maxfd + 1, &ready, NULL, NULL, &tv);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "facmon-sim: select: %s\n", strerror(errno));
			return -1;
		}
		if (n == 0)
			FD_ZERO(&ready); /* only deadlines to see to */
		sim_tcp_serve(&sv->tcp, &ready, sim);
		sim_rtu_serve(&sv->rtu, &ready, sim);
		control_serve(&sv->ctl, &ready, sim);
	}
	fprintf(stderr, "facmon-sim: stopping on signal %d\n",
	        (int)sim_stop_signal);
	return 0;
}

/* Everything is open, the control port last, before the announcement: a
 * test that sees the control port may use the rest. */
static int sim_open(struct sim_servers *sv, const struct sim_options *o)
{
	char err[SIM_ERR_MAX];

	if (o->tcp_enabled &&
	    sim_tcp_open(&sv->tcp, o->listen.host, o->listen.port, err,
	                 sizeof err) != 0)
		goto fail;
	if (o->serial.device != NULL &&
	    sim_rtu_open(&sv->rtu, &o->serial, err, sizeof err) != 0)
		goto fail;
	if (o->control_enabled &&
	    control_listen(&sv->ctl, o->control.host, o->control.port, err,
	                   sizeof err) != 0)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "facmon-sim: %s\n", err);
	return -1;
}

static int sim_run(struct sim *sim, const struct sim_options *o)
{
	struct sim_servers sv;
	int rc = -1;

	sim_tcp_init(&sv.tcp);
	sim_rtu_init(&sv.rtu);
	control_init(&sv.ctl);
	if (sim_open(&sv, o) == 0) {
		sim_announce(sim, o);
		rc = sim_loop(sim, &sv);
	}
	control_close(&sv.ctl);
	sim_rtu_close(&sv.rtu);
	sim_tcp_close(&sv.tcp);
	return rc;
}

int main(int argc, char **argv)
{
	struct sim_options opts = { .control_enabled = false };
	struct sim sim = { .units = NULL };
	int status = SIM_EXIT_FAIL;

	sim_install_signals();
	if (sim_parse_options(argc, argv, &opts) != 0) {
		fprintf(stderr, "try: facmon-sim --help\n");
		status = SIM_EXIT_USAGE;
		goto out_free;
	}
	if (sim_load_units(&sim, argv + optind, argc - optind,
	                   sim_profile_dir(&opts)) != 0)
		goto out_free;
	for (size_t i = 0; i < opts.nsets; i++)
		if (sim_apply_set(&sim, opts.sets[i]) != 0)
			goto out_free;
	sim.verbose = opts.verbose;
	if (sim_run(&sim, &opts) == 0)
		status = SIM_EXIT_OK;
out_free:
	sim_free(&sim);
	free(opts.sets);
	return status;
}
