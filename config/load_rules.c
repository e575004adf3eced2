/* load_rules.c - the rules section.
 *
 * Owns: reading each rule into fm_rule: its condition, or the conditions of
 * an `all` / `any` rule, each with its point, kind (above, below, equals,
 * not_equals, rise/fall within a window, mask), the hysteresis bound on
 * the right side of a threshold; timing (for, clear_for, repeat),
 * severity, control IDs and routing (location, runbook, owner). Whether
 * the point a condition names exists, and which value an enum name in
 * equals/not_equals stands for, are cross-checks (validate.c), made once
 * every device's points are known.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/load_private.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char *const rule_keys[] = {
	"name", "point", "above", "below", "equals", "not_equals", "rise", "fall",
	"within", "mask", "clear", "all", "any", "for", "clear_for", "repeat",
	"severity", "controls", "location", "runbook", "owner", NULL,
};

static const char *const condition_keys[] = {
	"point", "above", "below", "equals", "not_equals", "rise", "fall", "within",
	"mask", "clear", NULL,
};

static const char *const kind_keys[] = {
	[FM_RULE_ABOVE] = "above",
	[FM_RULE_BELOW] = "below",
	[FM_RULE_EQUALS] = "equals",
	[FM_RULE_NOT_EQUALS] = "not_equals",
	[FM_RULE_RISE] = "rise",
	[FM_RULE_FALL] = "fall",
	[FM_RULE_MASK] = "mask",
};

static const char *const severity_names[] = {
	[FM_SEV_INFO] = "info",
	[FM_SEV_WARNING] = "warning",
	[FM_SEV_MAJOR] = "major",
	[FM_SEV_CRITICAL] = "critical",
};

#define MAX_WINDOW 86400 /* a rate rule's window, seconds */

static void parse_rule_name(struct conf__ctx *c, const config_setting_t *g,
                            const char *path, struct fm_rule *r)
{
	if (conf__name(c, g, path, "name", true, CONF_NAME_RULE, r->name) != CONF_OK)
		return;
	size_t len = strlen(r->name);
	if (len >= 5 && strcmp(r->name + len - 5, ".comm") == 0)
		conf__error(c, config_setting_get_member(g, "name"),
		            "%s.name: '%s' ends in '.comm', which is reserved for the "
		            "built-in per-device communication rule", path, r->name);
	if (strncmp(r->name, "facmon.", 7) == 0)
		conf__error(c, config_setting_get_member(g, "name"),
		            "%s.name: names starting 'facmon.' are reserved for the agent's "
		            "own health alerts", path);
}

/* point = "<device>.<point>" */
static void parse_point_ref(struct conf__ctx *c, const config_setting_t *g,
                            const char *path, struct fm_condition *k)
{
	char ref[FM_TEXT_MAX];
	if (conf__string(c, g, path, "point", true, ref, sizeof(ref)) != CONF_OK)
		return;
	char *dot = strchr(ref, '.');
	if (dot) {
		*dot = '\0';
		if (conf__name_valid(ref, CONF_NAME) && conf__name_valid(dot + 1, CONF_NAME)) {
			/* both checked shorter than FM_NAME_MAX */
			memcpy(k->device, ref, strlen(ref) + 1);
			memcpy(k->point, dot + 1, strlen(dot + 1) + 1);
			return;
		}
		*dot = '.';
	}
	conf__error(c, config_setting_get_member(g, "point"),
	            "%s.point: '%s' is not of the form <device>.<point>", path, ref);
}

/* Exactly one kind key; its index in kind_keys, or -1. */
static int find_kind(struct conf__ctx *c, const config_setting_t *g, const char *path)
{
	int found = -1;
	for (int k = 0; k < (int)ARRAY_LEN(kind_keys); k++) {
		const config_setting_t *s = config_setting_get_member(g, kind_keys[k]);
		if (!s)
			continue;
		if (found >= 0) {
			conf__error(c, s, "%s: '%s' and '%s' both given; a condition has exactly "
			            "one kind", path, kind_keys[found], kind_keys[k]);
			return -1;
		}
		found = k;
	}
	if (found < 0)
		conf__error(c, g, "%s: missing a condition (one of above, below, equals, "
		            "not_equals, rise, fall, mask; or all / any)", path);
	return found;
}

