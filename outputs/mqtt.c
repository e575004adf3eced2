/* mqtt.c - the broker connection and facmon's topics.
 *
 * The event loop owns this module: it polls mqtt_fd(), calls
 * mqtt_handle_io() and mqtt_service(), and libmosquitto's callbacks run
 * inside those calls, on the loop thread. A lost connection is retried with
 * a back-off from 1 s doubling to mqtt.reconnect_max (5 s unless set), so
 * a backlog flows within seconds of a local broker's return. Nothing is
 * handed to libmosquitto while the broker is away: events wait in the
 * store's outbox (outputs/outbox.c sends them, and learns of each PUBACK
 * through the handler set here), telemetry and retained states are
 * republished fresh once the connection is back.
 *
 * TLS and credentials, and the one line that says why a connection
 * attempt failed, are outputs/mqtt_secure.c's; this file feeds it what
 * each attempt showed (the CONNACK, libmosquitto's log lines).
 *
 * Operators' commands (R/cmd/ack, R/cmd/silence) are subscribed on every
 * connection and handed, parsed, to the handler the agent registers; see
 * the "commands" section below.
 *
 * For self-health it keeps since when the broker has been out of reach.
 */
#include "outputs/mqtt.h"

#include <errno.h>
#include <limits.h>
#include <mosquitto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/log.h"
#include "outputs/command.h"
#include "outputs/mqtt_secure.h"
#include "outputs/payload.h"

#define BACKOFF_MIN_MS 1000
#define STATE_QOS 1
#define COMMAND_QOS 1

struct fm_mqtt {
	struct mosquitto *mosq;
	const struct fm_mqtt_conf *conf;
	char root[FM_TEXT_MAX * 2];
	bool connected;
	bool new_session;
	bool connecting;        /* from connect_now() until the CONNACK, or until
	                         * attempt_failed() says why there was none */
	bool ever_connected;
	bool attempted;         /* a connect was tried: the next one gets a new client */
	bool shutting_down;
	int64_t retry_at_ms;    /* next connect attempt; 0 = now */
	int64_t backoff_ms;
	struct complaint connect_complaint;
	struct mqtt_attempt attempt; /* what the current connection attempt showed */
	char told[768];         /* the last diagnosed failure logged, while failing */
	int last_puback_mid;    /* for the goodbye on shutdown */
	/* operators' commands */
	void (*cmd_fn)(void *ctx, const struct fm_cmd *cmd);
	void *cmd_ctx;
	int cmd_sub_mid[FM_CMD_NTOPICS]; /* SUBSCRIBE message ids, to name a refusal */
	/* PUBACKs go to the outbox */
	void (*puback_fn)(void *ctx, int mid);
	void *puback_ctx;
	/* self-health: since when the broker is unreachable */
	int64_t down_since_ms;  /* 0 while connected */
};

/* R/<leaf>, or R/<leaf>/<name>[/<tail>] */
static void topic(const struct fm_mqtt *m, char *buf, size_t len, const char *leaf,
                  const char *name, const char *tail)
{
	snprintf(buf, len, "%s/%s%s%s%s%s", m->root, leaf, name ? "/" : "",
	         name ? name : "", tail ? "/" : "", tail ? tail : "");
}

static void schedule_retry(struct fm_mqtt *m, int64_t now_mono)
{
	m->connected = false;
	m->connecting = false;
	m->retry_at_ms = now_mono + m->backoff_ms;
	int64_t max_ms = (int64_t)m->conf->reconnect_max * 1000;
	m->backoff_ms = m->backoff_ms * 2 > max_ms ? max_ms : m->backoff_ms * 2;
}

/* ---- commands: R/cmd/ack, R/cmd/silence ------------------------------ */

/* On every connection: the session is clean, so the broker forgets our
 * subscriptions whenever the connection drops. */
