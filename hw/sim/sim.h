/* sim.h - what the files of facmon-sim share.
 *
 * Owns: the simulator's state (the units it serves, each with its profile
 * points and its own register/bit tables) and the small interfaces between
 * its three parts:
 *   sim.c      command line, the select() loop and the Modbus TCP server;
 *   units.c    the units: profiles, initial values, reading and writing
 *              points as engineering values or raw registers;
 *   control.c  the line-based text control port (set/get/mute/raw/stats).
 * One thread; the loop in sim.c owns everything and calls the others.
 */
#ifndef FACMON_SIM_H
#define FACMON_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/select.h>

#include <modbus.h>

#include "config/config.h"

#define SIM_UNIT_MIN 1
#define SIM_UNIT_MAX 247
#define SIM_ERR_MAX 256

struct sim_unit {
	int id;
	char profile[FM_NAME_MAX];
	struct fm_point *points;
	size_t npoints;
	char **files;           /* profile file names, owned for the points */
	size_t nfiles;
	modbus_mapping_t *map;  /* full 0..65535 tables, this unit's alone */
	bool muted;             /* a dead device: requests get no answer */
	unsigned long requests; /* Modbus requests addressed to this unit */
};

struct sim {
	struct sim_unit *units;
	size_t nunits;
	unsigned long requests; /* every Modbus request received */
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
/* Runs one command line; the reply (no newline) goes into OUT. */
void control_execute(struct sim *sim, char *line, char *out, size_t outlen);

#endif
