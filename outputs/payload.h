/* payload.h - the JSON documents facmon publishes (docs/mqtt.md: payloads).
 *
 * Owns: the exact shape of every payload, built with cJSON. Each function
 * returns a malloc'd NUL-terminated string the caller frees, or NULL when
 * memory ran out. Pure: the same state always gives the same text.
 */
#ifndef FACMON_PAYLOAD_H
#define FACMON_PAYLOAD_H

#include <stdint.h>

#include "alerting/engine.h"
#include "config/config.h"

/* One bus's counters since the agent started, for the heartbeat. */
struct fm_bus_stats {
	char name[FM_NAME_MAX];
	unsigned long polls;           /* device polls that came back */
	unsigned long polls_failed;    /* of which no request was answered */
	unsigned long requests_failed; /* requests that failed, all polls */
	int64_t last_result_mono_ms;   /* the loop last took one of its poll results
	                                * (its start, before the first): not published */
};

/* R/status while running: the heartbeat (every minute and on every new
 * connection). */
struct fm_status {
	const char *version;
	int64_t started_wall_ms;
	int64_t now_wall_ms;
	const char *config_sha256;     /* "" when unknown */
	/* the history's head: the last stored event and its chain hash, so
	 * that a history rewritten whole shows against the broker's record */
	uint64_t chain_seq;
	char chain_hash[65];           /* "" when unknown */
	const struct fm_bus_stats *buses;
	size_t nbuses;
	/* the loop's work on poll results since the start: how many, and the
	 * CPU time it took (what one poll cycle costs, apart from waiting) */
	unsigned long loop_results;
	double loop_cpu_ms;
};

char *payload_status_online(const struct fm_status *st);
char *payload_status_offline(void);
char *payload_telemetry(const struct eng_device *d);
char *payload_device_state(const struct eng_device *d);
char *payload_alert_state(const struct eng_alert *a);
char *payload_event(const struct eng_event *e);
/* One sentence on a store reset, for the event's "detail" and the log. */
void payload_store_reset_text(const struct eng_store_reset *r, char *buf, size_t len);

/* A hash of the names D's points are published under: it changes when a
 * slot of a walked column is named after the row it found (the outputs
 * that announce points announce them again). */
uint64_t payload_point_names_hash(const struct eng_device *d);
/* Into the object O: "acked" always, and once acknowledged "ack" with who
 * ("by"), when ("at") and why ("comment", when given): as alert states and
 * events carry it. */
struct cJSON;
void payload_add_ack(struct cJSON *o, const struct eng_alert *a);

/* The "point" an alert is about: "<device>.<point>", or "<device>" for the
 * comm rule. */
void payload_alert_point(const struct eng_alert *a, char *buf, size_t len);

#endif
