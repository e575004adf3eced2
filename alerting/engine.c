/* engine.c - readings, device and bus states, and alerts, fed by polls.
 *
 * Every poll result goes through the same steps: take the rows of walked
 * columns, store the readings (marking sensor faults), update the device's
 * communication state and its bus's, then evaluate the alerts that watch
 * the device. Each state change becomes one numbered event and one
 * retained alert state; nothing is published for a poll that changes
 * nothing but the readings (telemetry aside). engine_tick does what time
 * alone changes: delays, stale and stuck points, repeats, silences.
 */
#include "alerting/engine.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- alerts ---- */

/* Whether A is firing with its condition clear only because it flapped
 * (alert.h): then it is republished with "flapping": true and the log says
 * why it does not resolve, so a held alert never looks like a stalled
 * agent. */
static void note_flap_hold(struct engine *e, struct eng_alert *a, enum fm_cond c,
                           int64_t now_mono)
{
	bool held = a->fsm.state == FM_ALERT_FIRING && c == FM_COND_FALSE &&
	            alert_is_flapping(&a->fsm, now_mono);
	if (held == a->held_flapping)
		return;
	a->held_flapping = held;
	if (e->pub.alert_state)
		e->pub.alert_state(e->pub.ctx, a);
}

void eng_alert_observe(struct engine *e, struct eng_alert *a, enum fm_cond c,
                       int64_t now_mono, int64_t now_wall)
{
	struct fm_transition t;
	a->cond = c;
	a->resumed = false; /* a verdict: the restored state is confirmed or changes */
	bool stepped = alert_step(&a->fsm, c, now_mono, now_wall, &t);
	note_flap_hold(e, a, c, now_mono);
	if (!stepped)
		return;
	if (t.to == FM_ALERT_FIRING && a->rule && a->rule->repeat > 0)
		a->next_repeat_mono = now_mono + (int64_t)a->rule->repeat * 1000;
	if (t.to == FM_ALERT_RESOLVED || t.to == FM_ALERT_OK)
		eng_alert_unack(a); /* the next firing is news again */
	eng_alert_silenced(e, a, now_wall);
	struct eng_event ev = {
		.seq = e->next_seq++,
		.ts_wall_ms = now_wall,
		.kind = ENG_EVENT_TRANSITION,
		.alert = a,
		.t = t,
	};
	if (e->pub.event)
		e->pub.event(e->pub.ctx, &ev);
	if (e->pub.alert_state)
		e->pub.alert_state(e->pub.ctx, a);
}

/* A verdict C, or (DECIDED false) no verdict yet: what the agent sees now
 * cannot tell yet whether the condition still holds, e.g. the first polls
 * of a restart are still out. A restored alert holds its state until a
 * verdict comes, so a restart or a reload does not flip a firing alert to
 * unknown and back; any other alert takes C as it is. */
void eng_alert_verdict(struct engine *e, struct eng_alert *a, enum fm_cond c, bool decided,
                       int64_t now_mono, int64_t now_wall)
{
	if (a->resumed && !decided)
		return;
	eng_alert_observe(e, a, c, now_mono, now_wall);
}

static bool device_known(const struct eng_device *d)
{
	return d->health.state != FM_DEV_DOWN && d->health.state != FM_DEV_UNKNOWN;
}

/* No fresh value for stale_after (default 3 intervals): not to be trusted. */
static bool point_stale(const struct eng_device *d, size_t p, int64_t now_mono)
{
	int64_t fresh = d->points[p].fresh_mono_ms;
	int stale_after = d->conf->stale_after > 0 ? d->conf->stale_after : 3 * d->conf->interval;
	return fresh == 0 || now_mono - fresh > (int64_t)stale_after * 1000;
}

/* One condition's verdict. A device that is down, a row that is gone, a
 * sensor fault or a stale point make it unknown; a single failed read of
 * a device still up keeps the last verdict (one lost reply is not news).
 * FRESH: the term's device was just polled (a rate rule takes a sample). */
