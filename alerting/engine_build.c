/* engine_build.c - the engine's state, built once from the config.
 *
 * Owns: engine_create and engine_destroy: the devices with their points,
 * the buses, and every alert the config implies, in a fixed order (rules
 * in config order, then comm, fault, bus and the slots of the self-health
 * alerts, which the agent names with engine_self_define). A rule
 * becomes one alert, one per slot of the walked column it is on, or one
 * per bit of its mask.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerting/engine.h"

static const char comm_controls[][FM_CONTROL_MAX] = {"実102"};
static const char fault_controls[][FM_CONTROL_MAX] = {"設80"};
static const char bus_controls[][FM_CONTROL_MAX] = {"実102"};
#define NCONTROLS(a) (sizeof(a) / sizeof((a)[0]))

static bool point_can_fault(const struct fm_point *p)
{
	return p->has_valid_min || p->has_valid_max || p->nsentinels || p->stuck_after;
}

static int device_init(struct eng_device *d, const struct fm_device *conf, int64_t now_wall)
{
	d->conf = conf;
	size_t n = conf->npoints ? conf->npoints : 1;
	d->values = calloc(n, sizeof *d->values);
	d->points = calloc(n, sizeof *d->points);
	bool walks = false;
	for (size_t p = 0; p < conf->npoints; p++)
		walks = walks || conf->points[p].nslots;
	if (walks) { /* slots are named when their row is found */
		d->names = calloc(n, sizeof *d->names);
		d->rows = calloc(n, sizeof *d->rows);
	}
	if (!d->values || !d->points || (walks && (!d->names || !d->rows)))
		return -1;
	for (size_t p = 0; p < conf->npoints; p++)
		d->values[p] = (struct fm_point_value){.status = FM_POINT_FAILED, .value = NAN};
	dev_health_init(&d->health, (unsigned)conf->down_after, now_wall);
	return 0;
}

/* Each bus's devices, so that a poll looks at its own bus's devices only
 * (a scan of every device on every poll grew with the room squared). */
static int buses_index(struct engine *e)
{
	for (size_t i = 0; i < e->ndevices; i++)
		if (e->devices[i].bus)
			e->devices[i].bus->ndevices++;
	for (size_t b = 0; b < e->nbuses; b++) {
		e->buses[b].devices = calloc(e->buses[b].ndevices + 1, sizeof(struct eng_device *));
		if (!e->buses[b].devices)
			return -1;
		e->buses[b].ndevices = 0;
	}
	for (size_t i = 0; i < e->ndevices; i++) {
		struct eng_bus *b = e->devices[i].bus;
		if (b)
			b->devices[b->ndevices++] = &e->devices[i];
	}
	return 0;
}

static int devices_init(struct engine *e, int64_t now_wall)
{
	const struct fm_config *cfg = e->cfg;
	e->devices = calloc(cfg->ndevices ? cfg->ndevices : 1, sizeof *e->devices);
	e->buses = calloc(cfg->nbuses ? cfg->nbuses : 1, sizeof *e->buses);
	if (!e->devices || !e->buses)
		return -1;
	e->ndevices = cfg->ndevices;
	for (size_t i = 0; i < cfg->nbuses; i++)
		if (cfg->buses[i].type != FM_BUS_SNMP)
			e->buses[e->nbuses++].conf = &cfg->buses[i];
	for (size_t i = 0; i < cfg->ndevices; i++) {
		struct eng_device *d = &e->devices[i];
		if (device_init(d, &cfg->devices[i], now_wall) < 0)
			return -1;
		for (size_t b = 0; b < e->nbuses; b++)
			if (strcmp(e->buses[b].conf->name, d->conf->bus) == 0)
				d->bus = &e->buses[b];
	}
	return buses_index(e);
}

/* The point a condition is on, or NULL; its device and index. */
static const struct fm_point *condition_point(struct engine *e,
                                              const struct fm_condition *k,
                                              struct eng_device **dev, size_t *index)
{
	struct eng_device *d = engine_find_device(e, k->device);
	*dev = d;
	for (size_t p = 0; d && p < d->conf->npoints; p++)
		if (strcmp(d->conf->points[p].name, k->point) == 0) {
			*index = p;
			return &d->conf->points[p];
		}
	return NULL;
}

/* Alerts rule R makes: one per slot of a walked column, per mask bit, or 1. */
static size_t rule_alert_count(struct engine *e, const struct fm_rule *r)
{
	struct eng_device *d;
	size_t p;
	const struct fm_point *pt = condition_point(e, &r->conds[0], &d, &p);
	if (r->conds[0].kind == FM_RULE_MASK)
		return (size_t)__builtin_popcount(r->conds[0].mask);
	return pt && pt->nslots ? pt->nslots : 1;
}

