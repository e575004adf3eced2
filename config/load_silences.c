/* load_silences.c - the silences section: planned maintenance windows.
 *
 * Owns: reading `silences = ( { match = "rack-a.*"; start = "...";
 * end = "..."; by = "..."; why = "..."; } )` into fm_silence, with the
 * times in ISO 8601 ("2026-11-23T01:00:00Z", or with an offset such as
 * "+09:00"). A window must end, after it starts, and say who set it and
 * why: a silence in an audited room is a record, not a switch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "config/load_private.h"

static const char *const silence_keys[] = {
	"match", "start", "end", "by", "why", NULL,
};

static bool parse_when(struct conf__ctx *c, const config_setting_t *g, const char *path,
                       const char *key, int64_t *out)
{
	char text[FM_NAME_MAX];
	if (conf__string(c, g, path, key, true, text, sizeof text) != CONF_OK)
		return false;
	if (clock_parse_iso8601(text, out) == 0 && *out >= 0)
		return true;
	conf__error(c, config_setting_get_member(g, key), "%s.%s: '%s' is not a time like "
	            "\"2026-11-23T01:00:00Z\" or \"2026-11-23T10:00:00+09:00\"", path, key,
	            text);
	return false;
}

char silence_match_impossible(const char *match)
{
	for (const char *p = match; *p; p++) {
		char one[2] = { *p, '\0' };
		if (!strchr("*?[]!^\\", *p) && !conf__name_valid(one, CONF_NAME_RULE))
			return *p;
	}
	return '\0';
}

/* A glob that can never match silences nothing, forever. */
static void check_match(struct conf__ctx *c, const config_setting_t *g,
                        const char *path, const char *match)
{
	const config_setting_t *s = config_setting_get_member(g, "match");
	char bad = silence_match_impossible(match);
	if (!match[0])
		conf__error(c, s, "%s.match: must not be empty", path);
	else if (bad)
		conf__error(c, s, "%s.match: '%s' can never match: alert names are of "
		            "A-Z a-z 0-9 _ - . (and '%c' is none of them)", path, match, bad);
}

static void parse_silence(struct conf__ctx *c, const config_setting_t *g,
                          const char *path, struct fm_silence *s)
{
	conf__origin(c, g, &s->origin);
	conf__known_keys(c, g, path, silence_keys);
	if (conf__string(c, g, path, "match", true, s->match, sizeof s->match) == CONF_OK)
		check_match(c, g, path, s->match);
	conf__string(c, g, path, "by", true, s->by, sizeof s->by);
	conf__string(c, g, path, "why", true, s->why, sizeof s->why);
	bool times = parse_when(c, g, path, "start", &s->start_ms);
	times = parse_when(c, g, path, "end", &s->end_ms) && times;
	if (times && s->end_ms <= s->start_ms)
		conf__error(c, config_setting_get_member(g, "end"), "%s.end: is not after "
		            "start; a maintenance window must end", path);
}

void conf__parse_silences(struct conf__state *st, const config_setting_t *root)
{
	struct conf__ctx *c = &st->ctx;
	const config_setting_t *list = config_setting_get_member(root, "silences");
	if (!list || !conf__group_list(c, list, "silences"))
		return;
	size_t n = (size_t)config_setting_length(list);
	st->cfg->silences = calloc(n + 1, sizeof *st->cfg->silences);
	if (!st->cfg->silences) {
		conf__error(c, list, "silences: out of memory");
		return;
	}
	st->cfg->nsilences = n;
	for (size_t i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
		char path[CONF_PATH_MAX];
		conf__path_index(path, "silences", (int)i);
		if (conf__expect(c, g, path, CONFIG_TYPE_GROUP))
			parse_silence(c, g, path, &st->cfg->silences[i]);
	}
}
