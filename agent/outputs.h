/* outputs.h - where the engine's output goes in the running agent.
 *
 * Owns: the fan-out of telemetry, device states, alert states and events to
 * every output: the log (always) and the MQTT broker (when there is one).
 * A new output (the store, a webhook) is one more call in each function.
 */
#ifndef FACMON_OUTPUTS_H
#define FACMON_OUTPUTS_H

#include "alerting/engine.h"
#include "alerting/mqtt.h"

/* The publisher to give engine_create; MQTT may be NULL (facmon once). */
struct eng_publisher outputs_publisher(struct fm_mqtt *mqtt);

#endif