static int terms_init(struct engine *e, struct eng_alert *a, const struct fm_rule *r,
                      size_t slot)
{
	a->terms = calloc(r->nconds, sizeof *a->terms);
	if (!a->terms)
		return -1;
	a->nterms = r->nconds;
	for (size_t j = 0; j < r->nconds; j++) {
		struct eng_term *t = &a->terms[j];
		t->cond = &r->conds[j];
		t->last = FM_COND_UNKNOWN;
		if (!condition_point(e, t->cond, &t->device, &t->point))
			return -1; /* validate.c makes sure it is there */
		t->point += slot;
		if ((t->cond->kind == FM_RULE_RISE || t->cond->kind == FM_RULE_FALL) &&
		    rate_window_init(&t->window, rate_window_size(t->cond->within,
		                                                  t->device->conf->interval)) < 0)
			return -1;
	}
	return 0;
}

/* Each field from the rule, else from the device. */
static void routing_init(struct eng_routing *out, const struct fm_routing *rule,
                         const struct fm_routing *dev)
{
	out->location = rule->location ? rule->location : dev->location;
	out->runbook = rule->runbook ? rule->runbook : dev->runbook;
	out->owner = rule->owner ? rule->owner : dev->owner;
}

/* The name of bit BIT of point P: its `bits` name, or "bit<N>". */
static const char *bit_name(const struct fm_point *p, int bit, char *buf, size_t len)
{
	for (size_t i = 0; p->enum_is_bits && i < p->nenums; i++)
		if (p->enums[i].value == bit)
			return p->enums[i].name;
	snprintf(buf, len, "bit%d", bit);
	return NULL;
}

/* Fills the alerts of rule R from A on; returns how many, or 0 on failure. */
static size_t rule_alerts_init(struct engine *e, struct eng_alert *a,
                               const struct fm_rule *r)
{
	size_t n = rule_alert_count(e, r);
	struct eng_device *d;
	size_t p = 0;
	const struct fm_point *pt = condition_point(e, &r->conds[0], &d, &p);
	bool mask = r->conds[0].kind == FM_RULE_MASK;
	int bit = -1;
	for (size_t k = 0; k < n; k++) {
		struct eng_alert *x = &a[k];
		x->kind = ENG_ALERT_RULE;
		x->rule = r;
		x->bit = -1;
		if (mask) {
			while (!((r->conds[0].mask >> ++bit) & 1u))
				;
			char unnamed[16];
			x->bit = bit;
			x->bit_name = pt ? bit_name(pt, bit, unnamed, sizeof unnamed) : NULL;
			snprintf(x->name, sizeof x->name, "%s.%s", r->name,
			         x->bit_name ? x->bit_name : unnamed);
		} else if (!pt || !pt->nslots) {
			snprintf(x->name, sizeof x->name, "%s", r->name);
		}
		if (terms_init(e, x, r, mask ? 0 : (pt && pt->nslots ? k : 0)) < 0)
			return 0;
		x->device = x->terms[0].device;
		x->point = x->terms[0].point;
		x->severity = r->severity;
		x->controls = r->controls;
		x->ncontrols = r->ncontrols;
		routing_init(&x->routing, &r->routing, &x->device->conf->routing);
	}
	return n;
}

static void device_alert_init(struct eng_alert *a, enum eng_alert_kind kind,
                              struct eng_device *d)
{
	a->kind = kind;
	a->device = d;
	a->bit = -1;
	routing_init(&a->routing, &(struct fm_routing){0}, &d->conf->routing);
}

static size_t count_alerts(struct engine *e)
{
	size_t n = e->ndevices + e->nbuses + ENG_SELF_CHECKS;
	for (size_t i = 0; i < e->cfg->nrules; i++)
		n += rule_alert_count(e, &e->cfg->rules[i]);
	for (size_t i = 0; i < e->ndevices; i++)
		for (size_t p = 0; p < e->devices[i].conf->npoints; p++)
			n += point_can_fault(&e->devices[i].conf->points[p]);
	return n;
}

/* The built-in alerts after the rules' from A on; returns how many. */
static size_t builtin_alerts_init(struct engine *e, struct eng_alert *a)
{
	size_t n = 0;
	for (size_t i = 0; i < e->ndevices; i++) {
		struct eng_device *d = &e->devices[i];
		device_alert_init(&a[n], ENG_ALERT_COMM, d);
		snprintf(a[n].name, sizeof a[n].name, "%s.comm", d->conf->name);
		a[n].severity = FM_SEV_MAJOR;
		a[n].controls = comm_controls;
		a[n].ncontrols = NCONTROLS(comm_controls);
		d->comm = &a[n++];
	}
	for (size_t i = 0; i < e->ndevices; i++) {
		struct eng_device *d = &e->devices[i];
		for (size_t p = 0; p < d->conf->npoints; p++) {
			if (!point_can_fault(&d->conf->points[p]))
				continue;
			device_alert_init(&a[n], ENG_ALERT_FAULT, d);
			a[n].point = p;
			if (eng_point_name(d, p)[0])
				eng_name_fault_alert(&a[n], d, p);
			a[n].severity = FM_SEV_MAJOR;
			a[n].controls = fault_controls;
			a[n].ncontrols = NCONTROLS(fault_controls);
			d->points[p].fault_alert = &a[n++];
		}
	}
	for (size_t b = 0; b < e->nbuses; b++) {
		a[n] = (struct eng_alert){.kind = ENG_ALERT_BUS, .bit = -1,
		                          .severity = FM_SEV_CRITICAL,
		                          .controls = bus_controls,
		                          .ncontrols = NCONTROLS(bus_controls)};
		snprintf(a[n].name, sizeof a[n].name, "%s.bus", e->buses[b].conf->name);
		e->buses[b].alert = &a[n++];
	}
	e->self = &a[n]; /* named by engine_self_define */
	for (size_t c = 0; c < ENG_SELF_CHECKS; c++)
		a[n++] = (struct eng_alert){.kind = ENG_ALERT_SELF, .bit = -1};
	return n;
}

