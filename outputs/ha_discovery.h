/* ha_discovery.h - the Home Assistant MQTT discovery documents
 * (docs/home-assistant.md), for outputs/homeassistant.c.
 *
 * Owns: which entities facmon offers Home Assistant and exactly what each
 * one's retained discovery config says: the topic
 * <prefix>/<component>/<node_id>/<object_id>/config and the JSON (its
 * unique_id, device_class, unit, state_class, state topic and the
 * template that reads its value from facmon's own retained topics, the
 * availability tied to R/status, the HA device it belongs to). Pure: the
 * same config and engine always give the same list, in the same order.
 */
#ifndef FACMON_HA_DISCOVERY_H
#define FACMON_HA_DISCOVERY_H

#include <stddef.h>

#include "alerting/engine.h"
#include "config/config.h"

/* One entity's discovery config. */
struct ha_doc {
	char *topic;   /* <prefix>/<component>/<node_id>/<object_id>/config */
	char *payload; /* its JSON */
};

struct ha_docs {
	struct ha_doc *items;
	size_t count;
	size_t skipped; /* entities left out: their topic was another's */
};

/* Every entity of CFG and E: the gateway's status, and per device its
 * points and its communication state, and every named alert; ROOT is
 * facmon's topic root R. 0, or -1 when memory ran out (DOCS then holds
 * what was built, to be freed). */
int ha_docs_build(const struct fm_config *cfg, const struct engine *e, const char *root,
                  struct ha_docs *docs);
void ha_docs_free(struct ha_docs *docs);

/* The discovery topic of alert A, to tell whether it is one of those
 * offered yet (an alert named after a row found at run time). */
void ha_alert_topic(const struct fm_config *cfg, const struct eng_alert *a, char *buf,
                    size_t len);

#endif
