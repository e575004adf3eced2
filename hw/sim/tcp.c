/* tcp.c - facmon-sim's Modbus TCP server.
 *
 * Owns: the listening socket and up to SIM_TCP_CLIENTS connections, each
 * read with libmodbus's modbus_receive() and handed to request.c, and the
 * pending (slow) reply of each connection.
 *
 * DESIGN: a Modbus TCP gateway with RTU devices behind it answers only for
 * devices that exist and are alive; for the others the client just times
 * out. So the simulator reads the unit id of each request (the last byte of
 * the header) and replies from that unit's own tables, or not at all when
 * the unit is unknown or muted (request.c decides). libmodbus's
 * modbus_reply() echoes the unit id and does no filtering of its own on
 * TCP, so this choice is ours. A connection waiting for a slow unit's
 * reply is not read again until the reply is out; the others are served
 * meanwhile. modbus_receive() reads a whole frame once its first byte is
 * in, so a client that sends half a frame holds the loop for libmodbus's
 * byte timeout (0.5 s) before it is dropped; good enough for a simulator.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hw/sim/sim.h"

void sim_tcp_init(struct sim_tcp *t)
{
	t->ctx = NULL;
	t->listen_fd = -1;
	for (size_t i = 0; i < SIM_TCP_CLIENTS; i++) {
		t->clients[i] = -1;
		t->pending[i].active = false;
	}
}

int sim_tcp_open(struct sim_tcp *t, const char *host, const char *port,
                 char *err, size_t errlen)
{
	t->ctx = modbus_new_tcp_pi(host, port);
	if (t->ctx == NULL) {
		snprintf(err, errlen, "%s:%s: %s", host, port,
		         modbus_strerror(errno));
		return -1;
	}
	t->listen_fd = modbus_tcp_pi_listen(t->ctx, SIM_TCP_CLIENTS);
	if (t->listen_fd < 0 || t->listen_fd >= FD_SETSIZE) {
		snprintf(err, errlen, "cannot listen on %s:%s: %s", host, port,
		         modbus_strerror(errno));
		return -1;
	}
	return 0;
}

static void sim_tcp_drop(struct sim_tcp *t, size_t slot)
{
	close(t->clients[slot]);
	t->clients[slot] = -1;
	t->pending[slot].active = false;
}

void sim_tcp_close(struct sim_tcp *t)
{
	for (size_t i = 0; i < SIM_TCP_CLIENTS; i++)
		if (t->clients[i] >= 0)
			sim_tcp_drop(t, i);
	if (t->listen_fd >= 0)
		close(t->listen_fd);
	if (t->ctx != NULL)
		modbus_free(t->ctx);
	t->ctx = NULL;
	t->listen_fd = -1;
}

static void sim_tcp_watch_fd(int fd, fd_set *set, int *maxfd)
{
	FD_SET(fd, set);
	if (fd > *maxfd)
		*maxfd = fd;
}

void sim_tcp_watch(const struct sim_tcp *t, fd_set *set, int *maxfd,
                   uint64_t *wake_ms)
{
	if (t->listen_fd < 0)
		return;
	sim_tcp_watch_fd(t->listen_fd, set, maxfd);
	for (size_t i = 0; i < SIM_TCP_CLIENTS; i++) {
		if (t->clients[i] < 0)
			continue;
		if (!t->pending[i].active)
			sim_tcp_watch_fd(t->clients[i], set, maxfd);
		else if (t->pending[i].due_ms < *wake_ms)
			*wake_ms = t->pending[i].due_ms;
	}
}

/* Plain accept4(), not modbus_tcp_pi_accept(): some libmodbus 3.1 releases
 * close the listening socket when an accept fails (EMFILE, a client that
 * reset first), which would end the simulator. */
static void sim_tcp_accept(struct sim_tcp *t)
{
	int fd = accept4(t->listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	for (size_t i = 0; i < SIM_TCP_CLIENTS; i++) {
		if (t->clients[i] < 0 && fd < FD_SETSIZE) {
			t->clients[i] = fd;
			t->pending[i].active = false;
			return;
		}
	}
	fprintf(stderr, "facmon-sim: too many Modbus clients, refusing one\n");
	close(fd);
}

/* One request from the client in SLOT; -1 when the connection is over. */
static int sim_tcp_request(struct sim_tcp *t, size_t slot, struct sim *sim)
{
	uint8_t query[MODBUS_TCP_MAX_ADU_LENGTH] = { 0 };
	int hdr = modbus_get_header_length(t->ctx);

	modbus_set_socket(t->ctx, t->clients[slot]);
	int len = modbus_receive(t->ctx, query);
	if (len < 0)
		return -1;
	if (len <= hdr)
		return 0;
	struct sim_unit *u = sim_request_accept(sim, query, hdr, len, "tcp");
	if (u != NULL)
		sim_request_answer(sim, t->ctx, u, query, len, &t->pending[slot]);
	return 0;
}

void sim_tcp_serve(struct sim_tcp *t, const fd_set *ready, struct sim *sim)
{
	uint64_t now = sim_now_ms();

	if (t->listen_fd < 0)
		return;
	for (size_t i = 0; i < SIM_TCP_CLIENTS; i++) {
		int fd = t->clients[i];
		if (fd < 0)
			continue;
		if (t->pending[i].active) {
			if (t->pending[i].due_ms <= now) {
				modbus_set_socket(t->ctx, fd);
				sim_pending_fire(sim, t->ctx, &t->pending[i]);
			}
			continue;
		}
		if (FD_ISSET(fd, ready) && sim_tcp_request(t, i, sim) != 0)
			sim_tcp_drop(t, i);
	}
	if (FD_ISSET(t->listen_fd, ready))
		sim_tcp_accept(t);
}