static void subscribe_commands(struct fm_mqtt *m)
{
	for (size_t i = 0; i < FM_CMD_NTOPICS; i++) {
		char t[sizeof m->root + 16];
		topic(m, t, sizeof t, "cmd", command_topics[i], NULL);
		int rc = mosquitto_subscribe(m->mosq, &m->cmd_sub_mid[i], t, COMMAND_QOS);
		if (rc != MOSQ_ERR_SUCCESS)
			log_warn("mqtt: subscribe %s: %s", t, mosquitto_strerror(rc));
	}
}

static void on_subscribe(struct mosquitto *mosq, void *ud, int mid, int count,
                         const int *granted_qos)
{
	(void)mosq;
	struct fm_mqtt *m = ud;
	for (size_t i = 0; i < FM_CMD_NTOPICS; i++) {
		if (mid != m->cmd_sub_mid[i])
			continue;
		if (count < 1 || granted_qos[0] > 2) /* 0x80: refused (an ACL) */
			log_error("mqtt[%s:%d]: the broker refused the subscription to "
			          "%s/cmd/%s: those commands will not arrive",
			          m->conf->host, m->conf->port, m->root, command_topics[i]);
		else
			log_debug("mqtt: subscribed to %s/cmd/%s", m->root, command_topics[i]);
	}
}

/* A message on R/cmd/<kind>: parsed and handed to the handler, or logged
 * and dropped. The payload is never logged (it may be huge or binary);
 * the reason quotes it only escaped and short. */
static void on_message(struct mosquitto *mosq, void *ud,
                       const struct mosquitto_message *msg)
{
	(void)mosq;
	struct fm_mqtt *m = ud;
	char prefix[sizeof m->root + 8];
	int n = snprintf(prefix, sizeof prefix, "%s/cmd/", m->root);
	if (m->shutting_down || strncmp(msg->topic, prefix, (size_t)n) != 0)
		return;
	if (msg->retain) { /* else it would act again at every (re)connection */
		log_warn("mqtt: ignored a retained command on %.200s (commands must not be "
		         "retained; clear it with an empty retained message)", msg->topic);
		return;
	}
	if (msg->payloadlen == 0) {
		log_info("mqtt: ignored an empty message on %.200s (a retained command "
		         "being cleared)", msg->topic);
		return;
	}
	struct fm_cmd cmd;
	char err[256];
	if (command_parse(msg->topic + n, msg->payload, (size_t)msg->payloadlen, &cmd,
	                  err, sizeof err) < 0)
		log_warn("mqtt: rejected command on %.200s (%d bytes): %s", msg->topic,
		         msg->payloadlen, err);
	else if (m->cmd_fn)
		m->cmd_fn(m->cmd_ctx, &cmd);
}

void mqtt_set_command_handler(struct fm_mqtt *m,
                              void (*fn)(void *ctx, const struct fm_cmd *cmd), void *ctx)
{
	m->cmd_fn = fn;
	m->cmd_ctx = ctx;
}

/* ---- the connection ----------------------------------------------------- */

static void on_connect(struct mosquitto *mosq, void *ud, int rc)
{
	(void)mosq;
	struct fm_mqtt *m = ud;
	if (rc != 0) { /* libmosquitto fails the read next: attempt_failed() says why */
		m->attempt.connack = rc;
		return;
	}
	m->connecting = false;
	m->told[0] = '\0';
	complain_recovered(&m->connect_complaint, "mqtt[%s:%d]: connected",
	                   m->conf->host, m->conf->port);
	if (!m->ever_connected)
		log_info("mqtt[%s:%d]: connected, publishing under %s/",
		         m->conf->host, m->conf->port, m->root);
	m->ever_connected = true;
	m->connected = true;
	m->new_session = true;
	m->backoff_ms = BACKOFF_MIN_MS;
	subscribe_commands(m);
}

static void on_disconnect(struct mosquitto *mosq, void *ud, int rc)
{
	(void)mosq;
	struct fm_mqtt *m = ud;
	if (m->connected && !m->shutting_down)
		log_warn("mqtt[%s:%d]: connection lost (%s), reconnecting",
		         m->conf->host, m->conf->port, mosquitto_strerror(rc));
	m->connected = false; /* during an attempt, io_failed() or the deadline follows */
}

