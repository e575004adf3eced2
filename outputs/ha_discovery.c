/* ha_discovery.c - building Home Assistant's discovery configs (see
 * ha_discovery.h).
 *
 * Entities read facmon's retained topics, never topics of their own: a
 * point's sensor reads R/telemetry/<device> (its "v"), a device's
 * connectivity reads R/device/<device>/state, an alert's problem sensor
 * reads R/alert/<alert>. A value facmon does not have (a device down, a
 * point the last poll could not read, an alert still unknown) renders as
 * None, which Home Assistant shows as unknown, never as 0 or off.
 *
 * Names: node_id is facmon_<site>_<name>; object ids are
 * <device>_<point>, <device>_connectivity, alert_<alert> and status
 * (characters outside A-Z a-z 0-9 _ - as '_'). unique_ids are
 * facmon.<site>.<name>.<kind>.<...>, which no two entities share (no name
 * holds a '.', but an alert's, which comes last) and which do not change
 * across restarts.
 */
#include "outputs/ha_discovery.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HA_TOPIC_MAX (FM_TEXT_MAX + 3 * FM_NAME_MAX + 64)
#define HA_ID_MAX (4 * FM_NAME_MAX + 32)
#define HA_TEMPLATE_MAX 512

/* What Home Assistant is told of a unit facmon's profiles use. */
struct ha_unit {
	const char *unit;         /* facmon's */
	const char *ha_unit;      /* Home Assistant's spelling */
	const char *device_class; /* NULL: none fits */
	const char *state_class;
};

static const struct ha_unit ha_units[] = {
	{"degC", "°C", "temperature", "measurement"},
	{"degF", "°F", "temperature", "measurement"},
	{"K", "K", "temperature", "measurement"},
	{"%RH", "%", "humidity", "measurement"},
	{"V", "V", "voltage", "measurement"},
	{"mV", "mV", "voltage", "measurement"},
	{"A", "A", "current", "measurement"},
	{"mA", "mA", "current", "measurement"},
	{"uA", "µA", NULL, "measurement"},
	{"W", "W", "power", "measurement"},
	{"kW", "kW", "power", "measurement"},
	{"VA", "VA", "apparent_power", "measurement"},
	{"kVA", "kVA", "apparent_power", "measurement"},
	{"var", "var", "reactive_power", "measurement"},
	{"Wh", "Wh", "energy", "total_increasing"},
	{"kWh", "kWh", "energy", "total_increasing"},
	{"MWh", "MWh", "energy", "total_increasing"},
	{"Hz", "Hz", "frequency", "measurement"},
	{"s", "s", "duration", "measurement"},
	{"min", "min", "duration", "measurement"},
	{"h", "h", "duration", "measurement"},
	{"Pa", "Pa", "pressure", "measurement"},
	{"hPa", "hPa", "pressure", "measurement"},
	{"kPa", "kPa", "pressure", "measurement"},
	{"bar", "bar", "pressure", "measurement"},
	{"m", "m", "distance", "measurement"},
	{"ohm", "Ω", NULL, "measurement"},
};

/* A binary point's device_class by what its name says it is. */
static const struct {
	const char *word;
	const char *device_class;
} ha_contacts[] = {
	{"leak", "moisture"}, {"water", "moisture"}, {"flood", "moisture"},
	{"smoke", "smoke"},   {"fire", "smoke"},    {"door", "door"},
	{"window", "window"}, {"alarm", "problem"}, {"fault", "problem"},
	{"mains", "power"},
};

/* ---- names ---- */

static void object_id(char *buf, size_t len, const char *a, const char *b)
{
	snprintf(buf, len, "%s%s%s", a, b ? "_" : "", b ? b : "");
	for (char *c = buf; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '_' || *c == '-'))
			*c = '_';
}

static void discovery_topic(const struct fm_config *cfg, const char *component,
                            const char *object, char *buf, size_t len)
{
	snprintf(buf, len, "%.100s/%s/facmon_%s_%s/%.128s/config",
	         cfg->outputs.homeassistant.prefix, component, cfg->agent.site, cfg->agent.name,
	         object);
}

