/* sim.h - what the files of facmon-sim share.
 *
 * Owns: the simulator's state (the units it serves, each with its profile
 * points, its own register/bit tables and its faults; the request log) and
 * the small interfaces between its parts:
 *   sim.c       command line and the select() loop;
 *   tcp.c       the Modbus TCP server;
 *   rtu.c       the Modbus RTU server on a serial line (or a pty);
 *   request.c   what happens to a request whatever the transport: the unit
 *               filter, counting, the request log, faults and the reply;
 *   units.c     the units: profiles, initial values, reading and writing
 *               points as engineering values or raw registers;
 *   control.c   the control port's sockets and lines;
 *   commands.c  the commands of the control protocol.
 * One thread; the loop in sim.c owns everything and calls the others.
 */
#ifndef FACMON_SIM_H
#define FACMON_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/select.h>

#include <modbus.h>

#include "config/config.h"

#define SIM_UNIT_MIN 1
#define SIM_UNIT_MAX 247
#define SIM_ERR_MAX 256
#define SIM_EXCEPTIONS_MAX 32   /* exception rules per unit */
#define SIM_SLOW_MAX_MS 60000
#define SIM_REQLOG_MAX 20000    /* requests the log keeps, oldest dropped */

/* A read of KIND covering ADDRESS is answered with exception CODE. */
struct sim_exception {
	enum fm_read_kind kind;
	uint16_t address;
	uint8_t code;
};

struct sim_unit {
	int id;
	char profile[FM_NAME_MAX];
	struct fm_profile prof; /* its points */
	modbus_mapping_t *map;  /* full 0..65535 tables, this unit's alone */
	bool muted;             /* a dead device: requests get no answer */
	unsigned long requests; /* Modbus requests addressed to this unit */
	unsigned slow_ms;       /* answers this late; 0: at once */
	struct sim_exception exceptions[SIM_EXCEPTIONS_MAX];
	size_t nexceptions;
};

/* One Modbus request as a transport received it. Address and count are
 * those of the read for FC01-04 and FC23, of the write for FC05/06/15/16
 * (count 1 for a single write), 0 for other functions. */
struct sim_request {
	uint64_t t_ms;          /* CLOCK_MONOTONIC, milliseconds */
	uint8_t unit;
	uint8_t function;
	uint16_t address;
	uint16_t count;
};

/* The last SIM_REQLOG_MAX requests, recorded while ON. */
struct sim_reqlog {
	bool on;
	struct sim_request *ring; /* NULL until the first "log on" */
	size_t head;              /* next slot to write */
	size_t count;
};

struct sim {
	struct sim_unit *units;
	size_t nunits;
	unsigned long requests; /* every Modbus request received */
	struct sim_reqlog log;
	bool verbose;           /* every request to stderr */
};

/* A reply a slow unit holds back until DUE_MS; while one is pending, its
 * connection (TCP) or the whole line (RTU) reads nothing more. */
struct sim_pending {
	bool active;
	uint64_t due_ms;
	int len;
	uint8_t query[MODBUS_TCP_MAX_ADU_LENGTH];
};

/* units.c */
int sim_unit_add(struct sim *sim, int id, const char *profile_dir,
                 const char *profile, char *err, size_t errlen);
void sim_free(struct sim *sim);
struct sim_unit *sim_unit_find(struct sim *sim, int id);
const struct fm_point *sim_point_find(const struct sim_unit *u,
                                      const char *name);
int sim_point_set(struct sim_unit *u, const struct fm_point *p, double value,
                  char *err, size_t errlen);
double sim_point_get(const struct sim_unit *u, const struct fm_point *p);
int sim_raw_set(struct sim_unit *u, enum fm_read_kind kind, long address,
                long value, char *err, size_t errlen);
int sim_raw_get(const struct sim_unit *u, enum fm_read_kind kind,
                long address, uint16_t *value, char *err, size_t errlen);
/* "UNIT.POINT" -> the unit and the point, or -1 with a message. */
int sim_resolve(struct sim *sim, const char *ref, struct sim_unit **unit,
                const struct fm_point **point, char *err, size_t errlen);
/* Strict number parsing: the whole string, finite. */
int sim_parse_double(const char *s, double *out);
int sim_parse_long(const char *s, long min, long max, long *out);

/* request.c */
uint64_t sim_now_ms(void);
/* Decodes, counts and logs the request QUERY (LEN bytes, HDR of them the
 * transport's header up to and including the unit id). Returns the unit
 * that answers it, or NULL when nobody does (unknown, muted, broadcast). */