static void on_publish(struct mosquitto *mosq, void *ud, int mid)
{
	(void)mosq;
	struct fm_mqtt *m = ud;
	m->last_puback_mid = mid;
	if (m->puback_fn)
		m->puback_fn(m->puback_ctx, mid);
}

void mqtt_set_puback_handler(struct fm_mqtt *m, void (*fn)(void *ctx, int mid), void *ctx)
{
	m->puback_fn = fn;
	m->puback_ctx = ctx;
}

/* libmosquitto's own lines. Its errors and warnings during a connection
 * attempt (TLS failures above all) become part of the one line that
 * attempt_failed() logs, rate-limited; at any other time they are logged
 * as they come. Its chatter (every packet) stays out. */
static void on_log(struct mosquitto *mosq, void *ud, int level, const char *text)
{
	struct fm_mqtt *m = ud;
	if (!(level & (MOSQ_LOG_ERR | MOSQ_LOG_WARNING)))
		return;
	if (m->connected) {
		log_warn("mqtt[%s:%d]: %s", m->conf->host, m->conf->port, text);
		return;
	}
	mqtt_attempt_note(&m->attempt, mosq, text);
	log_debug("mqtt[%s:%d]: libmosquitto: %s", m->conf->host, m->conf->port, text);
}

static int setup_will(struct fm_mqtt *m, struct mosquitto *mosq, char *err, size_t errlen)
{
	char t[sizeof m->root + 16];
	topic(m, t, sizeof t, "status", NULL, NULL);
	char *offline = payload_status_offline();
	int rc = offline ? mosquitto_will_set(mosq, t, (int)strlen(offline), offline,
	                                      STATE_QOS, true)
	                 : MOSQ_ERR_NOMEM;
	free(offline);
	if (rc != MOSQ_ERR_SUCCESS) {
		snprintf(err, errlen, "mqtt last will: %s", mosquitto_strerror(rc));
		return -1;
	}
	return 0;
}

/* A new libmosquitto client in place of the last one: its callbacks, TLS
 * and credentials (the password file read again), and the will. Each
 * connection gets a fresh client, so nothing the last one still held
 * (messages queued or in flight when the link broke) is sent again behind
 * the outbox's back, ahead of it, and telemetry of before an outage never
 * goes out after it. */
static int client_new(struct fm_mqtt *m, char *err, size_t errlen)
{
	struct mosquitto *mosq = mqtt_secure_client(m->conf->client_id, m, m->conf, err, errlen);
	if (!mosq)
		return -1;
	mosquitto_connect_callback_set(mosq, on_connect);
	mosquitto_disconnect_callback_set(mosq, on_disconnect);
	mosquitto_publish_callback_set(mosq, on_publish);
	mosquitto_subscribe_callback_set(mosq, on_subscribe);
	mosquitto_message_callback_set(mosq, on_message);
	mosquitto_log_callback_set(mosq, on_log);
	if (setup_will(m, mosq, err, errlen) < 0) {
		mosquitto_destroy(mosq);
		return -1;
	}
	if (m->mosq)
		mosquitto_destroy(m->mosq);
	m->mosq = mosq;
	return 0;
}

struct fm_mqtt *mqtt_create(const struct fm_config *cfg, char *err, size_t errlen)
{
	mosquitto_lib_init();
	struct fm_mqtt *m = calloc(1, sizeof *m);
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	m->conf = &cfg->mqtt;
	m->backoff_ms = BACKOFF_MIN_MS;
	snprintf(m->root, sizeof m->root, "%s/%s/%s", cfg->mqtt.topic_prefix,
	         cfg->agent.site, cfg->agent.name);
	if (client_new(m, err, errlen) < 0) {
		mqtt_destroy(m);
		return NULL;
	}
	return m;
}

void mqtt_rebind_config(struct fm_mqtt *m, const struct fm_config *cfg)
{
	m->conf = &cfg->mqtt;
}

