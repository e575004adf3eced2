/* report_sections.c - one section per control ID.
 *
 * Owns: which control IDs the report has a section for and what each
 * holds. The catalog is the engine built from the config: every alert it
 * makes carries its controls (a rule's `controls`; `<device>.comm` and
 * `<bus>.bus` 実102, sensor faults 設80, the agent's own checks theirs), so
 * a section lists the rules and built-in alerts that carry its ID, with
 * their devices and points, the availability of those devices, the
 * alerts of the period whose events carried the ID (an ID only old events
 * carry gets a section too, marked as not in the config), and the
 * silences that covered those alerts: named on their events, or matching
 * an alert's, rule's or device's name while the alert was active. The
 * sections come in report_control_cmp's order.
 */
#include "report/report_private.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "alerting/describe.h"

/* What a section's arrays can hold, beside it. */
struct caps {
	size_t covers, devices, alerts, silences;
};

struct builder {
	struct report *r;
	const struct engine *e;
	struct caps *caps;
	bool failed;
};

/* ---- the order of control IDs ---- */

/* The next run of TEXT: digits as a number (*NUM), or other bytes. */
static const char *next_run(const char *p, bool *digits, unsigned long *num, size_t *len)
{
	const char *start = p;
	*digits = isdigit((unsigned char)*p);
	*num = 0;
	while (*p && (isdigit((unsigned char)*p) != 0) == *digits) {
		if (*digits)
			*num = *num * 10 + (unsigned long)(*p - '0');
		p++;
	}
	*len = (size_t)(p - start);
	return p;
}

int report_control_cmp(const char *a, const char *b)
{
	while (*a && *b) {
		bool da, db;
		unsigned long na, nb;
		size_t la, lb;
		const char *ra = a, *rb = b;
		a = next_run(a, &da, &na, &la);
		b = next_run(b, &db, &nb, &lb);
		if (da != db)
			return da ? -1 : 1; /* a number first: ISO's 8.15 before 設46 */
		if (da && na != nb)
			return na < nb ? -1 : 1;
		if (!da) {
			int c = memcmp(ra, rb, la < lb ? la : lb);
			if (c || la != lb)
				return c ? c : (la < lb ? -1 : 1);
		}
	}
	return (*a != '\0') - (*b != '\0');
}

/* ---- the sections ---- */

static struct report_section *find_section(struct report *r, const char *control)
{
	for (size_t i = 0; i < r->nsections; i++)
		if (strcmp(r->sections[i].control, control) == 0)
			return &r->sections[i];
	return NULL;
}

static void want_section(struct builder *b, const char *control, bool in_config)
{
	struct report *r = b->r;
	struct report_section *s = find_section(r, control);
	if (s) {
		s->in_config = s->in_config || in_config;
		return;
	}
	size_t cap = r->nsections; /* grown one at a time: a handful of IDs */
	s = REPORT_PUSH(r->sections, r->nsections, cap);
	if (!s) {
		b->failed = true;
		return;
	}
	snprintf(s->control, sizeof s->control, "%s", control);
	s->in_config = in_config;
}

static int section_order(const void *x, const void *y)
{
	const struct report_section *a = x, *b = y;
	return report_control_cmp(a->control, b->control);
}

static void collect_controls(struct builder *b)
{
	const struct engine *e = b->e;
	for (size_t i = 0; e && i < e->nalerts; i++)
		for (size_t k = 0; k < e->alerts[i].ncontrols; k++)
			want_section(b, e->alerts[i].controls[k], true);
	for (size_t i = 0; i < b->r->nalerts; i++)
		for (size_t k = 0; k < b->r->alerts[i].ncontrols; k++)
			want_section(b, b->r->alerts[i].controls[k], false);
	if (b->r->nsections)
		qsort(b->r->sections, b->r->nsections, sizeof *b->r->sections, section_order);
}

/* ---- what covers a control ---- */

static const struct {
	const char *name, *what;
} self_checks[] = {
	{"facmon.clock", "the gateway clock is synchronised (NTP)"},
	{"facmon.outbox", "events reach the broker"},
	{"facmon.disk", "the state directory's disk has room"},
	{"facmon.collectors", "every bus worker is alive and polling"},
};

static void self_condition(const char *name, char *buf, size_t len)
{
	for (size_t i = 0; i < sizeof self_checks / sizeof self_checks[0]; i++)
		if (strcmp(self_checks[i].name, name) == 0) {
			snprintf(buf, len, "%s (the agent's own check)", self_checks[i].what);
			return;
		}
	snprintf(buf, len, "the agent's own check");
}

/* "rack-a.temperature, crac1.run": the points of a rule alert, as
 * configured (a walked column by its name). */
