/* payload.h - the JSON documents facmon publishes (SPEC: MQTT payloads).
 *
 * Owns: the exact shape of every payload, built with cJSON. Each function
 * returns a malloc'd NUL-terminated string the caller frees, or NULL when
 * memory ran out. Pure: the same state always gives the same text.
 */
#ifndef FACMON_PAYLOAD_H
#define FACMON_PAYLOAD_H

#include <stdint.h>

#include "alerting/engine.h"

char *payload_status_online(const char *version, int64_t started_wall_ms);
char *payload_status_offline(void);
char *payload_telemetry(const struct eng_device *d);
char *payload_device_state(const struct eng_device *d);
char *payload_alert_state(const struct eng_alert *a);
char *payload_event(const struct eng_event *e);

/* The "point" an alert is about: "<device>.<point>", or "<device>" for the
 * comm rule. */
void payload_alert_point(const struct eng_alert *a, char *buf, size_t len);

#endif
