/* outputs.c - the engine's output fanned out to the log, the store (events
 * and alert states), the outbox and MQTT. */
#include "outputs/outputs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "outputs/payload.h"

/* Whether telemetry may go out now: connected, and no event waiting. */
static bool telemetry_may_go(const struct outputs *o)
{
	return o->mqtt && mqtt_connected(o->mqtt) &&
	       (!o->outbox || outbox_pending(o->outbox) == 0);
}

static void out_telemetry(void *ctx, const struct eng_device *d)
{
	struct outputs *o = ctx;
	if (telemetry_may_go(o))
		mqtt_publish_telemetry(o->mqtt, d);
	else if (o->telemetry_due)
		o->telemetry_due[d->conf - o->cfg->devices] = true;
}

void outputs_release_telemetry(struct outputs *o, const struct engine *e)
{
	if (!o->telemetry_due || !telemetry_may_go(o))
		return;
	for (size_t i = 0; i < e->ndevices; i++)
		if (o->telemetry_due[i]) {
			o->telemetry_due[i] = false;
			mqtt_publish_telemetry(o->mqtt, &e->devices[i]);
		}
}

static void out_device_state(void *ctx, const struct eng_device *d, bool changed)
{
	const struct fm_dev_health *h = &d->health;
	enum fm_log_level lvl = h->state == FM_DEV_UP ? FM_LOG_INFO : FM_LOG_WARN;
	if (changed)
		LOG_AT(lvl, "device %s: %s%s%s%s", d->conf->name, dev_state_name(h->state),
		       h->error[0] ? " (" : "", h->error, h->error[0] ? ")" : "");
	struct outputs *o = ctx;
	if (o->mqtt)
		mqtt_publish_device_state(o->mqtt, d);
}

static void out_alert_state(void *ctx, const struct eng_alert *a)
{
	struct outputs *o = ctx;
	if (a->held_flapping)
		log_warn("alert %s: flapping (fired %d times within %d min): it stays firing "
		         "until its condition has been clear for %d min", a->name,
		         ALERT_FLAP_FIRES, ALERT_FLAP_WINDOW_MS / 60000,
		         ALERT_FLAP_WINDOW_MS / 60000);
	char err[FM_TEXT_MAX * 2];
	if (o->store && store_save_alert(o->store, a, err, sizeof err) < 0)
		log_error("store: %s", err);
	if (o->mqtt)
		mqtt_publish_alert_state(o->mqtt, a);
}

static void describe_value(const struct eng_alert *a, char *buf, size_t len)
{
	if (a->kind == ENG_ALERT_COMM)
		snprintf(buf, len, "%s", dev_state_name(a->device->health.state));
	else if (a->detail[0])
		snprintf(buf, len, "%s", a->detail);
	else if (a->has_value && a->nterms && a->terms[0].cond->kind == FM_RULE_RISE)
		snprintf(buf, len, "rose by %g within %d s", a->value, a->terms[0].cond->within);
	else if (a->has_value && a->nterms && a->terms[0].cond->kind == FM_RULE_FALL)
		snprintf(buf, len, "fell by %g within %d s", a->value, a->terms[0].cond->within);
	else if (a->has_value)
		snprintf(buf, len, "%g", a->value);
	else
		snprintf(buf, len, "no value");
}

/* A notice's line: "facmon.silence: set (id 3, match room-*, ...) seq=12". */
static void log_notice(const struct eng_event *e)
{
	const struct eng_notice *n = e->notice;
	char fields[FM_TEXT_MAX * 4] = "";
	size_t len = 0;
	for (size_t i = 0; i < n->nfields && len < sizeof fields; i++) {
		const struct eng_field *f = &n->fields[i];
		if (f->text && !f->text[0])
			continue;
		int w = f->text ? snprintf(fields + len, sizeof fields - len, "%s%s %s",
		                           len ? ", " : "", f->key, f->text)
		                : snprintf(fields + len, sizeof fields - len, "%s%s %g",
		                           len ? ", " : "", f->key, f->number);
		len += w > 0 ? (size_t)w : 0;
	}
	enum fm_log_level lvl = e->kind == ENG_EVENT_COMMAND ||
	                                (e->kind == ENG_EVENT_CONFIG &&
	                                 strcmp(n->action, "rejected") == 0) ||
	                                strcmp(n->action, "unclean_stop") == 0
	                            ? FM_LOG_WARN : FM_LOG_INFO;
	LOG_AT(lvl, "%s: %s%s%s%s seq=%llu", n->subject, n->action, len ? " (" : "", fields,
	       len ? ")" : "", (unsigned long long)e->seq);
}

/* The log line of an event: an alert's transition or ack, a store reset,
 * or a notice. */
static void log_event(const struct eng_event *e)
{
	const struct eng_alert *a = e->alert;
	char point[FM_NAME_MAX * 2], value[FM_TEXT_MAX * 4];
	if (e->kind == ENG_EVENT_STORE) {
		payload_store_reset_text(e->reset, value, sizeof value);
		log_error("%s: history reset: %s seq=%llu", ENG_STORE_EVENT_NAME, value,
		          (unsigned long long)e->seq);
		return;
	}
	if (e->notice) {
		log_notice(e);
		return;
	}
	payload_alert_point(a, point, sizeof point);
	describe_value(a, value, sizeof value);
	enum fm_log_level lvl = e->t.to == FM_ALERT_FIRING && e->kind == ENG_EVENT_TRANSITION
	                            ? FM_LOG_WARN : FM_LOG_INFO;
	if (e->kind == ENG_EVENT_ACK)
		log_info("alert %s: acknowledged by %s%s%s seq=%llu", a->name, a->acked_by,
		         a->ack_comment[0] ? ": " : "", a->ack_comment,
		         (unsigned long long)e->seq);
	else
		LOG_AT(lvl, "alert %s: %s -> %s (%s = %s, %s)%s seq=%llu", a->name,
		       alert_state_name(e->t.from), alert_state_name(e->t.to), point, value,
		       severity_name(a->severity), a->silence ? " silenced" : "",
		       (unsigned long long)e->seq);
}

/* Stored, sealed into the chain and queued for the outbox; or, when the
 * store fails, sent as it is (it then carries no hash). */
static void out_event(void *ctx, const struct eng_event *e)
{
	log_event(e);
	struct outputs *o = ctx;
	char *json = payload_event(e);
	if (!json) {
		log_error("%s: out of memory building event seq=%llu", eng_event_subject(e),
		          (unsigned long long)e->seq);
		return;
	}
	char err[FM_TEXT_MAX * 2], *sealed = NULL;
	int mid;
	if (o->store && store_record_event(o->store, json, &sealed, err, sizeof err) == 0) {
		if (o->outbox)
			outbox_added(o->outbox, e->seq);
	} else if (o->mqtt) {
		if (o->store)
			log_error("store: %s (sending it without the outbox)", err);
		if (mqtt_send_event(o->mqtt, json, &mid) < 0)
			log_error("%s: event seq=%llu is lost: not stored, and the broker "
			          "is away", eng_event_subject(e), (unsigned long long)e->seq);
	}
	free(sealed);
	free(json);
}

struct eng_publisher outputs_publisher(struct outputs *o)
{
	return (struct eng_publisher){
		.telemetry = out_telemetry,
		.device_state = out_device_state,
		.alert_state = out_alert_state,
		.event = out_event,
		.ctx = o,
	};
}
