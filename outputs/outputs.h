/* outputs.h - where the engine's output goes in the running agent.
 *
 * Owns: the fan-out of telemetry, device states, alert states and events to
 * every output: the log (always), the store (events, written before they
 * are sent, and alert states) and the MQTT broker, events through the
 * outbox. Any may be absent (facmon once has none). A new output is one
 * more call in each function of outputs.c.
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

#include <stdbool.h>

#include "alerting/engine.h"
#include "outputs/mqtt.h"
#include "outputs/outbox.h"
#include "store/store.h"

struct outputs {
	struct fm_mqtt *mqtt;     /* NULL: no broker */
	struct fm_store *store;   /* NULL: no history */
	struct fm_outbox *outbox; /* with both */
	const struct fm_config *cfg;
	bool *telemetry_due;      /* per device: latest readings not yet sent */
};

/* The publisher to give engine_create; O must outlive the engine. */
struct eng_publisher outputs_publisher(struct outputs *o);

/* Sends the held-back telemetry of E's devices once the outbox is empty
 * and the broker connected; call after each turn of the loop. */
void outputs_release_telemetry(struct outputs *o, const struct engine *e);

#endif