static void unique_id(const struct fm_config *cfg, char *buf, size_t len,
                      const char *kind, const char *a, const char *b)
{
	snprintf(buf, len, "facmon.%s.%s.%s%s%s%s%s", cfg->agent.site, cfg->agent.name, kind,
	         a ? "." : "", a ? a : "", b ? "." : "", b ? b : "");
}

/* The HA device identifier of the gateway (DEVICE NULL) or of DEVICE. */
static void device_id(const struct fm_config *cfg, const char *device, char *buf,
                      size_t len)
{
	snprintf(buf, len, "facmon:%s:%s%s%s", cfg->agent.site, cfg->agent.name,
	         device ? ":" : "", device ? device : "");
}

/* A name that can stand between single quotes in a template. */
static bool template_safe(const char *name)
{
	return name[0] && !strpbrk(name, "'\\{}%\n");
}

/* ---- the parts every config has ---- */

static void add_device(cJSON *o, const struct fm_config *cfg, const struct fm_device *d)
{
	char id[HA_ID_MAX];
	cJSON *dev = cJSON_AddObjectToObject(o, "device");
	cJSON *ids = cJSON_AddArrayToObject(dev, "identifiers");
	device_id(cfg, d ? d->name : NULL, id, sizeof id);
	cJSON_AddItemToArray(ids, cJSON_CreateString(id));
	if (!d) {
		cJSON_AddStringToObject(dev, "name", cfg->agent.name);
		cJSON_AddStringToObject(dev, "manufacturer", "facmon");
		cJSON_AddStringToObject(dev, "model", "facmon gateway");
		cJSON_AddStringToObject(dev, "sw_version", FACMON_VERSION);
		return;
	}
	cJSON_AddStringToObject(dev, "name", d->name);
	cJSON_AddStringToObject(dev, "model", d->about.model[0] ? d->about.model
	                                      : d->kind == FM_DEVICE_SNMP ? "SNMP device"
	                                                                  : "Modbus device");
	if (d->about.manufacturer[0])
		cJSON_AddStringToObject(dev, "manufacturer", d->about.manufacturer);
	device_id(cfg, NULL, id, sizeof id);
	cJSON_AddStringToObject(dev, "via_device", id);
}

/* Available while facmon says R/status online. */
static void add_availability(cJSON *o, const char *root)
{
	char t[HA_TOPIC_MAX];
	snprintf(t, sizeof t, "%s/status", root);
	cJSON *list = cJSON_AddArrayToObject(o, "availability");
	cJSON *a = cJSON_CreateObject();
	cJSON_AddStringToObject(a, "topic", t);
	cJSON_AddStringToObject(a, "value_template", "{{ value_json.state }}");
	cJSON_AddStringToObject(a, "payload_available", "online");
	cJSON_AddStringToObject(a, "payload_not_available", "offline");
	cJSON_AddItemToArray(list, a);
}

/* An entity's config with the fields all have. */
static cJSON *entity(const char *name, const char *uid, const char *state_topic)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddStringToObject(o, "unique_id", uid);
	cJSON_AddStringToObject(o, "state_topic", state_topic);
	cJSON *origin = cJSON_AddObjectToObject(o, "origin");
	cJSON_AddStringToObject(origin, "name", "facmon");
	cJSON_AddStringToObject(origin, "sw_version", FACMON_VERSION);
	return o;
}

/* Appends O (freed) as TOPIC's config; a topic already used is skipped. */
static int push(struct ha_docs *docs, const char *topic, cJSON *o)
{
	for (size_t i = 0; i < docs->count; i++)
		if (strcmp(docs->items[i].topic, topic) == 0) {
			docs->skipped++;
			cJSON_Delete(o);
			return 0;
		}
	struct ha_doc *items = realloc(docs->items, (docs->count + 1) * sizeof *items);
	char *payload = o ? cJSON_PrintUnformatted(o) : NULL;
	char *t = strdup(topic);
	cJSON_Delete(o);
	if (!items || !payload || !t) {
		if (items)
			docs->items = items;
		free(payload);
		free(t);
		return -1;
	}
	docs->items = items;
	docs->items[docs->count++] = (struct ha_doc){.topic = t, .payload = payload};
	return 0;
}

/* ---- points ---- */

static bool point_is_binary(const struct fm_point *p)
{
	return p->type == FM_TYPE_BOOL || p->read == FM_READ_COIL ||
	       p->read == FM_READ_DISCRETE || p->bit >= 0;
}

