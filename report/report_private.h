/* report_private.h - what the report's files share and nothing else uses.
 *
 * Owns: the state of the computation while events go through it (struct
 * report_calc: the alerts whose episode is still open, how the agent and
 * its clock stood), the entry points of each pure part, and the small
 * helpers they share (ISO 8601 times, growing arrays, reading an event's
 * fields).
 */
#ifndef FACMON_REPORT_PRIVATE_H
#define FACMON_REPORT_PRIVATE_H

#include <cjson/cJSON.h>

#include "report/report.h"

#define REPORT_HOUR_MS ((int64_t)3600 * 1000)

enum report_agent_state {
	REPORT_AGENT_UNKNOWN,  /* no agent event yet */
	REPORT_AGENT_RUNNING,  /* since a start */
	REPORT_AGENT_STOPPED,  /* since a clean stop */
	REPORT_AGENT_ACCOUNTED, /* an unclean stop was counted; a start follows */
};

/* The events of the history in seq order, into R's figures. */
struct report_calc {
	struct report *r;
	int64_t from_ms, until_ms;
	bool failed;                  /* memory ran out: the figures are incomplete */
	/* alerts whose episode is open (pending or firing), by name */
	struct report_alert *open;
	size_t nopen, cap_open;
	size_t cap_alerts, cap_silences, cap_down, cap_clock, cap_configs, cap_resets;
	/* the agent, and the config it runs */
	enum report_agent_state agent;
	int64_t agent_since_ms;
	char stop_reason[64];
	char running_sha256[REPORT_HASH_LEN];
	/* facmon.clock */
	char clock_state[12];
	int64_t clock_since_ms;
};

/* report_calc.c: the dispatcher. Starts the computation of R's period. */
void report_calc_init(struct report_calc *c, struct report *r, int64_t from_ms,
                      int64_t until_ms);
/* One stored event's document (before the period's end, in seq order);
 * -1 when it is no event document (it is skipped). */
int report_calc_event(struct report_calc *c, const char *doc);
/* The first agent event after the period: whether a run that was going
 * at its end had died in it (an unclean stop found later). */
void report_calc_after(struct report_calc *c, const char *doc);
/* Closes what is still open at the period's end; -1 when memory ran out
 * on the way. */
int report_calc_finish(struct report_calc *c);

/* report_alerts.c: alert episodes, acknowledgements, silences. */
void report_alert_transition(struct report_calc *c, const cJSON *ev, int64_t ts);
void report_alert_ack(struct report_calc *c, const cJSON *ev, int64_t ts);
void report_silence_event(struct report_calc *c, const cJSON *ev, int64_t ts);
void report_alerts_finish(struct report_calc *c);

/* report_agent.c: downtime, config changes, the clock, store resets. */
void report_agent_event(struct report_calc *c, const cJSON *ev, int64_t ts);
void report_agent_after(struct report_calc *c, const cJSON *ev, int64_t ts);
void report_config_event(struct report_calc *c, const cJSON *ev, int64_t ts);
void report_clock_transition(struct report_calc *c, const cJSON *ev, int64_t ts);
void report_reset_event(struct report_calc *c, const cJSON *ev, int64_t ts);
void report_agent_finish(struct report_calc *c);

/* report_avail.c: availability from the hourly counts. */
struct report_avail_calc {
	struct report *r;
	const struct fm_config *cfg;
	unsigned hours;  /* of the period */
	int *intervals;  /* per device and hour: the stored row's interval, 0 none */
	size_t last;     /* the device of the last row */
};
/* One entry per device of CFG into R; 0, or -1 when memory ran out. */
int report_avail_begin(struct report_avail_calc *a, struct report *r,
                       const struct fm_config *cfg);
/* One stored row (of a device of the config, in the period). */
void report_avail_row(struct report_avail_calc *a, const struct store_avail_row *row);
/* The scheduled polls and the shares. */
void report_avail_end(struct report_avail_calc *a);

/* report_build.c: frees R's arrays, not R. */
void report_free_figures(struct report *r);

/* report_sections.c: one section per control ID. 0, or -1 when memory
 * ran out. */
int report_sections_build(struct report *r, const struct engine *catalog);
void report_sections_free(struct report *r);
/* The order of control IDs: ISO's numbers first, then by prefix and number
 * ("7.11" < "8.15" < "実102" < "設46" < "設80"). */
int report_control_cmp(const char *a, const char *b);

/* report_time.c */
/* For the renderers: "2026-11-03 04:00:00 UTC"; the same moment in the
 * gateway's zone, "2026-11-03 13:00:00 JST"; as ISO 8601 with its offset,
 * "2026-11-03T13:00:00.000+09:00"; the zone then, "JST (UTC+09:00),
 * TZ=Asia/Tokyo"; a duration, "42 s", "12 min 05 s", "6 h 00 min",
 * "2 d 3 h 00 min" ("-" below 0). */
#define REPORT_TIME_LEN 64
void report_utc_text(int64_t ms, char *buf, size_t len);
void report_local_text(int64_t ms, char *buf, size_t len);
void report_local_iso(int64_t ms, char *buf, size_t len);
void report_zone_text(int64_t ms, char *buf, size_t len);
void report_duration_text(double s, char *buf, size_t len);

/* Makes room for one more item in *ITEMS (N used of *CAP, each SIZE
 * bytes): the new item, zeroed, or NULL when memory ran out. */
void *report_push(void *items, size_t *n, size_t *cap, size_t size);
#define REPORT_PUSH(arr, n, cap) report_push(&(arr), &(n), &(cap), sizeof *(arr))

/* An event's field as text ("" when absent or not a string), as a
 * number (DFLT when absent), as a time (0 when absent or no time). */
const char *report_text(const cJSON *o, const char *key);
double report_number(const cJSON *o, const char *key, double dflt);
int64_t report_time_of(const cJSON *o, const char *key);

#endif
