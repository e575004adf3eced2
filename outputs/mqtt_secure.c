/* mqtt_secure.c - credentials and TLS for the broker connection, and what a
 * failed connection attempt means.
 *
 * TLS is on when mqtt.tls is given, and then it always verifies: peer
 * verification and libmosquitto's host name check are set explicitly, not
 * left to defaults, and no config key turns them off. libmosquitto builds
 * the TLS context from ca_file, cert_file and key_file itself.
 *
 * libmosquitto reports a failed handshake only as a line in its log
 * ("certificate verify failed"). While it logs that line the connection's
 * SSL object still exists, and OpenSSL's verdict on the broker's
 * certificate there says why (another CA, expired): mqtt_attempt_note()
 * keeps it, since that is what an operator needs to fix it. (An info
 * callback on the SSL object could not be relied on: libmosquitto may
 * finish the handshake inside its connect call, before the object can be
 * reached. And a context of our own, MOSQ_OPT_SSL_CTX, makes libmosquitto
 * before 2.0.15 skip its TLS set-up so that every host name check fails,
 * eclipse/mosquitto#2463; Debian 12 ships 2.0.11.)
 */
#include "outputs/mqtt_secure.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "base/secret.h"

#define TLS_MIN_VERSION "tlsv1.2"

void mqtt_attempt_start(struct mqtt_attempt *a)
{
	*a = (struct mqtt_attempt){.verify_result = X509_V_OK};
}

void mqtt_attempt_note(struct mqtt_attempt *a, struct mosquitto *mosq, const char *text)
{
	size_t used = strlen(a->lib_errors);
	if (used + 3 < sizeof a->lib_errors)
		snprintf(a->lib_errors + used, sizeof a->lib_errors - used, "%s%s",
		         used ? "; " : "", text);
	const SSL *ssl = mosquitto_ssl_get(mosq);
	if (ssl && a->verify_result == X509_V_OK)
		a->verify_result = SSL_get_verify_result(ssl);
}

/* ---- setting the connection up -------------------------------------------- */

/* The password is the first line of its file; the buffer is wiped as soon
 * as libmosquitto has its copy. */
static int setup_credentials(struct mosquitto *mosq, const struct fm_mqtt_conf *c,
                             char *err, size_t errlen)
{
	if (!c->username[0])
		return 0;
	char password[FM_TEXT_MAX] = "";
	int rc = c->password_file[0] ? secret_read(c->password_file, password, sizeof password)
	                             : 0;
	if (rc < 0) {
		snprintf(err, errlen, "mqtt.password_file %s: %s", c->password_file,
		         strerror(-rc));
		return -1;
	}
	if (c->password_file[0] && !password[0]) {
		snprintf(err, errlen, "mqtt.password_file %s: the password (the file's first "
		         "line) is empty", c->password_file);
		return -1;
	}
	rc = mosquitto_username_pw_set(mosq, c->username, password[0] ? password : NULL);
	explicit_bzero(password, sizeof password);
	if (rc != MOSQ_ERR_SUCCESS) {
		snprintf(err, errlen, "mqtt credentials: %s", mosquitto_strerror(rc));
		return -1;
	}
	return 0;
}

static int setup_tls(struct mosquitto *mosq, const struct fm_mqtt_conf *c, char *err,
                     size_t errlen)
{
	int rc = mosquitto_tls_set(mosq, c->tls_ca_file, NULL,
	                           c->tls_cert_file[0] ? c->tls_cert_file : NULL,
	                           c->tls_key_file[0] ? c->tls_key_file : NULL, NULL);
	if (rc == MOSQ_ERR_SUCCESS) /* 1: SSL_VERIFY_PEER */
		rc = mosquitto_tls_opts_set(mosq, 1, TLS_MIN_VERSION, NULL);
	if (rc == MOSQ_ERR_SUCCESS) /* false: the broker's name is checked */
		rc = mosquitto_tls_insecure_set(mosq, false);
	if (rc != MOSQ_ERR_SUCCESS) {
		snprintf(err, errlen, "mqtt.tls (ca_file %s): %s", c->tls_ca_file,
		         mosquitto_strerror(rc));
		return -1;
	}
	return 0;
}

static bool is_loopback(const char *host)
{
	return strcmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0 ||
	       strcmp(host, "::1") == 0;
}

