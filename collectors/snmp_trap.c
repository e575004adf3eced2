/* snmp_trap.c - the SNMP trap listener (snmp_traps in the config).
 *
 * Owns: the UDP socket traps arrive on (a net-snmp server session on the
 * SNMP worker's thread, so it is served by the same select() as the polls),
 * deciding whether a trap is acted on, and naming it. A trap is accepted
 * only from the address of a configured SNMP device and, for v1/v2c, with
 * the configured community; anything else is dropped and counted, never
 * acted on. An accepted trap is handed to the agent as a trap result for
 * each device at that address; the agent then polls the device at once, so
 * a UPS going on battery raises its alert in a second, not at the next poll.
 * INFORMs are acknowledged. SNMPv3 traps are authenticated by net-snmp's
 * USM against the users in snmp_traps.v3_users (each with the sending
 * agent's engine ID); one that fails is dropped by net-snmp before we see it.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/log.h"
#include "collectors/snmp_private.h"

#define DROP_LOG_INTERVAL_MS 60000

/* The notifications we know by name (RFC 1628 UPS-MIB, APC PowerNet-MIB
 * in their SNMPv2 form: enterprise.0.specific). */
static const struct {
	const char *oid;
	const char *name;
} known_traps[] = {
	{"1.3.6.1.2.1.33.2.1", "upsTrapOnBattery"},
	{"1.3.6.1.2.1.33.2.2", "upsTrapTestCompleted"},
	{"1.3.6.1.2.1.33.2.3", "upsTrapAlarmEntryAdded"},
	{"1.3.6.1.2.1.33.2.4", "upsTrapAlarmEntryRemoved"},
	{"1.3.6.1.4.1.318.0.5", "apcUpsOnBattery"},
	{"1.3.6.1.4.1.318.0.7", "apcLowBattery"},
	{"1.3.6.1.4.1.318.0.9", "apcPowerRestored"},
	{"1.3.6.1.6.3.1.1.5.1", "coldStart"},
	{"1.3.6.1.6.3.1.1.5.2", "warmStart"},
};

static const oid snmp_trap_oid[] = {1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0};

static void oid_text(const oid *o, size_t len, char *buf, size_t buflen)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < len && used < buflen; i++)
		used += (size_t)snprintf(buf + used, buflen - used, "%s%lu", i ? "." : "",
		                         (unsigned long)o[i]);
}

/* The notification OID: snmpTrapOID.0 (v2), or RFC 3584's mapping (v1). */
static void trap_oid(const struct snmp_pdu *pdu, char *buf, size_t len)
{
	buf[0] = '\0';
	if (pdu->command == SNMP_MSG_TRAP) {
		if (pdu->trap_type != SNMP_TRAP_ENTERPRISESPECIFIC) {
			snprintf(buf, len, "1.3.6.1.6.3.1.1.5.%ld", pdu->trap_type + 1);
			return;
		}
		oid_text(pdu->enterprise, pdu->enterprise_length, buf, len);
		size_t used = strlen(buf);
		snprintf(buf + used, len - used, ".0.%ld", pdu->specific_type);
		return;
	}
	for (const netsnmp_variable_list *vb = pdu->variables; vb; vb = vb->next_variable)
		if (vb->type == ASN_OBJECT_ID &&
		    snmp_oid_compare(vb->name, vb->name_length, snmp_trap_oid,
		                     sizeof snmp_trap_oid / sizeof snmp_trap_oid[0]) == 0) {
			oid_text(vb->val.objid, vb->val_len / sizeof(oid), buf, len);
			return;
		}
}

static const char *trap_name(const char *oid)
{
	for (size_t i = 0; i < sizeof known_traps / sizeof known_traps[0]; i++)
		if (strcmp(known_traps[i].oid, oid) == 0)
			return known_traps[i].name;
	return NULL;
}

static bool same_host(const struct snmp_dev *d, const struct sockaddr *from)
{
	const struct sockaddr *a = (const struct sockaddr *)&d->addr;
	if (d->addrlen == 0 || a->sa_family != from->sa_family)
		return false;
	if (a->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)from)->sin_addr.s_addr;
	return a->sa_family == AF_INET6 &&
	       memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
	              &((const struct sockaddr_in6 *)from)->sin6_addr,
	              sizeof(struct in6_addr)) == 0;
}

