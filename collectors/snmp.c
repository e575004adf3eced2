/* snmp.c - the SNMP collector, on net-snmp's asynchronous API.
 *
 * Owns: one net-snmp session per SNMP device (v1, v2c or v3), the GET
 * requests of each poll (up to SNMP_OIDS_PER_REQUEST OIDs each, all sent at
 * once), and the replies and timeouts that complete the polls. Every SNMP
 * device is on the one implicit "snmp" bus, whose worker thread is the only
 * thread that touches net-snmp: it sleeps in select() on every session's
 * socket (wait_set) and hands what arrived to net-snmp (process), so any
 * number of agents are in flight together and a dead one costs nobody else
 * anything. A walked column (rows = "all") is one more request of the poll
 * that goes on until it leaves the column. Decoding varbinds is
 * snmp_value.c; walks and their rows are snmp_table.c; traps are
 * snmp_trap.c.
 *
 * A varbind that is not a reading (noSuchObject, a wrong type) fails its
 * point and counts as a failed request, so the device shows degraded with
 * the OID named; an answered request counts as one that succeeded.
 */
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/secret.h"
#include "collectors/snmp.h"
#include "collectors/snmp_private.h"

/* net-snmp's own messages ("Authentication failed for ...") go to our log,
 * one line each, instead of raw to stderr. */
static int library_log(int major, int minor, void *arg, void *client)
{
	(void)major;
	(void)minor;
	(void)client;
	const struct snmp_log_message *m = arg;
	char line[FM_TEXT_MAX];
	snprintf(line, sizeof line, "%s", m->msg ? m->msg : "");
	line[strcspn(line, "\n")] = '\0';
	if (m->priority <= LOG_WARNING)
		log_warn("snmp: net-snmp: %s", line);
	else
		log_debug("snmp: net-snmp: %s", line);
	return 0;
}

/* Why only this much: snmp.h. */
void snmp_library_init(bool usm)
{
	static bool base, full;
	if (!base) {
		base = true;
		snmp_disable_stderrlog();
		snmp_enable_calllog();
		snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING, library_log,
		                       NULL);
		netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
		netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
		netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
		setenv("MIBS", "", 1);
		log_debug("snmp: net-snmp initialised for v1/v2c (numeric OIDs: no snmp.conf, "
		          "no MIB files, no persistent state)");
	}
	if (usm && !full) {
		full = true;
		init_snmp("facmon");
		log_debug("snmp: net-snmp initialised for SNMPv3 (its user-based security)");
	}
}

/* Whether any of DEVICES, or the trap listener, uses SNMPv3. */
static bool uses_v3(const struct fm_bus *bus, const struct fm_device *const *devices,
                    size_t ndevices)
{
	for (size_t i = 0; i < ndevices; i++)
		if (devices[i]->snmp.version == FM_SNMP_V3)
			return true;
	return bus->traps.nv3_users > 0;
}

/* GETs of up to SNMP_OIDS_PER_REQUEST scalar points each, then a walk per
 * walked column and one per name column. */
static int plan_requests(struct snmp_dev *d)
{
	d->scalars = calloc(d->conf->npoints ? d->conf->npoints : 1, sizeof *d->scalars);
	if (!d->scalars)
		return -ENOMEM;
	for (size_t p = 0; p < d->conf->npoints; p++)
		if (!d->points[p].nslots)
			d->scalars[d->nscalars++] = p;
	size_t n = d->nscalars, gets = (n + SNMP_OIDS_PER_REQUEST - 1) / SNMP_OIDS_PER_REQUEST;
	d->nreqs = gets;
	for (size_t t = 0; t < d->ntables; t++)
		d->nreqs += snmp_table_walks(&d->tables[t]);
	d->reqs = calloc(d->nreqs ? d->nreqs : 1, sizeof *d->reqs);
	if (!d->reqs)
		return -ENOMEM;
	for (size_t r = 0; r < gets; r++) {
		size_t first = r * SNMP_OIDS_PER_REQUEST;
		d->reqs[r] = (struct snmp_req){
			.dev = d, .first = first,
			.count = n - first < SNMP_OIDS_PER_REQUEST ? n - first : SNMP_OIDS_PER_REQUEST,
		};
	}
	for (size_t t = 0, r = gets; t < d->ntables; t++)
		for (size_t w = 0; w < snmp_table_walks(&d->tables[t]); w++)
			d->reqs[r++] = (struct snmp_req){.dev = d, .table = &d->tables[t],
			                                 .names = w == 1};
	return 0;
}

