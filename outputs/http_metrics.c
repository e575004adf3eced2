/* http_metrics.c - /metrics: the agent's state in Prometheus's text
 * exposition format (version 0.0.4).
 *
 * Owns: the metric names, their HELP and TYPE, their labels and how values
 * are written. Every family is written whole, HELP and TYPE first, then
 * its samples; label values are escaped (\\, \", \n). No sample carries a
 * timestamp: Prometheus stamps them with the scrape's time.
 *
 * A point with no current value (its device is down, its read failed or
 * gave no number, it is older than stale_after) is left out of facmon_point_value rather than
 * exported as NaN or as its last value: a series that stops is what
 * Prometheus calls stale, and a graph then shows a gap, never a flat line
 * of a value nobody read. facmon_device_up and the alerts say why.
 */
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outputs/http.h"
#include "outputs/mqtt.h"
#include "outputs/payload.h"

/* A growing text; OOM once anything failed to fit in memory. */
struct mtext {
	char *p;
	size_t len, cap;
	bool oom;
};

static bool mt_reserve(struct mtext *t, size_t more)
{
	if (t->oom)
		return false;
	if (t->len + more + 1 <= t->cap)
		return true;
	size_t cap = t->cap ? t->cap : 4096;
	while (cap < t->len + more + 1)
		cap *= 2;
	char *p = realloc(t->p, cap);
	if (!p) {
		t->oom = true;
		return false;
	}
	t->p = p;
	t->cap = cap;
	return true;
}

