/* command.c - parsing and validating operators' commands (cJSON).
 *
 * Everything in a command comes from whoever can publish on the broker, so
 * nothing is trusted: the payload is bounded before it is parsed, every key
 * must be known and appear once, every string is checked for type, length,
 * UTF-8 and control characters (they would end up in log lines and in
 * published JSON), and a reason quotes the payload only escaped and short.
 */
#include "outputs/command.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"

#define QUOTE_MAX 32 /* payload bytes a reason quotes at most */

const char *const command_topics[FM_CMD_NTOPICS] = {"ack", "silence"};

/* Where a rejection's reason goes. */
struct reason {
	char *buf;
	size_t len;
};

static int reject(struct reason *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int reject(struct reason *r, const char *fmt, ...)
{
	if (r->len) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(r->buf, r->len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* S as printable ASCII: bytes outside 0x20..0x7e as \xNN, " and \ escaped,
 * cut after QUOTE_MAX bytes with "...". */
static void quote(const char *s, char *buf, size_t len)
{
	size_t n = 0, i = 0;
	for (; i < QUOTE_MAX && s[i] && n + 8 < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			n += (size_t)snprintf(buf + n, len - n, "\\%c", c);
		else if (c < 0x20 || c > 0x7e)
			n += (size_t)snprintf(buf + n, len - n, "\\x%02x", c);
		else
			buf[n++] = (char)c;
	}
	if (s[i] && n + 4 <= len)
		n += (size_t)snprintf(buf + n, len - n, "...");
	buf[n] = '\0';
}

static const char *json_type(const cJSON *item)
{
	if (cJSON_IsString(item))
		return "a string";
	if (cJSON_IsNumber(item))
		return "a number";
	if (cJSON_IsBool(item))
		return cJSON_IsTrue(item) ? "true" : "false";
	if (cJSON_IsNull(item))
		return "null";
	if (cJSON_IsArray(item))
		return "an array";
	return "an object";
}

/* The next code point of a UTF-8 string at *S, advancing *S; -1 if the
 * bytes there are not well-formed UTF-8 (overlong forms, surrogates and
 * values past U+10FFFF included). */
static long utf8_next(const unsigned char **s)
{
	const unsigned char *p = *s;
	static const long min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
	int n = p[0] < 0x80 ? 1 : (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3
	      : (p[0] & 0xf8) == 0xf0 ? 4 : 0;
	if (n == 0)
		return -1;
	long cp = n == 1 ? p[0] : p[0] & (0x7f >> n);
	for (int i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if (n > 1 && (cp < min_for_len[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)))
		return -1;
	*s = p + n;
	return cp;
}

/* Checks a string value: UTF-8, and no C0 or C1 control character. */
static int check_text(struct reason *r, const char *key, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t at = (size_t)(p - (const unsigned char *)s);
		long cp = utf8_next(&p);
		if (cp < 0)
			return reject(r, "\"%s\": not valid UTF-8 (byte %zu)", key, at);
		if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
			return reject(r, "\"%s\": contains a control character (byte %zu)",
			              key, at);
	}
	return 0;
}

/* A string value: not empty if REQUIRED, shorter than CAP, checked text. */
static int copy_string(struct reason *r, const char *key, const char *s, bool required,
                       char *buf, size_t cap)
{
	size_t n = strlen(s);
	if (n == 0 && required)
		return reject(r, "\"%s\": empty", key);
	if (n >= cap)
		return reject(r, "\"%s\": too long (%zu bytes, at most %zu)", key, n, cap - 1);
	int rc = check_text(r, key, s);
	if (rc == 0)
		memcpy(buf, s, n + 1);
	return rc;
}

/* The string member KEY of OBJ into BUF (CAP bytes with the NUL); absent
 * is an error if REQUIRED, else BUF is "". */
static int take_string(struct reason *r, const cJSON *obj, const char *key,
                       bool required, char *buf, size_t cap)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
	buf[0] = '\0';
	if (!item)
		return required ? reject(r, "\"%s\": missing", key) : 0;
	if (!cJSON_IsString(item))
		return reject(r, "\"%s\": must be a string, not %s", key, json_type(item));
	return copy_string(r, key, item->valuestring, required, buf, cap);
}

/* "by", then the free text under TEXT_KEY ("comment" or "why"). */
static int take_by_and_text(struct reason *r, const cJSON *obj, const char *text_key,
                            bool text_required, struct fm_cmd *c)
{
	int rc = take_string(r, obj, "by", true, c->by, sizeof c->by);
	return rc < 0 ? rc : take_string(r, obj, text_key, text_required, c->text,
	                                 sizeof c->text);
}

/* Every key of OBJ is in ALLOWED (NULL-terminated) and appears once. */
static int check_keys(struct reason *r, const cJSON *obj, const char *cmd,
                      const char *const *allowed, const char *list)
{
	for (const cJSON *k = obj->child; k; k = k->next) {
		char q[QUOTE_MAX * 4 + 8];
		quote(k->string, q, sizeof q);
		size_t i = 0;
		while (allowed[i] && strcmp(allowed[i], k->string) != 0)
			i++;
		if (!allowed[i])
			return reject(r, "unknown key \"%s\" (%s takes %s)", q, cmd, list);
		for (const cJSON *e = obj->child; e != k; e = e->next)
			if (strcmp(e->string, k->string) == 0)
				return reject(r, "duplicate key \"%s\"", q);
	}
	return 0;
}

/* ---- durations ---- */

/* "90s", "30m", "2h", "1d", "600" (seconds) -> seconds; -1 if malformed,
 * INT64_MAX if too large to matter. */
static int64_t duration_text(const char *s)
{
	int64_t v = 0;
	size_t i = 0;
	for (; s[i] >= '0' && s[i] <= '9'; i++)
		v = v > FM_CMD_DURATION_MAX_S ? v : v * 10 + (s[i] - '0');
	if (i == 0 || (s[i] && s[i + 1]))
		return -1;
	static const struct { char unit; int64_t s; } units[] = {
		{'\0', 1}, {'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400},
	};
	for (size_t u = 0; u < sizeof units / sizeof units[0]; u++)
		if (s[i] == units[u].unit)
			return v > FM_CMD_DURATION_MAX_S ? INT64_MAX : v * units[u].s;
	return -1;
}

static int take_duration(struct reason *r, const cJSON *obj, int64_t *out)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, "duration");
	int64_t s;
	char q[QUOTE_MAX * 4 + 8];
	if (!item)
		return reject(r, "\"duration\": missing (a silence always ends: \"2h\", "
		                 "\"30m\", or seconds)");
	if (cJSON_IsString(item)) {
		s = duration_text(item->valuestring);
		quote(item->valuestring, q, sizeof q);
		if (s < 0)
			return reject(r, "\"duration\": \"%s\" is not a duration (a whole number "
			                 "with s, m, h or d: \"90s\", \"30m\", \"2h\", \"1d\")", q);
	} else if (cJSON_IsNumber(item)) {
		double d = item->valuedouble;
		snprintf(q, sizeof q, "%.15g", d);
		if (d > 0 && d <= FM_CMD_DURATION_MAX_S && d != (double)(int64_t)d)
			return reject(r, "\"duration\": %s is not a whole number of seconds", q);
		s = d <= 0 ? 0 : d > FM_CMD_DURATION_MAX_S ? INT64_MAX : (int64_t)d;
	} else {
		return reject(r, "\"duration\": must be a string like \"2h\" or a number of "
		                 "seconds, not %s", json_type(item));
	}
	if (s <= 0)
		return reject(r, "\"duration\": %s: must be more than 0", q);
	if (s > FM_CMD_DURATION_MAX_S)
		return reject(r, "\"duration\": %s: longer than 7 days, the longest silence "
		                 "(renew it if the work takes longer)", q);
	*out = s;
	return 0;
}

/* ---- the commands ---- */

static int parse_ack(struct reason *r, const cJSON *o, struct fm_cmd *c)
{
	static const char *const keys[] = {"rule", "by", "comment", NULL};
	int rc = check_keys(r, o, "ack", keys, "\"rule\", \"by\", \"comment\"");
	c->kind = FM_CMD_ACK;
	if (rc == 0)
		rc = take_string(r, o, "rule", true, c->rule_or_match, sizeof c->rule_or_match);
	return rc < 0 ? rc : take_by_and_text(r, o, "comment", false, c);
}

/* "cancel": "<id>" or a positive whole number (the id as digits). */
static int take_cancel_id(struct reason *r, const cJSON *cancel, struct fm_cmd *c)
{
	if (cJSON_IsString(cancel))
		return copy_string(r, "cancel", cancel->valuestring, true, c->silence_id,
		                   sizeof c->silence_id);
	double d = cancel->valuedouble;
	if (d < 1 || d > 9007199254740992.0 || d != (double)(int64_t)d)
		return reject(r, "\"cancel\": %.15g is not a silence id", d);
	snprintf(c->silence_id, sizeof c->silence_id, "%" PRId64, (int64_t)d);
	return 0;
}

static int parse_unsilence(struct reason *r, const cJSON *o, const cJSON *cancel,
                           struct fm_cmd *c)
{
	bool all_matching = cJSON_IsTrue(cancel);
	int rc;
	c->kind = FM_CMD_UNSILENCE;
	if (!all_matching && !cJSON_IsString(cancel) && !cJSON_IsNumber(cancel))
		return reject(r, "\"cancel\": must be a silence id, or true with \"match\"; "
		                 "not %s", json_type(cancel));
	if (cJSON_GetObjectItemCaseSensitive(o, "duration"))
		return reject(r, "\"duration\": not allowed with \"cancel\"");
	if (cJSON_GetObjectItemCaseSensitive(o, "all"))
		return reject(r, "\"all\": not allowed with \"cancel\"");
	if (all_matching)
		rc = take_string(r, o, "match", true, c->rule_or_match, sizeof c->rule_or_match);
	else if (cJSON_GetObjectItemCaseSensitive(o, "match"))
		return reject(r, "\"match\": not allowed with a silence id in \"cancel\"");
	else
		rc = take_cancel_id(r, cancel, c);
	return rc < 0 ? rc : take_by_and_text(r, o, "why", false, c);
}

bool command_match_is_everything(const char *match)
{
	bool star = false;
	for (const char *c = match; *c; c++) {
		if (*c != '*' && *c != '?')
			return false;
		star = star || *c == '*';
	}
	return star;
}

/* "all": optional, true or false. */
static int take_all(struct reason *r, const cJSON *o, bool *all)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "all");
	if (v && !cJSON_IsBool(v))
		return reject(r, "\"all\": must be true or false, not %s", json_type(v));
	*all = cJSON_IsTrue(v);
	return 0;
}