static int device_init(struct snmp_state *s, struct snmp_dev *d, const struct fm_device *dev)
{
	d->conf = dev;
	d->owner = s;
	d->points = dev->points;
	if (snmp_tables_init(d) < 0)
		return -ENOMEM;
	return plan_requests(d);
}

static void snmpc_release(void *state);

static int snmpc_configure(const struct fm_bus *bus, const struct fm_device *const *devices,
                          size_t ndevices, void **state, char *err, size_t errlen)
{
	snmp_library_init(uses_v3(bus, devices, ndevices));
	struct snmp_state *s = calloc(1, sizeof *s);
	if (!s || !(s->devs = calloc(ndevices ? ndevices : 1, sizeof *s->devs))) {
		free(s);
		snprintf(err, errlen, "snmp: out of memory");
		return -ENOMEM;
	}
	s->ndevs = ndevices;
	s->traps = bus->traps;
	for (size_t i = 0; i < ndevices; i++)
		if (device_init(s, &s->devs[i], devices[i]) < 0) {
			snmpc_release(s);
			snprintf(err, errlen, "snmp: out of memory");
			return -ENOMEM;
		}
	*state = s;
	return 0;
}

int snmp_read_passphrase(const char *path, char *buf, size_t len, char *err,
                         size_t errlen)
{
	int rc = secret_read(path, buf, len);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return -1;
	}
	if (strlen(buf) < 8) {
		snprintf(err, errlen, "%s: an SNMPv3 passphrase has at least 8 characters", path);
		return -1;
	}
	return 0;
}

static const oid *auth_proto(enum fm_snmp_auth a, size_t *len)
{
	*len = USM_AUTH_PROTO_SHA_LEN; /* every HMAC protocol OID has this length */
	switch (a) {
	case FM_AUTH_MD5: return usmHMACMD5AuthProtocol;
	case FM_AUTH_SHA224: return usmHMAC128SHA224AuthProtocol;
	case FM_AUTH_SHA256: return usmHMAC192SHA256AuthProtocol;
	case FM_AUTH_SHA384: return usmHMAC256SHA384AuthProtocol;
	case FM_AUTH_SHA512: return usmHMAC384SHA512AuthProtocol;
	default: return usmHMACSHA1AuthProtocol;
	}
}

static const oid *priv_proto(enum fm_snmp_priv p, size_t *len)
{
	switch (p) {
	case FM_PRIV_DES: *len = USM_PRIV_PROTO_DES_LEN; return usmDESPrivProtocol;
	case FM_PRIV_AES192:
		*len = sizeof usmAES192PrivProtocol / sizeof(oid);
		return usmAES192PrivProtocol;
	case FM_PRIV_AES256:
		*len = sizeof usmAES256PrivProtocol / sizeof(oid);
		return usmAES256PrivProtocol;
	default: *len = USM_PRIV_PROTO_AES_LEN; return usmAESPrivProtocol;
	}
}

/* Derives a localizable key from a passphrase file (RFC 3414 2.6). */
static int derive_key(const oid *hash, size_t hashlen, const char *file, u_char *key,
                      size_t *keylen, char *err, size_t errlen)
{
	char pass[256];
	int rc = snmp_read_passphrase(file, pass, sizeof pass, err, errlen);
	if (rc == 0 && generate_Ku(hash, (u_int)hashlen, (u_char *)pass, strlen(pass), key,
	                           keylen) != SNMPERR_SUCCESS) {
		snprintf(err, errlen, "%s: cannot derive the SNMPv3 key", file);
		rc = -1;
	}
	memset(pass, 0, sizeof pass);
	return rc;
}

