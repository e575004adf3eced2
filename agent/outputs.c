/* outputs.c - the engine's output fanned out to the log and MQTT. */
#include "agent/outputs.h"

#include <stdio.h>

#include "agent/log.h"
#include "alerting/payload.h"

static void out_telemetry(void *ctx, const struct eng_device *d)
{
	if (ctx)
		mqtt_publish_telemetry(ctx, d);
}

static void out_device_state(void *ctx, const struct eng_device *d, bool changed)
{
	const struct fm_dev_health *h = &d->health;
	enum fm_log_level lvl = h->state == FM_DEV_UP ? FM_LOG_INFO : FM_LOG_WARN;
	if (changed)
		LOG_AT(lvl, "device %s: %s%s%s%s", d->conf->name, dev_state_name(h->state),
		       h->error[0] ? " (" : "", h->error, h->error[0] ? ")" : "");
	if (ctx)
		mqtt_publish_device_state(ctx, d);
}

static void out_alert_state(void *ctx, const struct eng_alert *a)
{
	if (ctx)
		mqtt_publish_alert_state(ctx, a);
}

static void describe_value(const struct eng_alert *a, char *buf, size_t len)
{
	if (!a->rule)
		snprintf(buf, len, "%s", dev_state_name(a->device->health.state));
	else if (a->has_value)
		snprintf(buf, len, "%g", a->value);
	else
		snprintf(buf, len, "no value");
}

static void out_event(void *ctx, const struct eng_event *e)
{
	const struct eng_alert *a = e->alert;
	char point[FM_NAME_MAX * 2], value[64];
	payload_alert_point(a, point, sizeof point);
	describe_value(a, value, sizeof value);
	enum fm_log_level lvl = e->t.to == FM_ALERT_FIRING ? FM_LOG_WARN : FM_LOG_INFO;
	LOG_AT(lvl, "alert %s: %s -> %s (%s = %s, %s) seq=%llu", a->name,
	       alert_state_name(e->t.from), alert_state_name(e->t.to), point, value,
	       severity_name(a->severity), (unsigned long long)e->seq);
	if (ctx)
		mqtt_publish_event(ctx, e);
}

struct eng_publisher outputs_publisher(struct fm_mqtt *mqtt)
{
	return (struct eng_publisher){
		.telemetry = out_telemetry,
		.device_state = out_device_state,
		.alert_state = out_alert_state,
		.event = out_event,
		.ctx = mqtt,
	};
}
