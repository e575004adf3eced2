/* sim.c - facmon-sim, a Modbus TCP device simulator for tests and demos.
 *
 * Owns: the command line, the single select() loop, and the Modbus TCP
 * server side. One endpoint serves several unit ids, each a device with a
 * profile from hw/profiles (units.c); the control port (control.c) changes
 * values while an agent polls.
 *
 * DESIGN: a Modbus TCP gateway with RTU devices behind it answers only for
 * devices that exist and are alive; for the others the client just times
 * out. So the simulator reads the unit id of each request (the last byte of
 * the header) and replies from that unit's own tables, or not at all when
 * the unit is unknown or muted. libmodbus's modbus_reply() echoes the unit
 * id and does no filtering of its own on TCP, so this choice is ours.
 * Signal handlers only set a flag; select() wakes at least every 200 ms.
 * modbus_receive() reads a whole frame once its first byte is in, so a
 * client that sends half a frame holds the loop for libmodbus's byte
 * timeout (0.5 s) before it is dropped; good enough for a simulator.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hw/sim/sim.h"

#define SIM_MODBUS_CLIENTS 32
#define SIM_TICK_US 200000
#define SIM_DEFAULT_LISTEN "127.0.0.1:1502"

enum { SIM_EXIT_OK = 0, SIM_EXIT_FAIL = 1, SIM_EXIT_USAGE = 2 };

struct sim_endpoint {
	char host[FM_TEXT_MAX];
	char port[8];
};

struct sim_options {
	struct sim_endpoint listen;
	struct sim_endpoint control;
	bool control_enabled;
	const char *profile_dir;
	const char **sets;      /* "UNIT.POINT=VALUE", applied after loading */
	size_t nsets;
	bool verbose;
};

struct sim_server {
	modbus_t *ctx;
	int listen_fd;
	int clients[SIM_MODBUS_CLIENTS]; /* -1: slot free */
};

static volatile sig_atomic_t sim_stop_signal;

static void sim_on_signal(int sig)
{
	sim_stop_signal = sig;
}