static int parse_silence(struct reason *r, const cJSON *o, struct fm_cmd *c)
{
	static const char *const keys[] = {"match", "duration", "by", "why", "cancel", "all",
	                                   NULL};
	int rc = check_keys(r, o, "silence", keys,
	                    "\"match\", \"duration\", \"by\", \"why\", \"cancel\", "
	                    "\"all\"");
	if (rc < 0)
		return rc;
	const cJSON *cancel = cJSON_GetObjectItemCaseSensitive(o, "cancel");
	if (cancel)
		return parse_unsilence(r, o, cancel, c);
	c->kind = FM_CMD_SILENCE;
	rc = take_string(r, o, "match", true, c->rule_or_match, sizeof c->rule_or_match);
	char bad = rc == 0 ? silence_match_impossible(c->rule_or_match) : '\0';
	if (bad) {
		char q[QUOTE_MAX * 4 + 8], qc[2] = {bad, '\0'}, qbad[16];
		quote(c->rule_or_match, q, sizeof q);
		quote(qc, qbad, sizeof qbad);
		return reject(r, "\"match\": \"%s\" can never match: alert names are of "
		              "A-Z a-z 0-9 _ - . (and '%s' is none of them)", q, qbad);
	}
	if (rc == 0)
		rc = take_duration(r, o, &c->duration_s);
	if (rc == 0)
		rc = take_all(r, o, &c->all);
	return rc < 0 ? rc : take_by_and_text(r, o, "why", true, c);
}