int mqtt_secure_setup(struct mosquitto *mosq, const struct fm_mqtt_conf *c, char *err,
                      size_t errlen)
{
	if (setup_credentials(mosq, c, err, errlen) < 0)
		return -1;
	if (c->tls_ca_file[0])
		return setup_tls(mosq, c, err, errlen);
	if (c->password_file[0] && !is_loopback(c->host))
		log_warn("mqtt[%s:%d]: the password goes to the broker unencrypted; configure "
		         "mqtt.tls", c->host, c->port);
	return 0;
}

struct mosquitto *mqtt_secure_client(const char *client_id, void *obj,
                                     const struct fm_mqtt_conf *conf, char *err,
                                     size_t errlen)
{
	struct mosquitto *mosq = mosquitto_new(client_id, true, obj);
	if (!mosq) {
		snprintf(err, errlen, "mosquitto_new: %s", strerror(errno));
		return NULL;
	}
	if (mqtt_secure_setup(mosq, conf, err, errlen) < 0) {
		mosquitto_destroy(mosq);
		return NULL;
	}
	return mosq;
}

/* ---- explaining a failed attempt ------------------------------------------ */

bool mqtt_attempt_diagnosed(const struct mqtt_attempt *a)
{
	return a->connack || a->lib_errors[0] || a->verify_result != X509_V_OK;
}

/* CONNACK return codes of MQTT 3.1.1 (libmosquitto's default protocol). */
enum { CONNACK_ID_REJECTED = 2, CONNACK_BAD_CREDENTIALS = 4, CONNACK_NOT_AUTHORISED = 5 };

static void explain_refusal(const struct mqtt_attempt *a, const struct fm_mqtt_conf *c,
                            char *buf, size_t len)
{
	const char *what = mosquitto_connack_string(a->connack);
	if (a->connack == CONNACK_ID_REJECTED)
		snprintf(buf, len, "the broker refused the connection: %s (client id \"%s\"; "
		         "set mqtt.client_id)", what, c->client_id);
	else if (a->connack != CONNACK_BAD_CREDENTIALS && a->connack != CONNACK_NOT_AUTHORISED)
		snprintf(buf, len, "the broker refused the connection: %s", what);
	else if (!c->username[0])
		snprintf(buf, len, "the broker refused the connection: %s (it wants a user name "
		         "and password: set mqtt.username and mqtt.password_file)", what);
	else if (!c->password_file[0])
		snprintf(buf, len, "the broker refused the connection: %s (user \"%s\", no "
		         "password: set mqtt.password_file)", what, c->username);
	else
		snprintf(buf, len, "the broker refused the connection: %s (user \"%s\" with the "
		         "password in %s: check both against the broker's password file)",
		         what, c->username, c->password_file);
}

static bool issuer_unknown(long v)
{
	switch (v) {
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
		return true;
	default:
		return false;
	}
}

/* The broker's certificate did not pass the check against ca_file. */
static void explain_verify(const struct mqtt_attempt *a, const struct fm_mqtt_conf *c,
                           char *buf, size_t len)
{
	long v = a->verify_result;
	const char *why = X509_verify_cert_error_string(v);
	if (issuer_unknown(v))
		snprintf(buf, len, "TLS: certificate verify failed: %s: the broker's certificate "
		         "is not signed by the CA in mqtt.tls.ca_file %s (set ca_file to the CA "
		         "that signed it, or give the broker a certificate from this CA)", why,
		         c->tls_ca_file);
	else if (v == X509_V_ERR_CERT_HAS_EXPIRED || v == X509_V_ERR_CERT_NOT_YET_VALID)
		snprintf(buf, len, "TLS: certificate verify failed: %s: renew the broker's "
		         "certificate, or check this gateway's clock", why);
	else
		snprintf(buf, len, "TLS: certificate verify failed: %s (checked against "
		         "mqtt.tls.ca_file %s)", why, c->tls_ca_file);
}

/* The broker ended the TLS session before it answered. With an alert,
 * which OpenSSL names in libmosquitto's line ("tlsv13 alert certificate
 * required", "tlsv1 alert unknown ca"), it is about our certificate. By
 * just closing (WHAT: "Connection reset by peer"), it may be that too: our
 * CONNECT crossed its alert, and the reset took the alert with it; or it
 * refused the login and the reset took the CONNACK. Its log says which. */