void mqtt_destroy(struct fm_mqtt *m)
{
	if (!m)
		return;
	mosquitto_destroy(m->mosq);
	free(m);
	mosquitto_lib_cleanup();
}

/* Between attempts libmosquitto may keep a failed attempt's socket open
 * (a TLS one: it closes it when the next attempt starts); nobody watches
 * it meanwhile, or it would wake the loop at once, again and again. */
static bool socket_live(const struct fm_mqtt *m)
{
	return m->connected || m->connecting;
}

int mqtt_fd(struct fm_mqtt *m)
{
	return socket_live(m) ? mosquitto_socket(m->mosq) : -1;
}

bool mqtt_want_write(struct fm_mqtt *m)
{
	return mosquitto_want_write(m->mosq);
}

bool mqtt_connected(const struct fm_mqtt *m)
{
	return m->connected;
}

bool mqtt_take_new_session(struct fm_mqtt *m)
{
	bool fresh = m->new_session;
	m->new_session = false;
	return fresh;
}

/* A connection attempt failed (RC, and ERRNUM for MOSQ_ERR_ERRNO): one
 * rate-limited line saying why and what to do, and a retry after the
 * back-off. A diagnosis that differs from the last one told is news and
 * is told at once: the first attempt's cause can be hidden (the broker
 * closing on a refused login can take its CONNACK with it), the next
 * one's not. */
static void attempt_failed(struct fm_mqtt *m, int rc, int errnum, int64_t now_mono)
{
	char why[sizeof m->told];
	mqtt_attempt_explain(&m->attempt, m->conf, rc, errnum, why, sizeof why);
	if (mqtt_attempt_diagnosed(&m->attempt) && strcmp(why, m->told) != 0) {
		complain_now(&m->connect_complaint);
		memcpy(m->told, why, sizeof m->told);
	}
	complain(&m->connect_complaint, now_mono, "mqtt[%s:%d]: cannot connect: %s",
	         m->conf->host, m->conf->port, why);
	schedule_retry(m, now_mono);
	log_debug("mqtt[%s:%d]: next connection attempt in %lld s", m->conf->host,
	          m->conf->port, (long long)((m->retry_at_ms - now_mono + 999) / 1000));
}

static void connect_now(struct fm_mqtt *m, int64_t now_mono)
{
	char err[FM_TEXT_MAX];
	if (m->attempted && client_new(m, err, sizeof err) < 0) {
		complain(&m->connect_complaint, now_mono, "mqtt[%s:%d]: %s", m->conf->host,
		         m->conf->port, err);
		schedule_retry(m, now_mono);
		return;
	}
	m->attempted = true;
	mqtt_attempt_start(&m->attempt);
	m->connecting = true;
	log_debug("mqtt[%s:%d]: connecting%s", m->conf->host, m->conf->port,
	          m->conf->tls_ca_file[0] ? " with TLS" : "");
	int rc = mosquitto_connect_async(m->mosq, m->conf->host, m->conf->port,
	                                 m->conf->keepalive);
	if (rc == MOSQ_ERR_SUCCESS) {
		m->retry_at_ms = now_mono + MQTT_CONNACK_TIMEOUT_MS;
		return;
	}
	attempt_failed(m, rc, errno, now_mono);
}

/* A socket error during I/O: drop the connection and retry later. */
static void io_failed(struct fm_mqtt *m, int rc, int64_t now_mono)
{
	if (rc == MOSQ_ERR_SUCCESS)
		return;
	int errnum = errno;
	bool was_connected = m->connected;
	mosquitto_disconnect(m->mosq);
	if (m->connecting) {
		attempt_failed(m, rc, errnum, now_mono);
		return;
	}
	if (was_connected) /* else on_disconnect() has said so */
		log_warn("mqtt[%s:%d]: connection lost (%s), reconnecting", m->conf->host,
		         m->conf->port,
		         rc == MOSQ_ERR_ERRNO ? strerror(errnum) : mosquitto_strerror(rc));
	schedule_retry(m, now_mono);
}