/* cJSON turns the escape \u0000 into a NUL that silently cuts the string:
 * find it in the raw text (outside strings a backslash is invalid anyway). */
static bool has_escaped_nul(const char *s)
{
	for (; *s; s++) {
		if (*s != '\\')
			continue;
		if (s[1] == 'u' && strncmp(s + 2, "0000", 4) == 0)
			return true;
		if (s[1])
			s++; /* skip the escaped character, so \\u0000 is text */
	}
	return false;
}

static int parse_document(struct reason *r, const char *suffix, const char *text,
                          struct fm_cmd *c)
{
	const char *end = NULL;
	cJSON *doc = cJSON_ParseWithOpts(text, &end, true);
	if (!doc)
		return reject(r, "invalid JSON (at byte %td)", end ? end - text : (ptrdiff_t)0);
	int rc;
	if (!cJSON_IsObject(doc))
		rc = reject(r, "not a JSON object (got %s)", json_type(doc));
	else if (strcmp(suffix, "ack") == 0)
		rc = parse_ack(r, doc, c);
	else
		rc = parse_silence(r, doc, c);
	cJSON_Delete(doc);
	return rc;
}

int command_parse(const char *topic_suffix, const void *payload, size_t len,
                  struct fm_cmd *out, char *err, size_t errlen)
{
	struct reason r = {err, errlen};
	char text[FM_CMD_PAYLOAD_MAX + 1];
	int rc;
	memset(out, 0, sizeof *out);
	if (errlen)
		err[0] = '\0';
	size_t t = 0;
	while (topic_suffix && t < FM_CMD_NTOPICS && strcmp(topic_suffix, command_topics[t]))
		t++;
	if (!topic_suffix || t == FM_CMD_NTOPICS) {
		char q[QUOTE_MAX * 4 + 8];
		quote(topic_suffix ? topic_suffix : "", q, sizeof q);
		rc = reject(&r, "unknown command \"%s\" (ack, silence)", q);
	} else if (len == 0) {
		rc = reject(&r, "empty payload");
	} else if (len > FM_CMD_PAYLOAD_MAX) {
		rc = reject(&r, "payload too large (%zu bytes, at most %d)", len,
		            FM_CMD_PAYLOAD_MAX);
	} else if (memchr(payload, '\0', len)) {
		rc = reject(&r, "binary payload (a NUL byte at byte %td)",
		            (const char *)memchr(payload, '\0', len) - (const char *)payload);
	} else {
		memcpy(text, payload, len);
		text[len] = '\0';
		rc = has_escaped_nul(text) ? reject(&r, "a string contains \\u0000")
		                           : parse_document(&r, topic_suffix, text, out);
	}
	if (rc < 0)
		memset(out, 0, sizeof *out);
	return rc;
}