static void explain_broker_close(const struct mqtt_attempt *a, const struct fm_mqtt_conf *c,
                                 const char *what, char *buf, size_t len)
{
	const char *alert = strstr(a->lib_errors, " alert ");
	int n = alert ? (int)strcspn(alert + 7, ";") : 0;
	if (alert && !c->tls_cert_file[0])
		snprintf(buf, len, "TLS: the broker ended the handshake (alert \"%.*s\"): it "
		         "probably requires a client certificate; set mqtt.tls.cert_file and "
		         "key_file (the broker's log says why)", n, alert + 7);
	else if (alert)
		snprintf(buf, len, "TLS: the broker ended the handshake (alert \"%.*s\"): it "
		         "probably does not accept the client certificate %s; is it signed by a "
		         "CA the broker trusts (its cafile), and still valid? (the broker's log "
		         "says why)", n, alert + 7, c->tls_cert_file);
	else if (!c->tls_cert_file[0])
		snprintf(buf, len, "TLS: the broker closed the connection before answering "
		         "(%s): it may require a client certificate; set mqtt.tls.cert_file and "
		         "key_file (or it refused the login: the broker's log says why)", what);
	else
		snprintf(buf, len, "TLS: the broker closed the connection before answering "
		         "(%s): it may not accept the client certificate %s (signed by a CA the "
		         "broker trusts, its cafile? still valid?), or it refused the login: the "
		         "broker's log says why", what, c->tls_cert_file);
}

static void explain_tls(const struct mqtt_attempt *a, const struct fm_mqtt_conf *c,
                        bool closed, const char *what, char *buf, size_t len)
{
	const char *lib = a->lib_errors[0] ? a->lib_errors : what;
	struct in6_addr ip;
	bool numeric = inet_pton(AF_INET, c->host, &ip) == 1 ||
	               inet_pton(AF_INET6, c->host, &ip) == 1;
	if (strstr(lib, "host name verification failed"))
		snprintf(buf, len, "TLS: host name verification failed: the broker's certificate "
		         "is not for %s (its subjectAltName has no %s:%s); set mqtt.host to a "
		         "name the certificate carries, or have it reissued for %s", c->host,
		         numeric ? "IP" : "DNS", c->host, c->host);
	else if (a->verify_result != X509_V_OK)
		explain_verify(a, c, buf, len);
	else if (strstr(lib, "Unable to load") || strstr(lib, "inconsistent"))
		snprintf(buf, len, "TLS: %s (mqtt.tls: ca_file, cert_file and key_file are PEM "
		         "files, and the key is the certificate's)", lib);
	else if (strstr(lib, "unexpected eof") || strstr(lib, "wrong version number"))
		snprintf(buf, len, "TLS: %s (the broker closed the connection, or answered "
		         "without TLS: is port %d its TLS listener?)", lib, c->port);
	else if (strstr(lib, " alert ") || closed)
		explain_broker_close(a, c, what, buf, len);
	else
		snprintf(buf, len, "TLS: %s", lib);
}

void mqtt_attempt_explain(const struct mqtt_attempt *a, const struct fm_mqtt_conf *c,
                          int rc, int errnum, char *buf, size_t len)
{
	const char *what = rc == MOSQ_ERR_ERRNO ? strerror(errnum) : mosquitto_strerror(rc);
	/* the broker hung up before answering (EPROTO: libmosquitto's word for
	 * a TLS session that ended) */
	bool closed = rc == MOSQ_ERR_CONN_LOST ||
	              (rc == MOSQ_ERR_ERRNO &&
	               (errnum == EPROTO || errnum == ECONNRESET || errnum == EPIPE));
	bool tls = c->tls_ca_file[0];
	if (a->connack)
		explain_refusal(a, c, buf, len);
	else if (a->timed_out)
		snprintf(buf, len, "no answer (CONNACK) from the broker within %d s%s%s%s",
		         MQTT_CONNACK_TIMEOUT_MS / 1000, a->lib_errors[0] ? " (" : "",
		         a->lib_errors, a->lib_errors[0] ? ")" : "");
	else if (tls && (rc == MOSQ_ERR_TLS || a->lib_errors[0] || closed))
		explain_tls(a, c, closed, what, buf, len);
	else if (closed)
		snprintf(buf, len, "the connection closed before the broker answered (%s): if "
		         "port %d is a TLS listener, configure mqtt.tls; otherwise the broker's "
		         "log says why", what, c->port);
	else if (rc == MOSQ_ERR_ERRNO && errnum == ENOTCONN)
		snprintf(buf, len, "the TCP connection failed: nothing listens on %s:%d, or it "
		         "cannot be reached", c->host, c->port);
	else if (a->lib_errors[0])
		snprintf(buf, len, "%s (%s)", what, a->lib_errors);
	else
		snprintf(buf, len, "%s", what);
}