/* mask = 0x0F: the bits watched, at least one. libconfig reads 0xFFFFFFFF
 * as -1 (32-bit) and 0x1FFFFFFFF as -1 too: the literal as written tells. */
static bool parse_mask(struct conf__ctx *c, const config_setting_t *g, const char *path,
                       struct fm_condition *k)
{
	const config_setting_t *s = config_setting_get_member(g, "mask");
	int type = config_setting_type(s);
	if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64) {
		conf__error(c, s, "%s.mask: expected an integer bit mask like 0x00FF", path);
		return false;
	}
	long long v;
	char lit[64];
	if (!conf__int_value(c, s, &v, lit, sizeof lit) || v == 0 || v > 0xFFFFFFFFLL ||
	    v < -2147483648LL) {
		conf__error(c, s, "%s.mask: %s is not a 32-bit mask with at least one "
		            "bit set", path, lit);
		return false;
	}
	k->mask = (uint32_t)v;
	return true;
}

/* rise/fall take a window; nothing else does. */
static void parse_within(struct conf__ctx *c, const config_setting_t *g,
                         const char *path, struct fm_condition *k)
{
	bool rate = k->kind == FM_RULE_RISE || k->kind == FM_RULE_FALL;
	const config_setting_t *s = config_setting_get_member(g, "within");
	if (!rate && s) {
		conf__error(c, s, "%s.within: within goes with rise or fall", path);
		return;
	}
	if (rate && conf__int(c, g, path, "within", true, 1, MAX_WINDOW, &k->within) == CONF_OK &&
	    k->threshold <= 0)
		conf__error(c, config_setting_get_member(g, kind_keys[k->kind]),
		            "%s.%s: %g; how far the value moves must be more than 0", path,
		            kind_keys[k->kind], k->threshold);
}

/* The value of the kind key; equals = "battery" leaves the name in
 * *ENUM_NAME for validate.c to resolve. */
static bool parse_kind_value(struct conf__ctx *c, const config_setting_t *g,
                             const char *path, struct fm_condition *k,
                             const config_setting_t **enum_name)
{
	const config_setting_t *s = config_setting_get_member(g, kind_keys[k->kind]);
	if ((k->kind == FM_RULE_EQUALS || k->kind == FM_RULE_NOT_EQUALS) &&
	    config_setting_type(s) == CONFIG_TYPE_STRING) {
		*enum_name = s;
		return true;
	}
	if (k->kind == FM_RULE_MASK)
		return parse_mask(c, g, path, k);
	return conf__double(c, g, path, kind_keys[k->kind], true, &k->threshold) == CONF_OK;
}

/* The alert resolves only once the value is back past CLEAR, so CLEAR must
 * lie on the safe side of the threshold. */
static void parse_clear(struct conf__ctx *c, const config_setting_t *g,
                        const char *path, bool kind_ok, struct fm_condition *k)
{
	k->clear = k->threshold;
	const config_setting_t *s = config_setting_get_member(g, "clear");
	if (!s || conf__double(c, g, path, "clear", false, &k->clear) != CONF_OK || !kind_ok)
		return;
	if (k->kind != FM_RULE_ABOVE && k->kind != FM_RULE_BELOW)
		conf__error(c, s, "%s.clear: clear is only allowed with above or below", path);
	else if (k->kind == FM_RULE_ABOVE && k->clear > k->threshold)
		conf__error(c, s, "%s.clear: %g is above the threshold %g; with 'above', "
		            "clear must be <= above", path, k->clear, k->threshold);
	else if (k->kind == FM_RULE_BELOW && k->clear < k->threshold)
		conf__error(c, s, "%s.clear: %g is below the threshold %g; with 'below', "
		            "clear must be >= below", path, k->clear, k->threshold);
}

/* One condition from the keys of G (the rule itself, or one entry of its
 * all/any list). */
