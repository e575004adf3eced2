/* engine.h - the agent's live state: readings, device states and alerts.
 *
 * Owns: what facmon currently believes about the room. It takes poll
 * results, keeps each point's last reading, derives each device's
 * communication state, evaluates every rule (plus the built-in
 * `<device>.comm` rule) through the alert state machine, numbers the
 * resulting events, and hands everything to a publisher. It does no I/O
 * itself and reads no clock: callers pass the time, so tests drive it with
 * a fake clock and a publisher that records what it was given.
 *
 * Only the event-loop thread calls it.
 */
#ifndef FACMON_ENGINE_H
#define FACMON_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alerting/alert.h"
#include "alerting/device_state.h"
#include "collectors/collector.h"
#include "config/config.h"

struct eng_device {
	const struct fm_device *conf;
	struct fm_point_value *values; /* last reading per point */
	/* per point: its name, and for a slot of a walked column the row it
	 * holds; an empty name is a slot still waiting for its row */
	char (*names)[FM_NAME_MAX];
	struct fm_row *rows;
	bool has_reading;              /* at least one poll answered */
	int64_t reading_wall_ms;       /* when VALUES were read */
	struct fm_dev_health health;
	struct eng_alert *comm;        /* the built-in <device>.comm alert */
};

struct eng_alert {
	/* rule name, "<rule>.<row>" for a rule on a walked column, or
	 * "<device>.comm"; "" while its row has not been found */
	char name[FM_NAME_MAX * 2];
	const struct fm_rule *rule;     /* NULL for the built-in comm rule */
	struct eng_device *device;
	size_t point;                   /* index in device points (rules only) */
	enum fm_severity severity;
	const char (*controls)[FM_CONTROL_MAX];
	size_t ncontrols;
	struct fm_alert fsm;
	enum fm_cond cond;              /* last classification */
	bool has_value;
	double value;                   /* last value the rule saw */
	int64_t next_repeat_mono;       /* firing with repeat: next re-publication */
};

struct eng_event {
	uint64_t seq;
	int64_t ts_wall_ms;
	const struct eng_alert *alert;
	struct fm_transition t;
};

/* Where the engine's output goes: MQTT in the agent, a recorder in tests.
 * Each call is told everything it needs; none may call back in. */
struct eng_publisher {
	void (*telemetry)(void *ctx, const struct eng_device *d);
	/* CHANGED: the state changed now; false when merely republished */
	void (*device_state)(void *ctx, const struct eng_device *d, bool changed);
	void (*alert_state)(void *ctx, const struct eng_alert *a);
	void (*event)(void *ctx, const struct eng_event *e);
	void *ctx;
};

struct engine {
	const struct fm_config *cfg;
	struct eng_device *devices; /* in config order */
	size_t ndevices;
	struct eng_alert *alerts;   /* rules in config order, then comm alerts */
	size_t nalerts;
	uint64_t next_seq;
	struct eng_publisher pub;
};

/* Builds the state for CFG (which must outlive the engine); every alert
 * starts unknown. Returns NULL on allocation failure. */
struct engine *engine_create(const struct fm_config *cfg,
                             const struct eng_publisher *pub,
                             int64_t now_mono, int64_t now_wall);
void engine_destroy(struct engine *e);

/* Takes one poll of device R->device: stores readings, updates the
 * device state, publishes telemetry and evaluates its rules. */
void engine_apply_poll(struct engine *e, const struct fm_poll_result *r,
                       int64_t now_mono, int64_t now_wall);

/* Advances time-based behaviour between polls: `for` delays that expire
 * and `repeat` re-publications. Call about once a second. */
void engine_tick(struct engine *e, int64_t now_mono, int64_t now_wall);

/* Republishes every device state and alert state (after a reconnect). */
void engine_publish_states(struct engine *e);

/* The name of point P of D as published ("temperature_rack_3_top" for a
 * row of a walked column); "" for a slot that holds no row yet. */
const char *eng_point_name(const struct eng_device *d, size_t p);

/* Lookups, NULL when absent. */
struct eng_alert *engine_find_alert(struct engine *e, const char *name);
struct eng_device *engine_find_device(struct engine *e, const char *name);

#endif
