/* outbox_bench.c - what the durable outbox costs (bench/README.md).
 *
 * Three runs of N events against a real broker on loopback:
 *   commit:    store_record_event alone (SQLite WAL, synchronous=FULL): the
 *              latency the durable commit adds to every event, median and
 *              p99, and events committed per second;
 *   durable:   the agent's path: commit, then the outbox sends it; events
 *              per second from the first commit to the last PUBACK;
 *   peer:      the same events published QoS 1 straight to libmosquitto
 *              with no store, what an agent without an outbox does
 *              (mosquitto_pub-like, and the figure a non-durable agent gets).
 * usage: facmon-bench-outbox --port BROKER_PORT --dir STATE_DIR [--events N]
 */
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/log.h"
#include "outputs/mqtt.h"
#include "outputs/outbox.h"
#include "store/store.h"

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* One turn of the agent's loop, as far as MQTT goes. */
static void pump(struct fm_mqtt *m, struct fm_outbox *o, int wait_ms)
{
	mqtt_service(m, clock_mono_ms());
	if (mqtt_take_new_session(m) && o)
		outbox_session_started(o);
	int fd = mqtt_fd(m);
	struct pollfd p = {.fd = fd, .events = (short)(POLLIN | (mqtt_want_write(m) ? POLLOUT : 0))};
	if (fd >= 0 && poll(&p, 1, wait_ms) > 0)
		mqtt_handle_io(m, p.revents & (POLLIN | POLLERR | POLLHUP), p.revents & POLLOUT,
		               clock_mono_ms());
	else if (fd < 0)
		poll(NULL, 0, wait_ms);
}

static struct fm_mqtt *connect_broker(struct fm_config *cfg, int port, const char *id)
{
	snprintf(cfg->agent.site, sizeof cfg->agent.site, "bench");
	snprintf(cfg->agent.name, sizeof cfg->agent.name, "gw");
	snprintf(cfg->mqtt.host, sizeof cfg->mqtt.host, "127.0.0.1");
	cfg->mqtt.port = port;
	snprintf(cfg->mqtt.client_id, sizeof cfg->mqtt.client_id, "%s", id);
	snprintf(cfg->mqtt.topic_prefix, sizeof cfg->mqtt.topic_prefix, "facmon");
	cfg->mqtt.qos = 1;
	cfg->mqtt.keepalive = 30;
	char err[FM_TEXT_MAX];
	struct fm_mqtt *m = mqtt_create(cfg, err, sizeof err);
	if (!m) {
		fprintf(stderr, "mqtt: %s\n", err);
		exit(1);
	}
	int64_t end = clock_mono_ms() + 5000;
	while (!mqtt_connected(m) && clock_mono_ms() < end)
		pump(m, NULL, 20);
	if (!mqtt_connected(m)) {
		fprintf(stderr, "no broker on port %d\n", port);
		exit(1);
	}
	return m;
}

static void event_for(uint64_t seq, char *payload, size_t len)
{
	snprintf(payload, len, "{\"seq\":%llu,\"ts\":\"2026-11-22T00:00:00.000Z\","
	         "\"type\":\"transition\",\"from\":\"ok\",\"to\":\"firing\","
	         "\"rule\":\"bench\",\"severity\":\"critical\",\"point\":"
	         "\"rack-a.temperature\",\"value\":31.5,\"controls\":[\"設46\"]}",
	         (unsigned long long)seq);
}

/* Stores event SEQ as the agent does (sealed into the chain). */
static void store_event(struct fm_store *s, uint64_t seq, char *payload, size_t len)
{
	char err[FM_TEXT_MAX * 2], *sealed;
	event_for(seq, payload, len);
	if (store_record_event(s, payload, &sealed, err, sizeof err) < 0) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	free(sealed);
}

static struct fm_store *open_store(const char *dir)
{
	struct fm_store *s;
	char err[FM_TEXT_MAX * 2];
	if (store_open(dir, &s, err, sizeof err) < 0) {
		fprintf(stderr, "store: %s\n", err);
		exit(1);
	}
	return s;
}