static const char *contact_class(const char *name)
{
	for (size_t i = 0; i < sizeof ha_contacts / sizeof ha_contacts[0]; i++)
		if (strstr(name, ha_contacts[i].word))
			return ha_contacts[i].device_class;
	return NULL;
}

static const char *battery_words[] = {"battery", "charge"};

/* unit_of_measurement, device_class and state_class of a numeric point. */
static void add_sensor_classes(cJSON *o, const struct fm_point *p, const char *name)
{
	if (p->nenums && !p->enum_is_bits) {
		cJSON_AddStringToObject(o, "device_class", "enum");
		cJSON *options = cJSON_AddArrayToObject(o, "options");
		for (size_t i = 0; i < p->nenums; i++)
			cJSON_AddItemToArray(options, cJSON_CreateString(p->enums[i].name));
		return;
	}
	if (p->enum_is_bits)
		return; /* a bit field: neither a measurement nor a state */
	const struct ha_unit *u = NULL;
	for (size_t i = 0; i < sizeof ha_units / sizeof ha_units[0]; i++)
		if (strcmp(p->unit, ha_units[i].unit) == 0)
			u = &ha_units[i];
	const char *device_class = u ? u->device_class : NULL;
	if (strcmp(p->unit, "%") == 0)
		for (size_t i = 0; i < 2; i++)
			if (strstr(name, battery_words[i]))
				device_class = "battery";
	if (p->unit[0])
		cJSON_AddStringToObject(o, "unit_of_measurement", u ? u->ha_unit : p->unit);
	if (device_class)
		cJSON_AddStringToObject(o, "device_class", device_class);
	cJSON_AddStringToObject(o, "state_class", u ? u->state_class : "measurement");
}

/* The template reading point NAME of R/telemetry/<device>: FIELD ("v",
 * or "text" for an enum), or for a binary point ON/OFF; None when the
 * point is not in the message or has no value. */
static void point_template(char *buf, size_t len, const char *name, bool binary,
                           const char *field)
{
	if (binary)
		snprintf(buf, len,
		         "{%% set p = value_json.points['%s'] %%}"
		         "{{ None if p is not defined or p.v is none "
		         "else ('ON' if p.v else 'OFF') }}", name);
	else
		snprintf(buf, len,
		         "{%% set p = value_json.points['%s'] %%}"
		         "{{ None if p is not defined or p.%s is not defined else p.%s }}",
		         name, field, field);
}

static int add_point(struct ha_docs *docs, const struct fm_config *cfg,
                     const struct eng_device *d, size_t i, const char *root)
{
	const char *name = eng_point_name(d, i);
	if (!template_safe(name))
		return 0;
	const struct fm_point *p = &d->conf->points[i];
	bool binary = point_is_binary(p);
	char uid[HA_ID_MAX], state[HA_TOPIC_MAX], tpl[HA_TEMPLATE_MAX], obj[HA_ID_MAX],
		topic[HA_TOPIC_MAX];
	unique_id(cfg, uid, sizeof uid, "point", d->conf->name, name);
	snprintf(state, sizeof state, "%s/telemetry/%s", root, d->conf->name);
	cJSON *o = entity(name, uid, state);
	point_template(tpl, sizeof tpl, name, binary,
	               p->nenums && !p->enum_is_bits ? "text" : "v");
	cJSON_AddStringToObject(o, "value_template", tpl);
	if (binary && contact_class(name))
		cJSON_AddStringToObject(o, "device_class", contact_class(name));
	else if (!binary)
		add_sensor_classes(o, p, name);
	add_availability(o, root);
	add_device(o, cfg, d->conf);
	object_id(obj, sizeof obj, d->conf->name, name);
	discovery_topic(cfg, binary ? "binary_sensor" : "sensor", obj, topic, sizeof topic);
	return push(docs, topic, o);
}

/* ---- devices, alerts, the gateway ---- */