static enum fm_cond term_classify(struct eng_alert *a, struct eng_term *t, bool fresh,
                                  int64_t now_mono)
{
	const struct eng_device *d = t->device;
	const struct fm_point_value *pv = &d->values[t->point];
	const struct fm_condition *k = t->cond;
	if (!device_known(d) || pv->status == FM_POINT_ABSENT ||
	    d->points[t->point].fault != ENG_FAULT_NONE || point_stale(d, t->point, now_mono)) {
		t->has_value = false;
		return t->last = FM_COND_UNKNOWN;
	}
	if (pv->status != FM_POINT_OK)
		return t->last;
	t->has_value = true;
	t->value = pv->value;
	switch (k->kind) {
	case FM_RULE_RISE:
	case FM_RULE_FALL:
		if (fresh)
			rate_window_add(&t->window, now_mono, pv->value, (int64_t)k->within * 1000);
		return t->last = rule_classify_rate(k, &t->window, &t->value);
	case FM_RULE_MASK:
		return t->last = rule_classify_bit(pv->value, a->bit);
	default:
		return t->last = rule_classify(k, pv->value, alert_is_active(&a->fsm));
	}
}

/* Whether the terms C of restored rule alert A give a verdict: each
 * device it watches has been heard from (or given up on), and a rise/fall
 * term that sees no change has watched for its whole `within` since the
 * restore (a restart empties its samples: no rise yet is no news). */
static bool rule_decided(const struct eng_alert *a, const enum fm_cond *c,
                         int64_t now_mono)
{
	for (size_t j = 0; j < a->nterms; j++) {
		const struct fm_condition *k = a->terms[j].cond;
		bool rate = k->kind == FM_RULE_RISE || k->kind == FM_RULE_FALL;
		if (a->terms[j].device->health.state == FM_DEV_UNKNOWN)
			return false;
		if (rate && c[j] == FM_COND_FALSE &&
		    now_mono - a->fsm.since_mono_ms < (int64_t)k->within * 1000)
			return false;
	}
	return true;
}

static void rule_alert_evaluate(struct engine *e, struct eng_alert *a,
                                const struct eng_device *polled, int64_t now_mono,
                                int64_t now_wall)
{
	if (!a->name[0]) /* a slot still waiting for its row */
		return;
	enum fm_cond c[FM_CONDS_MAX];
	for (size_t j = 0; j < a->nterms; j++) /* a rate term takes its sample */
		c[j] = term_classify(a, &a->terms[j], a->terms[j].device == polled, now_mono);
	if (a->resumed && !rule_decided(a, c, now_mono)) /* kept as restored, value too */
		return;
	a->has_value = a->terms[0].has_value;
	a->value = a->terms[0].value;
	eng_alert_observe(e, a, cond_combine(a->rule->combine, c, a->nterms), now_mono,
	                  now_wall);
}

/* Whether another device on D's bus answered after D went down: proof
 * that the bus works and D itself is the problem. */
static bool bus_proven_up(const struct eng_device *d)
{
	for (size_t i = 0; i < d->bus->ndevices; i++) {
		const struct eng_device *o = d->bus->devices[i];
		if (o != d && o->has_reading &&
		    (o->health.state == FM_DEV_UP || o->health.state == FM_DEV_DEGRADED) &&
		    o->reading_wall_ms >= d->health.since_wall_ms)
			return true;
	}
	return false;
}

/* A device that is down raises its own alert only when its bus is not to
 * blame: the bus was reachable, and on a shared line another device has
 * answered since. Until then it is unknown, and the bus alert speaks for
 * all of them when every device is down. Not yet a verdict (*DECIDED
 * false): the device not yet down nor up, or down while no other device
 * on its line has answered since, nor failed. */