static void rule_points(const struct eng_alert *a, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t j = 0; j < a->nterms && used < len; j++) {
		const struct eng_term *t = &a->terms[j];
		const struct fm_point *p = &t->device->conf->points[t->point];
		int n = snprintf(buf + used, len - used, "%s%s.%s%s", j ? ", " : "",
		                 t->device->conf->name, p->name, p->nslots ? " (each row)" : "");
		used += n > 0 ? (size_t)n : 0;
	}
}

static void rule_cover(const struct eng_alert *a, struct report_cover *c)
{
	const struct fm_rule *rule = a->rule;
	char cond[FM_TEXT_MAX - 48];
	if (rule->conds[0].kind == FM_RULE_MASK)
		snprintf(cond, sizeof cond, "a bit of mask 0x%X set (an alert per bit)",
		         (unsigned)rule->conds[0].mask);
	else
		eng_alert_condition_text(a, cond, sizeof cond);
	snprintf(c->name, sizeof c->name, "%s", rule->name);
	if (rule->for_s)
		snprintf(c->condition, sizeof c->condition, "%s for %d s", cond, rule->for_s);
	else
		snprintf(c->condition, sizeof c->condition, "%s", cond);
	rule_points(a, c->points, sizeof c->points);
}

static void builtin_cover(const struct engine *e, const struct eng_alert *a,
                          struct report_cover *c)
{
	c->builtin = true;
	snprintf(c->name, sizeof c->name, "%s", a->name);
	switch (a->kind) {
	case ENG_ALERT_COMM:
		snprintf(c->condition, sizeof c->condition, "the device does not answer (down "
		         "after %d failed polls)", a->device->conf->down_after);
		snprintf(c->points, sizeof c->points, "%s", a->device->conf->name);
		break;
	case ENG_ALERT_FAULT:
		snprintf(c->condition, sizeof c->condition, "the sensor sends a value it cannot "
		         "mean (valid range, sentinel, stuck)");
		snprintf(c->points, sizeof c->points, "%s.%s", a->device->conf->name,
		         a->device->conf->points[a->point].name);
		break;
	case ENG_ALERT_BUS:
		snprintf(c->condition, sizeof c->condition, "the serial line or TCP gateway is "
		         "down");
		for (size_t i = 0; i < e->nbuses; i++)
			if (e->buses[i].alert == a)
				snprintf(c->points, sizeof c->points, "%s", e->buses[i].conf->name);
		break;
	default:
		self_condition(a->name, c->condition, sizeof c->condition);
		break;
	}
}

static void add_device(struct builder *b, struct report_section *s, struct caps *k,
                       size_t device)
{
	for (size_t i = 0; i < s->ndevices; i++)
		if (s->devices[i] == device)
			return;
	size_t *d = REPORT_PUSH(s->devices, s->ndevices, k->devices);
	if (d)
		*d = device;
	else
		b->failed = true;
}

/* The devices alert A watches, into section S. */
static void add_devices(struct builder *b, struct report_section *s, struct caps *k,
                        const struct eng_alert *a)
{
	const struct engine *e = b->e;
	for (size_t j = 0; j < a->nterms; j++)
		add_device(b, s, k, (size_t)(a->terms[j].device - e->devices));
	if (a->kind == ENG_ALERT_COMM || a->kind == ENG_ALERT_FAULT)
		add_device(b, s, k, (size_t)(a->device - e->devices));
	for (size_t i = 0; a->kind == ENG_ALERT_BUS && i < e->ndevices; i++)
		if (e->devices[i].bus && e->devices[i].bus->alert == a)
			add_device(b, s, k, i);
}

static void add_cover(struct builder *b, struct report_section *s, struct caps *k,
                      const struct eng_alert *a)
{
	const char *name = a->rule ? a->rule->name : a->name;
	if (!name[0])
		return;
	add_devices(b, s, k, a);
	for (size_t i = 0; i < s->ncovers; i++)
		if (strcmp(s->covers[i].name, name) == 0)
			return; /* a rule's other rows or bits */
	struct report_cover *c = REPORT_PUSH(s->covers, s->ncovers, k->covers);
	if (!c) {
		b->failed = true;
		return;
	}
	snprintf(c->severity, sizeof c->severity, "%s", severity_name(a->severity));
	if (a->rule)
		rule_cover(a, c);
	else
		builtin_cover(b->e, a, c);
}

static void collect_covers(struct builder *b)
{
	const struct engine *e = b->e;
	for (size_t i = 0; e && i < e->nalerts; i++)
		for (size_t k = 0; k < e->alerts[i].ncontrols; k++) {
			struct report_section *s = find_section(b->r, e->alerts[i].controls[k]);
			if (s)
				add_cover(b, s, &b->caps[s - b->r->sections], &e->alerts[i]);
		}
}

