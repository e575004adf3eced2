/* report.h - the monthly evidence report, `facmon report`.
 *
 * Owns: what an auditor is shown for one month (FISC 安全対策基準, ISO/IEC
 * 27001), computed from the store alone: one section per control ID the
 * config uses, each with the rules and built-in alerts that cover it, the
 * monitoring availability of their devices, every alert with its times to
 * detect, acknowledge and resolve, and the silences that covered them; and
 * for the whole month the agent's downtime, the clock's synchronisation,
 * the config changes and the verdict on the hash chain.
 *
 * The figures are computed apart from their rendering: events go in (in
 * seq order, as stored) and a struct report comes out (report_calc.c,
 * report_alerts.c, report_agent.c, report_avail.c, report_sections.c, all
 * pure: no clock, no I/O); report_build.c reads the store read-only and
 * drives them; render_json.c, render_csv.c and render_html.c each print
 * the same struct report in one format.
 *
 * Times are milliseconds since 1970 (UTC), 0 meaning none. The period is
 * [from_ms, until_ms): the month, or the month so far when it has not
 * ended. An event outside it does not count, except to say how things
 * stood when it began (an alert firing then is "carried in", the agent
 * stopped then is down from its first second).
 *
 * Folder report/ owns the report. It reads facmon.db through store/ and
 * takes the config (config/) and the engine built from it (alerting/) as
 * its catalog of alerts; it uses nothing above store/, and agent/ calls it.
 */
#ifndef FACMON_REPORT_H
#define FACMON_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "alerting/engine.h"
#include "config/config.h"
#include "store/store.h"

#define REPORT_HASH_LEN 65
#define REPORT_SILENCE_REFS 4

/* One alert of the period: from its condition's start to its resolution. */
struct report_alert {
	char name[FM_NAME_MAX * 2];
	char rule[FM_NAME_MAX];      /* the config's rule it belongs to, "" for none */
	char device[FM_NAME_MAX];    /* its device, "" for none (a bus, the agent) */
	char severity[16];
	char point[FM_NAME_MAX * 2]; /* "rack-a.temperature", "rack-a" (comm) */
	char value[64];              /* what it fired on: "35", "down" */
	char controls[FM_CONTROLS_MAX][FM_CONTROL_MAX];
	size_t ncontrols;
	int64_t start_ms;    /* the condition began: ok -> pending, or -> firing
	                      * when the rule has no `for` */
	int64_t fired_ms;
	int64_t acked_ms;    /* 0: not acknowledged */
	char acked_by[64];
	char ack_comment[FM_TEXT_MAX];
	int64_t resolved_ms; /* 0: still firing when the period ended */
	bool carried_in;     /* it fired before the period began */
	/* the silences its events said covered it (report_silence.key) */
	unsigned silences[REPORT_SILENCE_REFS];
	size_t nsilences;
};

/* An alert's times in seconds, -1 when it has none: to detect (firing -
 * the condition's start), to acknowledge (ack - firing), to resolve
 * (resolved - firing). */
double report_alert_detect_s(const struct report_alert *a);
double report_alert_ack_s(const struct report_alert *a);
double report_alert_resolve_s(const struct report_alert *a);

/* A silence in effect during the period: an operator's (its set,
 * cancelled and expired events) or one of the config's windows (seen only
 * on the alerts it covered; the config's hash records it). */
struct report_silence {
	unsigned key;                /* this report's own number for it, from 1 */
	unsigned id;                 /* the agent's id */
	bool from_config;
	char match[FM_NAME_MAX * 2];
	char by[64];
	char why[FM_TEXT_MAX];
	int64_t set_ms;              /* the set event; 0 for the config's */
	int64_t start_ms, end_ms;    /* the window as set (start 0: not known) */
	int64_t ended_ms;            /* cancelled or expired at; 0: still in place */
	char ended[16];              /* "cancelled", "expired", or "" */
};

enum report_down_kind {
	REPORT_DOWN_STOPPED,      /* a clean stop, then a start (or none yet) */
	REPORT_DOWN_UNCLEAN,      /* a run that ended without a stop */
	REPORT_DOWN_BEFORE_START, /* no record of a run before the first start */
};

/* A time the agent was not running, within the period. */
struct report_downtime {
	int64_t from_ms, until_ms;
	enum report_down_kind kind;
	char reason[64];   /* a stop's: "Terminated" */
	double away_s;     /* an unclean stop's away_s, as its event says; -1 unknown */
	bool open;         /* not started again before the period ended */
};

/* facmon.clock changed state: the gateway clock lost or regained sync. */
struct report_clock_change {
	int64_t at_ms;
	char from[12], to[12];
	char detail[FM_TEXT_MAX];
};

