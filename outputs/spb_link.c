/* spb_link.c - the Sparkplug connection (see spb_link.h).
 *
 * Each connection attempt gets a fresh client whose will is the NDEATH of
 * its bdSeq (take_bdseq() says which). A lost
 * connection is retried after 1 s, doubling to mqtt.reconnect_max.
 */
#include "outputs/spb_link.h"

#include <errno.h>
#include <mosquitto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "outputs/mqtt_secure.h"
#include "outputs/spb_payload.h"
#include "store/store_mark.h"

#define BDSEQ_FILE "sparkplug.bdseq"
#define BACKOFF_MIN_MS 1000
#define WRITE_AGAIN_MS 20 /* while libmosquitto has bytes queued */
#define NAMESPACE "spBv1.0"

enum link_state { LINK_IDLE, LINK_CONNECTING, LINK_ONLINE };

struct spb_link {
	const struct fm_config *cfg;
	struct mosquitto *mosq;
	char client_id[FM_TEXT_MAX + 8];
	enum link_state state;
	bool new_session;
	bool closing;
	int64_t retry_at;     /* IDLE: the next attempt; CONNECTING: the CONNACK deadline */
	int64_t backoff_ms;
	bool next_read;       /* NEXT read from the file */
	uint64_t next;        /* the bdSeq of the next CONNECT */
	uint64_t bdseq;       /* of this session */
	int death_mid;        /* the NDEATH of a clean stop, for its PUBACK */
	bool death_acked;
	struct complaint complaint;
	spb_ncmd_fn *ncmd_fn;
	void *ncmd_ctx;
};

void spb_link_topic(const struct spb_link *l, const char *type, const char *device,
                    char *buf, size_t len)
{
	snprintf(buf, len, NAMESPACE "/%s/%s/%s%s%s", l->cfg->outputs.sparkplug.group, type,
	         l->cfg->agent.name, device ? "/" : "", device ? device : "");
}

/* The bdSeq of the next CONNECT: one more than that of the last session
 * the broker accepted (0 after 255, and the very first time). An attempt
 * that got no CONNACK leaves no will behind and its bdSeq is used again.
 * The state dir's file is written before the CONNECT leaves, with the
 * bdSeq after this one: a restart never reuses one a will may carry. */
static void take_bdseq(struct spb_link *l)
{
	char err[FM_TEXT_MAX * 2];
	const char *dir = l->cfg->agent.state_dir;
	if (!l->next_read) {
		if (store_number_read(dir, BDSEQ_FILE, &l->next, err, sizeof err) < 0)
			log_warn("sparkplug: %s; bdSeq starts again at 0", err);
		l->next_read = true;
	}
	l->bdseq = l->next % 256;
	if (store_number_write(dir, BDSEQ_FILE, (l->bdseq + 1) % 256, err, sizeof err) < 0)
		log_warn("sparkplug: %s (a restart may use bdSeq %llu again)", err,
		         (unsigned long long)l->bdseq);
}

/* ---- libmosquitto's callbacks: they only note what happened ---- */

static void on_connect(struct mosquitto *mosq, void *ud, int rc)
{
	(void)mosq;
	struct spb_link *l = ud;
	if (rc != 0) {
		log_debug("sparkplug: the broker refused the connection: %s",
		          mosquitto_connack_string(rc));
		return;
	}
	l->state = LINK_ONLINE;
	l->new_session = true;
	l->next = (l->bdseq + 1) % 256;
	l->backoff_ms = BACKOFF_MIN_MS;
}

static void on_disconnect(struct mosquitto *mosq, void *ud, int rc)
{
	(void)mosq;
	struct spb_link *l = ud;
	if (l->state == LINK_ONLINE && !l->closing)
		log_warn("sparkplug[%s:%d]: connection lost (%s), reconnecting",
		         l->cfg->mqtt.host, l->cfg->mqtt.port, mosquitto_strerror(rc));
	if (!l->closing)
		l->state = LINK_IDLE;
}

static void on_publish(struct mosquitto *mosq, void *ud, int mid)
{
	(void)mosq;
	struct spb_link *l = ud;
	if (mid == l->death_mid)
		l->death_acked = true;
}

static void on_message(struct mosquitto *mosq, void *ud, const struct mosquitto_message *msg)
{
	(void)mosq;
	struct spb_link *l = ud;
	char ncmd[FM_TEXT_MAX * 2];
	spb_link_topic(l, "NCMD", NULL, ncmd, sizeof ncmd);
	if (strcmp(msg->topic, ncmd) == 0 && l->ncmd_fn)
		l->ncmd_fn(l->ncmd_ctx, msg->payload, (size_t)msg->payloadlen);
}

