/* test_mqtt_secure.c - the words for a failed connection to the broker.
 *
 * mqtt_attempt_explain() turns what one attempt showed (the CONNACK,
 * libmosquitto's lines, OpenSSL's verdict on the broker's certificate, the
 * socket's error) into one line with the likely fix. One row per branch:
 * what the attempt showed, and what the line must say. The integration
 * tests (test_broker_security.py) make the real failures happen; this
 * table covers the branches they cannot provoke on demand. A failed row
 * prints what was got and wanted, and the other rows still run.
 */
#include <errno.h>
#include <openssl/x509_vfy.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "outputs/mqtt_secure.h"

enum conf_kind { PLAIN, TLS, TLS_CERT, PASSWORD };

struct row {
	const char *what;
	enum conf_kind conf;
	const char *host;
	int connack;
	const char *lib;      /* libmosquitto's lines, "" if none */
	long verify;
	bool timed_out;
	int rc, errnum;
	const char *want;     /* a substring of the line */
	bool diagnosed;
};

static const struct row rows[] = {
	{ "not authorised, user and password", PASSWORD, NULL, 5, "", X509_V_OK, false,
	  MOSQ_ERR_CONN_REFUSED, 0, "the broker refused the connection: Connection Refused: "
	  "not authorised. (user \"gw1\" with the password in /etc/facmon/mqtt.pass: check "
	  "both against the broker's password file)", true },
	{ "bad user name or password, no user", TLS, NULL, 4, "", X509_V_OK, false,
	  MOSQ_ERR_CONN_REFUSED, 0, "bad user name or password. (it wants a user name and "
	  "password: set mqtt.username and mqtt.password_file)", true },
	{ "client id rejected", PLAIN, NULL, 2, "", X509_V_OK, false, MOSQ_ERR_CONN_REFUSED, 0,
	  "identifier rejected. (client id \"facmon-t-gw\"; set mqtt.client_id)", true },
	{ "server unavailable", PLAIN, NULL, 3, "", X509_V_OK, false, MOSQ_ERR_CONN_REFUSED, 0,
	  "the broker refused the connection: Connection Refused: broker unavailable.", true },
	{ "no CONNACK in time", PLAIN, NULL, 0, "", X509_V_OK, true, MOSQ_ERR_CONN_LOST, 0,
	  "no answer (CONNACK) from the broker within 30 s", false },
	{ "another CA", TLS, NULL, 0, "OpenSSL Error[0]: error:0A000086:SSL routines::"
	  "certificate verify failed", X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, false,
	  MOSQ_ERR_TLS, 0, "TLS: certificate verify failed: unable to get local issuer "
	  "certificate: the broker's certificate is not signed by the CA in "
	  "mqtt.tls.ca_file /etc/facmon/ca.pem (set ca_file", true },
	{ "a self-signed broker", TLS, NULL, 0, "certificate verify failed",
	  X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, false, MOSQ_ERR_TLS, 0,
	  "self-signed certificate: the broker's certificate is not signed by the CA", true },
	{ "expired", TLS, NULL, 0, "certificate verify failed", X509_V_ERR_CERT_HAS_EXPIRED,
	  false, MOSQ_ERR_TLS, 0, "TLS: certificate verify failed: certificate has expired: "
	  "renew the broker's certificate, or check this gateway's clock", true },
	{ "not yet valid", TLS, NULL, 0, "certificate verify failed",
	  X509_V_ERR_CERT_NOT_YET_VALID, false, MOSQ_ERR_TLS, 0,
	  "certificate is not yet valid: renew the broker's certificate, or check this "
	  "gateway's clock", true },
	{ "another verify failure", TLS, NULL, 0, "certificate verify failed",
	  X509_V_ERR_INVALID_PURPOSE, false, MOSQ_ERR_TLS, 0, "TLS: certificate verify "
	  "failed: unsuitable certificate purpose (checked against mqtt.tls.ca_file "
	  "/etc/facmon/ca.pem)", true },
	{ "wrong name, an address", TLS, NULL, 0, "Error: host name verification failed.; "
	  "OpenSSL Error[0]: error:0A000086:SSL routines::certificate verify failed",
	  X509_V_OK, false, MOSQ_ERR_TLS, 0, "TLS: host name verification failed: the "
	  "broker's certificate is not for 192.0.2.5 (its subjectAltName has no "
	  "IP:192.0.2.5); set mqtt.host to a name the certificate carries, or have it "
	  "reissued for 192.0.2.5", true },
	{ "wrong name, a name", TLS, "broker.example", 0, "Error: host name verification "
	  "failed.", X509_V_OK, false, MOSQ_ERR_TLS, 0, "is not for broker.example (its "
	  "subjectAltName has no DNS:broker.example)", true },
	{ "client certificate required", TLS, NULL, 0, "OpenSSL Error[0]: error:0A00045C:SSL "
	  "routines::tlsv13 alert certificate required", X509_V_OK, false, MOSQ_ERR_ERRNO,
	  EPROTO, "TLS: the broker ended the handshake (alert \"certificate required\"): it "
	  "probably requires a client certificate; set mqtt.tls.cert_file and key_file",
	  true },
	{ "client certificate refused", TLS_CERT, NULL, 0, "OpenSSL Error[0]: error:0A000418:"
	  "SSL routines::tlsv1 alert unknown ca", X509_V_OK, false, MOSQ_ERR_ERRNO, EPROTO,
	  "TLS: the broker ended the handshake (alert \"unknown ca\"): it probably does not "
	  "accept the client certificate /etc/facmon/gw1.pem; is it signed by a CA the "
	  "broker trusts", true },
	{ "closed after the handshake", TLS, NULL, 0, "", X509_V_OK, false, MOSQ_ERR_ERRNO,
	  EPROTO, "TLS: the broker closed the connection before answering (Protocol error): "
	  "it may require a client certificate; set mqtt.tls.cert_file and key_file (or it "
	  "refused the login: the broker's log says why)", false },
	{ "reset after the handshake, with a certificate", TLS_CERT, NULL, 0, "", X509_V_OK,
	  false, MOSQ_ERR_ERRNO, ECONNRESET, "TLS: the broker closed the connection before "
	  "answering (Connection reset by peer): it may not accept the client certificate "
	  "/etc/facmon/gw1.pem (signed by a CA the broker trusts, its cafile? still valid?), "
	  "or it refused the login", false },
	{ "a CA file that is no PEM", TLS, NULL, 0, "Error: Unable to load CA certificates, "
	  "check cafile \"/etc/facmon/ca.pem\".", X509_V_OK, false, MOSQ_ERR_TLS, 0,
	  "(mqtt.tls: ca_file, cert_file and key_file are PEM files, and the key is the "
	  "certificate's)", true },
	{ "a plain listener", TLS, NULL, 0, "OpenSSL Error[0]: error:0A000126:SSL routines::"
	  "unexpected eof while reading", X509_V_OK, false, MOSQ_ERR_TLS, 0, "(the broker "
	  "closed the connection, or answered without TLS: is port 8883 its TLS "
	  "listener?)", true },
	{ "a TLS listener, plain MQTT", PLAIN, NULL, 0, "", X509_V_OK, false,
	  MOSQ_ERR_CONN_LOST, 0, "the connection closed before the broker answered (The "
	  "connection was lost.): if port 8883 is a TLS listener, configure mqtt.tls; "
	  "otherwise the broker's log says why", false },
	{ "a broken pipe, plain MQTT", PLAIN, NULL, 0, "", X509_V_OK, false, MOSQ_ERR_ERRNO,
	  EPIPE, "the connection closed before the broker answered (Broken pipe)", false },
	{ "nothing listens, TLS", TLS, NULL, 0, "", X509_V_OK, false, MOSQ_ERR_ERRNO,
	  ENOTCONN, "the TCP connection failed: nothing listens on 192.0.2.5:8883, or it "
	  "cannot be reached", false },
	{ "nothing listens, plain", PLAIN, NULL, 0, "", X509_V_OK, false, MOSQ_ERR_ERRNO,
	  ECONNREFUSED, "Connection refused", false },
	{ "a timeout, with what libmosquitto said", PLAIN, NULL, 0, "Warning: something",
	  X509_V_OK, false, MOSQ_ERR_ERRNO, ETIMEDOUT,
	  "Connection timed out (Warning: something)", true },
};

