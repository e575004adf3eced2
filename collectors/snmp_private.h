/* snmp_private.h - what the SNMP collector's files share (snmp.c polls,
 * snmp_value.c decodes varbinds, snmp_trap.c listens for traps). Nothing
 * outside collectors/snmp*.c includes it.
 */
#ifndef FACMON_SNMP_PRIVATE_H
#define FACMON_SNMP_PRIVATE_H

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <netinet/in.h>

#include "collectors/collector.h"

#define SNMP_OIDS_PER_REQUEST 16

struct snmp_dev;

/* One GET request of a poll: up to SNMP_OIDS_PER_REQUEST points. */
struct snmp_req {
	struct snmp_dev *dev;
	size_t first;  /* index of its first point */
	size_t count;
	bool pending;  /* sent, neither answered nor given up yet */
};

struct snmp_dev {
	struct fm_device conf;        /* a copy (points too), for the thread */
	struct fm_point *points;
	struct snmp_session *session; /* NULL until opened */
	struct snmp_req *reqs;
	size_t nreqs;
	struct fm_poll_result *out;   /* the poll in flight, or NULL */
	size_t outstanding;           /* its requests not yet answered */
	int64_t v3_retry_ms;          /* v3 engine discovery failed: not before */
	char v3_error[FM_TEXT_MAX];
	struct sockaddr_storage addr; /* resolved host, to match trap senders */
	socklen_t addrlen;
	struct snmp_state *owner;
};

struct snmp_state {
	struct snmp_dev *devs;
	size_t ndevs;
	void (*done)(void *arg, struct fm_poll_result *out);
	void *arg;
	struct fm_trap_conf traps;
	struct snmp_session *trap_session; /* NULL: no listener */
	unsigned long traps_dropped;
	int64_t trap_complaint_ms;
};

/* snmp_value.c: the value of varbind VB for point P, or -1 with the reason
 * in WHY ("1.3.6.1.2.1.33.1.2.4.0: noSuchObject"). */
int snmp_value(const struct fm_point *p, const netsnmp_variable_list *vb,
               double *value, char *why, size_t whylen);
/* Parses "1.3.6.1..." into OUT (capacity *LEN); 0, or -1. */
int snmpc_parse_oid(const char *text, oid *out, size_t *len);

/* snmp.c: an SNMPv3 passphrase (at least 8 characters, RFC 3414) from its
 * file; 0, or -1 with the reason in ERR. */
int snmp_read_passphrase(const char *path, char *buf, size_t len, char *err,
                         size_t errlen);

/* snmp_trap.c: the listener, when snmp_traps is configured. */
int snmp_trap_open(struct snmp_state *s, char *err, size_t errlen);
void snmp_trap_close(struct snmp_state *s);

#endif