/* ---- the connection ---- */

/* A fresh client whose will is the NDEATH of the next bdSeq. */
static int client_new(struct spb_link *l, char *err, size_t errlen)
{
	struct mosquitto *mosq = mqtt_secure_client(l->client_id, l, &l->cfg->mqtt, err, errlen);
	if (!mosq)
		return -1;
	mosquitto_connect_callback_set(mosq, on_connect);
	mosquitto_disconnect_callback_set(mosq, on_disconnect);
	mosquitto_publish_callback_set(mosq, on_publish);
	mosquitto_message_callback_set(mosq, on_message);
	take_bdseq(l);
	char topic[FM_TEXT_MAX * 2];
	size_t len;
	uint8_t *death = spb_death(l->bdseq, (uint64_t)clock_wall_ms(), &len);
	spb_link_topic(l, "NDEATH", NULL, topic, sizeof topic);
	int rc = death ? mosquitto_will_set(mosq, topic, (int)len, death, 1, false)
	               : MOSQ_ERR_NOMEM;
	free(death);
	if (rc != MOSQ_ERR_SUCCESS) {
		snprintf(err, errlen, "the NDEATH will: %s", mosquitto_strerror(rc));
		mosquitto_destroy(mosq);
		return -1;
	}
	if (l->mosq)
		mosquitto_destroy(l->mosq);
	l->mosq = mosq;
	return 0;
}

static void schedule_retry(struct spb_link *l, int64_t now, const char *why)
{
	if (why)
		complain(&l->complaint, now, "sparkplug[%s:%d]: cannot connect: %s",
		         l->cfg->mqtt.host, l->cfg->mqtt.port, why);
	if (l->mosq)
		mosquitto_disconnect(l->mosq);
	l->state = LINK_IDLE;
	l->retry_at = now + l->backoff_ms;
	int64_t max_ms = (int64_t)l->cfg->mqtt.reconnect_max * 1000;
	l->backoff_ms = l->backoff_ms * 2 > max_ms ? max_ms : l->backoff_ms * 2;
}

static void connect_now(struct spb_link *l, int64_t now)
{
	char err[FM_TEXT_MAX * 2];
	if (client_new(l, err, sizeof err) < 0) {
		schedule_retry(l, now, err);
		return;
	}
	int rc = mosquitto_connect_async(l->mosq, l->cfg->mqtt.host, l->cfg->mqtt.port,
	                                 l->cfg->mqtt.keepalive);
	if (rc != MOSQ_ERR_SUCCESS) {
		schedule_retry(l, now, rc == MOSQ_ERR_ERRNO ? strerror(errno)
		                                            : mosquitto_strerror(rc));
		return;
	}
	l->state = LINK_CONNECTING;
	l->retry_at = now + MQTT_CONNACK_TIMEOUT_MS;
	log_debug("sparkplug[%s:%d]: connecting as %s, bdSeq %llu", l->cfg->mqtt.host,
	          l->cfg->mqtt.port, l->client_id, (unsigned long long)l->bdseq);
}

/* Just online: the NCMD subscription, before any birth (3.0.0, 5.x). */
static void session_started(struct spb_link *l, int64_t now)
{
	char topic[FM_TEXT_MAX * 2];
	spb_link_topic(l, "NCMD", NULL, topic, sizeof topic);
	int rc = mosquitto_subscribe(l->mosq, NULL, topic, 1);
	if (rc != MOSQ_ERR_SUCCESS)
		log_warn("sparkplug: subscribe %s: %s", topic, mosquitto_strerror(rc));
	complain_recovered(&l->complaint, "sparkplug[%s:%d]: connected", l->cfg->mqtt.host,
	                   l->cfg->mqtt.port);
	log_info("sparkplug[%s:%d]: online as %s/%s, bdSeq %llu", l->cfg->mqtt.host,
	         l->cfg->mqtt.port, l->cfg->outputs.sparkplug.group, l->cfg->agent.name,
	         (unsigned long long)l->bdseq);
	(void)now;
}

