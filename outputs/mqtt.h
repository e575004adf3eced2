/* mqtt.h - publishing facmon's topics to an MQTT broker (libmosquitto).
 *
 * Owns: the broker connection (driven by the agent's event loop through
 * libmosquitto's external-loop calls, never a thread of its own), the
 * reconnect back-off, the last will, and the topic layout of docs/mqtt.md:
 *   R/status, R/telemetry/<device>, R/device/<device>/state,
 *   R/alert/<rule>, R/events        with R = <prefix>/<site>/<name>,
 * and the operators' commands it subscribes to: R/cmd/ack, R/cmd/silence.
 */
#ifndef FACMON_MQTT_H
#define FACMON_MQTT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alerting/engine.h"
#include "config/config.h"

struct fm_mqtt;

/* Sets the client up (id, credentials, will); connects on mqtt_service(). */
struct fm_mqtt *mqtt_create(const struct fm_config *cfg, char *err, size_t errlen);
void mqtt_destroy(struct fm_mqtt *m);
/* A reload with the same broker settings: the client now reads them from
 * CFG (the old config is about to be freed). */
void mqtt_rebind_config(struct fm_mqtt *m, const struct fm_config *cfg);

/* Event-loop integration: the socket to watch (-1 while disconnected),
 * whether it has data to write, I/O on it, and the periodic work (keepalive,
 * reconnecting when due). mqtt_service returns the monotonic time it next
 * needs to run. */
int mqtt_fd(struct fm_mqtt *m);
bool mqtt_want_write(struct fm_mqtt *m);
void mqtt_handle_io(struct fm_mqtt *m, bool readable, bool writable, int64_t now_mono);
int64_t mqtt_service(struct fm_mqtt *m, int64_t now_mono);

/* True once after each successful (re)connection: the caller then
 * republishes every retained state so dashboards show the truth. */
bool mqtt_take_new_session(struct fm_mqtt *m);
bool mqtt_connected(const struct fm_mqtt *m);

/* R/status online, with the heartbeat ST (outputs/payload.h). */
struct fm_status;
void mqtt_publish_online(struct fm_mqtt *m, const struct fm_status *st);
/* Publishes the offline status, waits up to TIMEOUT_MS for it to leave,
 * and disconnects cleanly (no last will). */
void mqtt_shutdown(struct fm_mqtt *m, int timeout_ms);

/* Operators' commands: each valid, non-retained message on R/cmd/ack or
 * R/cmd/silence is parsed (outputs/command.h) and passed to FN, on the
 * loop thread, inside mqtt_handle_io(); CMD lives only for the call.
 * Malformed and retained ones are logged and dropped, never passed on. */
struct fm_cmd;
void mqtt_set_command_handler(struct fm_mqtt *m,
                              void (*fn)(void *ctx, const struct fm_cmd *cmd), void *ctx);

/* The engine's output, sent to the broker. */
void mqtt_publish_telemetry(struct fm_mqtt *m, const struct eng_device *d);
void mqtt_publish_device_state(struct fm_mqtt *m, const struct eng_device *d);
void mqtt_publish_alert_state(struct fm_mqtt *m, const struct eng_alert *a);
/* A reload removed an alert, or a device: their retained topics are
 * cleared, so dashboards do not show a ghost (only while connected; a
 * broker that was away keeps them until someone clears them). */
void mqtt_forget_alert(struct fm_mqtt *m, const char *name);
void mqtt_forget_device(struct fm_mqtt *m, const char *name);

/* Sends one event (PAYLOAD as built by payload_event()) on R/events, QoS
 * 1, when connected: 0 with its message id in *MID, whose PUBACK goes to
 * the handler below; -1 when not connected or refused (the outbox keeps
 * it and tries again after the next connection). */
int mqtt_send_event(struct fm_mqtt *m, const char *payload, int *mid);
void mqtt_set_puback_handler(struct fm_mqtt *m, void (*fn)(void *ctx, int mid), void *ctx);

/* For the outputs that publish on this connection (Home Assistant
 * discovery): LEN bytes of PAYLOAD on TOPIC, while connected; 0, or -1
 * (not connected, or refused: logged). */
int mqtt_publish_raw(struct fm_mqtt *m, const char *topic, const void *payload,
                     size_t len, int qos, bool retain);
/* R: "<topic_prefix>/<site>/<name>". */
const char *mqtt_root(const struct fm_mqtt *m);

/* Self-health: the monotonic time since which the broker has been
 * unreachable (not connected, as seen by mqtt_service / mqtt_handle_io),
 * 0 while connected and before the first mqtt_service(). */
int64_t mqtt_unreachable_since_ms(const struct fm_mqtt *m);

#endif