/* The agent started with a config, or a reload was accepted or rejected. */
struct report_config_change {
	int64_t at_ms;
	char action[16];                 /* "started", "accepted", "rejected" */
	char version[32];                /* started: facmon's version */
	char old_sha256[REPORT_HASH_LEN]; /* the config that ran before ("" unknown) */
	char new_sha256[REPORT_HASH_LEN]; /* the config after; rejected: the file's */
	char why[FM_TEXT_MAX];           /* rejected: the first problem */
};

/* The history was lost and started again (a store reset event). */
struct report_reset {
	int64_t at_ms;
	uint64_t seq;
	char detail[FM_TEXT_MAX * 2];
};

/* One device's monitoring availability over the period. */
struct report_avail {
	char device[FM_NAME_MAX];
	int interval_s;       /* the config's */
	double scheduled;     /* polls the period holds at its interval */
	uint64_t polls;       /* polls that returned */
	uint64_t valid;       /* ... with every request answered */
	uint64_t degraded;    /* ... with some requests answered */
	unsigned hours;       /* hours of the period */
	unsigned hours_counted; /* ... for which the agent stored counts */
	double availability;  /* valid / scheduled, at most 1 */
};

/* What covers a control: a rule, or a built-in alert. */
struct report_cover {
	char name[FM_NAME_MAX * 2];
	bool builtin;
	char severity[16];
	char condition[FM_TEXT_MAX];  /* "> 30 (clear < 28) for 60 s" */
	char points[FM_TEXT_MAX];     /* "rack-a.temperature", a device, a bus */
};

/* Figures over some alerts: how many had it, their mean and maximum. */
struct report_times {
	size_t n;
	double mean_s, max_s;
};

struct report_section {
	char control[FM_CONTROL_MAX];
	bool in_config;        /* false: only events of the period carry it */
	struct report_cover *covers;
	size_t ncovers;
	size_t *devices;       /* into report.avail */
	size_t ndevices;
	size_t *alerts;        /* into report.alerts, in firing order */
	size_t nalerts;
	size_t *silences;      /* into report.silences */
	size_t nsilences;
	size_t carried_in, acked, resolved;
	struct report_times detect, ack, resolve;
};

struct report {
	char site[FM_NAME_MAX], gateway[FM_NAME_MAX];
	int year, month;
	int64_t from_ms, until_ms; /* the period */
	int64_t month_end_ms;
	bool partial;              /* the month has not ended: up to now */
	int64_t generated_ms;
	char version[32];
	char config_path[FM_TEXT_MAX];
	char config_sha256[REPORT_HASH_LEN];
	char db_path[FM_TEXT_MAX + 16];
	/* the chain, as store_verify found it */
	bool chain_checked;        /* false: it could not be read (CHAIN_ERROR) */
	char chain_error[FM_TEXT_MAX * 2];
	struct store_verdict chain;
	/* the figures */
	struct report_avail *avail;
	size_t navail;
	struct report_alert *alerts;
	size_t nalerts;
	struct report_silence *silences;
	size_t nsilences;
	struct report_downtime *downtime;
	size_t ndowntime;
	double downtime_s;
	bool agent_known;          /* some agent event tells whether it ran */
	char clock_at_start[12];   /* facmon.clock when the period began; "" none */
	struct report_clock_change *clock;
	size_t nclock;
	double clock_unsynced_s;   /* facmon.clock firing */
	double clock_pending_s;    /* unsynchronised within its grace */
	struct report_config_change *configs;
	size_t nconfigs;
	struct report_reset *resets;
	size_t nresets;
	size_t events;             /* events of the period */
	int64_t history_from_ms;   /* the oldest stored event (0: none): nothing
	                            * before it is known (pruned, or before the
	                            * agent was installed) */
	struct report_section *sections;
	size_t nsections;
};

/* What to report on. */
struct report_request {
	const struct fm_config *cfg;
	/* the engine built from CFG, its self-health alerts named: the
	 * catalog of every alert the config makes and the controls each
	 * carries (nothing is polled through it) */
	const struct engine *catalog;
	const char *config_sha256;
	int year, month;
	int64_t now_ms;            /* the generation time */
};

/* "2026-11" into *YEAR and *MONTH; -1 if TEXT is no such month. */
int report_parse_month(const char *text, int *year, int *month);
/* The first millisecond of YEAR-MONTH, UTC. */
int64_t report_month_start(int year, int month);

/* Builds the report of Q from store S (opened read-only): every event up
 * to the period's end, the availability counts of the period, the chain's
 * verdict (a broken chain is a finding, not a failure). 0 with *OUT, or -1
 * with ERR when the store cannot be read or memory ran out. */
int report_build(struct fm_store *s, const struct report_request *q, struct report **out,
                 char *err, size_t errlen);
void report_free(struct report *r);

/* The three renderings of R, each complete on its own: 0, or -1 when
 * memory ran out or OUT could not be written. */
int report_render_json(const struct report *r, FILE *out);
int report_render_csv(const struct report *r, FILE *out);
int report_render_html(const struct report *r, FILE *out);

#endif