static int setup_v3(struct snmp_session *ss, const struct fm_snmp_conf *c, char *err,
                    size_t errlen)
{
	ss->version = SNMP_VERSION_3;
	ss->securityName = strdup(c->user);
	ss->securityNameLen = strlen(c->user);
	ss->securityLevel = c->level == FM_SNMP_AUTHPRIV ? SNMP_SEC_LEVEL_AUTHPRIV
	                    : c->level == FM_SNMP_AUTHNOPRIV ? SNMP_SEC_LEVEL_AUTHNOPRIV
	                                                     : SNMP_SEC_LEVEL_NOAUTH;
	if (c->level == FM_SNMP_NOAUTH)
		return 0;
	size_t alen;
	const oid *a = auth_proto(c->auth, &alen);
	ss->securityAuthProto = snmp_duplicate_objid(a, alen);
	ss->securityAuthProtoLen = alen;
	ss->securityAuthKeyLen = USM_AUTH_KU_LEN;
	if (derive_key(a, alen, c->auth_passphrase_file, ss->securityAuthKey,
	               &ss->securityAuthKeyLen, err, errlen) < 0)
		return -1;
	if (c->level != FM_SNMP_AUTHPRIV)
		return 0;
	size_t plen;
	const oid *p = priv_proto(c->priv, &plen);
	ss->securityPrivProto = snmp_duplicate_objid(p, plen);
	ss->securityPrivProtoLen = plen;
	ss->securityPrivKeyLen = USM_PRIV_KU_LEN;
	return derive_key(a, alen, c->priv_passphrase_file, ss->securityPrivKey,
	                  &ss->securityPrivKeyLen, err, errlen);
}

static void resolve(struct snmp_dev *d)
{
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *ai = NULL;
	if (getaddrinfo(d->conf->snmp.host, NULL, &hints, &ai) == 0 && ai) {
		memcpy(&d->addr, ai->ai_addr, ai->ai_addrlen);
		d->addrlen = ai->ai_addrlen;
	}
	freeaddrinfo(ai);
}

static int callback(int op, struct snmp_session *sp, int reqid, struct snmp_pdu *pdu,
                    void *magic);
static bool walk_answered(struct snmp_req *q, const struct snmp_pdu *pdu);

/* Opens D's session (v3 discovers the agent's engine ID here). */
static int session_open(struct snmp_dev *d, char *err, size_t errlen)
{
	const struct fm_snmp_conf *c = &d->conf->snmp;
	struct snmp_session tmpl;
	char peer[FM_TEXT_MAX + 32];
	snmp_sess_init(&tmpl);
	snprintf(peer, sizeof peer, strchr(c->host, ':') ? "udp6:[%s]:%d" : "udp:%s:%d",
	         c->host, c->port);
	tmpl.peername = peer;
	tmpl.timeout = (long)c->timeout_ms * 1000L;
	tmpl.retries = c->retries;
	if (c->version == FM_SNMP_V3) {
		if (setup_v3(&tmpl, c, err, errlen) < 0) {
			free(tmpl.securityName);
			free(tmpl.securityAuthProto);
			free(tmpl.securityPrivProto);
			return -1;
		}
	} else {
		tmpl.version = c->version == FM_SNMP_V1 ? SNMP_VERSION_1 : SNMP_VERSION_2c;
		tmpl.community = (u_char *)strdup(c->community);
		tmpl.community_len = strlen(c->community);
	}
	d->session = snmp_open(&tmpl);
	if (!d->session) {
		int liberr, syserr;
		char *msg = NULL;
		snmp_error(&tmpl, &syserr, &liberr, &msg);
		snprintf(err, errlen, "%.120s: %.120s", peer, msg ? msg : "cannot open session");
		free(msg);
	}
	/* snmp_open copied what it needs */
	free(tmpl.securityName);
	free(tmpl.securityAuthProto);
	free(tmpl.securityPrivProto);
	free(tmpl.community);
	return d->session ? 0 : -1;
}

