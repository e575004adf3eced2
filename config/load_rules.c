/* load_rules.c - the rules section.
 *
 * Owns: reading each rule into fm_rule: its one condition, the hysteresis
 * bound on the right side of the threshold, timing, severity and control
 * IDs. Whether the point a rule names exists, and which value an enum name
 * in equals/not_equals stands for, are cross-checks (validate.c), made
 * once every device's points are known.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/load_private.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char *const rule_keys[] = {
	"name", "point", "above", "below", "equals", "not_equals", "clear",
	"for", "repeat", "severity", "controls", NULL,
};

/* In the product contract but not in this build: say so rather than call
 * them unknown. */
static const char *const rule_keys_later[] = { "rise", "fall", "within", "mask", NULL };

static const char *const condition_keys[] = {
	[FM_RULE_ABOVE] = "above",
	[FM_RULE_BELOW] = "below",
	[FM_RULE_EQUALS] = "equals",
	[FM_RULE_NOT_EQUALS] = "not_equals",
};

static const char *const severity_names[] = {
	[FM_SEV_INFO] = "info",
	[FM_SEV_WARNING] = "warning",
	[FM_SEV_MAJOR] = "major",
	[FM_SEV_CRITICAL] = "critical",
};

/* False when the rule is of a kind this build cannot evaluate; one message
 * says so, instead of one per key plus "missing a condition". */
static bool check_rule_keys(struct conf__ctx *c, const config_setting_t *g,
                            const char *path)
{
	bool supported = true;
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(m);
		bool known = false, later = false;
		for (size_t k = 0; rule_keys[k]; k++)
			known = known || strcmp(rule_keys[k], name) == 0;
		for (size_t k = 0; rule_keys_later[k]; k++)
			later = later || strcmp(rule_keys_later[k], name) == 0;
		if (later && supported)
			conf__error(c, m, "%s.%s: %s rules are not supported yet", path, name,
			            strcmp(name, "mask") == 0 ? "mask" : "rate (rise/fall/within)");
		else if (!known && !later)
			conf__error(c, m, "%s: unknown key '%s'", path, name);
		supported = supported && !later;
	}
	return supported;
}

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
}

/* point = "<device>.<point>" */
static void parse_rule_point(struct conf__ctx *c, const config_setting_t *g,
                             const char *path, struct fm_rule *r)
{
	char ref[FM_TEXT_MAX];
	if (conf__string(c, g, path, "point", true, ref, sizeof(ref)) != CONF_OK)
		return;
	char *dot = strchr(ref, '.');
	if (dot) {
		*dot = '\0';
		if (conf__name_valid(ref, CONF_NAME) && conf__name_valid(dot + 1, CONF_NAME)) {
			/* both checked shorter than FM_NAME_MAX */
			memcpy(r->device, ref, strlen(ref) + 1);
			memcpy(r->point, dot + 1, strlen(dot + 1) + 1);
			return;
		}
		*dot = '.';
	}
	conf__error(c, config_setting_get_member(g, "point"),
	            "%s.point: '%s' is not of the form <device>.<point>", path, ref);
}

/* Exactly one condition key; its index in condition_keys, or -1. */
static int find_condition(struct conf__ctx *c, const config_setting_t *g,
                          const char *path)
{
	int found = -1;
	for (int k = 0; k < (int)ARRAY_LEN(condition_keys); k++) {
		const config_setting_t *s = config_setting_get_member(g, condition_keys[k]);
		if (!s)
			continue;
		if (found >= 0) {
			conf__error(c, s, "%s: '%s' and '%s' both given; a rule has exactly one "
			            "condition", path, condition_keys[found], condition_keys[k]);
			return -1;
		}
		found = k;
	}
	if (found < 0)
		conf__error(c, g, "%s: missing a condition (one of above, below, equals, "
		            "not_equals)", path);
	return found;
}

/* equals = "battery" leaves the name in RS for validate.c to resolve. */
static bool parse_condition(struct conf__ctx *c, const config_setting_t *g,
                            const char *path, struct fm_rule *r,
                            struct conf__rule_state *rs)
{
	int k = find_condition(c, g, path);
	if (k < 0)
		return false;
	r->kind = (enum fm_rule_kind)k;
	const config_setting_t *s = config_setting_get_member(g, condition_keys[k]);
	if ((r->kind == FM_RULE_EQUALS || r->kind == FM_RULE_NOT_EQUALS) &&
	    config_setting_type(s) == CONFIG_TYPE_STRING) {
		rs->enum_name = s;
		return true;
	}
	return conf__double(c, g, path, condition_keys[k], true, &r->threshold) == CONF_OK;
}

/* The alert resolves only once the value is back past CLEAR, so CLEAR must
 * lie on the safe side of the threshold. */
static void parse_clear(struct conf__ctx *c, const config_setting_t *g,
                        const char *path, bool cond_ok, struct fm_rule *r)
{
	r->clear = r->threshold;
	const config_setting_t *s = config_setting_get_member(g, "clear");
	if (!s || conf__double(c, g, path, "clear", false, &r->clear) != CONF_OK || !cond_ok)
		return;
	if (r->kind != FM_RULE_ABOVE && r->kind != FM_RULE_BELOW)
		conf__error(c, s, "%s.clear: clear is only allowed with above or below", path);
	else if (r->kind == FM_RULE_ABOVE && r->clear > r->threshold)
		conf__error(c, s, "%s.clear: %g is above the threshold %g; with 'above', "
		            "clear must be <= above", path, r->clear, r->threshold);
	else if (r->kind == FM_RULE_BELOW && r->clear < r->threshold)
		conf__error(c, s, "%s.clear: %g is below the threshold %g; with 'below', "
		            "clear must be >= below", path, r->clear, r->threshold);
}

static void parse_controls(struct conf__ctx *c, const config_setting_t *g,
                           const char *path, struct fm_rule *r)
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
		size_t len = strlen(v);
		if (len == 0 || len >= FM_CONTROL_MAX)
			conf__error(c, e, "%s: '%s' must be 1-%d bytes", pe, v, FM_CONTROL_MAX - 1);
		else
			memcpy(r->controls[r->ncontrols++], v, len + 1);
	}
}

static void parse_rule(struct conf__ctx *c, const config_setting_t *g,
                       const char *path, struct fm_rule *r,
                       struct conf__rule_state *rs)
{
	conf__origin(c, g, &r->origin);
	bool supported = check_rule_keys(c, g, path);
	parse_rule_name(c, g, path, r);
	parse_rule_point(c, g, path, r);
	bool cond_ok = supported && parse_condition(c, g, path, r, rs);
	parse_clear(c, g, path, cond_ok, r);
	conf__int(c, g, path, "for", false, 0, 86400, &r->for_s);
	conf__int(c, g, path, "repeat", false, 0, 86400, &r->repeat);
	int sev = FM_SEV_WARNING;
	conf__enum(c, g, path, "severity", false, severity_names,
	           (int)ARRAY_LEN(severity_names), &sev);
	r->severity = (enum fm_severity)sev;
	parse_controls(c, g, path, r);
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
			conf__path_index(path, "rules", (int)i);
			if (conf__expect(c, g, path, CONFIG_TYPE_GROUP))
				parse_rule(c, g, path, &st->cfg->rules[i], &st->rules[i]);
		}
	}
}