static void mt_put(struct mtext *t, const char *s, size_t n)
{
	if (!mt_reserve(t, n))
		return;
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

static void mt_str(struct mtext *t, const char *s)
{
	mt_put(t, s, strlen(s));
}

__attribute__((format(printf, 2, 3)))
static void mt_printf(struct mtext *t, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof buf) {
		mt_put(t, buf, (size_t)n);
		return;
	}
	if (!mt_reserve(t, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(t->p + t->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
}

/* A label value, escaped as the format wants. */
static void mt_escaped(struct mtext *t, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			mt_str(t, "\\\\");
		else if (*s == '"')
			mt_str(t, "\\\"");
		else if (*s == '\n')
			mt_str(t, "\\n");
		else
			mt_put(t, s, 1);
	}
}

/* A sample value written as cJSON writes a number, so that a value here
 * is the telemetry's on MQTT to the digit: 15 significant digits, 17 when
 * those do not read back within a unit in the last place (0.1 * 227 is
 * "22.7" in both); NaN, +Inf and -Inf as the format spells them. */
static void mt_value(struct mtext *t, double v)
{
	char buf[40];
	if (isnan(v)) {
		snprintf(buf, sizeof buf, "NaN");
	} else if (isinf(v)) {
		snprintf(buf, sizeof buf, "%sInf", v > 0 ? "+" : "-");
	} else {
		snprintf(buf, sizeof buf, "%1.15g", v);
		double back = strtod(buf, NULL);
		double scale = fabs(back) > fabs(v) ? fabs(back) : fabs(v);
		if (fabs(back - v) > scale * DBL_EPSILON)
			snprintf(buf, sizeof buf, "%1.17g", v);
	}
	mt_str(t, buf);
}

static void family(struct mtext *t, const char *name, const char *type, const char *help)
{
	mt_printf(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One label list, "{k1="v1",k2="v2"}", from NULL-terminated pairs. */
static void labels(struct mtext *t, const char *const *kv)
{
	mt_str(t, "{");
	for (size_t i = 0; kv[i]; i += 2) {
		mt_printf(t, "%s%s=\"", i ? "," : "", kv[i]);
		mt_escaped(t, kv[i + 1]);
		mt_str(t, "\"");
	}
	mt_str(t, "}");
}

static void sample(struct mtext *t, const char *name, const char *const *kv, double v)
{
	mt_str(t, name);
	if (kv && kv[0])
		labels(t, kv);
	mt_str(t, " ");
	mt_value(t, v);
	mt_str(t, "\n");
}

/* ---- the families ---- */

static void agent_metrics(struct mtext *t, const struct http_view *v)
{
	const struct fm_config *cfg = v->env->cfg;
	family(t, "facmon_info", "gauge", "The agent: its version, site and gateway (always 1).");
	sample(t, "facmon_info", (const char *const[]){"version", FACMON_VERSION, "site",
	       cfg->agent.site, "gateway", cfg->agent.name, NULL}, 1);
	family(t, "facmon_start_time_seconds", "gauge",
	       "When the agent started, in seconds since the epoch.");
	sample(t, "facmon_start_time_seconds", NULL, (double)v->env->started_wall_ms / 1000.0);
	family(t, "facmon_uptime_seconds", "gauge", "How long the agent has been running.");
	sample(t, "facmon_uptime_seconds", NULL,
	       (double)(v->now_wall - v->env->started_wall_ms) / 1000.0);
	family(t, "facmon_last_event_seq", "gauge",
	       "The seq of the last event the agent numbered (0: none yet).");
	sample(t, "facmon_last_event_seq", NULL, (double)http_last_seq(v));
	family(t, "facmon_broker_connected", "gauge",
	       "Whether the agent is connected to its MQTT broker (1) or not (0).");
	sample(t, "facmon_broker_connected", NULL,
	       v->env->mqtt && mqtt_connected(v->env->mqtt) ? 1 : 0);
	long depth = http_outbox_depth(v);
	family(t, "facmon_outbox_events", "gauge",
	       "Events stored and not yet acknowledged by the broker.");
	if (depth >= 0)
		sample(t, "facmon_outbox_events", NULL, (double)depth);
}

static void point_metrics(struct mtext *t, const struct http_view *v)
{
	const struct engine *e = v->env->engine;
	family(t, "facmon_point_value", "gauge",
	       "A point's current reading; absent while it has none (device down, read "
	       "failed, stale).");
	for (size_t i = 0; i < e->ndevices; i++) {
		const struct eng_device *d = &e->devices[i];
		for (size_t p = 0; p < d->conf->npoints; p++) {
			if (!http_point_current(d, p, v->now_mono))
				continue;
			const struct fm_point *pt = &d->conf->points[p];
			const char *kv[] = {"device", d->conf->name, "point", pt->name,
			                    "unit", pt->unit, pt->nslots ? "row" : NULL,
			                    pt->nslots ? d->rows[p].name : NULL, NULL};
			sample(t, "facmon_point_value", kv, d->values[p].value);
		}
	}
}

static void device_metrics(struct mtext *t, const struct http_view *v)
{
	static const enum fm_dev_state states[] = {FM_DEV_UNKNOWN, FM_DEV_UP,
	                                           FM_DEV_DEGRADED, FM_DEV_DOWN};
	const struct engine *e = v->env->engine;
	family(t, "facmon_device_up", "gauge",
	       "Whether the device answers its polls (1: up or degraded; 0: down or not yet known).");
	for (size_t i = 0; i < e->ndevices; i++) {
		enum fm_dev_state s = e->devices[i].health.state;
		sample(t, "facmon_device_up", (const char *const[]){"device",
		       e->devices[i].conf->name, NULL}, s == FM_DEV_UP || s == FM_DEV_DEGRADED);
	}
	family(t, "facmon_device_state", "gauge",
	       "The device's state: 1 for the state it is in, 0 for the others.");
	for (size_t i = 0; i < e->ndevices; i++)
		for (size_t s = 0; s < sizeof states / sizeof *states; s++)
			sample(t, "facmon_device_state", (const char *const[]){"device",
			       e->devices[i].conf->name, "state", dev_state_name(states[s]), NULL},
			       e->devices[i].health.state == states[s]);
	family(t, "facmon_device_last_poll_age_seconds", "gauge",
	       "Seconds since the device last answered a poll (absent before its first answer).");
	for (size_t i = 0; i < e->ndevices; i++) {
		const struct eng_device *d = &e->devices[i];
		int64_t age = v->now_wall - d->reading_wall_ms;
		if (d->has_reading)
			sample(t, "facmon_device_last_poll_age_seconds", (const char *const[]){
			       "device", d->conf->name, NULL}, age > 0 ? (double)age / 1000.0 : 0);
	}
}

static void bus_counter(struct mtext *t, const struct http_view *v, const char *name,
                        const char *help, size_t field)
{
	family(t, name, "counter", help);
	for (size_t b = 0; b < v->env->nbuses; b++) {
		const struct fm_bus_stats *st = &v->env->bus_stats[b];
		unsigned long n = field == 0 ? st->polls : field == 1 ? st->polls_failed
		                                                      : st->requests_failed;
		sample(t, name, (const char *const[]){"bus", st->name, NULL}, (double)n);
	}
}

static void bus_metrics(struct mtext *t, const struct http_view *v)
{
	const struct engine *e = v->env->engine;
	family(t, "facmon_bus_up", "gauge",
	       "Whether a serial line or TCP gateway works (1) or is down (0).");
	for (size_t b = 0; b < e->nbuses; b++)
		sample(t, "facmon_bus_up", (const char *const[]){"bus", e->buses[b].conf->name,
		       NULL}, !e->buses[b].down);
	if (!v->env->bus_stats)
		return;
	bus_counter(t, v, "facmon_bus_polls_total",
	            "Device polls on the bus that came back, since the agent started.", 0);
	bus_counter(t, v, "facmon_bus_polls_failed_total",
	            "Device polls on the bus of which no request was answered.", 1);
	bus_counter(t, v, "facmon_bus_requests_failed_total",
	            "Requests on the bus that failed, in all polls.", 2);
}

static void alert_metrics(struct mtext *t, const struct http_view *v)
{
	static const enum fm_alert_state states[] = {FM_ALERT_OK, FM_ALERT_PENDING,
	                                             FM_ALERT_FIRING, FM_ALERT_RESOLVED,
	                                             FM_ALERT_UNKNOWN};
	const struct engine *e = v->env->engine;
	family(t, "facmon_alert_firing", "gauge", "Whether the alert fires (1) or not (0).");
	for (size_t i = 0; i < e->nalerts; i++)
		if (e->alerts[i].name[0])
			sample(t, "facmon_alert_firing", (const char *const[]){"alert",
			       e->alerts[i].name, "severity", severity_name(e->alerts[i].severity),
			       NULL}, e->alerts[i].fsm.state == FM_ALERT_FIRING);
	family(t, "facmon_alert_state", "gauge",
	       "The alert's state: 1 for the state it is in, 0 for the others.");
	for (size_t i = 0; i < e->nalerts; i++)
		for (size_t s = 0; e->alerts[i].name[0] && s < sizeof states / sizeof *states; s++)
			sample(t, "facmon_alert_state", (const char *const[]){"alert",
			       e->alerts[i].name, "severity", severity_name(e->alerts[i].severity),
			       "state", alert_state_name(states[s]), NULL},
			       e->alerts[i].fsm.state == states[s]);
	family(t, "facmon_alert_acknowledged", "gauge",
	       "Whether an operator acknowledged the firing alert (1) or not (0).");
	for (size_t i = 0; i < e->nalerts; i++)
		if (e->alerts[i].name[0])
			sample(t, "facmon_alert_acknowledged", (const char *const[]){"alert",
			       e->alerts[i].name, NULL}, e->alerts[i].ack != NULL);
	family(t, "facmon_alert_since_timestamp_seconds", "gauge",
	       "When the alert's current state began, in seconds since the epoch.");
	for (size_t i = 0; i < e->nalerts; i++)
		if (e->alerts[i].name[0])
			sample(t, "facmon_alert_since_timestamp_seconds", (const char *const[]){
			       "alert", e->alerts[i].name, NULL},
			       (double)e->alerts[i].fsm.since_wall_ms / 1000.0);
}

char *http_metrics(const struct http_view *v, size_t *len)
{
	struct mtext t = {0};
	agent_metrics(&t, v);
	point_metrics(&t, v);
	device_metrics(&t, v);
	bus_metrics(&t, v);
	alert_metrics(&t, v);
	if (t.oom || !t.p) {
		free(t.p);
		return NULL;
	}
	*len = t.len;
	return t.p;
}