static int snmpc_open(void *state, char *err, size_t errlen)
{
	struct snmp_state *s = state;
	for (size_t i = 0; i < s->ndevs; i++)
		resolve(&s->devs[i]);
	return s->traps.enabled ? snmp_trap_open(s, err, errlen) : 0;
}

static void snmpc_attach(void *state, void (*done)(void *, struct fm_poll_result *),
                        void *arg)
{
	struct snmp_state *s = state;
	s->done = done;
	s->arg = arg;
}

static void finish(struct snmp_dev *d)
{
	struct fm_poll_result *out = d->out;
	snmp_tables_fill(d, out);
	d->out = NULL;
	d->owner->done(d->owner->arg, out);
}

static void request_failed(struct snmp_req *q, const char *why)
{
	struct fm_poll_result *out = q->dev->out;
	out->requests_failed++;
	if (!out->error[0])
		snprintf(out->error, sizeof out->error, "%s", why);
}

/* Fills the request's points from an answer. */
static void request_answered(struct snmp_req *q, const struct snmp_pdu *pdu)
{
	struct snmp_dev *d = q->dev;
	struct fm_poll_result *out = d->out;
	char why[FM_TEXT_MAX];
	if (pdu->errstat != SNMP_ERR_NOERROR) {
		size_t bad = pdu->errindex > 0 ? (size_t)pdu->errindex - 1 : 0;
		snprintf(why, sizeof why, "%s: %s",
		         d->points[d->scalars[q->first + (bad < q->count ? bad : 0)]].oid,
		         snmp_errstring((int)pdu->errstat));
		request_failed(q, why);
		return;
	}
	out->requests_ok++;
	const netsnmp_variable_list *vb = pdu->variables;
	for (size_t k = 0; k < q->count; k++, vb = vb ? vb->next_variable : NULL) {
		const struct fm_point *p = &d->points[d->scalars[q->first + k]];
		struct fm_point_value *v = &out->values[d->scalars[q->first + k]];
		if (!vb) {
			snprintf(why, sizeof why, "%s: missing from the answer", p->oid);
			request_failed(q, why);
		} else if (snmp_value(p, vb, &v->value, why, sizeof why) == 0) {
			v->status = FM_POINT_OK;
		} else {
			request_failed(q, why);
		}
	}
}

static void report_failure(struct snmp_req *q, struct snmp_session *sp,
                           const struct snmp_pdu *pdu, int op)
{
	char why[FM_TEXT_MAX], where[80];
	const struct fm_snmp_conf *c = &q->dev->conf->snmp;
	int err = sp ? sp->s_snmp_errno : SNMPERR_GENERR;
	snprintf(where, sizeof where, "%.60s:%d", c->host, c->port);
	if (op == NETSNMP_CALLBACK_OP_TIMED_OUT && err != 0 && err != SNMPERR_TIMEOUT &&
	    c->version == FM_SNMP_V3)
		/* the agent answered, but not in a way our keys could read */
		snprintf(why, sizeof why, "%s: SNMPv3 authentication or privacy failed: "
		         "check user, auth/priv protocols and passphrases (%.60s)", where,
		         snmp_api_errstring(err));
	else if (op == NETSNMP_CALLBACK_OP_TIMED_OUT && err != 0 && err != SNMPERR_TIMEOUT)
		snprintf(why, sizeof why, "%s: %.100s", where, snmp_api_errstring(err));
	else if (op == NETSNMP_CALLBACK_OP_TIMED_OUT)
		snprintf(why, sizeof why, "%s: no answer (timeout)", where);
	else if (pdu && pdu->command == SNMP_MSG_REPORT)
		snprintf(why, sizeof why, "%s: %.100s", where,
		         snmp_api_errstring(snmpv3_get_report_type((struct snmp_pdu *)pdu)));
	else
		snprintf(why, sizeof why, "%s: %.100s", where, snmp_api_errstring(err));
	request_failed(q, why);
}

