/* control.c - facmon-sim's control port: change the simulated world live.
 *
 * Owns: a line-based text protocol on its own TCP port, so a test (or a
 * person with `nc 127.0.0.1 1503`) sets values, mutes units and counts
 * requests while an agent polls. Several clients at once, served from the
 * simulator's one select() loop: this file only says which descriptors it
 * wants watched and handles the ones that are ready.
 *
 * Protocol: one command per line, one reply line per command, "ok[ ...]" or
 * "err <message>". Empty lines are ignored. `help` lists the commands.
 */
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hw/sim/sim.h"

#define CONTROL_MAX_ARGS 6
#define CONTROL_REPLY_MAX 2048

/* ---- commands ---------------------------------------------------------- */

/* Each command writes its result into OUT: on success the text after "ok"
 * (may be empty), on failure the message after "err". */
struct control_command {
	const char *name;
	int min_args, max_args; /* after the command word */
	const char *usage;
	int (*run)(struct sim *sim, char **argv, int argc, char *out,
	           size_t outlen);
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
	for (size_t i = 0; i < u->npoints; i++)
		control_append(out, outlen, &used, "%s%s=%.10g", i ? " " : "",
		               u->points[i].name, sim_point_get(u, &u->points[i]));
	return 0;
}

static int control_help(struct sim *sim, char **argv, int argc, char *out,
                        size_t outlen);

static const struct control_command control_commands[] = {
	{ "set", 2, 2, "set UNIT.POINT VALUE", control_set },
	{ "get", 1, 1, "get UNIT.POINT", control_get },
	{ "mute", 2, 2, "mute UNIT on|off", control_mute },
	{ "raw", 3, 4, "raw UNIT holding|input|coil|discrete ADDRESS [VALUE]",
	  control_raw },
	{ "stats", 0, 1, "stats [UNIT]", control_stats },
	{ "list", 0, 1, "list [UNIT]", control_list },
	{ "help", 0, 0, "help", control_help },
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

void control_execute(struct sim *sim, char *line, char *out, size_t outlen)
{
	char *argv[CONTROL_MAX_ARGS + 1];
	char result[CONTROL_REPLY_MAX];
	char *save = NULL;
	int argc = 0;

	for (char *tok = strtok_r(line, " \t", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t", &save)) {
		if (argc == CONTROL_MAX_ARGS) {
			snprintf(out, outlen, "err too many arguments");
			return;
		}
		argv[argc++] = tok;
	}
	argv[argc] = NULL;
	if (argc == 0) {
		snprintf(out, outlen, "err empty command");
		return;
	}
	const struct control_command *cmd = control_lookup(argv[0]);
	if (cmd == NULL) {
		snprintf(out, outlen, "err unknown command %s (try help)", argv[0]);
		return;
	}
	if (argc - 1 < cmd->min_args || argc - 1 > cmd->max_args) {
		snprintf(out, outlen, "err usage: %s", cmd->usage);
		return;
	}
	result[0] = '\0';
	if (cmd->run(sim, argv, argc, result, sizeof result) != 0)
		snprintf(out, outlen, "err %s", result);
	else
		snprintf(out, outlen, "ok%s%s", result[0] ? " " : "", result);
}

/* ---- sockets ----------------------------------------------------------- */

void control_init(struct sim_control *c)
{
	c->listen_fd = -1;
	for (size_t i = 0; i < SIM_CONTROL_CLIENTS; i++)
		c->clients[i].fd = -1;
}

static int control_bind(const struct addrinfo *ai)
{
	int one = 1;
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
	                ai->ai_protocol);

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 8) != 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int control_listen(struct sim_control *c, const char *host, const char *port,
                   char *err, size_t errlen)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE,
	};
	struct addrinfo *res;
	int rc = getaddrinfo(host, port, &hints, &res);

	if (rc != 0) {
		snprintf(err, errlen, "control %s:%s: %s", host, port,
		         gai_strerror(rc));
		return -1;
	}
	for (struct addrinfo *ai = res; ai != NULL && c->listen_fd < 0;
	     ai = ai->ai_next)
		c->listen_fd = control_bind(ai);
	if (c->listen_fd < 0)
		snprintf(err, errlen, "control %s:%s: %s", host, port,
		         strerror(errno));
	freeaddrinfo(res);
	if (c->listen_fd >= FD_SETSIZE) {
		snprintf(err, errlen, "control socket %d beyond select's limit",
		         c->listen_fd);
		close(c->listen_fd);
		c->listen_fd = -1;
	}
	return c->listen_fd < 0 ? -1 : 0;
}

