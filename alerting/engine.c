/* engine.c - readings, device states and alerts, fed by poll results.
 *
 * Every poll result goes through the same three steps: store the readings,
 * update the device's communication state, then evaluate the device's
 * alerts (its rules and its built-in comm rule). Each state change becomes
 * one numbered event and one retained alert state; nothing is published
 * for a poll that changes nothing but the readings (telemetry aside).
 */
#include "alerting/engine.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char comm_controls[][FM_CONTROL_MAX] = {"実102"};
#define COMM_SEVERITY FM_SEV_MAJOR

static int devices_init(struct engine *e, int64_t now_wall)
{
	const struct fm_config *cfg = e->cfg;
	e->devices = calloc(cfg->ndevices ? cfg->ndevices : 1, sizeof *e->devices);
	if (!e->devices)
		return -1;
	e->ndevices = cfg->ndevices;
	for (size_t i = 0; i < cfg->ndevices; i++) {
		struct eng_device *d = &e->devices[i];
		d->conf = &cfg->devices[i];
		size_t n = d->conf->npoints ? d->conf->npoints : 1;
		d->values = calloc(n, sizeof *d->values);
		d->names = calloc(n, sizeof *d->names);
		d->rows = calloc(n, sizeof *d->rows);
		if (!d->values || !d->names || !d->rows)
			return -1;
		for (size_t p = 0; p < d->conf->npoints; p++) {
			const struct fm_point *pt = &d->conf->points[p];
			d->values[p] = (struct fm_point_value){.status = FM_POINT_FAILED, .value = NAN};
			if (!pt->nslots) /* slots are named when their row is found */
				snprintf(d->names[p], sizeof d->names[p], "%s", pt->name);
		}
		dev_health_init(&d->health, (unsigned)d->conf->down_after, now_wall);
	}
	return 0;
}

/* The first point of R's device named R->point (a walked column's first
 * slot), or NULL. */
static const struct fm_point *rule_point(struct engine *e, const struct fm_rule *r,
                                         struct eng_device **dev, size_t *index)
{
	struct eng_device *d = engine_find_device(e, r->device);
	*dev = d;
	for (size_t p = 0; d && p < d->conf->npoints; p++)
		if (strcmp(d->conf->points[p].name, r->point) == 0) {
			*index = p;
			return &d->conf->points[p];
		}
	return NULL;
}

/* Alerts rule R makes: one, or one per slot of the walked column it is on. */
static size_t rule_alert_count(struct engine *e, const struct fm_rule *r)
{
	struct eng_device *d;
	size_t p;
	const struct fm_point *pt = rule_point(e, r, &d, &p);
	return pt && pt->nslots ? pt->nslots : 1;
}

/* Fills the alerts of rule R from A on; returns how many. Those on the
 * slots of a walked column stay nameless until their row is found. */
static size_t rule_alerts_init(struct engine *e, struct eng_alert *a,
                               const struct fm_rule *r)
{
	struct eng_device *d;
	size_t p = 0;
	const struct fm_point *pt = rule_point(e, r, &d, &p);
	size_t n = pt && pt->nslots ? pt->nslots : 1;
	for (size_t k = 0; k < n; k++) {
		if (!pt || !pt->nslots)
			snprintf(a[k].name, sizeof a[k].name, "%s", r->name);
		a[k].rule = r;
		a[k].device = d;
		a[k].point = p + k;
		a[k].severity = r->severity;
		a[k].controls = r->controls;
		a[k].ncontrols = r->ncontrols;
	}
	return n;
}

static void comm_alert_init(struct eng_alert *a, struct eng_device *d)
{
	snprintf(a->name, sizeof a->name, "%s.comm", d->conf->name);
	a->device = d;
	a->severity = COMM_SEVERITY;
	a->controls = comm_controls;
	a->ncontrols = sizeof comm_controls / sizeof comm_controls[0];
	d->comm = a;
}

