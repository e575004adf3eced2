/* mqtt_secure.h - securing the broker connection, and saying why it failed.
 *
 * Owns: what outputs/mqtt.c hands libmosquitto to make the connection
 * private and authenticated (the user name and the password read from its
 * file; TLS 1.2 or later that always verifies the broker's certificate
 * against mqtt.tls.ca_file and its name against mqtt.host; the client
 * certificate), and turning what one failed connection attempt showed
 * (libmosquitto's error lines, the TLS alert, the certificate check, the
 * broker's CONNACK) into one line an operator can act on: which file,
 * which host, the likely fix. Internal to outputs/mqtt*.c.
 */
#ifndef FACMON_MQTT_SECURE_H
#define FACMON_MQTT_SECURE_H

#include <mosquitto.h>
#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"

/* How long a connection attempt may wait for the broker's CONNACK. */
#define MQTT_CONNACK_TIMEOUT_MS 30000

/* What one connection attempt showed; cleared when the next one starts. */
struct mqtt_attempt {
	char lib_errors[384]; /* libmosquitto's error and warning lines, "; "-joined */
	long verify_result;   /* X509_V_OK, or why the broker's certificate failed */
	int connack;          /* the broker's refusal (CONNACK return code), 0 if none */
	bool timed_out;       /* no CONNACK came in time */
};

void mqtt_attempt_start(struct mqtt_attempt *a);
/* A line MOSQ logged as an error or warning during the attempt; with it,
 * OpenSSL's verdict on the broker's certificate, while there is one. */
void mqtt_attempt_note(struct mqtt_attempt *a, struct mosquitto *mosq, const char *text);

/* Credentials and TLS on MOSQ as CONF says. 0, or -1 with ERR (the
 * password never in it). */
int mqtt_secure_setup(struct mosquitto *mosq, const struct fm_mqtt_conf *conf, char *err,
                      size_t errlen);

/* A new libmosquitto client CLIENT_ID (a clean session) whose callbacks
 * get OBJ, with credentials and TLS as CONF says; NULL with ERR. */
struct mosquitto *mqtt_secure_client(const char *client_id, void *obj,
                                     const struct fm_mqtt_conf *conf, char *err,
                                     size_t errlen);

/* Whether A showed more than a socket error: the broker's refusal, or
 * what libmosquitto said (a TLS failure above all). */
bool mqtt_attempt_diagnosed(const struct mqtt_attempt *a);

/* Why attempt A failed, with the likely fix, into BUF. RC is
 * libmosquitto's result, ERRNUM the errno that goes with MOSQ_ERR_ERRNO. */
void mqtt_attempt_explain(const struct mqtt_attempt *a, const struct fm_mqtt_conf *conf,
                          int rc, int errnum, char *buf, size_t len);

#endif