static void parse_condition(struct conf__ctx *c, const config_setting_t *g,
                            const char *path, struct fm_condition *k,
                            const config_setting_t **enum_name)
{
	conf__origin(c, g, &k->origin);
	parse_point_ref(c, g, path, k);
	int kind = find_kind(c, g, path);
	bool kind_ok = kind >= 0;
	if (kind_ok) {
		k->kind = (enum fm_rule_kind)kind;
		kind_ok = parse_kind_value(c, g, path, k, enum_name);
	}
	parse_clear(c, g, path, kind_ok, k);
	if (kind_ok)
		parse_within(c, g, path, k);
}

/* all = ( { point = ...; above = ...; }, ... ): 2 to FM_CONDS_MAX
 * conditions, none of them a mask (a mask is one alert per bit). */
static void parse_combined(struct conf__ctx *c, const config_setting_t *g,
                           const char *path, const char *key, struct fm_rule *r,
                           struct conf__rule_state *rs)
{
	char p[CONF_PATH_MAX];
	conf__path(p, path, key);
	const config_setting_t *list = config_setting_get_member(g, key);
	for (size_t i = 0; condition_keys[i]; i++)
		if (config_setting_get_member(g, condition_keys[i]))
			conf__error(c, config_setting_get_member(g, condition_keys[i]),
			            "%s.%s: a rule with %s has its conditions inside it", path,
			            condition_keys[i], key);
	if (!conf__group_list(c, list, p))
		return;
	int n = config_setting_length(list);
	if (n < 2 || n > FM_CONDS_MAX) {
		conf__error(c, list, "%s: expected 2 to %d conditions, got %d", p,
		            FM_CONDS_MAX, n);
		return;
	}
	r->combine = strcmp(key, "all") == 0 ? FM_COMBINE_ALL : FM_COMBINE_ANY;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
		char pe[CONF_PATH_MAX];
		conf__path_index(pe, p, i);
		if (!conf__expect(c, e, pe, CONFIG_TYPE_GROUP))
			continue;
		conf__known_keys(c, e, pe, condition_keys);
		struct fm_condition *k = &r->conds[r->nconds];
		rs->cond[r->nconds] = e;
		parse_condition(c, e, pe, k, &rs->enum_name[r->nconds]);
		r->nconds++;
		if (k->kind == FM_RULE_MASK && config_setting_get_member(e, "mask"))
			conf__error(c, config_setting_get_member(e, "mask"),
			            "%s.mask: a mask makes one alert per bit; it cannot be part "
			            "of %s", pe, key);
	}
}

static void parse_conditions(struct conf__ctx *c, const config_setting_t *g,
                             const char *path, struct fm_rule *r,
                             struct conf__rule_state *rs)
{
	const config_setting_t *all = config_setting_get_member(g, "all");
	const config_setting_t *any = config_setting_get_member(g, "any");
	if (all && any) {
		conf__error(c, any, "%s: 'all' and 'any' both given; nest them in two rules",
		            path);
		return;
	}
	if (all || any) {
		parse_combined(c, g, path, all ? "all" : "any", r, rs);
		return;
	}
	r->combine = FM_COMBINE_ONE;
	r->nconds = 1;
	rs->cond[0] = g;
	parse_condition(c, g, path, &r->conds[0], &rs->enum_name[0]);
}

/* A control ID's form: 1..15 bytes, no control character, no space of
 * any kind (ASCII, no-break, ideographic). Whether it is in the catalog is
 * a cross-check (validate.c): agent.strict_controls says what an unknown
 * one is. */
static bool control_form_ok(struct conf__ctx *c, const config_setting_t *e,
                            const char *path, const char *v)
{
	size_t len = strlen(v);
	if (conf__string_has_nul(c, e))
		return false; /* told already, and libconfig cut it short */
	if (len == 0 || len >= FM_CONTROL_MAX) {
		conf__error(c, e, "%s: '%s' must be 1-%d bytes", path, v, FM_CONTROL_MAX - 1);
		return false;
	}
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f) {
			conf__error(c, e, "%s: contains a control character (byte %zu)", path, i);
			return false;
		}
	if (strchr(v, ' ') || strstr(v, "\xe3\x80\x80") || strstr(v, "\xc2\xa0")) {
		char fix[FM_CONTROL_MAX];
		bool fixed = control_id_suggest(v, fix, sizeof fix);
		conf__error(c, e, "%s: '%s' has a space in it; control IDs have none%s%s%s",
		            path, v, fixed ? " (did you mean '" : "", fixed ? fix : "",
		            fixed ? "'?)" : "");
		return false;
	}
	return true;
}