static void run_commit(const char *dir, int n, uint64_t first)
{
	struct fm_store *s = open_store(dir);
	int64_t *lat = calloc((size_t)n, sizeof *lat);
	char payload[512], err[FM_TEXT_MAX * 2];
	int64_t t0 = now_us();
	for (int i = 0; i < n; i++) {
		int64_t a = now_us();
		store_event(s, first + (uint64_t)i, payload, sizeof payload);
		lat[i] = now_us() - a;
	}
	double secs = (double)(now_us() - t0) / 1e6;
	qsort(lat, (size_t)n, sizeof *lat, cmp_i64);
	printf("commit   %6d events  %8.0f events/s  latency median %.3f ms  p99 %.3f ms\n",
	       n, n / secs, (double)lat[n / 2] / 1000, (double)lat[(n * 99) / 100] / 1000);
	free(lat);
	/* the next run starts with an empty outbox */
	for (uint64_t seq = first; seq < first + (uint64_t)n; seq++)
		store_outbox_done(s, &seq, 1, err, sizeof err);
	store_close(s);
}

static void run_durable(const char *dir, int port, int n, uint64_t first)
{
	struct fm_config cfg = {0};
	struct fm_mqtt *m = connect_broker(&cfg, port, "facmon-bench-durable");
	struct fm_store *s = open_store(dir);
	struct fm_outbox *o = outbox_create(s, m);
	char payload[512];
	int64_t t0 = now_us();
	for (int i = 0; i < n; i++) {
		store_event(s, first + (uint64_t)i, payload, sizeof payload);
		outbox_added(o, first + (uint64_t)i);
		pump(m, o, 0);
	}
	while (outbox_pending(o) > 0)
		pump(m, o, 5);
	double secs = (double)(now_us() - t0) / 1e6;
	outbox_flush(o);
	printf("durable  %6d events  %8.0f events/s  (commit, send, PUBACK; outbox left: %ld)\n",
	       n, n / secs, store_outbox_count(s));
	outbox_destroy(o);
	store_close(s);
	mqtt_shutdown(m, 1000);
	mqtt_destroy(m);
}

static int acked;
static void count_ack(void *ctx, int mid)
{
	(void)ctx;
	(void)mid;
	acked++;
}

static void run_peer(int port, int n, uint64_t first)
{
	struct fm_config cfg = {0};
	struct fm_mqtt *m = connect_broker(&cfg, port, "facmon-bench-peer");
	mqtt_set_puback_handler(m, count_ack, NULL);
	char payload[512];
	int64_t t0 = now_us();
	for (int i = 0; i < n; i++) {
		int mid;
		event_for(first + (uint64_t)i, payload, sizeof payload);
		if (mqtt_send_event(m, payload, &mid) < 0) {
			fprintf(stderr, "publish failed\n");
			exit(1);
		}
		pump(m, NULL, 0);
	}
	while (acked < n)
		pump(m, NULL, 5);
	double secs = (double)(now_us() - t0) / 1e6;
	printf("peer     %6d events  %8.0f events/s  (QoS 1 straight to libmosquitto, no store)\n",
	       n, n / secs);
	mqtt_shutdown(m, 1000);
	mqtt_destroy(m);
}

int main(int argc, char **argv)
{
	int port = 0, n = 2000;
	const char *dir = NULL;
	static const struct option opts[] = {
		{"port", required_argument, NULL, 'p'},
		{"dir", required_argument, NULL, 'd'},
		{"events", required_argument, NULL, 'n'},
		{NULL, 0, NULL, 0},
	};
	for (int c; (c = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
		if (c == 'p')
			port = atoi(optarg);
		else if (c == 'd')
			dir = optarg;
		else if (c == 'n')
			n = atoi(optarg);
		else
			return 2;
	}
	if (!port || !dir || n < 100) {
		fprintf(stderr, "usage: %s --port BROKER_PORT --dir STATE_DIR [--events N>=100]\n",
		        argv[0]);
		return 2;
	}
	log_set_level(FM_LOG_ERROR);
	run_commit(dir, n, 1);
	run_durable(dir, port, n, 1 + (uint64_t)n);
	run_peer(port, n, 1 + 2 * (uint64_t)n);
	return 0;
}
