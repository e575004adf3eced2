/* outputs.h - where the engine's output goes in the running agent.
 *
 * Owns: the fan-out of telemetry, device states, alert states and events to
 * every output: the log (always), the store (events, written before they
 * are published) and the MQTT broker. Either may be absent (facmon once has
 * neither). A new output is one more call in each function of outputs.c.
 */
#ifndef FACMON_OUTPUTS_H
#define FACMON_OUTPUTS_H

#include "alerting/engine.h"
#include "alerting/mqtt.h"
#include "alerting/store.h"

struct outputs {
	struct fm_mqtt *mqtt;   /* NULL: no broker */
	struct fm_store *store; /* NULL: no history */
};

/* The publisher to give engine_create; O must outlive the engine. */
struct eng_publisher outputs_publisher(struct outputs *o);

#endif
