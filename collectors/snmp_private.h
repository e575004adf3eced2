/* snmp_private.h - what the SNMP collector's files share (snmp.c polls,
 * snmp_value.c decodes varbinds, snmp_table.c walks table columns,
 * snmp_trap.c listens for traps). Nothing
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
struct snmp_table;

/* One request of a poll: a GET of up to SNMP_OIDS_PER_REQUEST scalar
 * points, or the walk of a table column (which goes on request after
 * request until it leaves the column, and counts as one). */
struct snmp_req {
	struct snmp_dev *dev;
	size_t first;  /* GET: index of its first point in dev->scalars */
	size_t count;
	bool pending;  /* sent, neither answered nor given up yet */
	/* a walk: of TABLE's value column, or of its name column (NAMES) */
	struct snmp_table *table;
	bool names;
	size_t prefix_len;       /* arcs of the column's OID */
	oid next[MAX_OID_LEN];   /* the last OID the walk has seen */
	size_t nextlen;
};

/* One row a walk found this poll, by its index below the column. */
struct snmp_found {
	char index[FM_OID_MAX];
	enum fm_point_status status; /* ABSENT: only its name seen so far */
	double value;
	char label[FM_ROW_LABEL_MAX];
	char why[FM_TEXT_MAX];       /* status FAILED: what was wrong */
};

/* A walked column (`rows = "all"`) of one device: NSLOTS points from
 * FIRST, the row each slot holds, and what this poll's walks found. */
struct snmp_table {
	size_t first;
	size_t nslots;
	oid column[MAX_OID_LEN];
	size_t column_len;
	oid names[MAX_OID_LEN];  /* the name column; NAMES_LEN 0 when none */
	size_t names_len;
	struct fm_row *bound;    /* per slot; name "" while free */
	bool *seen;              /* per slot: its row was found this poll */
	struct snmp_found *found;
	size_t nfound, cap;
	bool more;               /* rows were left out: more than cap */
	bool values_ok, names_ok;/* this poll's walks completed */
};

struct snmp_dev {
	const struct fm_device *conf; /* the config's (it outlives the worker) */
	const struct fm_point *points;/* conf->points */
	size_t *scalars;              /* the points read by GET (not slots) */
	size_t nscalars;
	struct snmp_table *tables;    /* the walked columns */
	size_t ntables;
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

/* snmp_table.c: walked columns. init/free a device's tables; the walks
 * one table needs (1, or 2 with a name column); reset before a poll. */
int snmp_tables_init(struct snmp_dev *d);
void snmp_tables_free(struct snmp_dev *d);
size_t snmp_table_walks(const struct snmp_table *t);
void snmp_tables_reset(struct snmp_dev *d);
/* Starts walk Q from its column, and builds its next request (GETNEXT for
 * v1, else GETBULK); NULL when out of memory. */
void snmp_walk_begin(struct snmp_req *q);
struct snmp_pdu *snmp_walk_pdu(const struct snmp_req *q, bool v1);
/* Takes an answer to walk Q of COLUMN (the table's first slot point). */
enum snmp_walk_step { SNMP_WALK_MORE, SNMP_WALK_DONE, SNMP_WALK_FAILED };
enum snmp_walk_step snmp_walk_answered(struct snmp_req *q, const struct snmp_pdu *pdu,
                                       const struct fm_point *column, char *why,
                                       size_t whylen);
/* When the poll is complete: the slots' values and rows into OUT. */
void snmp_tables_fill(struct snmp_dev *d, struct fm_poll_result *out);

/* snmp.c: an SNMPv3 passphrase (at least 8 characters, RFC 3414) from its
 * file; 0, or -1 with the reason in ERR. */
int snmp_read_passphrase(const char *path, char *buf, size_t len, char *err,
                         size_t errlen);

/* snmp_trap.c: the listener, when snmp_traps is configured. */
int snmp_trap_open(struct snmp_state *s, char *err, size_t errlen);
void snmp_trap_close(struct snmp_state *s);

#endif