static int callback(int op, struct snmp_session *sp, int reqid, struct snmp_pdu *pdu,
                    void *magic)
{
	(void)reqid;
	struct snmp_req *q = magic;
	if (op == NETSNMP_CALLBACK_OP_RESEND)
		return 1; /* a retry is under way: not the end of the request */
	if (!q || !q->pending || !q->dev->out)
		return 1; /* not one of our requests, or its poll was given up */
	q->pending = false;
	struct snmp_dev *d = q->dev;
	if (op == NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE && pdu &&
	    pdu->command == SNMP_MSG_RESPONSE) {
		if (!q->table)
			request_answered(q, pdu);
		else if (walk_answered(q, pdu))
			return 1; /* the walk goes on */
	} else {
		report_failure(q, sp, pdu, op);
	}
	if (--d->outstanding == 0)
		finish(d);
	return 1;
}

static struct snmp_pdu *get_pdu(const struct snmp_req *q)
{
	const struct snmp_dev *d = q->dev;
	struct snmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_GET);
	for (size_t k = 0; pdu && k < q->count; k++) {
		oid name[MAX_OID_LEN];
		size_t len = MAX_OID_LEN;
		if (snmpc_parse_oid(d->points[d->scalars[q->first + k]].oid, name, &len) == 0)
			snmp_add_null_var(pdu, name, len);
	}
	return pdu;
}

/* Sends Q's next PDU (its GET, or the walk from where it is). */
static bool send_request(struct snmp_req *q, char *why, size_t whylen)
{
	struct snmp_dev *d = q->dev;
	struct snmp_pdu *pdu = q->table ? snmp_walk_pdu(q, d->conf->snmp.version == FM_SNMP_V1)
	                                : get_pdu(q);
	if (!pdu) {
		snprintf(why, whylen, "%.120s: out of memory", d->conf->snmp.host);
		return false;
	}
	q->pending = true;
	if (snmp_async_send(d->session, pdu, callback, q) == 0) {
		snprintf(why, whylen, "%.120s: send: %.120s", d->conf->snmp.host,
		         snmp_api_errstring(d->session->s_snmp_errno));
		snmp_free_pdu(pdu);
		return false;
	}
	return true;
}

/* A walk's answer: true when it goes on with another request. */
static bool walk_answered(struct snmp_req *q, const struct snmp_pdu *pdu)
{
	struct snmp_dev *d = q->dev;
	char why[FM_TEXT_MAX];
	switch (snmp_walk_answered(q, pdu, &d->points[q->table->first], why, sizeof why)) {
	case SNMP_WALK_MORE:
		if (send_request(q, why, sizeof why))
			return true;
		q->pending = false;
		request_failed(q, why);
		return false;
	case SNMP_WALK_DONE:
		d->out->requests_ok++;
		*(q->names ? &q->table->names_ok : &q->table->values_ok) = true;
		return false;
	default:
		request_failed(q, why);
		return false;
	}
}

/* net-snmp discovers a v3 agent's engine ID synchronously when the first
 * request is sent, so a dead v3 agent blocks this thread for its timeout.
 * After such a failure the device is not asked again for a minute (its
 * polls fail at once with the same error), which bounds what a dead v3
 * agent costs the others. */
#define V3_DISCOVERY_BACKOFF_MS 60000