struct sim_unit *sim_request_accept(struct sim *sim, const uint8_t *query,
                                    int hdr, int len, const char *transport);
/* Answers QUERY for U through CTX now, or holds it in PENDING when U is
 * slow. */
void sim_request_answer(struct sim *sim, modbus_t *ctx, struct sim_unit *u,
                        const uint8_t *query, int len,
                        struct sim_pending *pending);
/* Sends the reply held in PENDING (its time has come) through CTX. */
void sim_pending_fire(struct sim *sim, modbus_t *ctx,
                      struct sim_pending *pending);
int sim_exception_add(struct sim_unit *u, enum fm_read_kind kind,
                      long address, long code, char *err, size_t errlen);
void sim_exception_clear(struct sim_unit *u);
/* "log on" empties the log and records from now; "log off" stops. */
int sim_reqlog_start(struct sim_reqlog *log);
void sim_reqlog_stop(struct sim_reqlog *log);
/* The I-th oldest of the last N entries (N <= log->count). */
const struct sim_request *sim_reqlog_get(const struct sim_reqlog *log,
                                         size_t n, size_t i);
void sim_reqlog_free(struct sim_reqlog *log);

/* tcp.c */
#define SIM_TCP_CLIENTS 32

struct sim_tcp {
	modbus_t *ctx;
	int listen_fd;                               /* -1: TCP off */
	int clients[SIM_TCP_CLIENTS];                /* -1: slot free */
	struct sim_pending pending[SIM_TCP_CLIENTS];
};

void sim_tcp_init(struct sim_tcp *t);
int sim_tcp_open(struct sim_tcp *t, const char *host, const char *port,
                 char *err, size_t errlen);
/* Adds the descriptors to watch; lowers *WAKE_MS to the next due reply. */
void sim_tcp_watch(const struct sim_tcp *t, fd_set *set, int *maxfd,
                   uint64_t *wake_ms);
void sim_tcp_serve(struct sim_tcp *t, const fd_set *ready, struct sim *sim);
void sim_tcp_close(struct sim_tcp *t);

/* rtu.c */
#define SIM_RTU_BUF 512

struct sim_serial {
	const char *device;     /* NULL: RTU off */
	int baud;
	char parity;            /* 'N', 'E', 'O' */
	int data_bits;
	int stop_bits;
};

struct sim_rtu {
	struct sim_serial cfg;
	modbus_t *ctx;
	int fd;                 /* -1: closed (off, or lost and reopening) */
	uint8_t buf[SIM_RTU_BUF];
	size_t len;             /* bytes of an unfinished frame in BUF */
	uint64_t last_byte_ms;
	unsigned gap_ms;        /* silence that ends an unfinished frame */
	uint64_t reopen_ms;     /* when a lost line is tried again */
	struct sim_pending pending;
};

void sim_rtu_init(struct sim_rtu *r);
int sim_rtu_open(struct sim_rtu *r, const struct sim_serial *cfg,
                 char *err, size_t errlen);
void sim_rtu_watch(const struct sim_rtu *r, fd_set *set, int *maxfd,
                   uint64_t *wake_ms);
void sim_rtu_serve(struct sim_rtu *r, const fd_set *ready, struct sim *sim);
void sim_rtu_close(struct sim_rtu *r);

/* control.c */
#define SIM_CONTROL_CLIENTS 16
#define SIM_CONTROL_LINE 512

struct sim_control_client {
	int fd;                       /* -1: slot free */
	char buf[SIM_CONTROL_LINE];
	size_t len;
	bool overflow;                /* discarding a line that was too long */
};

struct sim_control {
	int listen_fd;                /* -1: control disabled */
	struct sim_control_client clients[SIM_CONTROL_CLIENTS];
};

void control_init(struct sim_control *c);
int control_listen(struct sim_control *c, const char *host, const char *port,
                   char *err, size_t errlen);
void control_watch(const struct sim_control *c, fd_set *set, int *maxfd);
void control_serve(struct sim_control *c, const fd_set *ready,
                   struct sim *sim);
void control_close(struct sim_control *c);

/* commands.c */
/* Runs one command line (modified in place) and writes the whole reply to
 * OUT: one line "ok[ ...]" or "err MESSAGE", or for `requests` several
 * "ok ..." lines ending in "ok end". Every line ends in a newline. */
void control_execute(struct sim *sim, char *line, FILE *out);

#endif