void control_watch(const struct sim_control *c, fd_set *set, int *maxfd)
{
	if (c->listen_fd < 0)
		return;
	FD_SET(c->listen_fd, set);
	if (c->listen_fd > *maxfd)
		*maxfd = c->listen_fd;
	for (size_t i = 0; i < SIM_CONTROL_CLIENTS; i++) {
		int fd = c->clients[i].fd;
		if (fd < 0)
			continue;
		FD_SET(fd, set);
		if (fd > *maxfd)
			*maxfd = fd;
	}
}

static void control_drop(struct sim_control_client *cl)
{
	close(cl->fd);
	cl->fd = -1;
	cl->len = 0;
	cl->overflow = false;
}

static void control_accept(struct sim_control *c)
{
	int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	for (size_t i = 0; i < SIM_CONTROL_CLIENTS; i++) {
		if (c->clients[i].fd < 0 && fd < FD_SETSIZE) {
			c->clients[i].fd = fd;
			c->clients[i].len = 0;
			c->clients[i].overflow = false;
			return;
		}
	}
	static const char busy[] = "err too many control clients\n";
	(void)send(fd, busy, sizeof busy - 1, MSG_NOSIGNAL);
	close(fd);
}

static void control_reply(struct sim_control_client *cl, const char *reply)
{
	char line[CONTROL_REPLY_MAX + 2];
	int n = snprintf(line, sizeof line, "%s\n", reply);

	if (n >= (int)sizeof line) {
		line[sizeof line - 2] = '\n';
		n = (int)sizeof line - 1;
	}
	/* Small replies on a blocking socket; a client gone away is
	 * noticed by the next read. */
	(void)send(cl->fd, line, (size_t)n, MSG_NOSIGNAL);
}

static void control_line(struct sim_control_client *cl, char *line,
                         struct sim *sim)
{
	char copy[SIM_CONTROL_LINE];
	char reply[CONTROL_REPLY_MAX];
	size_t len = strlen(line);

	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	if (line[strspn(line, " \t")] == '\0')
		return;
	snprintf(copy, sizeof copy, "%s", line);
	control_execute(sim, line, reply, sizeof reply);
	fprintf(stderr, "facmon-sim: control: %s -> %s\n", copy, reply);
	control_reply(cl, reply);
}

/* Runs every complete line in the buffer; a line longer than the buffer
 * is answered with an error once and discarded up to its newline. */
static void control_lines(struct sim_control_client *cl, struct sim *sim)
{
	char *start = cl->buf;
	char *nl;

	while ((nl = memchr(start, '\n', cl->len - (size_t)(start - cl->buf)))) {
		*nl = '\0';
		if (cl->overflow)
			cl->overflow = false;
		else
			control_line(cl, start, sim);
		start = nl + 1;
	}
	cl->len -= (size_t)(start - cl->buf);
	memmove(cl->buf, start, cl->len);
	if (cl->len == sizeof cl->buf) {
		if (!cl->overflow)
			control_reply(cl, "err line too long");
		cl->overflow = true;
		cl->len = 0;
	}
}

static void control_read(struct sim_control_client *cl, struct sim *sim)
{
	ssize_t n = recv(cl->fd, cl->buf + cl->len, sizeof cl->buf - cl->len, 0);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		control_drop(cl);
		return;
	}
	cl->len += (size_t)n;
	control_lines(cl, sim);
}

void control_serve(struct sim_control *c, const fd_set *ready,
                   struct sim *sim)
{
	if (c->listen_fd < 0)
		return;
	for (size_t i = 0; i < SIM_CONTROL_CLIENTS; i++)
		if (c->clients[i].fd >= 0 && FD_ISSET(c->clients[i].fd, ready))
			control_read(&c->clients[i], sim);
	if (FD_ISSET(c->listen_fd, ready))
		control_accept(c);
}

void control_close(struct sim_control *c)
{
	for (size_t i = 0; i < SIM_CONTROL_CLIENTS; i++)
		if (c->clients[i].fd >= 0)
			control_drop(&c->clients[i]);
	if (c->listen_fd >= 0)
		close(c->listen_fd);
	c->listen_fd = -1;
}
