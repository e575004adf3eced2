/* engine.h - the agent's live state: readings, device states and alerts.
 *
 * Owns: what facmon currently believes about the room. It takes poll
 * results, keeps each point's last reading (and whether it is fresh, or a
 * sensor fault), derives each device's and each bus's communication state,
 * evaluates every alert through the alert state machine, numbers the
 * resulting events, and hands everything to a publisher. Alerts are:
 *   - rule alerts: one per rule, or one per row (a rule on a walked table
 *     column, "<rule>.<row>") or per watched bit (a mask, "<rule>.<bit>");
 *   - "<device>.comm": the device does not answer (実102);
 *   - "<device>.<point>.fault": the sensor sends a value it cannot mean
 *     (outside valid_min/valid_max, a sentinel) or is stuck (設80);
 *   - "<bus>.bus": a serial line or TCP gateway is down; its devices'
 *     alerts then go unknown instead of raising one alert each;
 *   - the agent's own health, "facmon.<check>", defined and fed by the
 *     agent (engine_self_define, engine_self_observe).
 * Operators acknowledge alerts and silence them for maintenance
 * (engine_ops.c). It does no I/O itself and reads no clock: callers pass
 * the time, so tests drive it with a fake clock and a publisher that
 * records what it was given.
 *
 * Only the event-loop thread calls it.
 *
 * Folder alerting/ owns what is wrong: pure rule classification
 * (rule.c), the alert state machine (alert.c), device states
 * (device_state.c) and the engine (engine*.c) that turns poll results
 * into states and numbered events. Nothing here stores, publishes or
 * logs; who is told is outputs/'s. Uses collectors/ (poll results),
 * config/ and base/.
 */
#ifndef FACMON_ENGINE_H
#define FACMON_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alerting/alert.h"
#include "alerting/device_state.h"
#include "alerting/rule.h"
#include "collectors/collector.h"
#include "config/config.h"

/* Why a point's reading is not a value. */
enum eng_fault {
	ENG_FAULT_NONE,
	ENG_FAULT_RANGE,    /* outside valid_min .. valid_max */
	ENG_FAULT_NUMBER,   /* not a number, infinite, or a denormal float */
	ENG_FAULT_SENTINEL, /* a raw value the sensor sends when it has none */
	ENG_FAULT_STUCK,    /* not changed at all for stuck_after */
};

struct eng_bus;

/* One point's state beyond its last reading. */
struct eng_point {
	int64_t fresh_mono_ms;   /* last good reading; 0: none yet */
	int64_t changed_mono_ms; /* when its value last changed */
	double last;             /* the value it changed to */
	/* its readings have not changed since the first one (of this run, or
	 * after a gap): too short a history to say it is not stuck */
	bool unchanged_since_first;
	enum eng_fault fault;
	char fault_text[FM_TEXT_MAX / 2];
	/* the last reading taken as a value (no sensor fault), and when: what
	 * the telemetry of a device that went down gives as "last" */
	double good;
	int64_t good_wall_ms;    /* 0: none in this run */
	struct eng_alert *fault_alert; /* NULL: the point declares no fault */
};

struct eng_device {
	const struct fm_device *conf;
	struct fm_point_value *values; /* last reading per point */
	struct eng_point *points;      /* per point */
	/* per point, for a slot of a walked column: its name and the row it
	 * holds (an empty name: still waiting for its row); both NULL when no
	 * point of the device is a slot (eng_point_name() names any point) */
	char (*names)[FM_NAME_MAX];
	struct fm_row *rows;
	bool has_reading;              /* at least one poll answered */
	int64_t reading_wall_ms;       /* when VALUES were read */
	bool connection_lost;          /* its last poll failed on the bus itself */
	struct fm_dev_health health;
	struct eng_alert *comm;        /* the built-in <device>.comm alert */
	struct eng_alert **rules;      /* the rule alerts with a condition on it */
	size_t nrules;
	struct eng_bus *bus;           /* NULL: on no bus of its own (SNMP) */
};

/* A serial line or a TCP gateway with its devices. */
struct eng_bus {
	const struct fm_bus *conf;
	bool down;
	struct eng_alert *alert;       /* <bus>.bus */
	struct eng_device **devices;   /* the devices on it */
	size_t ndevices;
};

enum eng_alert_kind { ENG_ALERT_RULE, ENG_ALERT_COMM, ENG_ALERT_FAULT, ENG_ALERT_BUS,
                      ENG_ALERT_SELF };

