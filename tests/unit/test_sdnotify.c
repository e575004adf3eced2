/* test_sdnotify.c - the sd_notify protocol against a socket the test owns.
 *
 * The address and watchdog parsing are tables (a failed row prints what
 * was got and wanted, and the other rows still run). The messages are
 * received on real AF_UNIX datagram sockets this test binds, a path in a
 * temporary directory and an abstract name, as systemd's would be: what
 * arrives is what systemd would read, byte for byte. The watchdog is
 * driven with a monotonic time the test advances.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/sdnotify.h"

#define OFFSET_PATH offsetof(struct sockaddr_un, sun_path)

/* ---- $NOTIFY_SOCKET ---- */

static void test_address(void **state)
{
	(void)state;
	char path107[108], abs108[109], path108[109], abs109[110];
	memset(path107, 'p', sizeof path107);
	path107[0] = '/';
	path107[107] = '\0';
	memset(path108, 'p', sizeof path108);
	path108[0] = '/';
	path108[108] = '\0';
	memset(abs108, 'a', sizeof abs108);
	abs108[0] = '@';
	abs108[108] = '\0';
	memset(abs109, 'a', sizeof abs109);
	abs109[0] = '@';
	abs109[109] = '\0';
	const struct {
		const char *name;
		int rc;
		size_t len;          /* socklen on success */
		bool abstract;
	} rows[] = {
		{"/run/systemd/notify", 0, OFFSET_PATH + 20, false},
		{"@/org/freedesktop/systemd1/notify/42", 0, OFFSET_PATH + 36, true},
		{"@x", 0, OFFSET_PATH + 2, true},
		{path107, 0, OFFSET_PATH + 108, false},
		{abs108, 0, OFFSET_PATH + 108, true},
		{path108, -ENAMETOOLONG, 0, false},
		{abs109, -ENAMETOOLONG, 0, false},
		{NULL, -EINVAL, 0, false},
		{"", -EINVAL, 0, false},
		{"@", -EINVAL, 0, false},
		{"/", -EINVAL, 0, false},
		{"run/systemd/notify", -EINVAL, 0, false},
		{"vsock:2:1234", -EINVAL, 0, false},
	};
	int failures = 0;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct sockaddr_un a;
		socklen_t len = 0;
		int rc = sdnotify_address(rows[i].name, &a, &len);
		bool ok = rc == rows[i].rc;
		if (ok && rc == 0) {
			const char *name = rows[i].name;
			ok = a.sun_family == AF_UNIX && len == rows[i].len;
			if (rows[i].abstract) /* a NUL byte, then the name without '@' */
				ok = ok && a.sun_path[0] == '\0' &&
				     memcmp(a.sun_path + 1, name + 1, strlen(name) - 1) == 0;
			else
				ok = ok && strcmp(a.sun_path, name) == 0;
		}
		if (!ok) {
			print_error("FAIL address %.30s: got rc %d len %u, want rc %d len %zu\n",
			            rows[i].name ? rows[i].name : "(null)", rc, (unsigned)len,
			            rows[i].rc, rows[i].len);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

/* ---- $WATCHDOG_USEC and $WATCHDOG_PID, as sd_watchdog_enabled() ---- */

static void test_watchdog_env(void **state)
{
	(void)state;
	const struct {
		const char *usec, *pid;
		int64_t want;
	} rows[] = {
		{NULL, NULL, 0},
		{"", NULL, 0},
		{NULL, "1234", 0},
		{"30000000", NULL, 30000},
		{"30000000", "", 30000},
		{"30000000", "1234", 30000},  /* ours */
		{"30000000", "999", 0},       /* another process's */
		{"4000000", "1234", 4000},
		{"500", NULL, 1},             /* under a millisecond: still on */
		{"0", NULL, -EINVAL},
		{"-5", NULL, -EINVAL},
		{"+5", NULL, -EINVAL},
		{" 5", NULL, -EINVAL},
		{"30s", NULL, -EINVAL},
		{"99999999999999999999999", NULL, -EINVAL},
		{"30000000", "x", -EINVAL},
		{"30000000", "0", -EINVAL},
	};
	int failures = 0;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		int64_t got = sdnotify_watchdog_ms(rows[i].usec, rows[i].pid, 1234);
		if (got != rows[i].want) {
			print_error("FAIL WATCHDOG_USEC=%s WATCHDOG_PID=%s: got %lld, want %lld\n",
			            rows[i].usec ? rows[i].usec : "(unset)",
			            rows[i].pid ? rows[i].pid : "(unset)", (long long)got,
			            (long long)rows[i].want);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

/* ---- a fake systemd: a datagram socket the test binds ---- */

struct fake_systemd {
	int fd;
	char name[108];   /* as $NOTIFY_SOCKET spells it */
	char dir[64];     /* the temporary directory of a path socket, or "" */
};

static void fake_bind(struct fake_systemd *s, bool abstract)
{
	*s = (struct fake_systemd){.fd = -1};
	if (abstract) {
		snprintf(s->name, sizeof s->name, "@facmon-test-sdnotify-%ld", (long)getpid());
	} else {
		snprintf(s->dir, sizeof s->dir, "/tmp/facmon-sdnotify-XXXXXX");
		assert_non_null(mkdtemp(s->dir));
		snprintf(s->name, sizeof s->name, "%s/notify", s->dir);
	}
	struct sockaddr_un a;
	socklen_t len;
	assert_int_equal(sdnotify_address(s->name, &a, &len), 0);
	s->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(s->fd >= 0);
	assert_int_equal(bind(s->fd, (struct sockaddr *)&a, len), 0);
}

static void fake_close(struct fake_systemd *s)
{
	close(s->fd);
	if (s->dir[0]) {
		unlink(s->name);
		rmdir(s->dir);
	}
}

/* The next datagram, or "" when none is waiting. */
static const char *fake_take(struct fake_systemd *s)
{
	static char buf[SDNOTIFY_MSG_MAX + 1];
	ssize_t n = recv(s->fd, buf, sizeof buf - 1, MSG_DONTWAIT);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void expect_msg(struct fake_systemd *s, const char *want)
{
	const char *got = fake_take(s);
	if (strcmp(got, want) != 0)
		fail_msg("got \"%s\", want \"%s\"", got, want);
}

static void open_on(struct sdnotify *n, struct fake_systemd *s, const char *usec,
                    const char *pid)
{
	char err[256] = "";
	int rc = sdnotify_open_from(n, s->name, usec, pid, 1234, err, sizeof err);
	if (rc != 0)
		fail_msg("open %s: %d %s", s->name, rc, err);
	assert_true(n->on);
}

/* Every message, to a path socket and to an abstract one. */
static void messages_on(bool abstract)
{
	struct fake_systemd s;
	fake_bind(&s, abstract);
	struct sdnotify n;
	open_on(&n, &s, NULL, NULL);

	sdnotify_ready(&n, "running: %d buses", 2);
	expect_msg(&s, "READY=1\nSTATUS=running: 2 buses");
	sdnotify_status(&n, "line one\nSTOPPING=1");  /* a newline would add a key */
	expect_msg(&s, "STATUS=line one");
	sdnotify_reloading(&n);
	const char *r = fake_take(&s);
	const char *head = "RELOADING=1\nMONOTONIC_USEC=";
	assert_memory_equal(r, head, strlen(head));
	char *end;
	unsigned long long us = strtoull(r + strlen(head), &end, 10);
	assert_true(us > 0);
	assert_string_equal(end, "\nSTATUS=reloading the config");
	sdnotify_ready(&n, "running");
	expect_msg(&s, "READY=1\nSTATUS=running");
	sdnotify_watchdog(&n, 0, NULL); /* no WATCHDOG_USEC: no pings */
	expect_msg(&s, "");
	sdnotify_stopping(&n);
	expect_msg(&s, "STOPPING=1\nSTATUS=stopping");
	assert_false(n.on);
	sdnotify_ready(&n, "after the end"); /* off: nothing */
	expect_msg(&s, "");
	sdnotify_close(&n);
	fake_close(&s);
}

static void test_messages_path(void **state)
{
	(void)state;
	messages_on(false);
}

static void test_messages_abstract(void **state)
{
	(void)state;
	messages_on(true);
}

/* A long status is cut to fit one message, never overrun. */
static void test_long_status(void **state)
{
	(void)state;
	struct fake_systemd s;
	fake_bind(&s, true);
	struct sdnotify n;
	open_on(&n, &s, NULL, NULL);
	char big[2000];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	sdnotify_status(&n, "%s", big);
	const char *got = fake_take(&s);
	assert_memory_equal(got, "STATUS=xxx", 10);
	assert_true(strlen(got) < SDNOTIFY_MSG_MAX);
	sdnotify_close(&n);
	fake_close(&s);
}

/* ---- the watchdog ---- */

static void test_watchdog(void **state)
{
	(void)state;
	struct fake_systemd s;
	fake_bind(&s, true);
	struct sdnotify n;
	open_on(&n, &s, "30000000", "1234"); /* WatchdogSec=30, ours */
	assert_int_equal(n.watchdog_ms, 30000);
	n.next_ping_ms = 1000; /* as sdnotify_start() at 1000 */

	sdnotify_watchdog(&n, 1000, NULL);
	expect_msg(&s, "WATCHDOG=1");
	for (int64_t t = 2000; t < 16000; t += 1000) { /* half of 30 s: quiet */
		sdnotify_watchdog(&n, t, NULL);
		expect_msg(&s, "");
	}
	sdnotify_watchdog(&n, 16000, NULL);
	expect_msg(&s, "WATCHDOG=1");

	/* hung: no ping; said once in the status, not again */
	const char *hung = "bus rs485a silent for 75 s (limit 60 s)";
	sdnotify_watchdog(&n, 31000, hung);
	expect_msg(&s, "STATUS=hung, watchdog starving: bus rs485a silent for 75 s "
	               "(limit 60 s)");
	for (int64_t t = 32000; t < 90000; t += 1000) {
		sdnotify_watchdog(&n, t, hung);
		expect_msg(&s, "");
	}
	/* alive again (systemd had not restarted it yet): pinged at once */
	sdnotify_watchdog(&n, 90000, NULL);
	expect_msg(&s, "STATUS=running");
	expect_msg(&s, "WATCHDOG=1");
	sdnotify_watchdog(&n, 91000, NULL);
	expect_msg(&s, "");
	sdnotify_watchdog(&n, 105000, NULL);
	expect_msg(&s, "WATCHDOG=1");
	sdnotify_close(&n);
	fake_close(&s);
}

/* WATCHDOG_PID names another process: the watchdog is not ours. */
static void test_watchdog_of_another_process(void **state)
{
	(void)state;
	struct fake_systemd s;
	fake_bind(&s, true);
	struct sdnotify n;
	open_on(&n, &s, "30000000", "999");
	assert_int_equal(n.watchdog_ms, 0);
	sdnotify_watchdog(&n, 100000, NULL);
	expect_msg(&s, "");
	sdnotify_close(&n);
	fake_close(&s);
}

/* ---- from the environment, and what goes wrong ---- */

static void test_start_from_environment(void **state)
{
	(void)state;
	struct fake_systemd s;
	fake_bind(&s, false);
	char pid[32];
	snprintf(pid, sizeof pid, "%ld", (long)getpid());
	setenv("NOTIFY_SOCKET", s.name, 1);
	setenv("WATCHDOG_USEC", "10000000", 1);
	setenv("WATCHDOG_PID", pid, 1);
	struct sdnotify n = {0};
	sdnotify_start(&n, 5000, "running: %zu devices", (size_t)3);
	assert_true(n.on);
	assert_int_equal(n.watchdog_ms, 10000);
	expect_msg(&s, "READY=1\nSTATUS=running: 3 devices");
	sdnotify_watchdog(&n, 5000, NULL); /* the first ping is due at start */
	expect_msg(&s, "WATCHDOG=1");
	sdnotify_stopping(&n);
	expect_msg(&s, "STOPPING=1\nSTATUS=stopping");
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	fake_close(&s);
}

/* Not under systemd: every call does nothing. */
static void test_off(void **state)
{
	(void)state;
	unsetenv("NOTIFY_SOCKET");
	struct sdnotify n = {0};
	sdnotify_start(&n, 0, "running");
	assert_false(n.on);
	sdnotify_ready(&n, "x");
	sdnotify_reloading(&n);
	sdnotify_status(&n, "x");
	sdnotify_watchdog(&n, 0, NULL);
	sdnotify_watchdog(&n, 1000, "hung");
	assert_int_equal(sdnotify_send(&n, "READY=1"), 0);
	sdnotify_stopping(&n);
	sdnotify_close(&n);
	sdnotify_close(NULL);
}

static void test_bad_environment(void **state)
{
	(void)state;
	struct sdnotify n;
	char err[256] = "";
	assert_int_equal(sdnotify_open_from(&n, "notify", NULL, NULL, 1, err, sizeof err),
	                 -EINVAL);
	assert_false(n.on);
	assert_non_null(strstr(err, "NOTIFY_SOCKET=notify: not an AF_UNIX socket"));
	assert_int_equal(sdnotify_open_from(&n, "@x", "30s", NULL, 1, err, sizeof err),
	                 -EINVAL);
	assert_false(n.on);
	assert_non_null(strstr(err, "WATCHDOG_USEC=30s"));
	assert_int_equal(sdnotify_open_from(&n, "", "30000000", NULL, 1, err, sizeof err), 0);
	assert_false(n.on);
}

/* systemd gone (its socket removed): the send fails with an errno, the
 * agent goes on, and a later send works once the socket is back. */
static void test_socket_gone(void **state)
{
	(void)state;
	struct fake_systemd s;
	fake_bind(&s, false);
	struct sdnotify n;
	open_on(&n, &s, NULL, NULL);
	close(s.fd);
	unlink(s.name);
	assert_true(sdnotify_send(&n, "WATCHDOG=1") < 0);
	assert_true(n.send_failing);
	assert_true(sdnotify_send(&n, "WATCHDOG=1") < 0); /* logged once only */

	struct sockaddr_un a;
	socklen_t len;
	assert_int_equal(sdnotify_address(s.name, &a, &len), 0);
	s.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(s.fd, (struct sockaddr *)&a, len), 0);
	assert_int_equal(sdnotify_send(&n, "WATCHDOG=1"), 0);
	assert_false(n.send_failing);
	expect_msg(&s, "WATCHDOG=1");
	sdnotify_close(&n);
	fake_close(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_address),
		cmocka_unit_test(test_watchdog_env),
		cmocka_unit_test(test_messages_path),
		cmocka_unit_test(test_messages_abstract),
		cmocka_unit_test(test_long_status),
		cmocka_unit_test(test_watchdog),
		cmocka_unit_test(test_watchdog_of_another_process),
		cmocka_unit_test(test_start_from_environment),
		cmocka_unit_test(test_off),
		cmocka_unit_test(test_bad_environment),
		cmocka_unit_test(test_socket_gone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