static enum fm_cond comm_condition(const struct eng_device *d, bool *decided)
{
	*decided = true;
	switch (d->health.state) {
	case FM_DEV_DOWN:
		if (d->bus && (d->bus->down || d->connection_lost))
			return FM_COND_UNKNOWN;
		if (d->bus && d->bus->ndevices > 1 && !bus_proven_up(d)) {
			*decided = false;
			return FM_COND_UNKNOWN;
		}
		return FM_COND_TRUE;
	case FM_DEV_UNKNOWN:
		*decided = false;
		return FM_COND_UNKNOWN;
	default:
		return FM_COND_FALSE;
	}
}

static void comm_evaluate(struct engine *e, struct eng_device *d, int64_t now_mono,
                          int64_t now_wall)
{
	bool decided;
	enum fm_cond c = comm_condition(d, &decided);
	eng_alert_verdict(e, d->comm, c, decided, now_mono, now_wall);
}

static void fault_alert_evaluate(struct engine *e, struct eng_device *d, size_t p,
                                 int64_t now_mono, int64_t now_wall)
{
	struct eng_point *pt = &d->points[p];
	struct eng_alert *a = pt->fault_alert;
	if (!a || !a->name[0])
		return;
	enum fm_cond c = FM_COND_UNKNOWN;
	if (device_known(d) && d->values[p].status != FM_POINT_ABSENT && pt->fresh_mono_ms)
		c = pt->fault != ENG_FAULT_NONE ? FM_COND_TRUE : FM_COND_FALSE;
	/* not stuck is no verdict while the readings since the start have not
	 * changed once and stuck_after has not passed yet */
	bool decided = d->health.state != FM_DEV_UNKNOWN &&
	               !(c == FM_COND_FALSE && d->conf->points[p].stuck_after &&
	                 pt->unchanged_since_first);
	if (a->resumed && !decided) /* kept as restored, detail and all */
		return;
	snprintf(a->detail, sizeof a->detail, "%s", pt->fault_text);
	a->has_value = d->values[p].status == FM_POINT_OK;
	a->value = d->values[p].value;
	eng_alert_observe(e, a, c, now_mono, now_wall);
}

/* The alerts that watch device D: its comm and fault alerts and every
 * rule alert with a condition on it. POLLED: the device just polled (its
 * readings are new), or NULL when time or the bus changed things. */
static void evaluate_device(struct engine *e, struct eng_device *d,
                            const struct eng_device *polled, int64_t now_mono,
                            int64_t now_wall)
{
	comm_evaluate(e, d, now_mono, now_wall);
	for (size_t p = 0; p < d->conf->npoints; p++)
		fault_alert_evaluate(e, d, p, now_mono, now_wall);
	for (size_t i = 0; i < d->nrules; i++)
		rule_alert_evaluate(e, d->rules[i], polled, now_mono, now_wall);
}

/* ---- buses ---- */

/* A bus is down when every device on it is down and either there are
 * several of them or one could not even reach the bus: then one alert for
 * the bus stands for all of them. */
static bool bus_is_down(const struct eng_bus *b)
{
	size_t n = 0, lost = 0;
	for (size_t i = 0; i < b->ndevices; i++) {
		const struct eng_device *d = b->devices[i];
		if (d->health.state != FM_DEV_DOWN)
			return false;
		n++;
		lost += d->connection_lost;
	}
	return n >= 2 || (n == 1 && lost > 0);
}

/* Updates bus B; when it went down or came back, its devices' alerts are
 * evaluated again (unknown while the bus is down), but for POLLED, which
 * the caller evaluates next. */