/* One condition of a rule alert, on one point. */
struct eng_term {
	const struct fm_condition *cond;
	struct eng_device *device;
	size_t point;
	struct rate_window window; /* rise/fall: the samples within `within` */
	enum fm_cond last;         /* kept through a single failed read */
	bool has_value;
	double value;              /* the reading (a rate rule: its change) */
};

/* Who to call and where: each field the rule's, else the device's, else
 * NULL (the config's strings: an engine never outlives its config). */
struct eng_routing {
	const char *location;
	const char *runbook;
	const char *owner;
};

/* An operator's acknowledgement of a firing alert. */
struct eng_ack {
	char by[64];
	char comment[FM_TEXT_MAX];
	int64_t wall_ms;
};

struct eng_alert {
	/* see the top of this file; "" while its row has not been found */
	char name[FM_NAME_MAX * 2];
	enum eng_alert_kind kind;
	const struct fm_rule *rule;     /* rule alerts only */
	struct eng_device *device;      /* its (first) device; NULL for bus/self */
	size_t point;                   /* its (first) point: rule and fault alerts */
	int bit;                        /* mask alerts: the bit; else -1 */
	const char *bit_name;           /* mask alerts: its name, or NULL */
	struct eng_term *terms;         /* rule alerts: one per condition */
	size_t nterms;
	enum fm_severity severity;
	const char (*controls)[FM_CONTROL_MAX];
	size_t ncontrols;
	struct eng_routing routing;     /* the rule's, else its device's */
	struct fm_alert fsm;
	enum fm_cond cond;              /* last classification */
	bool has_value;
	double value;                   /* last value the rule saw */
	char detail[FM_TEXT_MAX];       /* fault, bus and self-health alerts: why */
	int64_t next_repeat_mono;       /* firing with repeat: next re-publication */
	bool resumed;                   /* state restored, no verdict since */
	bool held_flapping;             /* firing, clear now, held by flap damping */
	/* the acknowledgement, or NULL; cleared when the alert resolves
	 * (allocated: few alerts are acknowledged at any time) */
	struct eng_ack *ack;
	const struct eng_silence *silence; /* the silence covering it, or NULL */
};

/* A maintenance window: alerts whose name, rule or device matches MATCH
 * (a glob) still change state and are stored, but are marked silenced and
 * not repeated, from START to END (wall clock; a silence always ends). */
struct eng_silence {
	unsigned id;
	bool from_config;  /* `silences` of the config (set again on reload) */
	char match[FM_NAME_MAX * 2];
	int64_t start_wall_ms, end_wall_ms;
	char by[64];
	char why[FM_TEXT_MAX];
};

/* What an event records; its "type" in the history and on R/events. */
enum eng_event_kind {
	ENG_EVENT_TRANSITION, /* an alert changed state */
	ENG_EVENT_ACK,        /* an operator acknowledged a firing alert */
	ENG_EVENT_STORE,      /* the history was lost: a store reset */
	ENG_EVENT_SILENCE,    /* an operator's silence was set, cancelled, or expired */
	ENG_EVENT_AGENT,      /* the agent started or stopped, or found it had
	                       * stopped uncleanly */
	ENG_EVENT_CONFIG,     /* a reload, accepted or rejected */
	ENG_EVENT_COMMAND,    /* an operator's command the agent refused */
};

/* "transition", "ack", "store", "silence", "agent", "config", "command". */
const char *eng_event_type_name(enum eng_event_kind k);

/* One named value of a notice: TEXT, or (TEXT NULL) NUMBER. */
struct eng_field {
	const char *key;
	const char *text;
	double number;
};

#define ENG_NOTICE_FIELDS 12

/* What an event that is no alert's says (silence, agent, config and
 * command events): its SUBJECT, stored and published as its "rule"
 * ("facmon.agent", "facmon.silence", ...), its ACTION ("started", "set",
 * "rejected", ...) and the values behind it, in order. The strings are the
 * caller's, and need live only until the event is published. */
struct eng_notice {
	const char *subject;
	const char *action;
	struct eng_field fields[ENG_NOTICE_FIELDS];
	size_t nfields;
};

/* Appends a field to N (silently dropped past ENG_NOTICE_FIELDS). */
void eng_notice_text(struct eng_notice *n, const char *key, const char *text);
void eng_notice_number(struct eng_notice *n, const char *key, double number);

/* The history was lost: facmon.db was moved aside as corrupt, or is gone
 * or empty although events were numbered before (store/store.h). */
