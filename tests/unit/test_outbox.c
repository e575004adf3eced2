/* test_outbox.c - the outbox: events stored, sent when the broker is there,
 * kept on disk while it is not, and marked delivered only by its PUBACK;
 * and the MQTT client's "unreachable since".
 *
 * The first test needs no broker (nothing listens on the port): events wait
 * in the store, across a reopen as after a restart. The second drives the
 * real client and outbox against a real mosquitto on a free loopback port,
 * the way the agent's loop does (poll on mqtt_fd, mqtt_handle_io,
 * mqtt_service, the outbox restarted on each new session), stops the
 * broker, stores events during the outage, starts it again and watches the
 * backlog being acknowledged and marked in the store. It is skipped when
 * /usr/sbin/mosquitto is not installed (scripts/deps installs it).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/clock.h"
#include "outputs/mqtt.h"
#include "outputs/outbox.h"
#include "outputs/payload.h"
#include "store/store.h"
#include "event_doc.h"
#include "loopback.h"

#define MOSQUITTO "/usr/sbin/mosquitto"
/* The store under test, in a directory of its own. */
static char state_dir[64];

static struct fm_store *store_fresh(void)
{
	snprintf(state_dir, sizeof state_dir, "/tmp/facmon-outbox-state-XXXXXX");
	assert_non_null(mkdtemp(state_dir));
	struct fm_store *s;
	char err[FM_TEXT_MAX * 2];
	if (store_open(state_dir, &s, err, sizeof err) < 0)
		fail_msg("store_open: %s", err);
	return s;
}

static struct fm_store *store_reopen(struct fm_store *s)
{
	store_close(s);
	char err[FM_TEXT_MAX * 2];
	if (store_open(state_dir, &s, err, sizeof err) < 0)
		fail_msg("store_open: %s", err);
	return s;
}

static void store_remove(struct fm_store *s)
{
	char path[128];
	store_close(s);
	for (const char *const *suffix = (const char *const[]){"", "-wal", "-shm", NULL};
	     *suffix; suffix++) {
		snprintf(path, sizeof path, "%s/facmon.db%s", state_dir, *suffix);
		unlink(path);
	}
	rmdir(state_dir);
}

/* Stores event SEQ as the engine's outputs do, and tells the outbox. */
static void add_event(struct fm_store *s, struct fm_outbox *o, uint64_t seq)
{
	event_record(s, seq, 1795395600000LL, "r1", "ok", "firing");
	outbox_added(o, seq);
}

/* A port for the broker, or one that refuses connections. */
static int free_port(void)
{
	int port = loopback_free_port();
	assert_true(port > 0);
	return port;
}

static void config_for(struct fm_config *cfg, int port)
{
	*cfg = (struct fm_config){0};
	snprintf(cfg->agent.site, sizeof cfg->agent.site, "lab");
	snprintf(cfg->agent.name, sizeof cfg->agent.name, "gw1");
	struct fm_mqtt_conf *m = &cfg->mqtt;
	snprintf(m->host, sizeof m->host, "127.0.0.1");
	m->port = port;
	snprintf(m->client_id, sizeof m->client_id, "facmon-test-outbox-%d", (int)getpid());
	snprintf(m->topic_prefix, sizeof m->topic_prefix, "facmon");
	m->qos = 1;
	m->keepalive = 30;
}

static struct fm_outbox *outbox; /* the one pump_once restarts */

/* One turn of the agent's loop, as far as MQTT goes. */
static void pump_once(struct fm_mqtt *m, int wait_ms)
{
	int64_t now = clock_mono_ms();
	mqtt_service(m, now);
	if (mqtt_take_new_session(m) && outbox)
		outbox_session_started(outbox);
	int fd = mqtt_fd(m);
	if (fd < 0) {
		poll(NULL, 0, wait_ms);
		return;
	}
	struct pollfd p = {.fd = fd, .events = (short)(POLLIN | (mqtt_want_write(m) ? POLLOUT : 0))};
	if (poll(&p, 1, wait_ms) > 0)
		mqtt_handle_io(m, p.revents & (POLLIN | POLLERR | POLLHUP), p.revents & POLLOUT,
		               clock_mono_ms());
}

enum goal { CONNECTED, DISCONNECTED, ALL_ACKED_CONNECTED };

static bool reached(const struct fm_mqtt *m, enum goal g)
{
	switch (g) {
	case CONNECTED: return mqtt_connected(m);
	case DISCONNECTED: return !mqtt_connected(m);
	case ALL_ACKED_CONNECTED:
		return mqtt_connected(m) && outbox && outbox_pending(outbox) == 0;
	}
	return false;
}

static bool pump_until(struct fm_mqtt *m, enum goal g, int timeout_ms)
{
	int64_t end = clock_mono_ms() + timeout_ms;
	while (!reached(m, g) && clock_mono_ms() < end)
		pump_once(m, 50);
	return reached(m, g);
}

/* ---- without a broker ---- */

