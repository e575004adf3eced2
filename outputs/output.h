/* output.h - the interface every output beyond facmon's own MQTT topics
 * implements (Alertmanager, the exec notifier, Home Assistant discovery,
 * Sparkplug B, the HTTP endpoint).
 *
 * Owns: what an output is told and how the event loop drives it. An
 * output is a file in outputs/ that fills a struct output_ops, plus one
 * line in outputs/registry.c; its config is a group of `outputs`
 * (config/load_outputs.c).
 *
 * Told as it happens, on the loop thread, never blocking: telemetry,
 * device states, alert states, a new session on the agent's broker
 * connection. An output that delivers events (durable: Alertmanager, exec)
 * is fed instead the stored events in seq order from its own cursor in the
 * store (outputs/feed.c): one at a time, the next only after the last was
 * done, again after a failure, so that an output that is away loses
 * nothing and delays nothing else. Blocking work (an HTTP request, a
 * child process) runs on the output's own thread (outputs/job_thread.h),
 * whose eventfd the loop polls.
 */
#ifndef FACMON_OUTPUT_H
#define FACMON_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>

#include "alerting/engine.h"
#include "config/config.h"

struct fm_mqtt;

struct fm_store;
struct fm_bus_stats;

/* What an output may use. ENGINE is read-only to it (the present state:
 * which alerts fire, each device's points) and is replaced by a reload
 * (rebind), as are BUS_STATS (the agent's counters per bus of CFG, NBUSES
 * of them: outputs/payload.h). STORE (NULL: none) is for reading; the
 * durable outputs' cursors are outputs.c's business. */
struct output_env {
	const struct fm_config *cfg;
	struct fm_mqtt *mqtt;
	const struct engine *engine;
	struct fm_store *store;
	const struct fm_bus_stats *bus_stats;
	size_t nbuses;
	int64_t started_wall_ms;   /* when the agent started */
};

/* The result of delivering one event. */
enum output_result {
	OUTPUT_BUSY,   /* still working on it */
	OUTPUT_DONE,   /* delivered: the cursor moves past it */
	OUTPUT_FAILED, /* not delivered: the same event again after a back-off */
};

struct output_ops {
	const char *name; /* "alertmanager": its config group and its cursor */
	/* whether CFG turns it on */
	bool (*wanted)(const struct fm_config *cfg);
	void *(*create)(const struct output_env *env, char *err, size_t errlen);
	void (*destroy)(void *self);
	/* a reload: the new config and engine (and perhaps a new connection) */
	void (*rebind)(void *self, const struct output_env *env);

	/* the engine's output, as it happens; any may be NULL */
	void (*telemetry)(void *self, const struct eng_device *d);
	void (*device_state)(void *self, const struct eng_device *d, bool changed);
	void (*alert_state)(void *self, const struct eng_alert *a);
	/* a new session on the agent's broker connection */
	void (*mqtt_session)(void *self);

	/* durable outputs: start delivering event SEQ (DOCUMENT, as stored);
	 * NULL for the others */
	void (*deliver)(void *self, uint64_t seq, const char *document);
	/* how the delivery started last goes; WHY says a failure */
	enum output_result (*delivered)(void *self, char *why, size_t len);

	/* the loop: a descriptor to poll for reading (-1: none), work when it
	 * is readable, and timed work returning when it next needs to run
	 * (INT64_MAX: not before an event); any may be NULL */
	int (*fd)(void *self);
	void (*handle)(void *self, int64_t now_mono);
	int64_t (*service)(void *self, int64_t now_mono);
};

/* The outputs there are (registry.c), NULL-terminated. */
extern const struct output_ops *const output_registry[];

#endif