struct eng_store_reset {
	char why[FM_TEXT_MAX + 64];   /* "<path> was not a usable database" */
	char moved_to[FM_TEXT_MAX + 48]; /* where the old file went; "" if nowhere */
	long unsent;                  /* its events the broker never acknowledged;
	                               * -1: unknown (it could not be read) */
	uint64_t mark;                /* no seq was used above this before */
};

/* The name the store-reset event carries in place of an alert's. */
#define ENG_STORE_EVENT_NAME "facmon.store"

struct eng_event {
	uint64_t seq;
	int64_t ts_wall_ms;
	enum eng_event_kind kind;
	const struct eng_alert *alert;        /* transitions and acks; else NULL */
	struct fm_transition t;               /* an ack: from = to = the alert's state */
	const struct eng_store_reset *reset;  /* a store reset: what was lost */
	const struct eng_notice *notice;      /* silence, agent, config, command */
};

/* The name an event is stored under: its alert's, or its subject. */
const char *eng_event_subject(const struct eng_event *e);

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

#define ENG_SILENCES_MAX 64

struct engine {
	const struct fm_config *cfg;
	struct eng_device *devices; /* in config order */
	size_t ndevices;
	struct eng_bus *buses;      /* the Modbus buses, in config order */
	size_t nbuses;
	struct eng_alert *alerts;   /* rules (config order), comm, fault, bus, self */
	size_t nalerts;
	struct eng_alert *self;     /* the self-health alerts, ENG_SELF_CHECKS */
	struct eng_silence silences[ENG_SILENCES_MAX];
	size_t nsilences;
	unsigned next_silence_id;   /* the agent continues it from the store */
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
 * device and bus states, publishes telemetry and evaluates its alerts. */
void engine_apply_poll(struct engine *e, const struct fm_poll_result *r,
                       int64_t now_mono, int64_t now_wall);

/* Advances time-based behaviour between polls: `for` and `clear_for`
 * delays, stale and stuck points, `repeat` re-publications and silences
 * that end. Call about once a second. */
void engine_tick(struct engine *e, int64_t now_mono, int64_t now_wall);

/* Republishes every device state and alert state (after a reconnect). */
void engine_publish_states(struct engine *e);

/* The name of point P of D as published ("temperature_rack_3_top" for a
 * row of a walked column); "" for a slot that holds no row yet. */
const char *eng_point_name(const struct eng_device *d, size_t p);

/* ---- the agent's own health (engine_ops.c) ---- */

/* Room for the agent's checks of itself (agent/self_health.h owns them). */
#define ENG_SELF_CHECKS 4

/* Names self-health alert CHECK (0 .. ENG_SELF_CHECKS-1), with its
 * severity and controls (which must outlive the engine); until then it
 * does not exist to the outside. */
void engine_self_define(struct engine *e, size_t check, const char *name,
                        enum fm_severity severity,
                        const char (*controls)[FM_CONTROL_MAX], size_t ncontrols);

/* Feeds one self-health check's verdict; DETAIL says why. */
void engine_self_observe(struct engine *e, size_t check, enum fm_cond c,
                         const char *detail, int64_t now_mono, int64_t now_wall);

/* Numbers and publishes the event that says the history was lost (R),
 * so the gap in seq before it is explained. */
void engine_note_store_reset(struct engine *e, const struct eng_store_reset *r,
                             int64_t now_wall);

/* Numbers and publishes a notice N as an event of KIND (silence, agent,
 * config or command): what the agent and its operators did, so that the
 * history holds every action an auditor asks about. */
void engine_note(struct engine *e, enum eng_event_kind kind, const struct eng_notice *n,
                 int64_t now_wall);

/* The subjects of the agent's own events. */
#define ENG_SUBJECT_AGENT "facmon.agent"
#define ENG_SUBJECT_CONFIG "facmon.config"
#define ENG_SUBJECT_SILENCE "facmon.silence"
#define ENG_SUBJECT_COMMAND "facmon.command"

/* ---- operators (engine_ops.c) ---- */

enum eng_ack_result { ENG_ACK_DONE, ENG_ACK_UNKNOWN, ENG_ACK_ALREADY, ENG_ACK_NOT_FIRING,
                      ENG_ACK_NO_MEMORY };

/* Acknowledges the firing alert NAME, or every firing alert of the rule
 * NAME: stops its repeats, records BY and COMMENT, emits an ack event. An
 * acknowledgement never resolves an alert. */
enum eng_ack_result engine_ack(struct engine *e, const char *name, const char *by,
                               const char *comment, int64_t now_wall);
const char *eng_ack_result_text(enum eng_ack_result r);

/* Adds a silence (FROM_CONFIG: one of the config's windows, replaced on a
 * reload; else an operator's, kept); its id, or 0 when there are
 * ENG_SILENCES_MAX already or END is not after START. */
unsigned engine_silence(struct engine *e, const char *match, int64_t start_wall,
                        int64_t end_wall, const char *by, const char *why,
                        bool from_config, int64_t now_wall);
/* How many of the alerts there are now a silence of MATCH would cover:
 * an OPERATOR's (set over MQTT) or the config's. */
size_t engine_match_count(const struct engine *e, const char *match, bool operator);
/* How many operators' silences are in place. */
size_t engine_operator_silences(const struct engine *e);
/* Whether A is part of the agent's failure detection (a device's comm, a
 * bus, the agent's own checks): what an operator's silence never covers
 * unless agent.commands.silence_self allows it. */
bool eng_alert_detects_failure(const struct eng_alert *a);
/* Ends silence ID (0: every silence whose match is MATCH); how many. */
size_t engine_unsilence(struct engine *e, unsigned id, const char *match,
                        int64_t now_wall);
/* Puts back an operator's silence S as stored before a restart, with its
 * id (next_silence_id goes past it); false when S has ended, its id is
 * taken or there are ENG_SILENCES_MAX already. */
bool engine_resume_silence(struct engine *e, const struct eng_silence *s,
                           int64_t now_wall);
/* Silence ID, or NULL (it ended, or never was). */
const struct eng_silence *engine_find_silence(const struct engine *e, unsigned id);

/* Puts alert NAME back in STATE since SINCE_WALL, as stored before a
 * restart (acknowledgement too): no event. It holds that state until the
 * first verdict on its condition (a device heard from or given up on, a
 * bus proven up or down, a self-check run), so a firing alert whose
 * condition still holds stays firing, with no unknown in between; the
 * verdict decides from there. False when there is no such alert. */
bool engine_resume(struct engine *e, const char *name, enum fm_alert_state state,
                   int64_t since_wall, const char *acked_by, const char *ack_comment,
                   int64_t acked_wall, int64_t now_mono);

/* Lookups, NULL when absent. */
struct eng_alert *engine_find_alert(struct engine *e, const char *name);
struct eng_device *engine_find_device(struct engine *e, const char *name);

/* Shared by the engine's files: one classification into an alert, with
 * the event and state it publishes. */
void eng_alert_observe(struct engine *e, struct eng_alert *a, enum fm_cond c,
                       int64_t now_mono, int64_t now_wall);
/* The same for an observation that may be no verdict yet (DECIDED false):
 * a restored alert then keeps its state (see engine_resume). */
void eng_alert_verdict(struct engine *e, struct eng_alert *a, enum fm_cond c, bool decided,
                       int64_t now_mono, int64_t now_wall);
/* Drops the silences that have ended by NOW_WALL, an operator's with its
 * "expired" event. */
void eng_end_silences(struct engine *e, int64_t now_wall);
/* Whether alert A is silenced at NOW_WALL, updating A->silence. */
bool eng_alert_silenced(struct engine *e, struct eng_alert *a, int64_t now_wall);
/* Forgets A's acknowledgement, if any (engine_ops.c). */
void eng_alert_unack(struct eng_alert *a);
/* Names the alerts on slot P of D after the row the slot holds. */
void eng_name_row_alerts(struct engine *e, const struct eng_device *d, size_t p);
/* Names A, the fault alert of point P of D, "<device>.<point>.fault". */
void eng_name_fault_alert(struct eng_alert *a, const struct eng_device *d, size_t p);

/* ---- a reload (engine_adopt.c) ---- */

/* Takes over what OLD knows that still applies to NEW (built from the
 * new config, before any poll): each device's state and readings, each
 * alert's state, acknowledgement and rate samples, by name; the
 * operators' silences; and seq. Then NEW's alerts whose names OLD has not
 * are new, and OLD's that NEW has not are gone (FN is told each, to clear
 * its retained state). OLD is left to be destroyed. */
void engine_adopt(struct engine *new, struct engine *old,
                  void (*gone)(void *ctx, const char *kind, const char *name),
                  void *ctx, int64_t now_wall);

#endif