static void conf_for(const struct row *r, struct fm_mqtt_conf *c)
{
	*c = (struct fm_mqtt_conf){.port = 8883};
	snprintf(c->host, sizeof c->host, "%s", r->host ? r->host : "192.0.2.5");
	snprintf(c->client_id, sizeof c->client_id, "facmon-t-gw");
	if (r->conf != PLAIN)
		snprintf(c->tls_ca_file, sizeof c->tls_ca_file, "/etc/facmon/ca.pem");
	if (r->conf == TLS_CERT) {
		snprintf(c->tls_cert_file, sizeof c->tls_cert_file, "/etc/facmon/gw1.pem");
		snprintf(c->tls_key_file, sizeof c->tls_key_file, "/etc/facmon/gw1.key");
	}
	if (r->conf == PASSWORD) {
		snprintf(c->username, sizeof c->username, "gw1");
		snprintf(c->password_file, sizeof c->password_file, "/etc/facmon/mqtt.pass");
	}
}

static bool check_row(const struct row *r)
{
	struct fm_mqtt_conf c;
	conf_for(r, &c);
	struct mqtt_attempt a;
	mqtt_attempt_start(&a);
	a.connack = r->connack;
	a.verify_result = r->verify;
	a.timed_out = r->timed_out;
	snprintf(a.lib_errors, sizeof a.lib_errors, "%s", r->lib);
	char got[1024];
	mqtt_attempt_explain(&a, &c, r->rc, r->errnum, got, sizeof got);
	bool diagnosed = mqtt_attempt_diagnosed(&a);
	if (strstr(got, r->want) && diagnosed == r->diagnosed)
		return true;
	print_error("FAIL %s\n    got  %s (diagnosed: %d)\n    want ...%s... (diagnosed: %d)\n",
	            r->what, got, diagnosed, r->want, r->diagnosed);
	return false;
}

