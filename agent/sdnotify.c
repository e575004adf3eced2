/* sdnotify.c - the sd_notify protocol, spoken by the agent itself.
 *
 * DESIGN
 * One datagram socket, opened once at start and kept (libsystemd opens one
 * per call; the agent pings for months). Messages go with MSG_NOSIGNAL and
 * never block: systemd's socket is a datagram socket with a queue, and a
 * full queue or a vanished socket is an errno, logged once until a send
 * works again, never a reason to stop the agent. The watchdog ping is the
 * only periodic message; the time of the next one is on the monotonic
 * clock the caller passes, so nothing here reads a clock but for
 * RELOADING's MONOTONIC_USEC.
 */
#include "agent/sdnotify.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"

#define STATUS_MAX (SDNOTIFY_MSG_MAX - 64)
#define SHORTEST_SANE_WATCHDOG_MS 4000 /* two 1-second ticks per half */

int sdnotify_address(const char *name, struct sockaddr_un *addr, socklen_t *len)
{
	size_t n = name ? strlen(name) : 0;
	if (n < 2 || (name[0] != '/' && name[0] != '@'))
		return -EINVAL;
	memset(addr, 0, sizeof *addr);
	addr->sun_family = AF_UNIX;
	if (name[0] == '@') { /* abstract: a NUL byte, then the name, unterminated */
		if (n > sizeof addr->sun_path)
			return -ENAMETOOLONG;
		memcpy(addr->sun_path + 1, name + 1, n - 1);
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	} else {
		if (n >= sizeof addr->sun_path)
			return -ENAMETOOLONG;
		memcpy(addr->sun_path, name, n + 1);
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	}
	return 0;
}

/* A whole unsigned decimal number, no sign, no blanks. */
static bool parse_u64(const char *s, uint64_t *out)
{
	if (!s || *s < '0' || *s > '9')
		return false;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

int64_t sdnotify_watchdog_ms(const char *usec, const char *pid, long self)
{
	if (!usec || !usec[0])
		return 0;
	uint64_t us, p;
	if (!parse_u64(usec, &us) || us == 0 || us > (uint64_t)INT64_MAX / 2)
		return -EINVAL;
	if (pid && pid[0]) {
		if (!parse_u64(pid, &p) || p == 0)
			return -EINVAL;
		if (p != (uint64_t)self)
			return 0; /* the watchdog is another process's */
	}
	int64_t ms = (int64_t)(us / 1000);
	return ms > 0 ? ms : 1;
}

int sdnotify_open_from(struct sdnotify *n, const char *notify_socket, const char *usec,
                       const char *pid, long self, char *err, size_t errlen)
{
	*n = (struct sdnotify){.fd = -1};
	if (!notify_socket || !notify_socket[0])
		return 0;
	int rc = sdnotify_address(notify_socket, &n->addr, &n->addrlen);
	if (rc < 0) {
		snprintf(err, errlen, "NOTIFY_SOCKET=%s: %s", notify_socket,
		         rc == -EINVAL ? "not an AF_UNIX socket path or @abstract name"
		                       : strerror(-rc));
		return rc;
	}
	int64_t wd = sdnotify_watchdog_ms(usec, pid, self);
	if (wd < 0) {
		snprintf(err, errlen, "WATCHDOG_USEC=%s WATCHDOG_PID=%s: not a number of "
		         "microseconds and a process id", usec ? usec : "",
		         pid ? pid : "");
		return (int)wd;
	}
	n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (n->fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "NOTIFY_SOCKET: socket: %s", strerror(errno));
		return rc;
	}
	n->on = true;
	n->watchdog_ms = wd;
	return 0;
}

int sdnotify_send(struct sdnotify *n, const char *msg)
{
	if (!n->on)
		return 0;
	if (sendto(n->fd, msg, strlen(msg), MSG_NOSIGNAL, (const struct sockaddr *)&n->addr,
	           n->addrlen) >= 0) {
		if (n->send_failing)
			log_info("systemd: notifications go through again");
		n->send_failing = false;
		return 0;
	}
	int rc = -errno;
	if (!n->send_failing) {
		char first[32];
		snprintf(first, sizeof first, "%.*s", (int)strcspn(msg, "\n"), msg);
		log_warn("systemd: cannot notify (%s...): %s", first, strerror(errno));
	}
	n->send_failing = true;
	return rc;
}