const char *command_kind_name(enum fm_cmd_kind kind)
{
	switch (kind) {
	case FM_CMD_ACK: return "ack";
	case FM_CMD_SILENCE: return "silence";
	case FM_CMD_UNSILENCE: return "unsilence";
	}
	return "?";
}

/* S with " and \ escaped, for a quoted field in a log line. */
static void escape(const char *s, char *buf, size_t len)
{
	size_t n = 0;
	for (; *s && n + 2 < len; s++) {
		if (*s == '"' || *s == '\\')
			buf[n++] = '\\';
		buf[n++] = *s;
	}
	buf[n] = '\0';
}

void command_describe(const struct fm_cmd *cmd, char *buf, size_t len)
{
	char text[FM_CMD_TEXT_MAX * 2];
	escape(cmd->text, text, sizeof text);
	const char *text_key = cmd->kind == FM_CMD_ACK ? "comment" : "why";
	int n;
	if (cmd->kind == FM_CMD_ACK)
		n = snprintf(buf, len, "ack rule=%s by=%s", cmd->rule_or_match, cmd->by);
	else if (cmd->kind == FM_CMD_SILENCE)
		n = snprintf(buf, len, "silence match=%s%s duration=%" PRId64 "s by=%s",
		             cmd->rule_or_match, cmd->all ? " all" : "", cmd->duration_s, cmd->by);
	else if (cmd->silence_id[0])
		n = snprintf(buf, len, "unsilence id=%s by=%s", cmd->silence_id, cmd->by);
	else
		n = snprintf(buf, len, "unsilence match=%s by=%s", cmd->rule_or_match, cmd->by);
	if (n >= 0 && (size_t)n < len && cmd->text[0])
		snprintf(buf + n, len - (size_t)n, " %s=\"%s\"", text_key, text);
}