static void bus_evaluate(struct engine *e, struct eng_bus *b,
                         const struct eng_device *polled, int64_t now_mono,
                         int64_t now_wall)
{
	bool down = bus_is_down(b);
	bool changed = down != b->down;
	b->down = down;
	if (down)
		snprintf(b->alert->detail, sizeof b->alert->detail, "every device on %s is down",
		         b->conf->name);
	else
		b->alert->detail[0] = '\0';
	/* a verdict: down, or proven up by a device answering, or every
	 * device heard from (a lone device down on a reachable gateway) */
	bool heard = false, up = false, all_heard = true;
	for (size_t i = 0; i < b->ndevices; i++) {
		const struct eng_device *d = b->devices[i];
		heard = heard || d->health.state != FM_DEV_UNKNOWN;
		all_heard = all_heard && d->health.state != FM_DEV_UNKNOWN;
		up = up || device_known(d);
	}
	eng_alert_verdict(e, b->alert, down ? FM_COND_TRUE : heard ? FM_COND_FALSE
	                                                           : FM_COND_UNKNOWN,
	                  down || up || all_heard, now_mono, now_wall);
	for (size_t i = 0; i < b->ndevices; i++) {
		struct eng_device *d = b->devices[i];
		if (d == polled)
			continue;
		if (changed)
			evaluate_device(e, d, NULL, now_mono, now_wall);
		else /* a device answering proves the bus for the others */
			comm_evaluate(e, d, now_mono, now_wall);
	}
}

/* ---- readings ---- */

void eng_name_row_alerts(struct engine *e, const struct eng_device *d, size_t p)
{
	for (size_t i = 0; i < e->nalerts; i++) {
		struct eng_alert *a = &e->alerts[i];
		if (a->kind == ENG_ALERT_RULE && a->device == d && a->point == p)
			snprintf(a->name, sizeof a->name, "%s.%s", a->rule->name, d->rows[p].name);
	}
	if (d->points[p].fault_alert)
		eng_name_fault_alert(d->points[p].fault_alert, d, p);
}

void eng_name_fault_alert(struct eng_alert *a, const struct eng_device *d, size_t p)
{
	int n = snprintf(a->name, sizeof a->name, "%s.%s.fault", d->conf->name,
	                 eng_point_name(d, p));
	if (n >= (int)sizeof a->name)
		log_warn("%s: the fault alert of %s is named %s (cut at %zu bytes)",
		         d->conf->name, eng_point_name(d, p), a->name, sizeof a->name - 1);
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
			eng_name_row_alerts(e, d, p);
		} else if (strcmp(d->rows[p].name, row->name) == 0) {
			memcpy(d->rows[p].label, row->label, sizeof row->label);
		}
	}
}

/* The raw reading behind V (before scale and offset). */
static double raw_value(const struct fm_point *pt, double v)
{
	double scale = pt->scale != 0 ? pt->scale : 1;
	return (v - pt->offset) / scale;
}

/* Whether RAW, as the point's type decoded it, cannot be a measurement:
 * NaN or infinite; or, for a float, a denormal (below the type's smallest
 * normal number), which no sensor sends but a wrong word order often makes
 * of an ordinary reading (22.5 in cdab read as abcd is 2.4e-41). */
static bool raw_not_a_number(const struct fm_point *pt, double raw)
{
	if (!isfinite(raw))
		return true;
	if (pt->type == FM_TYPE_FLOAT32)
		return raw != 0 && fabs(raw) < FLT_MIN;
	if (pt->type == FM_TYPE_FLOAT64)
		return raw != 0 && fabs(raw) < DBL_MIN;
	return false;
}

/* Whether reading V of point PT is a sensor fault, and which. */
static enum eng_fault reading_fault(const struct fm_point *pt, double v, char *why,
                                    size_t len)
{
	double raw = raw_value(pt, v);
	if (raw_not_a_number(pt, raw)) {
		snprintf(why, len, "reads %g, which is not a measurement (%s)", raw,
		         isfinite(raw) ? "a denormal float: the word order is likely wrong"
		                       : "the device sent no number");
		return ENG_FAULT_NUMBER;
	}
	for (size_t i = 0; i < pt->nsentinels; i++)
		if (fabs(raw - pt->sentinels[i]) < 1e-6) {
			snprintf(why, len, "sends %g, the value it sends with no sensor", raw);
			return ENG_FAULT_SENTINEL;
		}
	if ((pt->has_valid_min && v < pt->valid_min) || (pt->has_valid_max && v > pt->valid_max)) {
		snprintf(why, len, "reads %g, outside its valid range %g..%g%s%s", v,
		         pt->has_valid_min ? pt->valid_min : -INFINITY,
		         pt->has_valid_max ? pt->valid_max : INFINITY, pt->unit[0] ? " " : "",
		         pt->unit);
		return ENG_FAULT_RANGE;
	}
	return ENG_FAULT_NONE;
}