static int alerts_init(struct engine *e, int64_t now_mono, int64_t now_wall)
{
	const struct fm_config *cfg = e->cfg;
	size_t nrule_alerts = 0;
	for (size_t i = 0; i < cfg->nrules; i++)
		nrule_alerts += rule_alert_count(e, &cfg->rules[i]);
	e->nalerts = nrule_alerts + cfg->ndevices;
	e->alerts = calloc(e->nalerts ? e->nalerts : 1, sizeof *e->alerts);
	if (!e->alerts)
		return -1;
	size_t made = 0;
	for (size_t i = 0; i < cfg->nrules; i++)
		made += rule_alerts_init(e, &e->alerts[made], &cfg->rules[i]);
	for (size_t i = 0; i < e->ndevices; i++)
		comm_alert_init(&e->alerts[nrule_alerts + i], &e->devices[i]);
	for (size_t i = 0; i < e->nalerts; i++) {
		struct eng_alert *a = &e->alerts[i];
		int64_t for_ms = a->rule ? (int64_t)a->rule->for_s * 1000 : 0;
		alert_init(&a->fsm, for_ms, now_mono, now_wall);
		a->cond = FM_COND_UNKNOWN;
	}
	return 0;
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
		free(e->devices[i].names);
		free(e->devices[i].rows);
	}
	free(e->devices);
	free(e->alerts);
	free(e);
}

/* Feeds one classification to an alert and publishes what changed. */
static void alert_observe(struct engine *e, struct eng_alert *a, enum fm_cond c,
                          int64_t now_mono, int64_t now_wall)
{
	struct fm_transition t;
	a->cond = c;
	if (!alert_step(&a->fsm, c, now_mono, now_wall, &t))
		return;
	if (t.to == FM_ALERT_FIRING && a->rule && a->rule->repeat > 0)
		a->next_repeat_mono = now_mono + (int64_t)a->rule->repeat * 1000;
	struct eng_event ev = {
		.seq = e->next_seq++,
		.ts_wall_ms = now_wall,
		.alert = a,
		.t = t,
	};
	if (e->pub.event)
		e->pub.event(e->pub.ctx, &ev);
	if (e->pub.alert_state)
		e->pub.alert_state(e->pub.ctx, a);
}

static enum fm_cond comm_condition(const struct eng_device *d)
{
	switch (d->health.state) {
	case FM_DEV_DOWN:
		return FM_COND_TRUE;
	case FM_DEV_UNKNOWN:
		return FM_COND_UNKNOWN;
	default:
		return FM_COND_FALSE;
	}
}

/* A rule on a device that is down is unknown. A single failed read on a
 * device that is still up keeps the rule where it was: one lost reply is
 * not news, and down_after decides when silence becomes an alert. */
static void rule_alert_evaluate(struct engine *e, struct eng_alert *a,
                                int64_t now_mono, int64_t now_wall)
{
	const struct eng_device *d = a->device;
	const struct fm_point_value *pv = &d->values[a->point];
	if (!a->name[0]) /* on a slot still waiting for its row */
		return;
	if (d->health.state == FM_DEV_DOWN || d->health.state == FM_DEV_UNKNOWN ||
	    pv->status == FM_POINT_ABSENT) { /* down, or the row is gone */
		a->has_value = false;
		alert_observe(e, a, FM_COND_UNKNOWN, now_mono, now_wall);
		return;
	}
	if (pv->status != FM_POINT_OK)
		return;
	a->has_value = true;
	a->value = pv->value;
	enum fm_cond c = rule_classify(a->rule, pv->value, alert_is_active(&a->fsm));
	alert_observe(e, a, c, now_mono, now_wall);
}

/* Names the alerts on point P of D after the row the slot now holds. */
static void name_row_alerts(struct engine *e, const struct eng_device *d, size_t p)
{
	for (size_t i = 0; i < e->nalerts; i++) {
		struct eng_alert *a = &e->alerts[i];
		if (a->rule && a->device == d && a->point == p)
			snprintf(a->name, sizeof a->name, "%s.%s", a->rule->name,
			         d->rows[p].name);
	}
}

/* Takes the rows the slots of walked columns hold. A slot is named once,
 * when its row is first found; later only the label may change. */