/* ---- the alerts and silences of each section ---- */

/* Alert A's rule and device, from the catalog when it has A's name, else
 * from its point ("rack-a.temperature": rack-a). */
static void place_alert(const struct engine *e, struct report_alert *a)
{
	for (size_t i = 0; e && i < e->nalerts; i++) {
		const struct eng_alert *x = &e->alerts[i];
		if (strcmp(x->name, a->name) != 0)
			continue;
		snprintf(a->rule, sizeof a->rule, "%s", x->rule ? x->rule->name : "");
		snprintf(a->device, sizeof a->device, "%s", x->device ? x->device->conf->name : "");
		return;
	}
	snprintf(a->device, sizeof a->device, "%.*s", (int)strcspn(a->point, "."), a->point);
}

static bool names_match(const char *pattern, const struct report_alert *a)
{
	return fnmatch(pattern, a->name, 0) == 0 ||
	       (a->rule[0] && fnmatch(pattern, a->rule, 0) == 0) ||
	       (a->device[0] && fnmatch(pattern, a->device, 0) == 0);
}

/* Whether silence S covered alert A: its events say so, or S matches it
 * and was in place while A was active. */
static bool silence_covers(const struct report *r, const struct report_silence *s,
                           const struct report_alert *a)
{
	for (size_t k = 0; k < a->nsilences; k++)
		if (a->silences[k] == s->key)
			return true;
	int64_t s_end = s->ended_ms ? s->ended_ms : s->end_ms;
	int64_t a_end = a->resolved_ms ? a->resolved_ms : r->until_ms;
	return names_match(s->match, a) && s->start_ms < a_end && a->start_ms < s_end;
}

static void add_index(struct builder *b, size_t **arr, size_t *n, size_t *cap, size_t v)
{
	size_t *slot = report_push(arr, n, cap, sizeof **arr);
	if (slot)
		*slot = v;
	else
		b->failed = true;
}

static void collect_alerts(struct builder *b)
{
	struct report *r = b->r;
	for (size_t i = 0; i < r->nalerts; i++) {
		struct report_alert *a = &r->alerts[i];
		place_alert(b->e, a);
		for (size_t k = 0; k < a->ncontrols; k++) {
			struct report_section *s = find_section(r, a->controls[k]);
			if (s)
				add_index(b, &s->alerts, &s->nalerts, &b->caps[s - r->sections].alerts, i);
		}
	}
	for (size_t i = 0; i < r->nsections; i++) {
		struct report_section *s = &r->sections[i];
		for (size_t k = 0; k < r->nsilences; k++) {
			bool covers = false;
			for (size_t j = 0; j < s->nalerts && !covers; j++)
				covers = silence_covers(r, &r->silences[k], &r->alerts[s->alerts[j]]);
			if (covers)
				add_index(b, &s->silences, &s->nsilences, &b->caps[i].silences, k);
		}
	}
}

/* ---- figures ---- */

static void add_time(struct report_times *t, double s)
{
	if (s < 0)
		return;
	t->mean_s = (t->mean_s * (double)t->n + s) / (double)(t->n + 1);
	t->n++;
	if (s > t->max_s)
		t->max_s = s;
}

static void summarise(struct report *r, struct report_section *s)
{
	for (size_t j = 0; j < s->nalerts; j++) {
		const struct report_alert *a = &r->alerts[s->alerts[j]];
		s->carried_in += a->carried_in;
		s->acked += a->acked_ms != 0;
		s->resolved += a->resolved_ms != 0;
		if (!a->carried_in) /* detected in the month before */
			add_time(&s->detect, report_alert_detect_s(a));
		add_time(&s->ack, report_alert_ack_s(a));
		add_time(&s->resolve, report_alert_resolve_s(a));
	}
}

int report_sections_build(struct report *r, const struct engine *catalog)
{
	struct builder b = {.r = r, .e = catalog};
	collect_controls(&b);
	b.caps = calloc(r->nsections + 1, sizeof *b.caps);
	if (b.failed || !b.caps) {
		free(b.caps);
		return -1;
	}
	collect_covers(&b);
	collect_alerts(&b);
	for (size_t i = 0; i < r->nsections; i++)
		summarise(r, &r->sections[i]);
	free(b.caps);
	return b.failed ? -1 : 0;
}

void report_sections_free(struct report *r)
{
	for (size_t i = 0; i < r->nsections; i++) {
		free(r->sections[i].covers);
		free(r->sections[i].devices);
		free(r->sections[i].alerts);
		free(r->sections[i].silences);
	}
	free(r->sections);
	r->sections = NULL;
	r->nsections = 0;
}