/* The device of rule alert A's condition J, if no earlier condition of A
 * is on it (a rule with two conditions on a device is listed once). */
static struct eng_device *term_device_once(const struct eng_alert *a, size_t j)
{
	if (a->kind != ENG_ALERT_RULE)
		return NULL;
	for (size_t k = 0; k < j; k++)
		if (a->terms[k].device == a->terms[j].device)
			return NULL;
	return a->terms[j].device;
}

/* Each device's rule alerts, so that a poll evaluates those alone (a scan
 * of every alert on every poll grew with the room squared). */
static int rules_index(struct engine *e)
{
	struct eng_device *d;
	for (size_t i = 0; i < e->nalerts; i++)
		for (size_t j = 0; j < e->alerts[i].nterms; j++)
			if ((d = term_device_once(&e->alerts[i], j)))
				d->nrules++;
	for (size_t k = 0; k < e->ndevices; k++) {
		d = &e->devices[k];
		d->rules = calloc(d->nrules + 1, sizeof *d->rules);
		if (!d->rules)
			return -1;
		d->nrules = 0;
	}
	for (size_t i = 0; i < e->nalerts; i++)
		for (size_t j = 0; j < e->alerts[i].nterms; j++)
			if ((d = term_device_once(&e->alerts[i], j)))
				d->rules[d->nrules++] = &e->alerts[i];
	return 0;
}

static int alerts_init(struct engine *e, int64_t now_mono, int64_t now_wall)
{
	e->nalerts = count_alerts(e);
	e->alerts = calloc(e->nalerts, sizeof *e->alerts);
	if (!e->alerts)
		return -1;
	size_t made = 0;
	for (size_t i = 0; i < e->cfg->nrules; i++) {
		size_t n = rule_alerts_init(e, &e->alerts[made], &e->cfg->rules[i]);
		if (n == 0)
			return -1;
		made += n;
	}
	builtin_alerts_init(e, &e->alerts[made]);
	for (size_t i = 0; i < e->nalerts; i++) {
		struct eng_alert *a = &e->alerts[i];
		const struct fm_rule *r = a->rule;
		alert_init(&a->fsm, r ? (int64_t)r->for_s * 1000 : 0,
		           r ? (int64_t)r->clear_for_s * 1000 : 0, now_mono, now_wall);
		a->cond = FM_COND_UNKNOWN;
	}
	return rules_index(e);
}

struct engine *engine_create(const struct fm_config *cfg,
                             const struct eng_publisher *pub,
                             int64_t now_mono, int64_t now_wall)
{
	struct engine *e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	e->cfg = cfg;
	e->pub = *pub;
	e->next_seq = 1;
	e->next_silence_id = 1;
	if (devices_init(e, now_wall) < 0 || alerts_init(e, now_mono, now_wall) < 0) {
		engine_destroy(e);
		return NULL;
	}
	return e;
}

void engine_destroy(struct engine *e)
{
	if (!e)
		return;
	for (size_t i = 0; e->devices && i < e->ndevices; i++) {
		free(e->devices[i].values);
		free(e->devices[i].points);
		free(e->devices[i].names);
		free(e->devices[i].rows);
		free(e->devices[i].rules);
	}
	for (size_t b = 0; e->buses && b < e->nbuses; b++)
		free(e->buses[b].devices);
	for (size_t i = 0; e->alerts && i < e->nalerts; i++) {
		for (size_t j = 0; j < e->alerts[i].nterms; j++)
			rate_window_free(&e->alerts[i].terms[j].window);
		free(e->alerts[i].terms);
		eng_alert_unack(&e->alerts[i]);
	}
	free(e->devices);
	free(e->buses);
	free(e->alerts);
	free(e);
}

struct eng_device *engine_find_device(struct engine *e, const char *name)
{
	for (size_t i = 0; i < e->ndevices; i++)
		if (strcmp(e->devices[i].conf->name, name) == 0)
			return &e->devices[i];
	return NULL;
}

struct eng_alert *engine_find_alert(struct engine *e, const char *name)
{
	for (size_t i = 0; i < e->nalerts; i++)
		if (e->alerts[i].name[0] && strcmp(e->alerts[i].name, name) == 0)
			return &e->alerts[i];
	return NULL;
}

const char *eng_point_name(const struct eng_device *d, size_t p)
{
	return d->conf->points[p].nslots ? d->names[p] : d->conf->points[p].name;
}