static void store_rows(struct engine *e, struct eng_device *d,
                       const struct fm_poll_result *r)
{
	for (size_t p = 0; r->rows && p < d->conf->npoints && p < r->nvalues; p++) {
		const struct fm_row *row = &r->rows[p];
		if (!d->conf->points[p].nslots || !row->name[0])
			continue;
		if (!d->rows[p].name[0]) {
			d->rows[p] = *row;
			snprintf(d->names[p], sizeof d->names[p], "%.31s_%s",
			         d->conf->points[p].name, row->name);
			name_row_alerts(e, d, p);
		} else if (strcmp(d->rows[p].name, row->name) == 0) {
			memcpy(d->rows[p].label, row->label, sizeof row->label);
		}
	}
}

/* A failed read leaves its point FAILED: the last good value is not fresh.
 * A slot holding no row now stays ABSENT. */
static void store_readings(struct eng_device *d, const struct fm_poll_result *r,
                           int64_t now_wall)
{
	for (size_t p = 0; p < d->conf->npoints; p++) {
		enum fm_point_status st = p < r->nvalues ? r->values[p].status
		                                         : FM_POINT_FAILED;
		if (st == FM_POINT_OK)
			d->values[p] = r->values[p];
		else
			d->values[p] = (struct fm_point_value){.status = st, .value = NAN};
	}
	if (r->requests_ok > 0) {
		d->has_reading = true;
		d->reading_wall_ms = now_wall;
	}
}

static void evaluate_device(struct engine *e, struct eng_device *d,
                            int64_t now_mono, int64_t now_wall)
{
	alert_observe(e, d->comm, comm_condition(d), now_mono, now_wall);
	for (size_t i = 0; i < e->nalerts; i++) {
		struct eng_alert *a = &e->alerts[i];
		if (a->rule && a->device == d)
			rule_alert_evaluate(e, a, now_mono, now_wall);
	}
}

void engine_apply_poll(struct engine *e, const struct fm_poll_result *r,
                       int64_t now_mono, int64_t now_wall)
{
	if (r->device >= e->ndevices)
		return;
	struct eng_device *d = &e->devices[r->device];
	store_rows(e, d, r);
	store_readings(d, r, now_wall);
	if (r->requests_ok > 0 && e->pub.telemetry)
		e->pub.telemetry(e->pub.ctx, d);
	if (dev_health_apply(&d->health, r->requests_ok, r->requests_failed,
	                     r->error, now_wall) && e->pub.device_state)
		e->pub.device_state(e->pub.ctx, d, true);
	evaluate_device(e, d, now_mono, now_wall);
}

void engine_tick(struct engine *e, int64_t now_mono, int64_t now_wall)
{
	for (size_t i = 0; i < e->nalerts; i++) {
		struct eng_alert *a = &e->alerts[i];
		if (a->fsm.state == FM_ALERT_PENDING && a->cond == FM_COND_TRUE)
			alert_observe(e, a, a->cond, now_mono, now_wall);
		if (a->fsm.state == FM_ALERT_FIRING && a->rule && a->rule->repeat > 0 &&
		    now_mono >= a->next_repeat_mono) {
			a->next_repeat_mono = now_mono + (int64_t)a->rule->repeat * 1000;
			if (e->pub.alert_state)
				e->pub.alert_state(e->pub.ctx, a);
		}
	}
}

void engine_publish_states(struct engine *e)
{
	for (size_t i = 0; i < e->ndevices && e->pub.device_state; i++)
		if (e->devices[i].health.state != FM_DEV_UNKNOWN ||
		    e->devices[i].health.error[0])
			e->pub.device_state(e->pub.ctx, &e->devices[i], false);
	for (size_t i = 0; i < e->nalerts && e->pub.alert_state; i++)
		if (e->alerts[i].name[0])
			e->pub.alert_state(e->pub.ctx, &e->alerts[i]);
}

const char *eng_point_name(const struct eng_device *d, size_t p)
{
	return d->names[p];
}

struct eng_alert *engine_find_alert(struct engine *e, const char *name)
{
	for (size_t i = 0; i < e->nalerts; i++)
		if (strcmp(e->alerts[i].name, name) == 0)
			return &e->alerts[i];
	return NULL;
}

struct eng_device *engine_find_device(struct engine *e, const char *name)
{
	for (size_t i = 0; i < e->ndevices; i++)
		if (strcmp(e->devices[i].conf->name, name) == 0)
			return &e->devices[i];
	return NULL;
}
