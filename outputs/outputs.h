/* outputs.h - where the engine's output goes in the running agent.
 *
 * Owns: the fan-out of telemetry, device states, alert states and events to
 * every output: the log (always), the store (events, written before they
 * are sent, and alert states) and the MQTT broker, events through the
 * outbox; and the outputs of outputs/registry.c the config turns on
 * (output.h), each told as it happens, the durable ones fed the stored
 * events from their own cursors (feed.c). Any may be absent (facmon once
 * has none).
 *
 * Alerts first: while the outbox holds events (the broker is away, or a
 * backlog is being delivered), telemetry is not sent; each device's latest
 * readings go out once the outbox is empty (outputs_release_telemetry).
 * Nothing else of the telemetry is kept: a dashboard gets the present, not
 * the readings it missed.
 *
 * Folder outputs/ owns who is told: the fan-out (outputs.c), the MQTT
 * connection and its topics (mqtt.c, mqtt_secure.c), the JSON documents
 * (payload.c), operators' commands arriving over MQTT (command.c), and
 * the outbox that delivers stored events in seq order (outbox.c). A new
 * output is one file here. Uses store/, alerting/, collectors/, config/
 * and base/.
 */
#ifndef FACMON_OUTPUTS_H
#define FACMON_OUTPUTS_H

#include <poll.h>
#include <stdbool.h>

#include "alerting/engine.h"
#include "outputs/feed.h"
#include "outputs/mqtt.h"
#include "outputs/outbox.h"
#include "outputs/output.h"
#include "store/store.h"

/* One output of outputs/registry.c that the config turns on. */
struct output_slot {
	const struct output_ops *ops;
	void *self;
	bool durable;     /* fed the stored events (FEED) */
	struct feed feed;
};

struct outputs {
	struct fm_mqtt *mqtt;     /* NULL: no broker */
	struct fm_store *store;   /* NULL: no history */
	struct fm_outbox *outbox; /* with both */
	const struct fm_config *cfg;
	bool *telemetry_due;      /* per device: latest readings not yet sent */
	struct output_slot *slots; /* the outputs beyond MQTT's topics */
	size_t nslots;
};

/* The publisher to give engine_create; O must outlive the engine. */
struct eng_publisher outputs_publisher(struct outputs *o);

/* Sends the held-back telemetry of E's devices once the outbox is empty
 * and the broker connected; call after each turn of the loop. */
void outputs_release_telemetry(struct outputs *o, const struct engine *e);

/* Starts the outputs ENV->cfg turns on (a durable one needs O->store); an
 * output that cannot start is logged and left out, the others go on. */
void outputs_start(struct outputs *o, const struct output_env *env);
/* A reload: stops the outputs the new config turns off (forgetting their
 * cursors), starts the ones it turns on, rebinds the rest. */
void outputs_rebind(struct outputs *o, const struct output_env *env);
void outputs_stop(struct outputs *o);
/* A new session on the broker connection: the outputs that publish on it
 * send their retained documents again. */
void outputs_mqtt_session(struct outputs *o);

/* Event-loop integration: up to MAX descriptors into FDS (how many), the
 * work when they are readable (FDS as poll() returned them, N of them),
 * and the timed work, returning when it next needs to run. */
size_t outputs_pollfds(const struct outputs *o, struct pollfd *fds, size_t max);
void outputs_handle(struct outputs *o, const struct pollfd *fds, size_t n, int64_t now_mono);
int64_t outputs_service(struct outputs *o, int64_t now_mono);

#endif