static void drop(struct snmp_state *s, const char *from, const char *why)
{
	s->traps_dropped++;
	int64_t now = clock_mono_ms();
	if (now < s->trap_complaint_ms)
		return;
	s->trap_complaint_ms = now + DROP_LOG_INTERVAL_MS;
	log_warn("snmp: trap from %s dropped: %s (%lu dropped so far)", from, why,
	         s->traps_dropped);
}

static bool community_ok(const struct snmp_state *s, const struct snmp_pdu *pdu)
{
	size_t want = strlen(s->traps.community);
	return pdu->community && pdu->community_len == want &&
	       memcmp(pdu->community, s->traps.community, want) == 0;
}

/* USM checked the keys of the user the trap names, but accepts a lower
 * security level than the user has: a noAuthNoPriv trap naming our authPriv
 * user must not pass. */
static bool v3_level_ok(const struct snmp_state *s, const struct snmp_pdu *pdu)
{
	for (size_t i = 0; i < s->traps.nv3_users; i++) {
		const struct fm_snmp_conf *u = &s->traps.v3_users[i].v3;
		if (pdu->securityName && pdu->securityNameLen == strlen(u->user) &&
		    memcmp(pdu->securityName, u->user, pdu->securityNameLen) == 0) {
			int want = u->level == FM_SNMP_AUTHPRIV ? SNMP_SEC_LEVEL_AUTHPRIV
			           : u->level == FM_SNMP_AUTHNOPRIV ? SNMP_SEC_LEVEL_AUTHNOPRIV
			                                            : SNMP_SEC_LEVEL_NOAUTH;
			return pdu->securityLevel >= want;
		}
	}
	return false;
}

static void acknowledge_inform(struct snmp_session *sp, struct snmp_pdu *pdu)
{
	struct snmp_pdu *reply = snmp_clone_pdu(pdu);
	if (!reply)
		return;
	reply->command = SNMP_MSG_RESPONSE;
	reply->errstat = 0;
	reply->errindex = 0;
	if (!snmp_send(sp, reply))
		snmp_free_pdu(reply);
}

/* Tells the agent about the trap, once per device at the sender's address. */
static unsigned deliver(struct snmp_state *s, const struct sockaddr *from,
                        const char *name)
{
	unsigned n = 0;
	for (size_t i = 0; i < s->ndevs; i++) {
		struct snmp_dev *d = &s->devs[i];
		if (!same_host(d, from))
			continue;
		struct fm_poll_result *r = collector_result_new(i, d->conf->npoints);
		if (!r)
			continue;
		snprintf(r->trap, sizeof r->trap, "%s", name);
		s->done(s->arg, r);
		n++;
	}
	return n;
}

static int trap_callback(int op, struct snmp_session *sp, int reqid,
                         struct snmp_pdu *pdu, void *magic)
{
	(void)reqid;
	struct snmp_state *s = magic;
	if (op != NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE || !pdu || !pdu->transport_data)
		return 1;

	const netsnmp_indexed_addr_pair *pair = pdu->transport_data;
	const struct sockaddr *from = &pair->remote_addr.sa;
	char host[INET6_ADDRSTRLEN] = "?";
	if (from->sa_family == AF_INET)
		inet_ntop(AF_INET, &pair->remote_addr.sin.sin_addr, host, sizeof host);
	if (pdu->command != SNMP_MSG_TRAP && pdu->command != SNMP_MSG_TRAP2 &&
	    pdu->command != SNMP_MSG_INFORM) {
		drop(s, host, "not a trap (an SNMPv3 one that failed authentication?)");
		return 1;
	}
	if (pdu->version != SNMP_VERSION_3 && !community_ok(s, pdu)) {
		drop(s, host, "wrong community");
		return 1;
	}
	if (pdu->version == SNMP_VERSION_3 && !v3_level_ok(s, pdu)) {
		drop(s, host, "SNMPv3 trap from an unknown user or below its security level");
		return 1;
	}
	char oid[FM_OID_MAX];
	trap_oid(pdu, oid, sizeof oid);
	const char *name = trap_name(oid);
	if (pdu->command == SNMP_MSG_INFORM)
		acknowledge_inform(sp, pdu);
	if (deliver(s, from, name ? name : oid) == 0)
		drop(s, host, "not the address of a configured SNMP device");
	else
		log_info("snmp: trap %s from %s", name ? name : oid, host);
	return 1;
}

static const char *auth_name(enum fm_snmp_auth a)
{
	switch (a) {
	case FM_AUTH_MD5: return "MD5";
	case FM_AUTH_SHA224: return "SHA-224";
	case FM_AUTH_SHA256: return "SHA-256";
	case FM_AUTH_SHA384: return "SHA-384";
	case FM_AUTH_SHA512: return "SHA-512";
	default: return "SHA";
	}
}