static void test_explanations(void **state)
{
	(void)state;
	size_t n = sizeof rows / sizeof rows[0], failed = 0;
	for (size_t i = 0; i < n; i++)
		failed += !check_row(&rows[i]);
	if (failed)
		print_error("%zu of %zu rows failed\n", failed, n);
	assert_int_equal(failed, 0);
}

/* What libmosquitto logs is kept, joined, and never overflows. */
static void test_note_joins_and_truncates(void **state)
{
	(void)state;
	mosquitto_lib_init();
	struct mosquitto *mosq = mosquitto_new(NULL, true, NULL); /* no TLS session */
	assert_non_null(mosq);
	struct mqtt_attempt a;
	mqtt_attempt_start(&a);
	assert_false(mqtt_attempt_diagnosed(&a));
	mqtt_attempt_note(&a, mosq, "first");
	mqtt_attempt_note(&a, mosq, "second");
	assert_string_equal(a.lib_errors, "first; second");
	assert_true(mqtt_attempt_diagnosed(&a));
	assert_int_equal(a.verify_result, X509_V_OK);
	char long_line[1000];
	memset(long_line, 'x', sizeof long_line - 1);
	long_line[sizeof long_line - 1] = '\0';
	for (int i = 0; i < 3; i++)
		mqtt_attempt_note(&a, mosq, long_line);
	assert_true(strlen(a.lib_errors) < sizeof a.lib_errors);
	assert_true(strncmp(a.lib_errors, "first; second; xxx", 18) == 0);
	mosquitto_destroy(mosq);
	mosquitto_lib_cleanup();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_explanations),
		cmocka_unit_test(test_note_joins_and_truncates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