/* Sends HEAD followed by "STATUS=<fmt...>". */
static void send_with_status(struct sdnotify *n, const char *head, const char *fmt,
                             va_list ap) __attribute__((format(printf, 3, 0)));

static void send_with_status(struct sdnotify *n, const char *head, const char *fmt,
                             va_list ap)
{
	if (!n->on)
		return;
	char status[STATUS_MAX], msg[SDNOTIFY_MSG_MAX];
	vsnprintf(status, sizeof status, fmt, ap);
	status[strcspn(status, "\n")] = '\0'; /* one line, or it ends the value */
	snprintf(msg, sizeof msg, "%sSTATUS=%s", head, status);
	sdnotify_send(n, msg);
}

void sdnotify_start(struct sdnotify *n, int64_t now_ms, const char *status_fmt, ...)
{
	char err[256] = "";
	if (sdnotify_open_from(n, getenv("NOTIFY_SOCKET"), getenv("WATCHDOG_USEC"),
	                       getenv("WATCHDOG_PID"), (long)getpid(), err, sizeof err) < 0)
		log_error("systemd: %s; not notifying", err);
	if (!n->on)
		return;
	if (n->watchdog_ms > 0)
		log_info("systemd: watchdog every %" PRId64 " ms (WatchdogSec %" PRId64
		         " ms), fed while no bus worker hangs", n->watchdog_ms / 2, n->watchdog_ms);
	if (n->watchdog_ms > 0 && n->watchdog_ms < SHORTEST_SANE_WATCHDOG_MS)
		log_warn("systemd: WatchdogSec %" PRId64 " ms is shorter than the agent's "
		         "1 s tick can feed reliably; use 10 s or more", n->watchdog_ms);
	n->next_ping_ms = now_ms;
	va_list ap;
	va_start(ap, status_fmt);
	send_with_status(n, "READY=1\n", status_fmt, ap);
	va_end(ap);
}

void sdnotify_ready(struct sdnotify *n, const char *status_fmt, ...)
{
	va_list ap;
	va_start(ap, status_fmt);
	send_with_status(n, "READY=1\n", status_fmt, ap);
	va_end(ap);
}

void sdnotify_status(struct sdnotify *n, const char *status_fmt, ...)
{
	va_list ap;
	va_start(ap, status_fmt);
	send_with_status(n, "", status_fmt, ap);
	va_end(ap);
}

void sdnotify_reloading(struct sdnotify *n)
{
	if (!n->on)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	char msg[SDNOTIFY_MSG_MAX];
	snprintf(msg, sizeof msg, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64
	         "\nSTATUS=reloading the config",
	         (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u);
	sdnotify_send(n, msg);
}

void sdnotify_watchdog(struct sdnotify *n, int64_t now_ms, const char *hung)
{
	if (!n->on || n->watchdog_ms <= 0)
		return;
	if (hung) {
		if (!n->starving) {
			log_error("systemd: %s; no longer feeding the watchdog: systemd restarts "
			          "the agent %" PRId64 " s after the last ping", hung,
			          n->watchdog_ms / 1000);
			sdnotify_status(n, "hung, watchdog starving: %s", hung);
		}
		n->starving = true;
		return;
	}
	if (n->starving) {
		log_info("systemd: every bus worker is alive again; feeding the watchdog");
		sdnotify_status(n, "running");
		n->starving = false;
		n->next_ping_ms = now_ms;
	}
	if (now_ms < n->next_ping_ms)
		return;
	sdnotify_send(n, "WATCHDOG=1");
	n->next_ping_ms = now_ms + n->watchdog_ms / 2;
}

void sdnotify_stopping(struct sdnotify *n)
{
	sdnotify_send(n, "STOPPING=1\nSTATUS=stopping");
	sdnotify_close(n);
}

void sdnotify_close(struct sdnotify *n)
{
	if (n && n->on)
		close(n->fd);
	if (n) {
		n->on = false;
		n->fd = -1;
	}
}