/* What an I/O call returned: a failure drops the connection. */
static void io_result(struct spb_link *l, int rc, int64_t now)
{
	if (rc == MOSQ_ERR_SUCCESS || rc == MOSQ_ERR_NO_CONN || l->closing)
		return;
	const char *why = rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc);
	if (l->state == LINK_ONLINE)
		log_warn("sparkplug[%s:%d]: connection lost (%s), reconnecting", l->cfg->mqtt.host,
		         l->cfg->mqtt.port, why);
	schedule_retry(l, now, l->state == LINK_CONNECTING ? why : NULL);
}

static void flush(struct spb_link *l, int64_t now)
{
	if (l->state != LINK_IDLE && mosquitto_want_write(l->mosq))
		io_result(l, mosquitto_loop_write(l->mosq, 16), now);
}

void spb_link_handle(struct spb_link *l, int64_t now)
{
	if (l->state == LINK_IDLE)
		return;
	bool was_online = l->state == LINK_ONLINE;
	io_result(l, mosquitto_loop_read(l->mosq, 16), now);
	if (!was_online && l->state == LINK_ONLINE)
		session_started(l, now);
	if (was_online && l->state == LINK_IDLE)
		schedule_retry(l, now, NULL);
	flush(l, now);
}

int64_t spb_link_service(struct spb_link *l, int64_t now)
{
	if (l->state == LINK_IDLE && now >= l->retry_at)
		connect_now(l, now);
	else if (l->state == LINK_CONNECTING && now >= l->retry_at)
		schedule_retry(l, now, "no CONNACK in time");
	if (l->state != LINK_IDLE)
		io_result(l, mosquitto_loop_misc(l->mosq), now);
	flush(l, now);
	if (l->state == LINK_IDLE)
		return l->retry_at;
	if (mosquitto_want_write(l->mosq))
		return now + WRITE_AGAIN_MS;
	return now + 1000; /* keepalive bookkeeping */
}

struct spb_link *spb_link_create(const struct fm_config *cfg, spb_ncmd_fn *fn, void *ctx,
                                 char *err, size_t errlen)
{
	struct spb_link *l = calloc(1, sizeof *l); /* libmosquitto: outputs/mqtt.c inits it */
	if (!l) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->cfg = cfg;
	l->ncmd_fn = fn;
	l->ncmd_ctx = ctx;
	l->backoff_ms = BACKOFF_MIN_MS;
	l->death_mid = -1;
	snprintf(l->client_id, sizeof l->client_id, "%s-spb", cfg->mqtt.client_id);
	return l;
}

void spb_link_destroy(struct spb_link *l, int timeout_ms)
{
	if (!l)
		return;
	l->closing = true;
	if (l->state == LINK_ONLINE) {
		char topic[FM_TEXT_MAX * 2];
		size_t len;
		uint8_t *death = spb_death(l->bdseq, (uint64_t)clock_wall_ms(), &len);
		spb_link_topic(l, "NDEATH", NULL, topic, sizeof topic);
		if (death && mosquitto_publish(l->mosq, &l->death_mid, topic, (int)len, death, 1,
		                               false) == MOSQ_ERR_SUCCESS)
			for (int waited = 0; !l->death_acked && waited < timeout_ms; waited += 50)
				if (mosquitto_loop(l->mosq, 50, 1) != MOSQ_ERR_SUCCESS)
					break;
		free(death);
		log_info("sparkplug: offline (NDEATH, bdSeq %llu)", (unsigned long long)l->bdseq);
	}
	if (l->mosq) {
		mosquitto_disconnect(l->mosq);
		mosquitto_destroy(l->mosq);
	}
	free(l);
}

void spb_link_rebind(struct spb_link *l, const struct fm_config *cfg)
{
	l->cfg = cfg;
}

int spb_link_fd(struct spb_link *l)
{
	return l->state == LINK_IDLE ? -1 : mosquitto_socket(l->mosq);
}

bool spb_link_online(const struct spb_link *l)
{
	return l->state == LINK_ONLINE;
}

bool spb_link_take_session(struct spb_link *l)
{
	bool fresh = l->new_session;
	l->new_session = false;
	return fresh;
}

uint64_t spb_link_bdseq(const struct spb_link *l)
{
	return l->bdseq;
}

int spb_link_publish(struct spb_link *l, const char *topic, const void *buf, size_t len)
{
	if (l->state != LINK_ONLINE)
		return -1;
	int rc = mosquitto_publish(l->mosq, NULL, topic, (int)len, buf, 0, false);
	if (rc != MOSQ_ERR_SUCCESS) {
		log_warn("sparkplug: publish %s: %s", topic, mosquitto_strerror(rc));
		return -1;
	}
	return 0;
}