static void sim_usage(FILE *out)
{
	fputs(
"usage: facmon-sim [--listen HOST:PORT] [--control HOST:PORT]\n"
"                  [--profile-dir DIR] [--set UNIT.POINT=VALUE ...]\n"
"                  [--verbose] UNIT=PROFILE [UNIT=PROFILE ...]\n"
"\n"
"Simulates Modbus devices behind one Modbus TCP endpoint, for tests, demos\n"
"and people without hardware. Each UNIT (1..247) is a device whose points\n"
"come from the profile hw/profiles/PROFILE.cfg, the same file the agent\n"
"reads, so addresses and encodings agree. Requests for a unit id that is\n"
"not served, or that is muted, get no answer at all: the client times out,\n"
"as with a dead RTU device behind a gateway.\n"
"\n"
"options:\n"
"  -l, --listen HOST:PORT   Modbus TCP address (default " SIM_DEFAULT_LISTEN ")\n"
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
"  raw UNIT holding|input|coil|discrete ADDRESS [VALUE]\n"
"                           write a raw register (-32768..65535, or 0x...) or\n"
"                           bit (0/1); without VALUE, read it\n"
"  stats [UNIT]             ok requests=N (Modbus requests received)\n"
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
"start (bad profile, address in use), 2 bad command line.\n",
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

static int sim_parse_options(int argc, char **argv, struct sim_options *o)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
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
	sim_parse_endpoint(SIM_DEFAULT_LISTEN, &o->listen);
	while ((c = getopt_long(argc, argv, "l:c:p:s:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			if (sim_parse_endpoint(optarg, &o->listen) != 0) {
				fprintf(stderr, "facmon-sim: bad --listen %s, "
				        "want HOST:PORT\n", optarg);
				return -1;
			}
			break;
		case 'c':
			if (sim_parse_endpoint(optarg, &o->control) != 0) {
				fprintf(stderr, "facmon-sim: bad --control %s, "
				        "want HOST:PORT\n", optarg);
				return -1;
			}
			o->control_enabled = true;
			break;
		case 'p': o->profile_dir = optarg; break;
		case 's': o->sets[o->nsets++] = optarg; break;
		case 'v': o->verbose = true; break;
		case 'h': sim_usage(stdout); exit(SIM_EXIT_OK);
		default: return -1;
		}
	}
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

/* ---- Modbus TCP server ------------------------------------------------- */

static int sim_server_open(struct sim_server *srv, const struct sim_endpoint *ep)
{
	for (size_t i = 0; i < SIM_MODBUS_CLIENTS; i++)
		srv->clients[i] = -1;
	srv->listen_fd = -1;
	srv->ctx = modbus_new_tcp_pi(ep->host, ep->port);
	if (srv->ctx == NULL) {
		fprintf(stderr, "facmon-sim: %s:%s: %s\n", ep->host, ep->port,
		        modbus_strerror(errno));
		return -1;
	}
	srv->listen_fd = modbus_tcp_pi_listen(srv->ctx, SIM_MODBUS_CLIENTS);
	if (srv->listen_fd < 0 || srv->listen_fd >= FD_SETSIZE) {
		fprintf(stderr, "facmon-sim: cannot listen on %s:%s: %s\n",
		        ep->host, ep->port, modbus_strerror(errno));
		return -1;
	}
	return 0;
}

static void sim_server_close(struct sim_server *srv)
{
	for (size_t i = 0; i < SIM_MODBUS_CLIENTS; i++)
		if (srv->clients[i] >= 0)
			close(srv->clients[i]);
	if (srv->listen_fd >= 0)
		close(srv->listen_fd);
	if (srv->ctx != NULL)
		modbus_free(srv->ctx);
	srv->ctx = NULL;
	srv->listen_fd = -1;
}

static void sim_server_watch(const struct sim_server *srv, fd_set *set,
                             int *maxfd)
{
	FD_SET(srv->listen_fd, set);
	if (srv->listen_fd > *maxfd)
		*maxfd = srv->listen_fd;
	for (size_t i = 0; i < SIM_MODBUS_CLIENTS; i++) {
		if (srv->clients[i] < 0)
			continue;
		FD_SET(srv->clients[i], set);
		if (srv->clients[i] > *maxfd)
			*maxfd = srv->clients[i];
	}
}

/* Plain accept4(), not modbus_tcp_pi_accept(): some libmodbus 3.1 releases
 * close the listening socket when an accept fails (EMFILE, a client that
 * reset first), which would end the simulator. */
static void sim_server_accept(struct sim_server *srv)
{
	int fd = accept4(srv->listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	for (size_t i = 0; i < SIM_MODBUS_CLIENTS; i++) {
		if (srv->clients[i] < 0 && fd < FD_SETSIZE) {
			srv->clients[i] = fd;
			return;
		}
	}
	fprintf(stderr, "facmon-sim: too many Modbus clients, refusing one\n");
	close(fd);
}

static void sim_log_request(const uint8_t *req, int hdr, const char *outcome)
{
	fprintf(stderr, "facmon-sim: modbus: unit %d function 0x%02x address "
	        "%u count %u: %s\n", req[hdr - 1], req[hdr],
	        (unsigned)(req[hdr + 1] << 8 | req[hdr + 2]),
	        (unsigned)(req[hdr + 3] << 8 | req[hdr + 4]), outcome);
}

/* One request from client FD; returns -1 when the connection is over. */
static int sim_server_request(struct sim_server *srv, int fd, struct sim *sim,
                              bool verbose)
{
	uint8_t query[MODBUS_TCP_MAX_ADU_LENGTH] = { 0 };
	int hdr = modbus_get_header_length(srv->ctx);

	modbus_set_socket(srv->ctx, fd);
	int len = modbus_receive(srv->ctx, query);
	if (len < 0)
		return -1;
	if (len <= hdr)
		return 0; /* not for us (RTU filtering); nothing on TCP */
	sim->requests++;
	struct sim_unit *u = sim_unit_find(sim, query[hdr - 1]);
	if (u != NULL)
		u->requests++;
	if (u == NULL || u->muted) {
		if (verbose)
			sim_log_request(query, hdr, u == NULL
			                ? "no such unit, no answer"
			                : "muted, no answer");
		return 0;
	}
	if (verbose)
		sim_log_request(query, hdr, "answered");
	/* A failed send means the client left; its next read says so. */
	(void)modbus_reply(srv->ctx, query, len, u->map);
	return 0;
}

static void sim_server_serve(struct sim_server *srv, const fd_set *ready,
                             struct sim *sim, bool verbose)
{
	for (size_t i = 0; i < SIM_MODBUS_CLIENTS; i++) {
		int fd = srv->clients[i];
		if (fd < 0 || !FD_ISSET(fd, ready))
			continue;
		if (sim_server_request(srv, fd, sim, verbose) != 0) {
			close(fd);
			srv->clients[i] = -1;
		}
	}
	if (FD_ISSET(srv->listen_fd, ready))
		sim_server_accept(srv);
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

static void sim_announce(const struct sim *sim, const struct sim_options *o)
{
	fprintf(stderr, "facmon-sim: serving units ");
	for (size_t i = 0; i < sim->nunits; i++)
		fprintf(stderr, "%s%d", i ? "," : "", sim->units[i].id);
	fprintf(stderr, " on %s:%s", o->listen.host, o->listen.port);
	if (o->control_enabled)
		fprintf(stderr, ", control on %s:%s", o->control.host,
		        o->control.port);
	fprintf(stderr, "\n");
}

static int sim_loop(struct sim *sim, struct sim_server *srv,
                    struct sim_control *ctl, bool verbose)
{
	while (!sim_stop_signal) {
		struct timeval tv = { .tv_sec = 0, .tv_usec = SIM_TICK_US };
		fd_set ready;
		int maxfd = -1;

		FD_ZERO(&ready);
		sim_server_watch(srv, &ready, &maxfd);
		control_watch(ctl, &ready, &maxfd);
		int n = select(maxfd + 1, &ready, NULL, NULL, &tv);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "facmon-sim: select: %s\n", strerror(errno));
			return -1;
		}
		if (n == 0)
			continue;
		sim_server_serve(srv, &ready, sim, verbose);
		control_serve(ctl, &ready, sim);
	}
	fprintf(stderr, "facmon-sim: stopping on signal %d\n",
	        (int)sim_stop_signal);
	return 0;
}

static int sim_run(struct sim *sim, const struct sim_options *o)
{
	struct sim_server srv = { .ctx = NULL, .listen_fd = -1 };
	struct sim_control ctl;
	char err[SIM_ERR_MAX];
	int rc = -1;

	control_init(&ctl);
	if (sim_server_open(&srv, &o->listen) != 0)
		goto out_close;
	if (o->control_enabled &&
	    control_listen(&ctl, o->control.host, o->control.port, err,
	                   sizeof err) != 0) {
		fprintf(stderr, "facmon-sim: %s\n", err);
		goto out_close;
	}
	sim_announce(sim, o);
	rc = sim_loop(sim, &srv, &ctl, o->verbose);
out_close:
	control_close(&ctl);
	sim_server_close(&srv);
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
	if (sim_run(&sim, &opts) == 0)
		status = SIM_EXIT_OK;
out_free:
	sim_free(&sim);
	free(opts.sets);
	return status;
}