static void parse_controls(struct conf__ctx *c, const config_setting_t *g,
                           const char *path, struct fm_rule *r,
                           struct conf__rule_state *rs)
{
	char p[CONF_PATH_MAX];
	conf__path(p, path, "controls");
	const config_setting_t *s = config_setting_get_member(g, "controls");
	if (!s)
		return;
	if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		conf__error(c, s, "%s: expected a list of strings [\"...\"], got %s", p,
		            conf__type_name(config_setting_type(s)));
		return;
	}
	int n = config_setting_length(s);
	if (n > FM_CONTROLS_MAX) {
		conf__error(c, s, "%s: %d control IDs, at most %d", p, n, FM_CONTROLS_MAX);
		return;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		char pe[CONF_PATH_MAX];
		conf__path_index(pe, p, i);
		if (!conf__expect(c, e, pe, CONFIG_TYPE_STRING))
			continue;
		const char *v = config_setting_get_string(e);
		if (!control_form_ok(c, e, pe, v))
			continue;
		rs->control[r->ncontrols] = e;
		memcpy(r->controls[r->ncontrols++], v, strlen(v) + 1);
	}
}

/* KEY of G, a text of at most FM_TEXT_MAX - 1 bytes, copied to the pool;
 * NULL when not given (or wrong, which is reported). */
static const char *routing_text(struct conf__ctx *c, const config_setting_t *g,
                                const char *path, const char *key)
{
	char text[FM_TEXT_MAX];
	if (conf__string(c, g, path, key, false, text, sizeof text) != CONF_OK || !text[0])
		return NULL;
	const char *kept = pool_copy(c->pool, text, strlen(text) + 1);
	if (!kept)
		conf__error(c, g, "%s.%s: out of memory", path, key);
	return kept;
}

void conf__parse_routing(struct conf__ctx *c, const config_setting_t *g,
                         const char *path, struct fm_routing *out)
{
	out->location = routing_text(c, g, path, "location");
	out->runbook = routing_text(c, g, path, "runbook");
	out->owner = routing_text(c, g, path, "owner");
}

static void parse_rule(struct conf__ctx *c, const config_setting_t *g,
                       const char *path, struct fm_rule *r,
                       struct conf__rule_state *rs)
{
	conf__origin(c, g, &r->origin);
	conf__known_keys(c, g, path, rule_keys);
	parse_rule_name(c, g, path, r);
	parse_conditions(c, g, path, r, rs);
	conf__int(c, g, path, "for", false, 0, 86400, &r->for_s);
	conf__int(c, g, path, "clear_for", false, 0, 86400, &r->clear_for_s);
	conf__int(c, g, path, "repeat", false, 0, 86400, &r->repeat);
	int sev = FM_SEV_WARNING;
	conf__enum(c, g, path, "severity", false, severity_names,
	           (int)ARRAY_LEN(severity_names), &sev);
	r->severity = (enum fm_severity)sev;
	parse_controls(c, g, path, r, rs);
	conf__parse_routing(c, g, path, &r->routing);
}

void conf__parse_rules(struct conf__state *st, const config_setting_t *root)
{
	struct conf__ctx *c = &st->ctx;
	const config_setting_t *list = config_setting_get_member(root, "rules");
	if (list && conf__group_list(c, list, "rules")) {
		size_t n = (size_t)config_setting_length(list);
		st->cfg->rules = calloc(n + 1, sizeof(*st->cfg->rules));
		st->rules = calloc(n + 1, sizeof(*st->rules));
		if (!st->cfg->rules || !st->rules) {
			conf__error(c, list, "rules: out of memory");
			return;
		}
		st->cfg->nrules = n;
		for (size_t i = 0; i < n; i++) {
			const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
			char path[CONF_PATH_MAX];
			conf__path_entry(path, "rules", (int)i, g, CONF_NAME_RULE);
			if (conf__expect(c, g, path, CONFIG_TYPE_GROUP))
				parse_rule(c, g, path, &st->cfg->rules[i], &st->rules[i]);
		}
	}
}
