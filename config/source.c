/* source.c - a setting's literal, read again from the config's own text.
 *
 * Owns: what libconfig 1.5 (Debian 12) loses while scanning, recovered
 * from the file at the setting's line. Its scanner keeps a decimal or hex
 * integer in 32 bits (`port = 4294967297` parses as 1, `2147483648` as
 * -2147483648, past 64 bits as -1) and drops a "\x00" escape from a
 * string, so the parsed value alone cannot tell. The text is read once
 * per file and kept in the parse context (conf__ctx_done frees it).
 *
 * Finding the literal: libconfig files a setting at the line of its name;
 * the name is followed by `=` or `:` and the value, maybe on a later line.
 * A line may hold several settings of one name (`{ address = 1; } , {
 * address = 2; }`), so the occurrence whose 32-bit wrap is the parsed
 * value is the one meant.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/load_private.h"

struct conf__source {
	char *file;
	char *text;   /* NUL-terminated */
	size_t *line; /* offset of line N at line[N - 1] */
	size_t nlines;
};

static void source_free(struct conf__source *src)
{
	if (!src)
		return;
	free(src->file);
	free(src->text);
	free(src->line);
	free(src);
}

void conf__ctx_done(struct conf__ctx *c)
{
	source_free(c->src);
	c->src = NULL;
}

static char *read_all(const char *file)
{
	FILE *f = fopen(file, "r");
	if (!f)
		return NULL;
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	size_t n;
	while (buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len - 1 == 0) {
			char *bigger = realloc(buf, cap * 2);
			if (!bigger) {
				free(buf);
				buf = NULL;
			}
			buf = bigger;
			cap *= 2;
		}
	}
	fclose(f);
	if (buf)
		buf[len] = '\0';
	return buf;
}

static struct conf__source *source_load(const char *file)
{
	struct conf__source *src = calloc(1, sizeof *src);
	if (!src || !(src->file = strdup(file)) || !(src->text = read_all(file)))
		goto fail;
	size_t n = 1;
	for (const char *p = src->text; *p; p++)
		n += *p == '\n';
	if (!(src->line = malloc(n * sizeof *src->line)))
		goto fail;
	src->line[src->nlines++] = 0;
	for (const char *p = src->text; *p; p++)
		if (*p == '\n')
			src->line[src->nlines++] = (size_t)(p + 1 - src->text);
	return src;
fail:
	source_free(src);
	return NULL;
}

/* The text from S's line on, and where that line ends; NULL when the file
 * cannot be read again (then the parsed value is all there is). */
static const char *source_at(struct conf__ctx *c, const config_setting_t *s,
                             const char **eol)
{
	const char *file = config_setting_source_file(s);
	unsigned line = config_setting_source_line(s);
	if (!file || line == 0)
		return NULL;
	if (!c->src || strcmp(c->src->file, file) != 0) {
		conf__ctx_done(c);
		c->src = source_load(file);
	}
	if (!c->src || line > c->src->nlines)
		return NULL;
	const char *start = c->src->text + c->src->line[line - 1];
	*eol = strchr(start, '\n');
	if (!*eol)
		*eol = start + strlen(start);
	return start;
}

static bool name_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '-' || ch == '_' || ch == '*';
}

/* After NAME at P (a whole word followed by = or :), the value's first
 * character; NULL when P is not such an occurrence. */
static const char *after_name(const char *start, const char *p, const char *name)
{
	size_t len = strlen(name);
	if (strncmp(p, name, len) != 0 || (p > start && name_char(p[-1])) ||
	    name_char(p[len]))
		return NULL;
	p += len;
	p += strspn(p, " \t\r\n");
	if (*p != '=' && *p != ':')
		return NULL;
	p++;
	return p + strspn(p, " \t\r\n");
}

/* [-+]digits or 0x hex, with an optional L or LL: its exact value in *V
 * (false when past 64 bits), the text in LIT. P at the literal. */
static bool literal_int(const char *p, long long *v, bool *exact, char *lit, size_t litsz)
{
	const char *begin = p;
	bool neg = *p == '-';
	if (*p == '-' || *p == '+')
		p++;
	bool hex = p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
	if (hex)
		p += 2;
	unsigned base = hex ? 16 : 10;
	unsigned long long acc = 0;
	bool over = false;
	const char *digits = p;
	for (; hex ? isxdigit((unsigned char)*p) : isdigit((unsigned char)*p); p++) {
		unsigned d = isdigit((unsigned char)*p) ? (unsigned)(*p - '0')
		                                        : (unsigned)(tolower(*p) - 'a' + 10);
		if (acc > (~0ULL - d) / base)
			over = true;
		acc = acc * base + d;
	}
	if (p == digits)
		return false;
	size_t n = (size_t)(p - begin);
	snprintf(lit, litsz, "%.*s", (int)(n < litsz ? n : litsz - 1), begin);
	/* a hex literal is its bits; a decimal one must fit a signed 64-bit */
	if (!hex && acc > (neg ? 9223372036854775808ULL : 9223372036854775807ULL))
		over = true;
	*exact = !over;
	*v = neg ? (long long)(0ULL - acc) : (long long)acc;
	return true;
}

