/* getters.c - typed, range-checked reads of libconfig settings.
 *
 * Owns: turning one libconfig setting into one C value or one diagnostic
 * (an error, or a warning that leaves the config usable).
 * Every message starts with the option's path ("devices[1] (rack-a).unit: ...") and
 * is filed at the setting's own file and line; a missing key is filed at
 * the enclosing group. Also owns interning file names, because libconfig's
 * strings die with config_destroy() and origins must outlive it.
 */
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/secret.h"
#include "config/load_private.h"

static void report(struct conf__ctx *c, enum fm_diag_severity severity,
                   const config_setting_t *s, const char *fmt, va_list ap)
{
	char msg[FM_TEXT_MAX];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	const char *file = config_setting_source_file(s);
	int line = (int)config_setting_source_line(s);
	if (severity == FM_DIAG_WARNING)
		diags_warn(c->diags, file, line, "%s", msg);
	else
		diags_add(c->diags, file, line, "%s", msg);
}

void conf__error(struct conf__ctx *c, const config_setting_t *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(c, FM_DIAG_ERROR, s, fmt, ap);
	va_end(ap);
}

void conf__report(struct conf__ctx *c, enum fm_diag_severity severity,
                  const config_setting_t *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(c, severity, s, fmt, ap);
	va_end(ap);
}

size_t conf__nerrors(const struct conf__ctx *c)
{
	return diags_errors(c->diags);
}

const char *conf__intern(struct conf__ctx *c, const char *file)
{
	if (!file)
		return "";
	for (size_t i = 0; i < *c->nfiles; i++)
		if (strcmp((*c->files)[i], file) == 0)
			return (*c->files)[i];

	char **files = realloc(*c->files, (*c->nfiles + 1) * sizeof(*files));
	if (!files)
		return "";
	*c->files = files;
	files[*c->nfiles] = strdup(file);
	if (!files[*c->nfiles])
		return "";
	return files[(*c->nfiles)++];
}

void conf__origin(struct conf__ctx *c, const config_setting_t *s, struct fm_origin *o)
{
	o->file = conf__intern(c, config_setting_source_file(s));
	o->line = (int)config_setting_source_line(s);
}

void conf__path(char *buf, const char *parent, const char *key)
{
	if (parent[0])
		snprintf(buf, CONF_PATH_MAX, "%s.%s", parent, key);
	else
		snprintf(buf, CONF_PATH_MAX, "%s", key);
}

void conf__path_named(char *buf, const char *name)
{
	size_t len = strlen(buf);
	if (name[0])
		snprintf(buf + len, CONF_PATH_MAX - len, " (%s)", name);
}

void conf__path_entry(char *buf, const char *parent, int i, const config_setting_t *g,
                      enum conf__charset cs)
{
	conf__path_index(buf, parent, i);
	const char *name;
	if (config_setting_is_group(g) && config_setting_lookup_string(g, "name", &name) &&
	    conf__name_valid(name, cs))
		conf__path_named(buf, name);
}

void conf__path_index(char *buf, const char *parent, int i)
{
	snprintf(buf, CONF_PATH_MAX, "%s[%d]", parent, i);
}

const char *conf__type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP: return "a group";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64: return "an integer";
	case CONFIG_TYPE_FLOAT: return "a float";
	case CONFIG_TYPE_STRING: return "a string";
	case CONFIG_TYPE_BOOL: return "a boolean";
	case CONFIG_TYPE_ARRAY: return "an array";
	case CONFIG_TYPE_LIST: return "a list";
	}
	return "nothing";
}

/* Edits (insert, delete, change, swap two neighbours) from A to B; at
 * most CONF_KEY_MAX long each, else a large number. */