static int add_connectivity(struct ha_docs *docs, const struct fm_config *cfg,
                            const struct eng_device *d, const char *root)
{
	char uid[HA_ID_MAX], state[HA_TOPIC_MAX], obj[HA_ID_MAX], topic[HA_TOPIC_MAX];
	unique_id(cfg, uid, sizeof uid, "comm", d->conf->name, NULL);
	snprintf(state, sizeof state, "%s/device/%s/state", root, d->conf->name);
	cJSON *o = entity("communication", uid, state);
	cJSON_AddStringToObject(o, "device_class", "connectivity");
	cJSON_AddStringToObject(o, "entity_category", "diagnostic");
	cJSON_AddStringToObject(o, "value_template",
	                        "{{ 'ON' if value_json.state in ('up', 'degraded') else "
	                        "('OFF' if value_json.state == 'down' else None) }}");
	cJSON_AddStringToObject(o, "json_attributes_topic", state);
	add_availability(o, root);
	add_device(o, cfg, d->conf);
	object_id(obj, sizeof obj, d->conf->name, "connectivity");
	discovery_topic(cfg, "binary_sensor", obj, topic, sizeof topic);
	return push(docs, topic, o);
}

void ha_alert_topic(const struct fm_config *cfg, const struct eng_alert *a, char *buf,
                    size_t len)
{
	char obj[HA_ID_MAX];
	object_id(obj, sizeof obj, "alert", a->name);
	discovery_topic(cfg, "binary_sensor", obj, buf, len);
}

/* Problem while firing; its state document's fields as attributes. */
static int add_alert(struct ha_docs *docs, const struct fm_config *cfg,
                     const struct eng_alert *a, const char *root)
{
	char uid[HA_ID_MAX], state[HA_TOPIC_MAX], topic[HA_TOPIC_MAX];
	unique_id(cfg, uid, sizeof uid, "alert", a->name, NULL);
	snprintf(state, sizeof state, "%s/alert/%s", root, a->name);
	cJSON *o = entity(a->name, uid, state);
	cJSON_AddStringToObject(o, "device_class", "problem");
	cJSON_AddStringToObject(o, "value_template",
	                        "{{ 'ON' if value_json.state == 'firing' else "
	                        "('OFF' if value_json.state in ('ok', 'pending', 'resolved') "
	                        "else None) }}");
	cJSON_AddStringToObject(o, "json_attributes_topic", state);
	add_availability(o, root);
	add_device(o, cfg, a->device ? a->device->conf : NULL);
	ha_alert_topic(cfg, a, topic, sizeof topic);
	return push(docs, topic, o);
}

/* The gateway's own entity: whether facmon is online (no availability:
 * offline is its state, not its absence). */
static int add_status(struct ha_docs *docs, const struct fm_config *cfg, const char *root)
{
	char uid[HA_ID_MAX], state[HA_TOPIC_MAX], topic[HA_TOPIC_MAX];
	unique_id(cfg, uid, sizeof uid, "status", NULL, NULL);
	snprintf(state, sizeof state, "%s/status", root);
	cJSON *o = entity("status", uid, state);
	cJSON_AddStringToObject(o, "device_class", "connectivity");
	cJSON_AddStringToObject(o, "value_template",
	                        "{{ 'ON' if value_json.state == 'online' else 'OFF' }}");
	add_device(o, cfg, NULL);
	discovery_topic(cfg, "binary_sensor", "status", topic, sizeof topic);
	return push(docs, topic, o);
}

int ha_docs_build(const struct fm_config *cfg, const struct engine *e, const char *root,
                  struct ha_docs *docs)
{
	*docs = (struct ha_docs){0};
	if (add_status(docs, cfg, root) < 0)
		return -1;
	for (size_t d = 0; d < e->ndevices; d++) {
		const struct eng_device *dev = &e->devices[d];
		if (add_connectivity(docs, cfg, dev, root) < 0)
			return -1;
		for (size_t i = 0; i < dev->conf->npoints; i++)
			if (add_point(docs, cfg, dev, i, root) < 0)
				return -1;
	}
	for (size_t i = 0; i < e->nalerts; i++)
		if (e->alerts[i].name[0] && add_alert(docs, cfg, &e->alerts[i], root) < 0)
			return -1;
	return 0;
}

void ha_docs_free(struct ha_docs *docs)
{
	for (size_t i = 0; i < docs->count; i++) {
		free(docs->items[i].topic);
		free(docs->items[i].payload);
	}
	free(docs->items);
	*docs = (struct ha_docs){0};
}