/* A point whose readings have not changed at all for stuck_after is
 * stuck. Only readings count: while none come (the point is stale), time
 * does not make it stuck, and the first reading after such a gap starts
 * the count again (store_reading). */
static void check_stuck(struct eng_device *d, size_t p, int64_t now_mono)
{
	struct eng_point *pt = &d->points[p];
	int stuck_after = d->conf->points[p].stuck_after;
	if (!stuck_after || pt->fault == ENG_FAULT_SENTINEL || pt->fault == ENG_FAULT_RANGE ||
	    pt->fault == ENG_FAULT_NUMBER ||
	    !pt->changed_mono_ms || point_stale(d, p, now_mono))
		return;
	bool stuck = now_mono - pt->changed_mono_ms >= (int64_t)stuck_after * 1000;
	pt->fault = stuck ? ENG_FAULT_STUCK : ENG_FAULT_NONE;
	if (stuck)
		snprintf(pt->fault_text, sizeof pt->fault_text, "has read %g for %d s without "
		         "any change (stuck)", pt->last, stuck_after);
	else
		pt->fault_text[0] = '\0';
}

static void store_reading(struct eng_device *d, size_t p, const struct fm_point_value *v,
                          int64_t now_mono, int64_t now_wall)
{
	struct eng_point *pt = &d->points[p];
	if (v->status != FM_POINT_OK) {
		d->values[p] = (struct fm_point_value){.status = v->status, .value = NAN};
		return;
	}
	bool after_gap = point_stale(d, p, now_mono);
	d->values[p] = *v;
	pt->fresh_mono_ms = now_mono;
	if (!pt->changed_mono_ms || v->value != pt->last || after_gap) {
		pt->unchanged_since_first = !pt->changed_mono_ms || after_gap;
		pt->changed_mono_ms = now_mono;
		pt->last = v->value;
	}
	pt->fault = reading_fault(&d->conf->points[p], v->value, pt->fault_text,
	                          sizeof pt->fault_text);
	if (pt->fault != ENG_FAULT_NONE)
		return;
	pt->fault_text[0] = '\0';
	pt->good = v->value; /* a sensor's value, even if it turns out stuck */
	pt->good_wall_ms = now_wall;
	check_stuck(d, p, now_mono);
}

/* A failed read leaves its point FAILED: the last good value is not fresh.
 * A slot holding no row now stays ABSENT. */
static void store_readings(struct eng_device *d, const struct fm_poll_result *r,
                           int64_t now_mono, int64_t now_wall)
{
	static const struct fm_point_value failed = {.status = FM_POINT_FAILED, .value = NAN};
	for (size_t p = 0; p < d->conf->npoints; p++)
		store_reading(d, p, p < r->nvalues ? &r->values[p] : &failed, now_mono, now_wall);
	if (r->requests_ok > 0) {
		d->has_reading = true;
		d->reading_wall_ms = now_wall;
	}
	d->connection_lost = r->connection_lost;
}