#define CONF_KEY_MAX 32
static int key_distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	if (n >= CONF_KEY_MAX || m >= CONF_KEY_MAX)
		return 99;
	int d[CONF_KEY_MAX + 1][CONF_KEY_MAX + 1];
	for (size_t i = 0; i <= n; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= n; i++) {
		for (size_t j = 1; j <= m; j++) {
			int cost = a[i - 1] != b[j - 1];
			int best = d[i - 1][j - 1] + cost;
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[n][m];
}

void conf__suggest(const char *name, const char *const *known, const char **best,
                   int *best_d)
{
	/* a third of the name may be wrong, and at least one letter */
	int limit = (int)strlen(name) / 3 > 1 ? (int)strlen(name) / 3 : 1;
	for (; *known; known++) {
		int dist = key_distance(name, *known);
		if (dist <= limit && (!*best || dist < *best_d)) {
			*best = *known;
			*best_d = dist;
		}
	}
}

void conf__unknown_key(struct conf__ctx *c, const config_setting_t *m,
                       const char *path, const char *best)
{
	char hint[CONF_KEY_MAX + 32] = "";
	if (best)
		snprintf(hint, sizeof hint, " (did you mean '%s'?)", best);
	if (path[0])
		conf__error(c, m, "%s: unknown key '%s'%s", path, config_setting_name(m), hint);
	else
		conf__error(c, m, "unknown top-level key '%s'%s", config_setting_name(m), hint);
}

bool conf__known_keys(struct conf__ctx *c, const config_setting_t *group,
                      const char *path, const char *const *known)
{
	bool ok = true;
	for (int i = 0; i < config_setting_length(group); i++) {
		const config_setting_t *m = config_setting_get_elem(group, (unsigned)i);
		const char *name = config_setting_name(m);
		size_t k = 0;
		while (known[k] && strcmp(known[k], name) != 0)
			k++;
		if (known[k])
			continue;
		const char *best = NULL;
		int best_d = 0;
		conf__suggest(name, known, &best, &best_d);
		conf__unknown_key(c, m, path, best);
		ok = false;
	}
	return ok;
}

config_setting_t *conf__member(struct conf__ctx *c, const config_setting_t *group,
                               const char *path, const char *key, bool required)
{
	config_setting_t *m = config_setting_get_member(group, key);
	if (m || !required)
		return m;
	if (path[0])
		conf__error(c, group, "%s: missing required key '%s'", path, key);
	else
		conf__error(c, group, "missing required group '%s'", key);
	return m;
}

bool conf__expect(struct conf__ctx *c, const config_setting_t *s,
                  const char *path, int type)
{
	if (config_setting_type(s) == type)
		return true;
	conf__error(c, s, "%s: expected %s, got %s", path, conf__type_name(type),
	            conf__type_name(config_setting_type(s)));
	return false;
}

bool conf__group_list(struct conf__ctx *c, const config_setting_t *s, const char *path)
{
	/* `x = [];` parses as an empty array: accept it as an empty list. */
	if (config_setting_is_list(s) ||
	    (config_setting_is_array(s) && config_setting_length(s) == 0))
		return true;
	conf__error(c, s, "%s: expected a list of groups ( {...}, {...} ), got %s",
	            path, conf__type_name(config_setting_type(s)));
	return false;
}

/* Finds KEY in GROUP with the given type; CONF_OK with *OUT set, or why
 * not. P receives the key's path for the caller's messages. */
static enum conf__got typed_member(struct conf__ctx *c, const config_setting_t *group,
                                   const char *path, const char *key, bool required,
                                   int type, config_setting_t **out, char *p)
{
	conf__path(p, path, key);
	*out = conf__member(c, group, path, key, required);
	if (!*out)
		return required ? CONF_BAD : CONF_ABSENT;
	if (!conf__expect(c, *out, p, type))
		return CONF_BAD;
	return CONF_OK;
}

enum conf__got conf__bool(struct conf__ctx *c, const config_setting_t *group,
                          const char *path, const char *key, bool required,
                          bool *out)
{
	char p[CONF_PATH_MAX];
	config_setting_t *s;
	enum conf__got got = typed_member(c, group, path, key, required,
	                                  CONFIG_TYPE_BOOL, &s, p);
	if (got == CONF_OK)
		*out = config_setting_get_bool(s) != 0;
	return got;
}

enum conf__got conf__string(struct conf__ctx *c, const config_setting_t *group,
                            const char *path, const char *key, bool required,
                            char *out, size_t outsz)
{
	char p[CONF_PATH_MAX];
	config_setting_t *s;
	enum conf__got got = typed_member(c, group, path, key, required,
	                                  CONFIG_TYPE_STRING, &s, p);
	if (got != CONF_OK)
		return got;

	const char *v = config_setting_get_string(s);
	size_t len = strlen(v);
	if (len >= outsz) {
		conf__error(c, s, "%s: is too long (%zu bytes, at most %zu)",
		            p, len, outsz - 1);
		return CONF_BAD;
	}
	memcpy(out, v, len + 1);
	return CONF_OK;
}

bool conf__name_valid(const char *s, enum conf__charset cs)
{
	size_t len = strlen(s);
	if (len == 0 || len >= FM_NAME_MAX)
		return false;
	for (; *s; s++) {
		char ch = *s;
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		          ch == '_' || ch == '-';
		if (cs != CONF_NAME_LOWER && ch >= 'A' && ch <= 'Z')
			ok = true;
		if (cs == CONF_NAME_RULE && ch == '.')
			ok = true;
		if (!ok)
			return false;
	}
	return true;
}

int conf__relative_path(char *out, size_t outsz, const char *config_path,
                        const char *path)
{
	const char *slash = strrchr(config_path, '/');
	int n;
	if (path[0] == '/' || !slash)
		n = snprintf(out, outsz, "%s", path);
	else
		n = snprintf(out, outsz, "%.*s/%s", (int)(slash - config_path),
		             config_path, path);
	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

enum conf__got conf__file(struct conf__ctx *c, const config_setting_t *group,
                          const char *path, const char *key, unsigned flags,
                          const char *config_path, char *out, size_t outsz)
{
	char raw[FM_TEXT_MAX];
	bool required = flags & CONF_FILE_REQUIRED;
	out[0] = '\0';
	enum conf__got got = conf__string(c, group, path, key, required, raw, sizeof(raw));
	if (got != CONF_OK)
		return got;
	const config_setting_t *s = config_setting_get_member(group, key);
	if (!raw[0] && !required)
		return CONF_ABSENT; /* key = ""; as docs/reference.md's examples write an unused one */
	char why[FM_TEXT_MAX];
	if (!raw[0])
		conf__error(c, s, "%s.%s: must not be empty", path, key);
	else if (conf__relative_path(out, outsz, config_path, raw) != 0)
		conf__error(c, s, "%s.%s: resolved path is too long", path, key);
	else if (file_check(out, flags & CONF_FILE_SECRET, why, sizeof why) < 0)
		conf__error(c, s, "%s.%s: %s%s", path, key, out, why);
	else
		return CONF_OK;
	return CONF_BAD;
}

static const char *charset_hint(enum conf__charset cs)
{
	switch (cs) {
	case CONF_NAME_LOWER: return "a-z 0-9 _ -";
	case CONF_NAME: return "A-Z a-z 0-9 _ -";
	case CONF_NAME_RULE: return "A-Z a-z 0-9 _ - .";
	}
	return "";
}

enum conf__got conf__name(struct conf__ctx *c, const config_setting_t *group,
                          const char *path, const char *key, bool required,
                          enum conf__charset cs, char *out)
{
	char p[CONF_PATH_MAX];
	config_setting_t *s;
	enum conf__got got = typed_member(c, group, path, key, required,
	                                  CONFIG_TYPE_STRING, &s, p);
	if (got != CONF_OK)
		return got;

	const char *v = config_setting_get_string(s);
	if (!conf__name_valid(v, cs)) {
		conf__error(c, s, "%s: '%s' is not a valid name (1-%d of %s)",
		            p, v, FM_NAME_MAX - 1, charset_hint(cs));
		return CONF_BAD;
	}
	snprintf(out, FM_NAME_MAX, "%s", v);
	return CONF_OK;
}

enum conf__got conf__int(struct conf__ctx *c, const config_setting_t *group,
                         const char *path, const char *key, bool required,
                         long long lo, long long hi, int *out)
{
	char p[CONF_PATH_MAX];
	conf__path(p, path, key);
	config_setting_t *s = conf__member(c, group, path, key, required);
	if (!s)
		return required ? CONF_BAD : CONF_ABSENT;

	int type = config_setting_type(s);
	if (type == CONFIG_TYPE_FLOAT) {
		/* "502.0", not "502": the reader must see why it is a float */
		char num[32];
		snprintf(num, sizeof(num), "%g", config_setting_get_float(s));
		if (strspn(num, "-0123456789") == strlen(num))
			strcat(num, ".0");
		conf__error(c, s, "%s: expected an integer, got a float (%s)", p, num);
		return CONF_BAD;
	}
	if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64) {
		conf__expect(c, s, p, CONFIG_TYPE_INT);
		return CONF_BAD;
	}
	long long v;
	char lit[64];
	if (!conf__int_value(c, s, &v, lit, sizeof lit) || v < lo || v > hi) {
		conf__error(c, s, "%s: %s is out of range (%lld..%lld)", p, lit, lo, hi);
		return CONF_BAD;
	}
	*out = (int)v;
	return CONF_OK;
}

/* A float key takes a normal number or 0: libconfig reads 1e400 as inf,
 * and a denormal (1e-310) has lost its precision, so neither can be what
 * was meant for a scale, an offset or a threshold. */
static enum conf__got float_value(struct conf__ctx *c, const config_setting_t *s,
                                  const char *p, double v, double *out)
{
	switch (fpclassify(v)) {
	case FP_INFINITE:
	case FP_NAN:
		conf__error(c, s, "%s: %g is not a finite number (at most %g)", p, v, DBL_MAX);
		return CONF_BAD;
	case FP_SUBNORMAL:
		conf__error(c, s, "%s: %g is a denormal number (below %g); write 0 or a "
		            "larger value", p, v, DBL_MIN);
		return CONF_BAD;
	}
	*out = v;
	return CONF_OK;
}

enum conf__got conf__double(struct conf__ctx *c, const config_setting_t *group,
                            const char *path, const char *key, bool required,
                            double *out)
{
	char p[CONF_PATH_MAX];
	conf__path(p, path, key);
	config_setting_t *s = conf__member(c, group, path, key, required);
	if (!s)
		return required ? CONF_BAD : CONF_ABSENT;

	long long v;
	char lit[64];
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_FLOAT:
		return float_value(c, s, p, config_setting_get_float(s), out);
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		/* past 64 bits it is still a number, only not an exact integer */
		*out = conf__int_value(c, s, &v, lit, sizeof lit) ? (double)v
		                                                   : strtod(lit, NULL);
		return CONF_OK;
	}
	conf__error(c, s, "%s: expected a number, got %s", p,
	            conf__type_name(config_setting_type(s)));
	return CONF_BAD;
}

enum conf__got conf__enum(struct conf__ctx *c, const config_setting_t *group,
                          const char *path, const char *key, bool required,
                          const char *const *names, int n, int *out)
{
	char p[CONF_PATH_MAX];
	config_setting_t *s;
	enum conf__got got = typed_member(c, group, path, key, required,
	                                  CONFIG_TYPE_STRING, &s, p);
	if (got != CONF_OK)
		return got;

	const char *v = config_setting_get_string(s);
	for (int i = 0; i < n; i++) {
		if (strcmp(v, names[i]) == 0) {
			*out = i;
			return CONF_OK;
		}
	}
	char list[FM_TEXT_MAX] = "";
	size_t used = 0;
	for (int i = 0; i < n && used < sizeof(list); i++)
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
		                         i ? ", " : "", names[i]);
	conf__error(c, s, "%s: '%s' is not one of %s", p, v, list);
	return CONF_BAD;
}