static const char *priv_name(enum fm_snmp_priv p)
{
	switch (p) {
	case FM_PRIV_DES: return "DES";
	case FM_PRIV_AES192: return "AES192";
	case FM_PRIV_AES256: return "AES256";
	default: return "AES";
	}
}

/* A passphrase as createUser takes it: quoted, so it holds no quote. */
static int read_passphrase(const char *path, char *buf, size_t len, char *err,
                           size_t errlen)
{
	char why[FM_TEXT_MAX * 2];
	if (snmp_read_passphrase(path, buf, len, why, sizeof why) < 0) {
		snprintf(err, errlen, "snmp traps: %s", why);
		return -1;
	}
	if (strchr(buf, '"')) {
		snprintf(err, errlen, "snmp traps: %s: a passphrase for traps holds no "
		         "double quote", path);
		return -1;
	}
	return 0;
}

/* Teaches net-snmp's USM one user a v3 trap may come from, the way an
 * snmptrapd.conf createUser line does; the line lives only on the stack. */
static int add_trap_user(const struct fm_trap_user *u, char *err, size_t errlen)
{
	char auth[256] = "", priv[256] = "", line[1024];
	const struct fm_snmp_conf *c = &u->v3;
	if (c->level != FM_SNMP_NOAUTH &&
	    read_passphrase(c->auth_passphrase_file, auth, sizeof auth, err, errlen) < 0)
		return -1;
	if (c->level == FM_SNMP_AUTHPRIV &&
	    read_passphrase(c->priv_passphrase_file, priv, sizeof priv, err, errlen) < 0)
		return -1;
	if (c->level == FM_SNMP_NOAUTH)
		snprintf(line, sizeof line, "-e 0x%s %s", u->engine_id, c->user);
	else if (c->level == FM_SNMP_AUTHNOPRIV)
		snprintf(line, sizeof line, "-e 0x%s %s %s \"%s\"", u->engine_id, c->user,
		         auth_name(c->auth), auth);
	else
		snprintf(line, sizeof line, "-e 0x%s %s %s \"%s\" %s \"%s\"", u->engine_id,
		         c->user, auth_name(c->auth), auth, priv_name(c->priv), priv);
	usm_parse_create_usmUser("createUser", line);
	memset(line, 0, sizeof line);
	memset(auth, 0, sizeof auth);
	memset(priv, 0, sizeof priv);
	return 0;
}

int snmp_trap_open(struct snmp_state *s, char *err, size_t errlen)
{
	for (size_t i = 0; i < s->traps.nv3_users; i++)
		if (add_trap_user(&s->traps.v3_users[i], err, errlen) < 0)
			return -1;
	/* first: it also sets up net-snmp's transports when init_snmp() has
	 * not (no SNMPv3 anywhere, snmp.c) */
	struct snmp_session tmpl;
	snmp_sess_init(&tmpl);
	char where[FM_TEXT_MAX + 16];
	snprintf(where, sizeof where, "udp:%s:%d", s->traps.listen, s->traps.port);
	netsnmp_transport *t = netsnmp_transport_open_server("snmptrap", where);
	if (!t) {
		snprintf(err, errlen, "snmp traps: cannot listen on %s:%d (a port below 1024 "
		         "needs root or CAP_NET_BIND_SERVICE)", s->traps.listen, s->traps.port);
		return -1;
	}
	tmpl.peername = SNMP_DEFAULT_PEERNAME;
	tmpl.version = SNMP_DEFAULT_VERSION;
	tmpl.community_len = SNMP_DEFAULT_COMMUNITY_LEN;
	tmpl.retries = SNMP_DEFAULT_RETRIES;
	tmpl.timeout = SNMP_DEFAULT_TIMEOUT;
	tmpl.callback = trap_callback;
	tmpl.callback_magic = s;
	tmpl.isAuthoritative = SNMP_SESS_UNKNOWNAUTH;
	s->trap_session = snmp_add(&tmpl, t, NULL, NULL);
	if (!s->trap_session) {
		snprintf(err, errlen, "snmp traps: cannot open a session on %s", where);
		return -1;
	}
	log_info("snmp: listening for traps on %s:%d", s->traps.listen, s->traps.port);
	return 0;
}

void snmp_trap_close(struct snmp_state *s)
{
	if (s->trap_session)
		snmp_close(s->trap_session);
	s->trap_session = NULL;
}