static long long wrap32(long long v)
{
	return (long long)(int32_t)(uint32_t)(unsigned long long)v;
}

/* Past blanks and comments (#, //, slash-star) from P. */
static const char *skip_blank(const char *p)
{
	for (;;) {
		p += strspn(p, " \t\r\n");
		if (*p == '#' || (p[0] == '/' && p[1] == '/'))
			p += strcspn(p, "\n");
		else if (p[0] == '/' && p[1] == '*' && strstr(p + 2, "*/"))
			p = strstr(p + 2, "*/") + 2;
		else
			return p;
	}
}

/* Element I of the array literal at VAL ("[a, b, …]"); NULL if none. */
static const char *array_elem(const char *val, int i)
{
	if (*val != '[')
		return NULL;
	const char *p = val + 1;
	for (int k = 0;; k++) {
		p = skip_blank(p);
		if (*p == ']' || !*p)
			return NULL;
		if (k == i)
			return p;
		p += strcspn(p, ",]");
		if (*p == ',')
			p++;
	}
}

/* The next place on the line from START to EOL, from *P on, where the
 * value of NAME is written (its element ELEM when ELEM >= 0); NULL when
 * there is no more. */
static const char *next_literal(const char *start, const char **p, const char *eol,
                                const char *name, int elem)
{
	for (; *p < eol; (*p)++) {
		const char *val = after_name(start, *p, name);
		if (val && elem >= 0)
			val = array_elem(val, elem);
		if (val) {
			(*p)++;
			return val;
		}
	}
	return NULL;
}

bool conf__int_value(struct conf__ctx *c, const config_setting_t *s, long long *v,
                     char *lit, size_t litsz)
{
	long long parsed = config_setting_get_int64(s);
	bool is64 = config_setting_type(s) == CONFIG_TYPE_INT64;
	*v = parsed;
	snprintf(lit, litsz, "%lld", parsed);
	/* an array's element has no name: it is found after the array's */
	const config_setting_t *named = s, *parent = config_setting_parent(s);
	int elem = -1;
	if (!config_setting_name(s) && parent && config_setting_is_array(parent)) {
		named = parent;
		elem = config_setting_index(s);
	}
	const char *name = config_setting_name(named), *eol;
	const char *start = name ? source_at(c, named, &eol) : NULL;
	if (!start)
		return true;

	bool found = false, exact = true;
	const char *val;
	for (const char *p = start; (val = next_literal(start, &p, eol, name, elem));) {
		long long lv;
		bool lexact;
		char ltext[64];
		if (!literal_int(val, &lv, &lexact, ltext, sizeof ltext))
			continue;
		if (lexact && lv == parsed)
			return true; /* as written */
		/* past 64 bits libconfig gives -1 or LLONG_MAX: any such one fits */
		bool fits = lexact ? !is64 && wrap32(lv) == wrap32(parsed) : true;
		if (fits && !found) {
			found = true;
			exact = lexact;
			*v = lv;
			snprintf(lit, litsz, "%s", ltext);
		}
	}
	return exact;
}

/* Whether the string literal at P (and any adjacent ones: "a" "b") holds
 * a \x00 escape. */
static bool literal_has_nul(const char *p)
{
	while (*p == '"') {
		for (p++; *p && *p != '"'; p++) {
			if (*p != '\\')
				continue;
			if ((p[1] == 'x' || p[1] == 'X') && p[2] == '0' && p[3] == '0')
				return true;
			if (p[1])
				p++;
		}
		if (*p == '"')
			p++;
		p += strspn(p, " \t\r\n");
	}
	return false;
}

bool conf__string_has_nul(struct conf__ctx *c, const config_setting_t *s)
{
	const char *eol;
	const char *start = source_at(c, s, &eol);
	if (!start)
		return false;
	const char *name = config_setting_name(s);
	for (const char *p = start; p < eol; p++) {
		const char *val = name ? after_name(start, p, name) : (*p == '"' ? p : NULL);
		if (val && literal_has_nul(val))
			return true;
		if (!name && *p == '"') /* an element: skip this literal */
			for (p++; p < eol && *p != '"'; p++)
				if (*p == '\\' && p + 1 < eol)
					p++;
	}
	return false;
}

/* Every string under S, with its path P: the check runs once over the
 * whole tree, so no reader of a string (a getter, an array of control
 * IDs, an enum name in a rule) can miss it. */
void conf__check_strings(struct conf__ctx *c, const config_setting_t *s, const char *p)
{
	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		if (conf__string_has_nul(c, s))
			conf__error(c, s, "%s: contains \\x00 (a NUL byte), which a string "
			            "cannot hold; libconfig would silently drop it", p);
		return;
	}
	if (!config_setting_is_aggregate(s))
		return;
	for (int i = 0; i < config_setting_length(s); i++) {
		const config_setting_t *m = config_setting_get_elem(s, (unsigned)i);
		char mp[CONF_PATH_MAX];
		if (config_setting_name(m))
			conf__path(mp, p, config_setting_name(m));
		else
			conf__path_entry(mp, p, i, m, CONF_NAME_RULE);
		conf__check_strings(c, m, mp);
	}
}
