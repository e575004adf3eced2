/* validate.c - the cross-checks, once every section is parsed.
 *
 * Owns: what no single section can check alone: duplicate names, a device's
 * bus, the implicit bus SNMP devices are on, a device's profile (loaded
 * here, once per profile, checked to be for the device's kind and merged
 * with the device's own points), the point each rule watches, the enum
 * names rules compare with, and the control IDs rules name (against the
 * catalog, strictly or not as the agent section says). A check that depends on a section which had
 * problems is skipped, so one typo gives one message instead of a cascade
 * ("unknown bus" for a bus whose name was bad).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/load_private.h"

/* The setting KEY of entry I in SECTION, for its line; the entry itself
 * when the key is absent. */
static const config_setting_t *entry_setting(const struct conf__state *st,
                                             const char *section, size_t i,
                                             const char *key)
{
	const config_setting_t *list = config_setting_get_member(st->root, section);
	const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
	const config_setting_t *s = key ? config_setting_get_member(g, key) : NULL;
	return s ? s : g;
}

/* Names in one section are unique; the message points back at the first.
 * The entries are structs of STRIDE bytes with a name and an origin. */
static void check_duplicates(struct conf__state *st, const char *section,
                             const char *kind, const void *base, size_t n,
                             size_t stride, size_t name_off, size_t origin_off)
{
	const char *b = base;
	for (size_t i = 1; i < n; i++) {
		const char *name = b + i * stride + name_off;
		for (size_t j = 0; name[0] && j < i; j++) {
			if (strcmp(name, b + j * stride + name_off) != 0)
				continue;
			const struct fm_origin *first = (const void *)(b + j * stride + origin_off);
			conf__error(&st->ctx, entry_setting(st, section, i, "name"),
			            "%s[%zu].name: duplicate %s name '%s' (first at %s:%d)",
			            section, i, kind, name, first->file, first->line);
			break;
		}
	}
}

#define CHECK_DUPLICATES(st, section, kind, type, arr, n) \
	check_duplicates((st), (section), (kind), (arr), (n), sizeof(type), \
	                 offsetof(type, name), offsetof(type, origin))

/* Modbus devices only: an SNMP device's bus is the implicit one. */
static void check_device_buses(struct conf__state *st)
{
	if (!st->buses_ok)
		return;
	for (size_t i = 0; i < st->cfg->ndevices; i++) {
		const struct fm_device *d = &st->cfg->devices[i];
		if (d->kind != FM_DEVICE_MODBUS || !d->bus[0])
			continue;
		const config_setting_t *s = entry_setting(st, "devices", i, "bus");
		if (strcmp(d->bus, FM_SNMP_BUS_NAME) == 0)
			conf__error(&st->ctx, s, "devices[%zu] (%s).bus: '%s' is the implicit "
			            "bus of SNMP devices; give this device type = \"snmp\" and "
			            "its host, or a modbus bus", i, d->name, d->bus);
		else if (!config_find_bus(st->cfg, d->bus))
			conf__error(&st->ctx, s, "devices[%zu] (%s).bus: unknown bus '%s'", i,
			            d->name, d->bus);
	}
}

/* SNMP devices are all on one bus that no one writes: appended here so
 * whatever walks cfg->buses (one worker per bus) finds them. The trap
 * listener runs on that bus's worker, so it carries the listener's
 * settings; without an SNMP device there is neither, and traps would be
 * refused from everyone (only device hosts may send them): said, not
 * ignored. */
static void add_snmp_bus(struct conf__state *st)
{
	struct fm_config *cfg = st->cfg;
	size_t first = 0;
	while (first < cfg->ndevices && cfg->devices[first].kind != FM_DEVICE_SNMP)
		first++;
	if (first == cfg->ndevices) {
		if (cfg->traps.enabled && st->devices_ok)
			conf__error(&st->ctx, config_setting_get_member(st->root, "snmp_traps"),
			            "snmp_traps: there are no snmp devices; traps are "
			            "accepted only from their hosts");
		return;
	}

	struct fm_bus *buses = realloc(cfg->buses, (cfg->nbuses + 1) * sizeof(*buses));
	if (!buses) {
		conf__error(&st->ctx, entry_setting(st, "devices", first, NULL),
		            "devices[%zu]: out of memory", first);
		return;
	}
	cfg->buses = buses;
	struct fm_bus *b = &buses[cfg->nbuses++];
	memset(b, 0, sizeof(*b));
	snprintf(b->name, sizeof(b->name), "%s", FM_SNMP_BUS_NAME);
	b->type = FM_BUS_SNMP;
	b->traps = cfg->traps;
	b->origin = cfg->devices[first].origin;
}