/* Since when the broker is out of reach; called after anything that may
 * have connected or disconnected. */
static void note_reachability(struct fm_mqtt *m, int64_t now_mono)
{
	if (m->connected)
		m->down_since_ms = 0;
	else if (m->down_since_ms == 0)
		m->down_since_ms = now_mono > 0 ? now_mono : 1;
}

/* Whether an attempt's socket is dead though libmosquitto saw no error:
 * with TLS it takes a connect that failed for a handshake to try again,
 * and the dead socket would wake the loop at once, every time, until the
 * CONNACK deadline. The error, or ENOTCONN when libmosquitto's read has
 * consumed it (mqtt_attempt_explain says what that means); 0 if alive. */
static int dead_socket_error(struct fm_mqtt *m)
{
	int fd = mosquitto_socket(m->mosq);
	struct sockaddr_storage peer;
	socklen_t len = sizeof peer;
	if (!m->connecting || fd < 0 ||
	    getpeername(fd, (struct sockaddr *)&peer, &len) == 0 || errno != ENOTCONN)
		return 0;
	int soerr = 0;
	len = sizeof soerr;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0 || soerr == 0)
		soerr = ENOTCONN;
	return soerr;
}

void mqtt_handle_io(struct fm_mqtt *m, bool readable, bool writable, int64_t now_mono)
{
	int rc = MOSQ_ERR_SUCCESS, soerr;
	if (readable)
		rc = mosquitto_loop_read(m->mosq, 1);
	if (rc == MOSQ_ERR_SUCCESS && writable)
		rc = mosquitto_loop_write(m->mosq, 1);
	if (rc == MOSQ_ERR_SUCCESS && (soerr = dead_socket_error(m)) != 0) {
		errno = soerr;
		rc = MOSQ_ERR_ERRNO;
	}
	io_failed(m, rc, now_mono);
	note_reachability(m, now_mono);
}

int64_t mqtt_service(struct fm_mqtt *m, int64_t now_mono)
{
	if (socket_live(m) && mosquitto_socket(m->mosq) >= 0) {
		int rc = mosquitto_loop_misc(m->mosq);
		if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_NO_CONN)
			io_failed(m, rc, now_mono);
	}
	if (m->connecting && now_mono >= m->retry_at_ms) {
		m->attempt.timed_out = true;
		io_failed(m, MOSQ_ERR_CONN_LOST, now_mono);
	} else if (!m->connected && !m->connecting && now_mono >= m->retry_at_ms) {
		connect_now(m, now_mono);
	}
	note_reachability(m, now_mono);
	if (!socket_live(m))
		return m->retry_at_ms;
	return now_mono + 1000; /* keepalive bookkeeping */
}

/* Publishes and frees PAYLOAD; libmosquitto's result. */
static int publish_mid(struct fm_mqtt *m, const char *t, char *payload, int qos,
                       bool retain, int *mid)
{
	if (!payload) {
		log_error("mqtt: out of memory building %s", t);
		return MOSQ_ERR_NOMEM;
	}
	int rc = mosquitto_publish(m->mosq, mid, t, (int)strlen(payload), payload,
	                           qos, retain);
	if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_NO_CONN)
		log_warn("mqtt: publish %s: %s", t, mosquitto_strerror(rc));
	free(payload);
	return rc;
}

static void publish(struct fm_mqtt *m, const char *t, char *payload, int qos,
                    bool retain)
{
	publish_mid(m, t, payload, qos, retain, NULL);
}

int mqtt_publish_raw(struct fm_mqtt *m, const char *topic_name, const void *payload,
                     size_t len, int qos, bool retain)
{
	if (!m->connected)
		return -1;
	int rc = mosquitto_publish(m->mosq, NULL, topic_name, (int)len, payload, qos, retain);
	if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_NO_CONN)
		log_warn("mqtt: publish %s: %s", topic_name, mosquitto_strerror(rc));
	return rc == MOSQ_ERR_SUCCESS ? 0 : -1;
}

