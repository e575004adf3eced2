/* am_alert.h - facmon's alerts as Alertmanager's (API v2, POST /api/v2/alerts).
 *
 * Owns: the mapping of an alert to Alertmanager's labels and annotations,
 * from the documents facmon already has: a stored transition event (the
 * durable path) or an alert state (the re-post of what fires now). Both
 * give the same labels for the same alert, since Alertmanager tells one
 * alert from another by its labels alone. Pure: no I/O, no clock.
 *
 * Labels: alertname (the alert's name: the rule, "<device>.comm",
 * "<bus>.bus", "facmon.*"), severity, device and point (a rule's or a
 * sensor fault's: "rack-a" and "temperature"; a comm alert's device),
 * site and gateway (agent.site, agent.name), location and owner (where
 * set), controls (comma-joined, where the alert has any).
 * Annotations: summary (one sentence), value (with its unit), runbook,
 * detail (fault, bus and self-health alerts: why), silenced (facmon's
 * silence covering it), acked_by (an acknowledged alert's re-post).
 */
#ifndef FACMON_AM_ALERT_H
#define FACMON_AM_ALERT_H

#include <cjson/cJSON.h>

#include "config/config.h"

/* What a transition is to Alertmanager. */
enum am_phase {
	AM_NONE,     /* nothing: another type of event, or another state */
	AM_FIRING,   /* the alert fires (from ok, pending, resolved or unknown) */
	AM_RESOLVED, /* the alert resolved */
};

/* What DOC (an event document) is to Alertmanager. */
enum am_phase am_event_phase(const cJSON *doc);

/* DOC's alert (an event or an alert state document) as one element of
 * the array POST /api/v2/alerts takes, in PHASE, with startsAt STARTS and
 * endsAt ENDS (RFC 3339; NULL or "": left out). CFG gives the site,
 * the gateway and the points' units. NULL when memory ran out. */
cJSON *am_alert(const cJSON *doc, const struct fm_config *cfg, enum am_phase phase,
                const char *starts, const char *ends);

#endif