/* ---- profiles ---- */

struct profile_entry {
	char name[FM_NAME_MAX];
	bool missing; /* no such file: each device naming it is told */
	bool ok;
	struct fm_profile_about about;
	struct fm_point *points;
	size_t npoints;
};

struct profile_cache {
	struct profile_entry *items;
	size_t count;
};

static struct profile_entry *profile_get(struct conf__state *st,
                                         struct profile_cache *pc, const char *name)
{
	for (size_t i = 0; i < pc->count; i++)
		if (strcmp(pc->items[i].name, name) == 0)
			return &pc->items[i];

	struct profile_entry *items = realloc(pc->items, (pc->count + 1) * sizeof(*items));
	if (!items)
		return NULL;
	pc->items = items;
	struct profile_entry *e = &items[pc->count++];
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);

	const char *dir = st->cfg->agent.profile_dir;
	char path[FM_TEXT_MAX + FM_NAME_MAX + 8];
	snprintf(path, sizeof(path), "%s/%s.cfg", dir, name);
	if (access(path, F_OK) != 0 && errno == ENOENT) {
		e->missing = true;
		return e;
	}
	e->ok = conf__load_profile(&st->ctx, dir, name, &e->points, &e->npoints,
	                           &e->about) == 0;
	return e;
}

static void profile_cache_free(struct profile_cache *pc)
{
	for (size_t i = 0; i < pc->count; i++)
		free(pc->items[i].points);
	free(pc->items);
}

/* How many points from K on carry K's name: the slots of a walked column
 * (rows = "all"), else 1. */
static size_t group_len(const struct fm_point *points, size_t n, size_t k)
{
	size_t len = 1;
	while (k + len < n && points[k + len].slot > 1 &&
	       strcmp(points[k + len].name, points[k].name) == 0)
		len++;
	return len;
}

/* Replaces the OLD points at K of D by the NEW points of OWN, keeping the
 * order of the others (NEW 0: removes them). The array has room. */
static void splice_points(struct fm_device *d, size_t k, size_t old,
                          const struct fm_point *own, size_t new)
{
	memmove(&d->points[k + new], &d->points[k + old],
	        (d->npoints - k - old) * sizeof(*d->points));
	memcpy(&d->points[k], own, new * sizeof(*own));
	d->npoints = d->npoints - old + new;
}

/* The profile's points, then the device's own: an own point with a profile
 * point's name replaces it in place (its address or scaling differs on
 * this unit; a walked column is replaced with all its slots), one with
 * drop = true removes it, others follow. Returns 0, -ENOMEM, or -ENOENT
 * with *BAD the own point that drops nothing. */
static int merge_points(struct fm_device *d, const struct fm_point *prof, size_t nprof,
                        const struct fm_point *own, size_t nown, size_t *bad)
{
	d->points = calloc(nprof + nown + 1, sizeof(*d->points));
	if (!d->points)
		return -ENOMEM;
	if (nprof)
		memcpy(d->points, prof, nprof * sizeof(*prof));
	d->npoints = nprof;
	size_t from_profile = nprof; /* points [0, from_profile) came from it */
	for (size_t i = 0; i < nown; i += group_len(own, nown, i)) {
		size_t k = 0;
		while (k < from_profile && strcmp(d->points[k].name, own[i].name) != 0)
			k++;
		if (own[i].drop && k == from_profile) {
			*bad = i;
			return -ENOENT;
		}
		size_t new = own[i].drop ? 0 : group_len(own, nown, i);
		if (k == from_profile) { /* not the profile's: goes last */
			splice_points(d, d->npoints, 0, &own[i], new);
			continue;
		}
		size_t old = group_len(d->points, from_profile, k);
		splice_points(d, k, old, &own[i], new);
		from_profile = from_profile - old + new;
	}
	return 0;
}

/* The device's points, or false when they cannot be known (the profile is
 * missing or broken, which has been reported). */
