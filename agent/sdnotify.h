/* sdnotify.h - telling systemd how the agent is (the sd_notify protocol).
 *
 * Owns: the notification socket systemd names in $NOTIFY_SOCKET for a
 * Type=notify service, the watchdog interval it gives in $WATCHDOG_USEC
 * (for this process when $WATCHDOG_PID names it or is unset, as
 * sd_watchdog_enabled() decides), and the messages: READY=1 once the agent
 * runs, RELOADING=1 and READY=1 around a reload, STOPPING=1 at the end,
 * STATUS=... for `systemctl status`, and WATCHDOG=1 at half the watchdog
 * interval.
 *
 * The protocol is one datagram of "KEY=VALUE\n" lines to an AF_UNIX socket
 * (abstract when the name starts with '@'), so it is implemented here
 * rather than linked from libsystemd. Without $NOTIFY_SOCKET (not under
 * systemd, or another Type=) every call does nothing.
 *
 * The watchdog is fed from the loop's 1-second tick, and only while the
 * caller says nothing is hung (self_health_hung()): a loop that stops
 * turning or a bus worker that hangs starves it, and systemd restarts the
 * agent WatchdogSec after the last ping. A zeroed struct is "not under
 * systemd"; only the event-loop thread calls these.
 */
#ifndef FACMON_SDNOTIFY_H
#define FACMON_SDNOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

struct sdnotify {
	bool on;                  /* a notification socket is open */
	int fd;
	struct sockaddr_un addr;
	socklen_t addrlen;
	int64_t watchdog_ms;      /* WatchdogSec; 0: no watchdog */
	int64_t next_ping_ms;     /* monotonic time of the next WATCHDOG=1 */
	bool starving;            /* pings withheld: something is hung */
	bool send_failing;        /* the last send failed (logged once) */
};

/* The longest message sent (STATUS included). */
#define SDNOTIFY_MSG_MAX 512

/* Fills ADDR and LEN from a $NOTIFY_SOCKET value: "/run/systemd/notify"
 * (a path) or "@name" (abstract). -EINVAL for anything else (a relative
 * path, "vsock:...", an empty name), -ENAMETOOLONG when it does not fit. */
int sdnotify_address(const char *name, struct sockaddr_un *addr, socklen_t *len);

/* The watchdog interval in ms from $WATCHDOG_USEC and $WATCHDOG_PID values
 * (either may be NULL) for process SELF: 0 when there is no watchdog or it
 * is another process's; -EINVAL when either is malformed. */
int64_t sdnotify_watchdog_ms(const char *usec, const char *pid, long self);

/* Opens the socket named by NOTIFY_SOCKET (NULL or "": stays off) and takes
 * the watchdog from USEC and PID (as above). 0, or a negative errno with a
 * message in ERR; N stays off then. */
int sdnotify_open_from(struct sdnotify *n, const char *notify_socket, const char *usec,
                       const char *pid, long self, char *err, size_t errlen);

/* From the environment, logging what it finds, then sends READY=1 with
 * STATUS=<the formatted text>: the agent runs. The first watchdog ping is
 * due at NOW_MS. */
void sdnotify_start(struct sdnotify *n, int64_t now_ms, const char *status_fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* READY=1 and STATUS=<text>, after a reload (or at start). */
void sdnotify_ready(struct sdnotify *n, const char *status_fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* RELOADING=1 (with MONOTONIC_USEC, as Type=notify-reload wants it): the
 * agent rereads its config; READY=1 (sdnotify_ready) must follow. */
void sdnotify_reloading(struct sdnotify *n);

/* STATUS=<text> alone. */
void sdnotify_status(struct sdnotify *n, const char *status_fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The 1-second tick: WATCHDOG=1 when a ping is due and HUNG is NULL. When
 * HUNG (what is hung, in words) is set, pings are withheld: logged once,
 * with the status showing it, until HUNG is NULL again. */
void sdnotify_watchdog(struct sdnotify *n, int64_t now_ms, const char *hung);

/* STOPPING=1, then closes the socket: the last message. */
void sdnotify_stopping(struct sdnotify *n);

/* Sends MSG as one datagram: 0, or a negative errno (logged once until a
 * send works again). 0 without doing anything when N is off. */
int sdnotify_send(struct sdnotify *n, const char *msg);

/* Closes the socket; N is off. NULL-safe, safe twice. */
void sdnotify_close(struct sdnotify *n);

#endif
