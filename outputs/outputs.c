/* outputs.c - the engine's output fanned out to the log, the store (events
 * and alert states), the outbox and MQTT, and the outputs of registry.c
 * the config turns on (see outputs.h). */
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

/* Calls FIELD(self, ARGS...) on every started output that has it. */
#define EACH_SLOT(o, field, ...)                                                   \
	do {                                                                           \
		for (size_t i_ = 0; i_ < (o)->nslots; i_++)                               \
			if ((o)->slots[i_].ops->field)                                        \
				(o)->slots[i_].ops->field((o)->slots[i_].self, __VA_ARGS__);     \
	} while (0)

static void out_telemetry(void *ctx, const struct eng_device *d)
{
	struct outputs *o = ctx;
	EACH_SLOT(o, telemetry, d);
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
	EACH_SLOT(o, device_state, d, changed);
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
	EACH_SLOT(o, alert_state, a);
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
	if (e->kind == ENG_EVENT_ACK && a->ack)
		log_info("alert %s: acknowledged by %s%s%s seq=%llu", a->name, a->ack->by,
		         a->ack->comment[0] ? ": " : "", a->ack->comment,
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

/* ---- the outputs of registry.c ---- */

static bool slot_start(struct outputs *o, struct output_slot *slot,
                       const struct output_ops *ops, const struct output_env *env)
{
	char err[FM_TEXT_MAX * 2] = "";
	*slot = (struct output_slot){.ops = ops, .durable = ops->deliver != NULL};
	if (slot->durable && !o->store) {
		log_error("%s: needs the store to deliver events; not started", ops->name);
		return false;
	}
	slot->self = ops->create(env, err, sizeof err);
	if (!slot->self) {
		log_error("%s: %s; not started", ops->name, err[0] ? err : "out of memory");
		return false;
	}
	if (slot->durable && feed_open(&slot->feed, ops, slot->self, o->store, err,
	                               sizeof err) < 0) {
		log_error("%s: %s; not started", ops->name, err);
		ops->destroy(slot->self);
		return false;
	}
	log_info("%s: started", ops->name);
	return true;
}

void outputs_start(struct outputs *o, const struct output_env *env)
{
	size_t n = 0;
	while (output_registry[n])
		n++;
	o->slots = calloc(n + 1, sizeof *o->slots);
	o->nslots = 0;
	for (size_t i = 0; o->slots && i < n; i++) {
		const struct output_ops *ops = output_registry[i];
		if (ops->wanted(env->cfg) && slot_start(o, &o->slots[o->nslots], ops, env))
			o->nslots++;
	}
}

static struct output_slot *slot_of(struct outputs *o, const struct output_ops *ops)
{
	for (size_t i = 0; i < o->nslots; i++)
		if (o->slots[i].ops == ops)
			return &o->slots[i];
	return NULL;
}

void outputs_rebind(struct outputs *o, const struct output_env *env)
{
	char err[FM_TEXT_MAX * 2];
	size_t kept = 0;
	for (size_t i = 0; i < o->nslots; i++) {
		struct output_slot *slot = &o->slots[i];
		if (slot->ops->wanted(env->cfg)) {
			if (slot->ops->rebind)
				slot->ops->rebind(slot->self, env);
			o->slots[kept++] = *slot;
			continue;
		}
		log_info("%s: stopped (no longer in the config)", slot->ops->name);
		slot->ops->destroy(slot->self);
		if (slot->durable && store_cursor_forget(o->store, slot->ops->name, err,
		                                         sizeof err) < 0)
			log_warn("%s", err);
	}
	o->nslots = kept;
	for (size_t i = 0; o->slots && output_registry[i]; i++) {
		const struct output_ops *ops = output_registry[i];
		if (ops->wanted(env->cfg) && !slot_of(o, ops) &&
		    slot_start(o, &o->slots[o->nslots], ops, env))
			o->nslots++;
	}
}

void outputs_stop(struct outputs *o)
{
	for (size_t i = 0; i < o->nslots; i++)
		o->slots[i].ops->destroy(o->slots[i].self);
	free(o->slots);
	o->slots = NULL;
	o->nslots = 0;
}

void outputs_mqtt_session(struct outputs *o)
{
	for (size_t i = 0; i < o->nslots; i++)
		if (o->slots[i].ops->mqtt_session)
			o->slots[i].ops->mqtt_session(o->slots[i].self);
}

size_t outputs_pollfds(const struct outputs *o, struct pollfd *fds, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < o->nslots && n < max; i++) {
		int fd = o->slots[i].ops->fd ? o->slots[i].ops->fd(o->slots[i].self) : -1;
		fds[n++] = (struct pollfd){.fd = fd, .events = POLLIN};
	}
	return n;
}

void outputs_handle(struct outputs *o, const struct pollfd *fds, size_t n, int64_t now)
{
	for (size_t i = 0; i < o->nslots && i < n; i++)
		if (fds[i].fd >= 0 && fds[i].revents && o->slots[i].ops->handle)
			o->slots[i].ops->handle(o->slots[i].self, now);
}

int64_t outputs_service(struct outputs *o, int64_t now)
{
	int64_t next = INT64_MAX;
	for (size_t i = 0; i < o->nslots; i++) {
		struct output_slot *slot = &o->slots[i];
		if (slot->ops->service) {
			int64_t t = slot->ops->service(slot->self, now);
			next = t < next ? t : next;
		}
		if (slot->durable) {
			int64_t t = feed_service(&slot->feed, now);
			next = t < next ? t : next;
		}
	}
	return next;
}
