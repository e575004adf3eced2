/* control.c - facmon-sim's control port: change the simulated world live.
 *
 * Owns: the sockets and lines of a text protocol on its own TCP port, so a
 * test (or a person with `nc 127.0.0.1 1503`) sets values, mutes units,
 * injects faults and reads the request log while an agent polls. Several
 * clients at once, served from the simulator's one select() loop: this
 * file only says which descriptors it wants watched and handles the ones
 * that are ready. What the commands do is commands.c's.
 *
 * Replies are written on a blocking socket with a send timeout, so a
 * client that stops reading a long `requests` reply stalls the simulator
 * for CONTROL_SEND_TIMEOUT_S at most, then loses the rest. Empty lines are
 * ignored.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "hw/sim/sim.h"

#define CONTROL_SEND_TIMEOUT_S 5

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
	struct timeval tv = { .tv_sec = CONTROL_SEND_TIMEOUT_S };
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
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

/* A client gone away is noticed by the next read. */
static void control_send(struct sim_control_client *cl, const char *text,
                         size_t len)
{
	while (len > 0) {
		ssize_t n = send(cl->fd, text, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		text += n;
		len -= (size_t)n;
	}
}

/* One line of the log per command; a long reply by its size only. */
static void control_log(const char *command, const char *reply, size_t len)
{
	size_t lines = 0;

	for (size_t i = 0; i < len; i++)
		lines += reply[i] == '\n';
	if (lines <= 1)
		fprintf(stderr, "facmon-sim: control: %s -> %.*s\n", command,
		        (int)strcspn(reply, "\n"), reply);
	else
		fprintf(stderr, "facmon-sim: control: %s -> %zu lines\n",
		        command, lines);
}

static void control_line(struct sim_control_client *cl, char *line,
                         struct sim *sim)
{
	static const char oom[] = "err out of memory\n";
	char copy[SIM_CONTROL_LINE];
	char *reply = NULL;
	size_t len = strlen(line);

	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	if (line[strspn(line, " \t")] == '\0')
		return;
	snprintf(copy, sizeof copy, "%s", line);
	FILE *out = open_memstream(&reply, &len);
	if (out != NULL) {
		control_execute(sim, line, out);
		if (fclose(out) != 0) {
			free(reply);
			reply = NULL;
		}
	}
	if (reply == NULL) {
		control_send(cl, oom, sizeof oom - 1);
		return;
	}
	control_log(copy, reply, len);
	control_send(cl, reply, len);
	free(reply);
}

/* Runs every complete line in the buffer; a line longer than the buffer
 * is answered with an error once and discarded up to its newline. */
static void control_lines(struct sim_control_client *cl, struct sim *sim)
{
	static const char too_long[] = "err line too long\n";
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
			control_send(cl, too_long, sizeof too_long - 1);
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