static bool device_points(struct conf__state *st, struct profile_cache *pc, size_t i)
{
	struct fm_device *d = &st->cfg->devices[i];
	struct conf__device_state *ds = &st->devs[i];
	const struct profile_entry *e = NULL;

	if (d->profile[0]) {
		if (!st->profile_dir_ok || !(e = profile_get(st, pc, d->profile)))
			return false;
		if (e->missing)
			conf__error(&st->ctx, ds->profile, "devices[%zu] (%s).profile: unknown "
			            "profile '%s' (no %s.cfg in %s)", i, d->name, d->profile,
			            d->profile, st->cfg->agent.profile_dir);
		if (!e->ok)
			return false;
		enum fm_device_kind pk = conf__points_kind(e->points, e->npoints);
		if (pk != d->kind) {
			conf__error(&st->ctx, ds->profile, "devices[%zu] (%s).profile: profile %s "
			            "has %s points, device %s is %s device", i, d->name, d->profile,
			            pk == FM_DEVICE_SNMP ? "SNMP" : "Modbus", d->name,
			            d->kind == FM_DEVICE_SNMP ? "an snmp" : "a modbus");
			return false;
		}
		d->about = e->about;
	}
	size_t bad = 0;
	int rc = merge_points(d, e ? e->points : NULL, e ? e->npoints : 0, ds->own, ds->nown,
	                      &bad);
	if (rc == -ENOENT) {
		const struct fm_point *p = &ds->own[bad];
		diags_add(st->ctx.diags, p->origin.file, p->origin.line,
		          "devices[%zu] (%s).points: drop = true, but %s has no point '%s' to "
		          "drop", i, d->name, d->profile[0] ? d->profile : "the device (no profile)", p->name);
		return false;
	}
	if (rc < 0) {
		conf__error(&st->ctx, entry_setting(st, "devices", i, NULL),
		            "devices[%zu]: out of memory", i);
		return false;
	}
	if (d->npoints == 0) {
		conf__error(&st->ctx, entry_setting(st, "devices", i, NULL),
		            "devices[%zu] (%s): no points (give it a profile or points)",
		            i, d->name);
		return false;
	}
	return true;
}

static void merge_profiles(struct conf__state *st)
{
	struct profile_cache pc = { 0 };
	for (size_t i = 0; i < st->cfg->ndevices; i++) {
		if (st->devs[i].ok && !device_points(st, &pc, i))
			st->devs[i].ok = false;
	}
	profile_cache_free(&pc);
}

/* ---- rules ---- */

/* "(rack-a has temperature, humidity)" so a typo shows its fix. */
static void point_names(const struct fm_device *d, char *buf, size_t size)
{
	size_t used = (size_t)snprintf(buf, size, "%s has", d->name);
	for (size_t i = 0; i < d->npoints && used < size; i++)
		if (d->points[i].slot <= 1)
			used += (size_t)snprintf(buf + used, size - used, "%s %s", i ? "," : "",
			                         d->points[i].name);
}

/* "other, none, normal" so a typo shows its fix. */
static void enum_names(const struct fm_point *p, char *buf, size_t size)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < p->nenums && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "",
		                         p->enums[i].name);
}

/* equals = "battery": the value the point's enum gives that name. S is
 * the setting, PATH the condition's path ("rules[2] (r)" or "rules[2] (r).all[0]"). */
static void resolve_enum_name(struct conf__state *st, const config_setting_t *s,
                              const char *path, struct fm_condition *k,
                              const struct fm_point *p)
{
	const char *key = config_setting_name(s);
	const char *name = config_setting_get_string(s);
	if (p->nenums == 0 || p->enum_is_bits) {
		conf__error(&st->ctx, s, "%s.%s: point '%s.%s' has no enum; %s needs a "
		            "number", path, key, k->device, k->point, key);
		return;
	}
	for (size_t e = 0; e < p->nenums; e++) {
		if (strcmp(p->enums[e].name, name) == 0) {
			k->threshold = p->enums[e].value;
			k->clear = k->threshold;
			return;
		}
	}
	char names[FM_TEXT_MAX / 2];
	enum_names(p, names, sizeof(names));
	conf__error(&st->ctx, s, "%s.%s: '%s' is not a value of %s.%s (%s)", path, key,
	            name, k->device, k->point, names);
}

/* The path of condition J of rule I, for messages. */
static void condition_path(const struct fm_rule *r, size_t i, size_t j, char *out,
                           size_t len)
{
	if (r->combine == FM_COMBINE_ONE)
		snprintf(out, len, "rules[%zu] (%s)", i, r->name);
	else
		snprintf(out, len, "rules[%zu] (%s).%s[%zu]", i, r->name,
		         r->combine == FM_COMBINE_ALL ? "all" : "any", j);
}

/* What a condition may not be on: the rows of a walked column take only
 * single-condition rules, which become one alert per row. */
static void check_condition_point(struct conf__state *st, const config_setting_t *s,
                                  const char *path, const struct fm_rule *r,
                                  const struct fm_point *p)
{
	if (p->nslots && r->combine != FM_COMBINE_ONE)
		conf__error(&st->ctx, s, "%s.point: %s is a walked table column (rows = "
		            "\"all\"); all/any conditions need single points", path, p->name);
	else if (p->nslots && r->conds[0].kind == FM_RULE_MASK)
		conf__error(&st->ctx, s, "%s.mask: %s is a walked table column; a mask "
		            "needs a single point", path, p->name);
}

