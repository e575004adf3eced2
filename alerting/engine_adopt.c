/* engine_adopt.c - carrying the engine's knowledge across a reload.
 *
 * Owns: engine_adopt. Everything is matched by name, never by index (a
 * reload may add, remove and reorder devices, points and rules): a device
 * keeps its communication state and the readings of the points it still
 * has (a walked column's slots by slot number, with the rows they hold),
 * an alert keeps its state, since, acknowledgement and flap history, and a
 * rule whose conditions are unchanged keeps its rise/fall samples. What
 * the new config changed takes effect at the next evaluation: a new
 * threshold is applied to the next reading, not to the past.
 */
#include <stdio.h>
#include <string.h>

#include "alerting/engine.h"

/* The point of OLD matching NEW's point P by name (and slot), or -1. */
static long matching_point(const struct eng_device *old, const struct eng_device *new,
                           size_t p)
{
	const struct fm_point *np = &new->conf->points[p];
	for (size_t q = 0; q < old->conf->npoints; q++) {
		const struct fm_point *op = &old->conf->points[q];
		if (strcmp(op->name, np->name) == 0 && op->slot == np->slot)
			return (long)q;
	}
	return -1;
}

static void adopt_device(struct engine *e, struct eng_device *d, const struct eng_device *o)
{
	unsigned down_after = d->health.down_after; /* the new config's */
	d->health = o->health;
	d->health.down_after = down_after;
	d->has_reading = o->has_reading;
	d->reading_wall_ms = o->reading_wall_ms;
	d->connection_lost = o->connection_lost;
	for (size_t p = 0; p < d->conf->npoints; p++) {
		long q = matching_point(o, d, p);
		if (q < 0)
			continue;
		d->values[p] = o->values[q];
		struct eng_alert *fault = d->points[p].fault_alert;
		d->points[p] = o->points[q];
		d->points[p].fault_alert = fault;
		if (d->conf->points[p].nslots && o->rows && o->rows[q].name[0]) {
			d->rows[p] = o->rows[q];
			memcpy(d->names[p], o->names[q], sizeof d->names[p]);
			eng_name_row_alerts(e, d, p);
		}
	}
}

static bool same_conditions(const struct eng_alert *a, const struct eng_alert *o)
{
	if (!a->rule || !o->rule || a->nterms != o->nterms)
		return false;
	for (size_t j = 0; j < a->nterms; j++) {
		const struct fm_condition *x = a->terms[j].cond, *y = o->terms[j].cond;
		if (x->kind != y->kind || x->within != y->within ||
		    strcmp(x->device, y->device) != 0 || strcmp(x->point, y->point) != 0)
			return false;
	}
	return true;
}

static void adopt_alert(struct eng_alert *a, struct eng_alert *o)
{
	int64_t for_ms = a->fsm.for_ms, clear_ms = a->fsm.clear_ms; /* the new rule's */
	a->fsm = o->fsm;
	a->fsm.for_ms = for_ms;
	a->fsm.clear_ms = clear_ms;
	a->cond = o->cond;
	a->has_value = o->has_value;
	a->value = o->value;
	memcpy(a->detail, o->detail, sizeof a->detail);
	a->next_repeat_mono = o->next_repeat_mono;
	a->resumed = o->resumed;
	a->ack = o->ack; /* moved: OLD is destroyed after the adoption */
	o->ack = NULL;
	if (!same_conditions(a, o))
		return;
	for (size_t j = 0; j < a->nterms; j++) {
		struct rate_window w = a->terms[j].window; /* swapped: OLD frees NEW's empty one */
		a->terms[j].window = o->terms[j].window;
		o->terms[j].window = w;
		a->terms[j].last = o->terms[j].last;
		a->terms[j].has_value = o->terms[j].has_value;
		a->terms[j].value = o->terms[j].value;
	}
}

void engine_adopt(struct engine *new, struct engine *old,
                  void (*gone)(void *ctx, const char *kind, const char *name), void *ctx,
                  int64_t now_wall)
{
	new->next_seq = old->next_seq;
	for (size_t i = 0; i < new->ndevices; i++) {
		struct eng_device *o = engine_find_device(old, new->devices[i].conf->name);
		if (o)
			adopt_device(new, &new->devices[i], o);
	}
	for (size_t b = 0; b < new->nbuses; b++)
		for (size_t k = 0; k < old->nbuses; k++)
			if (strcmp(new->buses[b].conf->name, old->buses[k].conf->name) == 0)
				new->buses[b].down = old->buses[k].down;
	for (size_t i = 0; i < new->nalerts; i++) {
		struct eng_alert *a = &new->alerts[i];
		struct eng_alert *o = a->name[0] ? engine_find_alert(old, a->name) : NULL;
		if (o)
			adopt_alert(a, o);
	}
	/* the operators' silences keep their ids (they may be cancelled by
	 * id); the config's are set again from the new config by the caller */
	for (size_t i = 0; i < old->nsilences && new->nsilences < ENG_SILENCES_MAX; i++)
		if (!old->silences[i].from_config)
			new->silences[new->nsilences++] = old->silences[i];
	new->next_silence_id = old->next_silence_id;
	for (size_t i = 0; i < new->nalerts; i++)
		eng_alert_silenced(new, &new->alerts[i], now_wall);
	for (size_t i = 0; gone && i < old->nalerts; i++)
		if (old->alerts[i].name[0] && !engine_find_alert(new, old->alerts[i].name))
			gone(ctx, "alert", old->alerts[i].name);
	for (size_t i = 0; gone && i < old->ndevices; i++)
		if (!engine_find_device(new, old->devices[i].conf->name))
			gone(ctx, "device", old->devices[i].conf->name);
}