void engine_apply_poll(struct engine *e, const struct fm_poll_result *r,
                       int64_t now_mono, int64_t now_wall)
{
	if (r->device >= e->ndevices)
		return;
	struct eng_device *d = &e->devices[r->device];
	store_rows(e, d, r);
	store_readings(d, r, now_mono, now_wall);
	bool was_down = d->health.state == FM_DEV_DOWN;
	if (dev_health_apply(&d->health, r->requests_ok, r->requests_failed,
	                     r->error, now_wall) && e->pub.device_state)
		e->pub.device_state(e->pub.ctx, d, true);
	/* new readings; or none to come, from a device that just went down:
	 * its retained telemetry must then say so, not show the last values */
	bool went_down = !was_down && d->health.state == FM_DEV_DOWN;
	if ((r->requests_ok > 0 || went_down) && e->pub.telemetry)
		e->pub.telemetry(e->pub.ctx, d);
	if (d->bus)
		bus_evaluate(e, d->bus, d, now_mono, now_wall);
	evaluate_device(e, d, d, now_mono, now_wall);
}

/* ---- time ---- */

/* What time alone changes for alert A: a `for` that ran out, a clearing
 * that completed, a point gone stale. */
static void tick_alert(struct engine *e, struct eng_alert *a, int64_t now_mono,
                       int64_t now_wall)
{
	bool pending = a->fsm.state == FM_ALERT_PENDING && a->cond == FM_COND_TRUE;
	bool clearing = a->fsm.state == FM_ALERT_FIRING && a->cond == FM_COND_FALSE;
	if (a->kind == ENG_ALERT_RULE && a->name[0] && a->fsm.state != FM_ALERT_UNKNOWN) {
		for (size_t j = 0; j < a->nterms; j++)
			if (device_known(a->terms[j].device) &&
			    point_stale(a->terms[j].device, a->terms[j].point, now_mono)) {
				rule_alert_evaluate(e, a, NULL, now_mono, now_wall);
				return;
			}
	}
	if (pending || clearing)
		eng_alert_observe(e, a, a->cond, now_mono, now_wall);
}

static void tick_repeat(struct engine *e, struct eng_alert *a, int64_t now_mono,
                        int64_t now_wall)
{
	if (a->fsm.state != FM_ALERT_FIRING || !a->rule || a->rule->repeat <= 0 ||
	    now_mono < a->next_repeat_mono)
		return;
	a->next_repeat_mono = now_mono + (int64_t)a->rule->repeat * 1000;
	if (a->ack || eng_alert_silenced(e, a, now_wall))
		return; /* acknowledged or in maintenance: not repeated */
	if (e->pub.alert_state)
		e->pub.alert_state(e->pub.ctx, a);
}

/* Stuck points change with time alone. */
static void tick_stuck(struct engine *e, int64_t now_mono, int64_t now_wall)
{
	for (size_t i = 0; i < e->ndevices; i++) {
		struct eng_device *d = &e->devices[i];
		for (size_t p = 0; p < d->conf->npoints; p++) {
			enum eng_fault before = d->points[p].fault;
			check_stuck(d, p, now_mono);
			if (d->points[p].fault != before)
				evaluate_device(e, d, NULL, now_mono, now_wall);
		}
	}
}

/* A silence that began or ended: the alerts it covers are republished. */
static void tick_silences(struct engine *e, int64_t now_wall)
{
	eng_end_silences(e, now_wall);
	for (size_t i = 0; i < e->nalerts; i++) {
		struct eng_alert *a = &e->alerts[i];
		bool before = a->silence != NULL; /* may point at a moved entry: recomputed */
		if (eng_alert_silenced(e, a, now_wall) != before && a->name[0] &&
		    e->pub.alert_state)
			e->pub.alert_state(e->pub.ctx, a);
	}
}

void engine_tick(struct engine *e, int64_t now_mono, int64_t now_wall)
{
	tick_stuck(e, now_mono, now_wall);
	for (size_t i = 0; i < e->nalerts; i++) {
		tick_alert(e, &e->alerts[i], now_mono, now_wall);
		tick_repeat(e, &e->alerts[i], now_mono, now_wall);
	}
	tick_silences(e, now_wall);
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