/* A device whose name could not be read may be the one a rule names: its
 * own message says what is wrong, "unknown device" would be a cascade.
 * Any other problem of the devices leaves their names known. */
static bool device_name_unread(const struct conf__state *st)
{
	for (size_t i = 0; i < st->cfg->ndevices; i++)
		if (!st->cfg->devices[i].name[0])
			return true;
	return false;
}

static void check_condition(struct conf__state *st, size_t i, size_t j)
{
	struct fm_rule *r = &st->cfg->rules[i];
	struct fm_condition *k = &r->conds[j];
	if (!k->device[0])
		return;
	char path[CONF_PATH_MAX];
	condition_path(r, i, j, path, sizeof path);
	const config_setting_t *g = st->rules ? st->rules[i].cond[j] : NULL;
	const config_setting_t *s = g ? config_setting_get_member(g, "point") : NULL;
	if (!s)
		s = entry_setting(st, "rules", i, NULL);
	const struct fm_device *d = config_find_device(st->cfg, k->device);
	if (!d) {
		if (!device_name_unread(st))
			conf__error(&st->ctx, s, "%s.point: unknown device '%s'", path, k->device);
		return;
	}
	if (!st->devs[d - st->cfg->devices].ok)
		return;
	const struct fm_point *p = device_find_point(d, k->point);
	if (!p) {
		char names[FM_TEXT_MAX / 2];
		point_names(d, names, sizeof(names));
		conf__error(&st->ctx, s, "%s.point: unknown point '%s.%s' (%s)", path,
		            k->device, k->point, names);
		return;
	}
	check_condition_point(st, s, path, r, p);
	if (st->rules && st->rules[i].enum_name[j])
		resolve_enum_name(st, st->rules[i].enum_name[j], path, k, p);
}

static void check_rule_points(struct conf__state *st)
{
	for (size_t i = 0; i < st->cfg->nrules; i++)
		for (size_t j = 0; j < st->cfg->rules[i].nconds; j++)
			check_condition(st, i, j);
}

/* ---- control IDs ---- */

/* Each control ID a rule names is in the catalog (controls.c); one that is
 * not is told as a warning, or an error with agent.strict_controls: the
 * auditor reads these IDs, and "設8O" (a letter O) is evidence for nothing. */
static void check_control(struct conf__state *st, size_t i, size_t k)
{
	const struct fm_rule *r = &st->cfg->rules[i];
	const char *id = r->controls[k];
	if (control_id_known(id))
		return;
	const config_setting_t *e = st->rules[i].control[k];
	char path[CONF_PATH_MAX], known[FM_TEXT_MAX / 2], fix[FM_CONTROL_MAX];
	conf__path_entry(path, "rules", (int)i, entry_setting(st, "rules", i, NULL),
	                 CONF_NAME_RULE);
	control_catalog_describe(id, known, sizeof known);
	bool fixed = control_id_suggest(id, fix, sizeof fix);
	bool strict = st->cfg->agent.strict_controls;
	conf__report(&st->ctx, strict ? FM_DIAG_ERROR : FM_DIAG_WARNING, e,
	             "%s.controls[%d]: '%s' is not a control ID facmon knows (%s)%s%s%s%s",
	             path, config_setting_index(e), id, known,
	             fixed ? "; did you mean '" : "", fixed ? fix : "", fixed ? "'?" : "",
	             strict ? " (agent.strict_controls)" : "");
}

static void check_rule_controls(struct conf__state *st)
{
	for (size_t i = 0; st->rules && i < st->cfg->nrules; i++)
		for (size_t k = 0; k < st->cfg->rules[i].ncontrols; k++)
			check_control(st, i, k);
}

void conf__validate(struct conf__state *st)
{
	struct fm_config *cfg = st->cfg;

	CHECK_DUPLICATES(st, "buses", "bus", struct fm_bus, cfg->buses, cfg->nbuses);
	CHECK_DUPLICATES(st, "devices", "device", struct fm_device, cfg->devices,
	                 cfg->ndevices);
	CHECK_DUPLICATES(st, "rules", "rule", struct fm_rule, cfg->rules, cfg->nrules);
	check_device_buses(st);
	add_snmp_bus(st);
	merge_profiles(st);
	check_rule_points(st);
	check_rule_controls(st);
}