static void v3_discovery_failed(struct snmp_dev *d, const char *why)
{
	d->v3_retry_ms = clock_mono_ms() + V3_DISCOVERY_BACKOFF_MS;
	snprintf(d->v3_error, sizeof d->v3_error, "%.200s (not asked again for a minute)",
	         why);
	/* every request of the poll still pending fails with the session */
	for (size_t r = 0; r < d->nreqs; r++)
		if (d->reqs[r].pending) {
			d->reqs[r].pending = false;
			request_failed(&d->reqs[r], why);
			d->outstanding--;
		}
	snmp_close(d->session);
	d->session = NULL;
}

static void snmpc_start(void *state, size_t dev, struct fm_poll_result *out)
{
	struct snmp_state *s = state;
	struct snmp_dev *d = &s->devs[dev];
	char why[FM_TEXT_MAX] = "";
	d->out = out;
	d->outstanding = 0;
	snmp_tables_reset(d);
	if (clock_mono_ms() < d->v3_retry_ms) {
		out->requests_failed = (unsigned)d->nreqs;
		snprintf(out->error, sizeof out->error, "%s", d->v3_error);
		finish(d);
		return;
	}
	if (!d->session && session_open(d, why, sizeof why) < 0) {
		out->requests_failed = (unsigned)d->nreqs;
		snprintf(out->error, sizeof out->error, "%s", why);
		finish(d);
		return;
	}
	d->outstanding = d->nreqs + 1; /* +1: held until every request is sent */
	for (size_t r = 0; r < d->nreqs; r++) {
		struct snmp_req *q = &d->reqs[r];
		if (q->table)
			snmp_walk_begin(q);
		if (send_request(q, why, sizeof why))
			continue;
		if (d->conf->snmp.version == FM_SNMP_V3) {
			/* q is still pending unless the callback already took it */
			v3_discovery_failed(d, why);
			for (size_t rest = r + 1; rest < d->nreqs; rest++) {
				request_failed(&d->reqs[rest], why);
				d->outstanding--;
			}
			break;
		}
		if (q->pending) { /* not already completed by the callback */
			q->pending = false;
			request_failed(q, why);
			d->outstanding--;
		}
	}
	if (--d->outstanding == 0)
		finish(d);
}

static void snmpc_wait_set(void *state, fd_set *rfds, int *maxfd, int *timeout_ms)
{
	(void)state;
	int numfds = *maxfd + 1, block = 1;
	struct timeval tv = {0, 0};
	snmp_select_info(&numfds, rfds, &tv, &block);
	*maxfd = numfds - 1;
	if (!block) {
		int ms = (int)(tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000);
		if (ms < *timeout_ms)
			*timeout_ms = ms;
	}
}

static void snmpc_process(void *state, fd_set *rfds)
{
	(void)state;
	snmp_read(rfds);
	snmp_timeout(); /* retries, and the callbacks of requests that gave up */
}

static void snmpc_close(void *state)
{
	struct snmp_state *s = state;
	if (!s)
		return;
	snmp_trap_close(s);
	for (size_t i = 0; i < s->ndevs; i++) {
		struct snmp_dev *d = &s->devs[i];
		if (d->out) { /* stopping mid-poll: hand it back, failed */
			snprintf(d->out->error, sizeof d->out->error, "stopped");
			finish(d);
		}
		if (d->session)
			snmp_close(d->session);
		d->session = NULL;
	}
}

static void snmpc_release(void *state)
{
	struct snmp_state *s = state;
	if (!s)
		return;
	snmpc_close(s);
	for (size_t i = 0; i < s->ndevs; i++) {
		snmp_tables_free(&s->devs[i]);
		free(s->devs[i].scalars);
		free(s->devs[i].reqs);
	}
	free(s->devs);
	free(s);
}

const struct fm_collector_ops snmp_collector = {
	.kind = "snmp",
	.configure = snmpc_configure,
	.open = snmpc_open,
	.close = snmpc_close,
	.release = snmpc_release,
	.attach = snmpc_attach,
	.start = snmpc_start,
	.wait_set = snmpc_wait_set,
	.process = snmpc_process,
};