static void test_never_connected(void **state)
{
	(void)state;
	struct fm_config cfg;
	config_for(&cfg, free_port());
	char err[FM_TEXT_MAX] = "";
	struct fm_mqtt *m = mqtt_create(&cfg, err, sizeof err);
	if (!m)
		fail_msg("mqtt_create: %s", err);
	struct fm_store *s = store_fresh();
	struct fm_outbox *o = outbox_create(s, m);
	assert_non_null(o);
	assert_int_equal(mqtt_unreachable_since_ms(m), 0); /* not asked yet */

	mqtt_service(m, 1000);
	assert_false(mqtt_connected(m));
	assert_int_equal(mqtt_unreachable_since_ms(m), 1000);
	for (uint64_t seq = 1; seq <= 3; seq++)
		add_event(s, o, seq);
	assert_int_equal(outbox_pending(o), 3);
	assert_int_equal(store_outbox_count(s), 3);
	mqtt_service(m, 60000); /* still away: the start of the outage stays */
	assert_int_equal(mqtt_unreachable_since_ms(m), 1000);

	/* a restart (or kill -9): the events are still waiting, on disk */
	outbox_destroy(o);
	s = store_reopen(s);
	o = outbox_create(s, m);
	assert_int_equal(outbox_pending(o), 3);
	outbox_destroy(o);
	store_remove(s);
	mqtt_destroy(m);
}

/* ---- against mosquitto ---- */

struct broker {
	int port;
	pid_t pid;
};

/* Starts mosquitto on B->port; its config file is gone once it listens. */
static void broker_start(struct broker *b)
{
	char dir[] = "/tmp/facmon-outbox-XXXXXX", conf[64];
	assert_non_null(mkdtemp(dir));
	snprintf(conf, sizeof conf, "%s/mosquitto.conf", dir);
	FILE *f = fopen(conf, "w");
	assert_non_null(f);
	fprintf(f, "listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n%s",
	        b->port, geteuid() == 0 ? "user root\n" : "");
	fclose(f);
	b->pid = fork();
	assert_true(b->pid >= 0);
	if (b->pid == 0) {
		/* a failed assertion leaves the test early: the broker goes with
		 * the test process ("user root" keeps mosquitto from changing user,
		 * which would clear this) */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		int devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, STDOUT_FILENO);
		dup2(devnull, STDERR_FILENO);
		execl(MOSQUITTO, MOSQUITTO, "-c", conf, (char *)NULL);
		_exit(127);
	}
	/* ready when the port takes a connection */
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)b->port),
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int rc = -1;
	for (int tries = 0; tries < 100 && rc != 0; tries++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		rc = connect(fd, (struct sockaddr *)&a, sizeof a);
		close(fd);
		if (rc != 0)
			poll(NULL, 0, 50);
	}
	unlink(conf);
	rmdir(dir);
	if (rc != 0)
		fail_msg("mosquitto did not listen on port %d", b->port);
}

static void broker_stop(struct broker *b)
{
	if (b->pid <= 0)
		return;
	kill(b->pid, SIGTERM);
	waitpid(b->pid, NULL, 0);
	b->pid = 0;
}

static void test_outage_and_backlog(void **state)
{
	(void)state;
	if (access(MOSQUITTO, X_OK) != 0) {
		print_message("%s not installed: skipped\n", MOSQUITTO);
		skip();
	}
	struct broker b = {.port = free_port()};
	broker_start(&b);

	struct fm_config cfg;
	config_for(&cfg, b.port);
	char err[FM_TEXT_MAX] = "";
	struct fm_mqtt *m = mqtt_create(&cfg, err, sizeof err);
	if (!m)
		fail_msg("mqtt_create: %s", err);
	assert_true(pump_until(m, CONNECTED, 5000));
	assert_int_equal(mqtt_unreachable_since_ms(m), 0);

	struct fm_store *s = store_fresh();
	outbox = outbox_create(s, m);

	/* connected: sent at once, in the outbox until the PUBACKs are read */
	add_event(s, outbox, 1);
	add_event(s, outbox, 2);
	assert_int_equal(outbox_pending(outbox), 2);
	assert_true(pump_until(m, ALL_ACKED_CONNECTED, 5000));
	struct fm_status status = {.version = "test"};
	mqtt_publish_online(m, &status); /* other topics are not events */
	outbox_flush(outbox);
	assert_int_equal(store_outbox_count(s), 0);

	/* the broker goes away: since when, and the events stored meanwhile */
	int64_t stopped = clock_mono_ms();
	broker_stop(&b);
	assert_true(pump_until(m, DISCONNECTED, 5000));
	int64_t since = mqtt_unreachable_since_ms(m);
	assert_true(since >= stopped && since <= clock_mono_ms());
	for (uint64_t seq = 3; seq <= 5; seq++)
		add_event(s, outbox, seq);
	for (int i = 0; i < 10; i++)
		pump_once(m, 50);
	assert_int_equal(outbox_pending(outbox), 3);
	outbox_flush(outbox);
	assert_int_equal(store_outbox_count(s), 3); /* on disk, not acknowledged */
	assert_int_equal(mqtt_unreachable_since_ms(m), since);

	/* back: the backlog goes out and is acknowledged */
	broker_start(&b);
	assert_true(pump_until(m, ALL_ACKED_CONNECTED, 10000));
	assert_int_equal(mqtt_unreachable_since_ms(m), 0);
	outbox_flush(outbox);
	assert_int_equal(store_outbox_count(s), 0);

	outbox_destroy(outbox);
	outbox = NULL;
	store_remove(s);
	mqtt_shutdown(m, 1000);
	mqtt_destroy(m);
	broker_stop(&b);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN); /* a write to the stopped broker is an errno */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_never_connected),
		cmocka_unit_test(test_outage_and_backlog),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