const char *mqtt_root(const struct fm_mqtt *m)
{
	return m->root;
}

void mqtt_publish_online(struct fm_mqtt *m, const struct fm_status *st)
{
	char t[sizeof m->root + 16];
	topic(m, t, sizeof t, "status", NULL, NULL);
	publish(m, t, payload_status_online(st), STATE_QOS, true);
}

void mqtt_publish_telemetry(struct fm_mqtt *m, const struct eng_device *d)
{
	if (!m->connected)
		return; /* not queued: the next poll brings a fresher value */
	char t[sizeof m->root + FM_NAME_MAX + 16];
	topic(m, t, sizeof t, "telemetry", d->conf->name, NULL);
	publish(m, t, payload_telemetry(d), m->conf->qos, true);
}

void mqtt_publish_device_state(struct fm_mqtt *m, const struct eng_device *d)
{
	if (!m->connected)
		return; /* republished on reconnect */
	char t[sizeof m->root + FM_NAME_MAX + 16];
	topic(m, t, sizeof t, "device", d->conf->name, "state");
	publish(m, t, payload_device_state(d), STATE_QOS, true);
}

void mqtt_publish_alert_state(struct fm_mqtt *m, const struct eng_alert *a)
{
	if (!m->connected)
		return; /* republished on reconnect */
	char t[sizeof m->root + sizeof a->name + 16];
	topic(m, t, sizeof t, "alert", a->name, NULL);
	publish(m, t, payload_alert_state(a), STATE_QOS, true);
}

/* An empty retained message deletes what the broker retains on T. */
static void clear_retained(struct fm_mqtt *m, const char *t)
{
	if (m->connected &&
	    mosquitto_publish(m->mosq, NULL, t, 0, NULL, STATE_QOS, true) != MOSQ_ERR_SUCCESS)
		log_warn("mqtt: clearing %s failed", t);
}

void mqtt_forget_alert(struct fm_mqtt *m, const char *name)
{
	char t[sizeof m->root + FM_NAME_MAX * 2 + 16];
	topic(m, t, sizeof t, "alert", name, NULL);
	clear_retained(m, t);
}

void mqtt_forget_device(struct fm_mqtt *m, const char *name)
{
	char t[sizeof m->root + FM_NAME_MAX + 16];
	topic(m, t, sizeof t, "device", name, "state");
	clear_retained(m, t);
	topic(m, t, sizeof t, "telemetry", name, NULL);
	clear_retained(m, t);
}

int mqtt_send_event(struct fm_mqtt *m, const char *payload, int *mid)
{
	if (!m->connected)
		return -1; /* it waits in the outbox */
	char t[sizeof m->root + 16];
	topic(m, t, sizeof t, "events", NULL, NULL);
	*mid = -1;
	return publish_mid(m, t, strdup(payload), STATE_QOS, false, mid) == MOSQ_ERR_SUCCESS
	           ? 0 : -1;
}

int64_t mqtt_unreachable_since_ms(const struct fm_mqtt *m)
{
	return m->down_since_ms;
}

void mqtt_shutdown(struct fm_mqtt *m, int timeout_ms)
{
	m->shutting_down = true;
	if (m->connected) {
		char t[sizeof m->root + 16];
		topic(m, t, sizeof t, "status", NULL, NULL);
		char *offline = payload_status_offline();
		int mid = -1;
		if (offline &&
		    mosquitto_publish(m->mosq, &mid, t, (int)strlen(offline), offline,
		                      STATE_QOS, true) != MOSQ_ERR_SUCCESS)
			mid = -1;
		free(offline);
		/* wait for the goodbye's PUBACK, so the broker keeps "offline"
		 * rather than firing the last will at a clean stop */
		for (int waited = 0; mid >= 0 && waited < timeout_ms &&
		                     m->last_puback_mid != mid && m->connected;
		     waited += 50)
			mosquitto_loop(m->mosq, 50, 1);
	}
	mosquitto_disconnect(m->mosq);
}
