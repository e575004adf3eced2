/* test_command.c - parsing operators' MQTT commands (R/cmd/ack,
 * R/cmd/silence): every accepted form with the fields it gives, and every
 * rejection with its exact one-line reason. Table-driven; each table runs
 * every row and prints got/want for each mismatch before failing. */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "outputs/command.h"

static bool cmd_equal(const struct fm_cmd *a, const struct fm_cmd *b)
{
	return a->kind == b->kind && strcmp(a->rule_or_match, b->rule_or_match) == 0 &&
	       strcmp(a->silence_id, b->silence_id) == 0 && strcmp(a->by, b->by) == 0 &&
	       strcmp(a->text, b->text) == 0 && a->duration_s == b->duration_s &&
	       a->all == b->all;
}

static void print_cmd(const char *label, const struct fm_cmd *c)
{
	printf("  %s: kind=%s rule_or_match=\"%s\" silence_id=\"%s\" by=\"%s\" "
	       "text=\"%s\" duration_s=%" PRId64 " all=%d\n", label, command_kind_name(c->kind),
	       c->rule_or_match, c->silence_id, c->by, c->text, c->duration_s, c->all);
}

static bool all_zero(const struct fm_cmd *c)
{
	static const struct fm_cmd zero;
	return memcmp(c, &zero, sizeof zero) == 0;
}

struct good {
	const char *topic, *payload;
	struct fm_cmd want;
};

static const struct good goods[] = {
	{"ack", "{\"rule\":\"room-temp-high\",\"by\":\"tanaka\",\"comment\":\"AC tech called\"}",
	 {FM_CMD_ACK, "room-temp-high", "", "tanaka", "AC tech called", 0, false}},
	/* comment optional, may be empty; keys in any order; whitespace */
	{"ack", "{\"by\":\"tanaka\",\"rule\":\"rack-a.comm\"}",
	 {FM_CMD_ACK, "rack-a.comm", "", "tanaka", "", 0, false}},
	{"ack", " \n{ \"rule\" : \"room-hot.rack_3_top\", \"by\" : \"t\", \"comment\" : \"\" }\r\n",
	 {FM_CMD_ACK, "room-hot.rack_3_top", "", "t", "", 0, false}},
	/* UTF-8, raw and escaped; a by with spaces */
	{"ack", "{\"rule\":\"water-leak\",\"by\":\"田中 太郎\",\"comment\":\"\\u7a7a\\u8abf OK\"}",
	 {FM_CMD_ACK, "water-leak", "", "田中 太郎", "空調 OK", 0, false}},
	/* longest values: 127, 63, 255 bytes */
	{"ack", "{\"rule\":\"" "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr"
	        "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr"
	        "\",\"by\":\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\","
	        "\"comment\":\"" "ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
	        "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
	        "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
	        "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc\"}",
	 {FM_CMD_ACK,
	  "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr"
	  "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr", "",
	  "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
	  "ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
	  "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
	  "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
	  "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", 0, false}},

	/* silence: every duration form */
	{"silence", "{\"match\":\"rack-a.*\",\"duration\":\"2h\",\"by\":\"tanaka\",\"why\":\"AC maintenance\"}",
	 {FM_CMD_SILENCE, "rack-a.*", "", "tanaka", "AC maintenance", 7200, false}},
	{"silence", "{\"match\":\"room-temp-high\",\"duration\":\"90s\",\"by\":\"t\",\"why\":\"w\"}",
	 {FM_CMD_SILENCE, "room-temp-high", "", "t", "w", 90, false}},
	{"silence", "{\"match\":\"m\",\"duration\":\"30m\",\"by\":\"t\",\"why\":\"w\"}",
	 {FM_CMD_SILENCE, "m", "", "t", "w", 1800, false}},
	{"silence", "{\"match\":\"m\",\"duration\":\"1d\",\"by\":\"t\",\"why\":\"w\"}",
	 {FM_CMD_SILENCE, "m", "", "t", "w", 86400, false}},
	{"silence", "{\"match\":\"m\",\"duration\":\"7d\",\"by\":\"t\",\"why\":\"w\"}",
	 {FM_CMD_SILENCE, "m", "", "t", "w", 604800, false}},
	{"silence", "{\"match\":\"m\",\"duration\":\"168h\",\"by\":\"t\",\"why\":\"w\"}",
	 {FM_CMD_SILENCE, "m", "", "t", "w", 604800, false}},
	{"silence", "{\"match\":\"m\",\"duration\":\"600\",\"by\":\"t\",\"why\":\"w\"}",
	 {FM_CMD_SILENCE, "m", "", "t", "w", 600, false}},
	{"silence", "{\"match\":\"m\",\"duration\":\"0090m\",\"by\":\"t\",\"why\":\"w\"}",
	 {FM_CMD_SILENCE, "m", "", "t", "w", 5400, false}},
	{"silence", "{\"match\":\"m\",\"duration\":1,\"by\":\"t\",\"why\":\"w\"}",
	 {FM_CMD_SILENCE, "m", "", "t", "w", 1, false}},
	{"silence", "{\"match\":\"m\",\"duration\":604800,\"by\":\"t\",\"why\":\"w\"}",
	 {FM_CMD_SILENCE, "m", "", "t", "w", 604800, false}},
	{"silence", "{\"match\":\"m\",\"duration\":3.6e3,\"by\":\"t\",\"why\":\"w\"}",
	 {FM_CMD_SILENCE, "m", "", "t", "w", 3600, false}},
	{"silence", "{\"match\":\"*\",\"duration\":3600.0,\"by\":\"t\",\"why\":\"w\"}",
	 {FM_CMD_SILENCE, "*", "", "t", "w", 3600, false}},
	{"silence", "{\"match\":\"[a-c]*.comm\",\"duration\":60,\"by\":\"t\",\"why\":\"w\"}",
	 {FM_CMD_SILENCE, "[a-c]*.comm", "", "t", "w", 60, false}},
	/* "all": the sender means every alert */
	{"silence", "{\"match\":\"*\",\"all\":true,\"duration\":60,\"by\":\"t\",\"why\":\"w\"}",
	 {FM_CMD_SILENCE, "*", "", "t", "w", 60, true}},
	{"silence", "{\"match\":\"m\",\"all\":false,\"duration\":60,\"by\":\"t\",\"why\":\"w\"}",
	 {FM_CMD_SILENCE, "m", "", "t", "w", 60, false}},

	/* cancel: by id (string or number), or every silence of a pattern */
	{"silence", "{\"cancel\":\"s-17\",\"by\":\"tanaka\"}",
	 {FM_CMD_UNSILENCE, "", "s-17", "tanaka", "", 0, false}},
	{"silence", "{\"cancel\":17,\"by\":\"tanaka\",\"why\":\"done early\"}",
	 {FM_CMD_UNSILENCE, "", "17", "tanaka", "done early", 0, false}},
	{"silence", "{\"cancel\":9007199254740992,\"by\":\"t\"}",
	 {FM_CMD_UNSILENCE, "", "9007199254740992", "t", "", 0, false}},
	{"silence", "{\"match\":\"rack-a.*\",\"cancel\":true,\"by\":\"tanaka\"}",
	 {FM_CMD_UNSILENCE, "rack-a.*", "", "tanaka", "", 0, false}},
	{"silence", "{\"cancel\":true,\"match\":\"rack-a.*\",\"by\":\"t\",\"why\":\"w\"}",
	 {FM_CMD_UNSILENCE, "rack-a.*", "", "t", "w", 0, false}},
};

static void test_accepts(void **state)
{
	(void)state;
	int failures = 0;
	for (size_t i = 0; i < sizeof goods / sizeof goods[0]; i++) {
		const struct good *g = &goods[i];
		struct fm_cmd got;
		char err[256] = "untouched";
		int rc = command_parse(g->topic, g->payload, strlen(g->payload), &got, err,
		                       sizeof err);
		if (rc != 0 || err[0] || !cmd_equal(&got, &g->want)) {
			printf("row %zu: %s %s: rc %d err \"%s\"\n", i, g->topic, g->payload, rc, err);
			print_cmd("got ", &got);
			print_cmd("want", &g->want);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

struct bad {
	const char *topic, *payload, *want_err;
};

#define LONG64 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

static const struct bad bads[] = {
	/* not a JSON object */
	{"ack", "rule=room-temp-high", "invalid JSON (at byte 0)"},
	{"ack", "{\"rule\":\"r\",\"by\":\"t\"", "invalid JSON (at byte 20)"},
	{"ack", "{\"rule\":\"r\",\"by\":\"t\"}}", "invalid JSON (at byte 21)"},
	{"ack", "{\"rule\":\"r\",\"by\":\"t\"} {}", "invalid JSON (at byte 22)"},
	{"ack", "{'rule':'r'}", "invalid JSON (at byte 2)"},
	{"ack", "   ", "invalid JSON (at byte 3)"},
	{"ack", "[\"r\",\"t\"]", "not a JSON object (got an array)"},
	{"ack", "\"room-temp-high\"", "not a JSON object (got a string)"},
	{"ack", "42", "not a JSON object (got a number)"},
	{"ack", "null", "not a JSON object (got null)"},
	{"silence", "true", "not a JSON object (got true)"},
	{"ack", "{\"rule\":\"r\\u0000x\",\"by\":\"t\"}", "a string contains \\u0000"},

	/* "all": a boolean, and only to set a silence */
	{"silence", "{\"match\":\"*\",\"all\":1,\"duration\":60,\"by\":\"t\",\"why\":\"w\"}",
	 "\"all\": must be true or false, not a number"},
	{"silence", "{\"match\":\"*\",\"all\":true,\"cancel\":true,\"by\":\"t\"}",
	 "\"all\": not allowed with \"cancel\""},

	/* unknown and duplicate keys: named, escaped, cut */
	{"ack", "{\"rule\":\"r\",\"by\":\"t\",\"comentt\":\"c\"}",
	 "unknown key \"comentt\" (ack takes \"rule\", \"by\", \"comment\")"},
	{"ack", "{\"Rule\":\"r\",\"by\":\"t\"}",
	 "unknown key \"Rule\" (ack takes \"rule\", \"by\", \"comment\")"},
	{"ack", "{\"rule\":\"r\",\"by\":\"t\",\"why\":\"w\"}",
	 "unknown key \"why\" (ack takes \"rule\", \"by\", \"comment\")"},
	{"silence", "{\"match\":\"m\",\"duration\":60,\"by\":\"t\",\"why\":\"w\",\"until\":\"x\"}",
	 "unknown key \"until\" (silence takes \"match\", \"duration\", \"by\", \"why\", \"cancel\", \"all\")"},
	{"silence", "{\"rule\":\"m\",\"duration\":60,\"by\":\"t\",\"why\":\"w\"}",
	 "unknown key \"rule\" (silence takes \"match\", \"duration\", \"by\", \"why\", \"cancel\", \"all\")"},
	{"ack", "{\"a\\nb\\\"\\u00e9\":1}",
	 "unknown key \"a\\x0ab\\\"\\xc3\\xa9\" (ack takes \"rule\", \"by\", \"comment\")"},
	{"ack", "{\"" LONG64 "\":1}",
	 "unknown key \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...\" (ack takes \"rule\", \"by\", \"comment\")"},
	{"ack", "{\"rule\":\"r\",\"by\":\"t\",\"rule\":\"other\"}", "duplicate key \"rule\""},

	/* ack: missing, empty, wrong type, too long */
	{"ack", "{}", "\"rule\": missing"},
	{"ack", "{\"by\":\"tanaka\"}", "\"rule\": missing"},
	{"ack", "{\"rule\":\"room-temp-high\"}", "\"by\": missing"},
	{"ack", "{\"rule\":\"room-temp-high\",\"comment\":\"c\"}", "\"by\": missing"},
	{"ack", "{\"rule\":\"\",\"by\":\"t\"}", "\"rule\": empty"},
	{"ack", "{\"rule\":\"r\",\"by\":\"\"}", "\"by\": empty"},
	{"ack", "{\"rule\":3,\"by\":\"t\"}", "\"rule\": must be a string, not a number"},
	{"ack", "{\"rule\":[\"r\"],\"by\":\"t\"}", "\"rule\": must be a string, not an array"},
	{"ack", "{\"rule\":\"r\",\"by\":null}", "\"by\": must be a string, not null"},
	{"ack", "{\"rule\":\"r\",\"by\":{\"name\":\"t\"}}", "\"by\": must be a string, not an object"},
	{"ack", "{\"rule\":\"r\",\"by\":\"t\",\"comment\":false}",
	 "\"comment\": must be a string, not false"},
	{"ack", "{\"rule\":\"" LONG64 LONG64 "\",\"by\":\"t\"}",
	 "\"rule\": too long (128 bytes, at most 127)"},
	{"ack", "{\"rule\":\"r\",\"by\":\"" LONG64 "\"}", "\"by\": too long (64 bytes, at most 63)"},
	{"ack", "{\"rule\":\"r\",\"by\":\"t\",\"comment\":\"" LONG64 LONG64 LONG64 LONG64 "\"}",
	 "\"comment\": too long (256 bytes, at most 255)"},

	/* control characters (C0, DEL, C1) and broken UTF-8 */
	{"ack", "{\"rule\":\"r\",\"by\":\"tan\\naka\"}", "\"by\": contains a control character (byte 3)"},
	{"ack", "{\"rule\":\"r\",\"by\":\"\\ttanaka\"}", "\"by\": contains a control character (byte 0)"},
	{"ack", "{\"rule\":\"r\",\"by\":\"t\\u001b[31m\"}", "\"by\": contains a control character (byte 1)"},
	{"ack", "{\"rule\":\"r\",\"by\":\"t\x7f\"}", "\"by\": contains a control character (byte 1)"},
	{"ack", "{\"rule\":\"r\",\"by\":\"t\\u009b\"}", "\"by\": contains a control character (byte 1)"},
	{"ack", "{\"rule\":\"r\",\"by\":\"t\x01\"}", "\"by\": contains a control character (byte 1)"},
	{"ack", "{\"rule\":\"r\\r\",\"by\":\"t\"}", "\"rule\": contains a control character (byte 1)"},
	{"ack", "{\"rule\":\"r\",\"by\":\"t\",\"comment\":\"line1\\nline2\"}",
	 "\"comment\": contains a control character (byte 5)"},
	{"ack", "{\"rule\":\"r\",\"by\":\"t\xff\"}", "\"by\": not valid UTF-8 (byte 1)"},
	{"ack", "{\"rule\":\"r\",\"by\":\"ab\xc3\"}", "\"by\": not valid UTF-8 (byte 2)"},
	{"ack", "{\"rule\":\"r\",\"by\":\"\xc0\xaf\"}", "\"by\": not valid UTF-8 (byte 0)"},
	{"ack", "{\"rule\":\"r\",\"by\":\"\xed\xa0\x80\"}", "\"by\": not valid UTF-8 (byte 0)"},
	{"ack", "{\"rule\":\"r\",\"by\":\"\xf4\x90\x80\x80\"}", "\"by\": not valid UTF-8 (byte 0)"},
	{"ack", "{\"rule\":\"r\",\"by\":\"\xe3\x81\"}", "\"by\": not valid UTF-8 (byte 0)"},

	/* silence: fields */
	{"silence", "{}", "\"match\": missing"},
	{"silence", "{\"match\":\"rack a*\",\"duration\":60,\"by\":\"t\",\"why\":\"w\"}",
	 "\"match\": \"rack a*\" can never match: alert names are of A-Z a-z 0-9 _ - . "
	 "(and ' ' is none of them)"},
	{"silence", "{\"match\":\"rack/a\",\"duration\":60,\"by\":\"t\",\"why\":\"w\"}",
	 "\"match\": \"rack/a\" can never match: alert names are of A-Z a-z 0-9 _ - . "
	 "(and '/' is none of them)"},
	{"silence", "{\"duration\":\"2h\",\"by\":\"t\",\"why\":\"w\"}", "\"match\": missing"},
	{"silence", "{\"match\":\"\",\"duration\":\"2h\",\"by\":\"t\",\"why\":\"w\"}", "\"match\": empty"},
	{"silence", "{\"match\":[\"a\",\"b\"],\"duration\":\"2h\",\"by\":\"t\",\"why\":\"w\"}",
	 "\"match\": must be a string, not an array"},
	{"silence", "{\"match\":\"m\",\"duration\":\"2h\",\"why\":\"w\"}", "\"by\": missing"},
	{"silence", "{\"match\":\"m\",\"duration\":\"2h\",\"by\":\"t\"}", "\"why\": missing"},
	{"silence", "{\"match\":\"m\",\"duration\":\"2h\",\"by\":\"t\",\"why\":\"\"}", "\"why\": empty"},
	{"silence", "{\"match\":\"m\\u0007\",\"duration\":\"2h\",\"by\":\"t\",\"why\":\"w\"}",
	 "\"match\": contains a control character (byte 1)"},

	/* silence: durations */
	{"silence", "{\"match\":\"m\",\"by\":\"t\",\"why\":\"w\"}",
	 "\"duration\": missing (a silence always ends: \"2h\", \"30m\", or seconds)"},
	{"silence", "{\"match\":\"m\",\"duration\":\"0s\",\"by\":\"t\",\"why\":\"w\"}",
	 "\"duration\": 0s: must be more than 0"},
	{"silence", "{\"match\":\"m\",\"duration\":0,\"by\":\"t\",\"why\":\"w\"}",
	 "\"duration\": 0: must be more than 0"},
	{"silence", "{\"match\":\"m\",\"duration\":-60,\"by\":\"t\",\"why\":\"w\"}",
	 "\"duration\": -60: must be more than 0"},
	{"silence", "{\"match\":\"m\",\"duration\":\"8d\",\"by\":\"t\",\"why\":\"w\"}",
	 "\"duration\": 8d: longer than 7 days, the longest silence (renew it if the work takes longer)"},
	{"silence", "{\"match\":\"m\",\"duration\":\"169h\",\"by\":\"t\",\"why\":\"w\"}",
	 "\"duration\": 169h: longer than 7 days, the longest silence (renew it if the work takes longer)"},
	{"silence", "{\"match\":\"m\",\"duration\":604801,\"by\":\"t\",\"why\":\"w\"}",
	 "\"duration\": 604801: longer than 7 days, the longest silence (renew it if the work takes longer)"},
	{"silence", "{\"match\":\"m\",\"duration\":1e300,\"by\":\"t\",\"why\":\"w\"}",
	 "\"duration\": 1e+300: longer than 7 days, the longest silence (renew it if the work takes longer)"},
	{"silence", "{\"match\":\"m\",\"duration\":\"99999999999999999999999d\",\"by\":\"t\",\"why\":\"w\"}",
	 "\"duration\": 99999999999999999999999d: longer than 7 days, the longest silence (renew it if the work takes longer)"},
	{"silence", "{\"match\":\"m\",\"duration\":90.5,\"by\":\"t\",\"why\":\"w\"}",
	 "\"duration\": 90.5 is not a whole number of seconds"},
	{"silence", "{\"match\":\"m\",\"duration\":\"2 h\",\"by\":\"t\",\"why\":\"w\"}",
	 "\"duration\": \"2 h\" is not a duration (a whole number with s, m, h or d: \"90s\", \"30m\", \"2h\", \"1d\")"},
	{"silence", "{\"match\":\"m\",\"duration\":\"2w\",\"by\":\"t\",\"why\":\"w\"}",
	 "\"duration\": \"2w\" is not a duration (a whole number with s, m, h or d: \"90s\", \"30m\", \"2h\", \"1d\")"},
	{"silence", "{\"match\":\"m\",\"duration\":\"1h30m\",\"by\":\"t\",\"why\":\"w\"}",
	 "\"duration\": \"1h30m\" is not a duration (a whole number with s, m, h or d: \"90s\", \"30m\", \"2h\", \"1d\")"},
	{"silence", "{\"match\":\"m\",\"duration\":\"h\",\"by\":\"t\",\"why\":\"w\"}",
	 "\"duration\": \"h\" is not a duration (a whole number with s, m, h or d: \"90s\", \"30m\", \"2h\", \"1d\")"},
	{"silence", "{\"match\":\"m\",\"duration\":\"\",\"by\":\"t\",\"why\":\"w\"}",
	 "\"duration\": \"\" is not a duration (a whole number with s, m, h or d: \"90s\", \"30m\", \"2h\", \"1d\")"},
	{"silence", "{\"match\":\"m\",\"duration\":\"-5m\",\"by\":\"t\",\"why\":\"w\"}",
	 "\"duration\": \"-5m\" is not a duration (a whole number with s, m, h or d: \"90s\", \"30m\", \"2h\", \"1d\")"},
	{"silence", "{\"match\":\"m\",\"duration\":\"2H\",\"by\":\"t\",\"why\":\"w\"}",
	 "\"duration\": \"2H\" is not a duration (a whole number with s, m, h or d: \"90s\", \"30m\", \"2h\", \"1d\")"},
	{"silence", "{\"match\":\"m\",\"duration\":\"\\u001b[2J\",\"by\":\"t\",\"why\":\"w\"}",
	 "\"duration\": \"\\x1b[2J\" is not a duration (a whole number with s, m, h or d: \"90s\", \"30m\", \"2h\", \"1d\")"},
	{"silence", "{\"match\":\"m\",\"duration\":true,\"by\":\"t\",\"why\":\"w\"}",
	 "\"duration\": must be a string like \"2h\" or a number of seconds, not true"},
	{"silence", "{\"match\":\"m\",\"duration\":null,\"by\":\"t\",\"why\":\"w\"}",
	 "\"duration\": must be a string like \"2h\" or a number of seconds, not null"},

	/* cancel */
	{"silence", "{\"cancel\":\"s-17\"}", "\"by\": missing"},
	{"silence", "{\"cancel\":\"\",\"by\":\"t\"}", "\"cancel\": empty"},
	{"silence", "{\"cancel\":\"" LONG64 "\",\"by\":\"t\"}", "\"cancel\": too long (64 bytes, at most 63)"},
	{"silence", "{\"cancel\":\"s\\n1\",\"by\":\"t\"}", "\"cancel\": contains a control character (byte 1)"},
	{"silence", "{\"cancel\":0,\"by\":\"t\"}", "\"cancel\": 0 is not a silence id"},
	{"silence", "{\"cancel\":-3,\"by\":\"t\"}", "\"cancel\": -3 is not a silence id"},
	{"silence", "{\"cancel\":1.5,\"by\":\"t\"}", "\"cancel\": 1.5 is not a silence id"},
	{"silence", "{\"cancel\":1e300,\"by\":\"t\"}", "\"cancel\": 1e+300 is not a silence id"},
	{"silence", "{\"cancel\":true,\"by\":\"t\"}", "\"match\": missing"},
	{"silence", "{\"match\":\"m\",\"cancel\":false,\"by\":\"t\"}",
	 "\"cancel\": must be a silence id, or true with \"match\"; not false"},
	{"silence", "{\"cancel\":null,\"by\":\"t\"}",
	 "\"cancel\": must be a silence id, or true with \"match\"; not null"},
	{"silence", "{\"cancel\":[1],\"by\":\"t\"}",
	 "\"cancel\": must be a silence id, or true with \"match\"; not an array"},
	{"silence", "{\"match\":\"m\",\"cancel\":\"s-17\",\"by\":\"t\"}",
	 "\"match\": not allowed with a silence id in \"cancel\""},
	{"silence", "{\"match\":\"m\",\"cancel\":true,\"duration\":\"2h\",\"by\":\"t\"}",
	 "\"duration\": not allowed with \"cancel\""},
	{"silence", "{\"cancel\":\"s-17\",\"by\":\"t\",\"why\":3}", "\"why\": must be a string, not a number"},

	/* the topic */
	{"unack", "{\"rule\":\"r\",\"by\":\"t\"}", "unknown command \"unack\" (ack, silence)"},
	{"", "{\"rule\":\"r\",\"by\":\"t\"}", "unknown command \"\" (ack, silence)"},
	{"ack/x", "{\"rule\":\"r\",\"by\":\"t\"}", "unknown command \"ack/x\" (ack, silence)"},
	{NULL, "{\"rule\":\"r\",\"by\":\"t\"}", "unknown command \"\" (ack, silence)"},
	{"ack", "", "empty payload"},
};

static void test_rejects(void **state)
{
	(void)state;
	int failures = 0;
	for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
		const struct bad *b = &bads[i];
		struct fm_cmd got;
		memset(&got, 0x5a, sizeof got);
		char err[512] = "";
		int rc = command_parse(b->topic, b->payload, strlen(b->payload), &got, err,
		                       sizeof err);
		if (rc != -EINVAL || strcmp(err, b->want_err) != 0 || !all_zero(&got)) {
			printf("row %zu: %s %s:\n  rc %d, out %s\n  got  err \"%s\"\n  want err \"%s\"\n",
			       i, b->topic ? b->topic : "(null)", b->payload, rc,
			       all_zero(&got) ? "zeroed" : "NOT zeroed", err, b->want_err);
			failures++;
		}
		for (const char *p = err; *p; p++)
			if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e) {
				printf("row %zu: reason has byte 0x%02x: \"%s\"\n", i,
				       (unsigned char)*p, err);
				failures++;
				break;
			}
	}
	assert_int_equal(failures, 0);
}

/* The payload is LEN bytes, not a C string: bytes after it are not read,
 * NUL bytes in it are binary, and the size is bounded before parsing. */
static void test_payload_bytes(void **state)
{
	(void)state;
	struct fm_cmd c;
	char err[256];
	const char ok[] = "{\"rule\":\"r\",\"by\":\"t\"}GARBAGE";
	assert_int_equal(command_parse("ack", ok, strlen(ok) - 7, &c, err, sizeof err), 0);
	assert_string_equal(c.rule_or_match, "r");
	/* cut inside: invalid */
	assert_int_equal(command_parse("ack", ok, 10, &c, err, sizeof err), -EINVAL);
	assert_string_equal(err, "invalid JSON (at byte 9)"); /* the string's start */

	const char bin[] = {'{', '"', 'r', 0, (char)0xff, '}'};
	assert_int_equal(command_parse("ack", bin, sizeof bin, &c, err, sizeof err), -EINVAL);
	assert_string_equal(err, "binary payload (a NUL byte at byte 3)");

	const char nul_after[] = "{\"rule\":\"r\",\"by\":\"t\"}\0";
	assert_int_equal(command_parse("ack", nul_after, sizeof nul_after, &c, err, sizeof err),
	                 -EINVAL);
	assert_string_equal(err, "binary payload (a NUL byte at byte 21)");

	static char huge[1 << 20];
	memset(huge, ' ', sizeof huge);
	memcpy(huge, "{\"rule\":\"r\",\"by\":\"t\"}", 21);
	assert_int_equal(command_parse("ack", huge, sizeof huge, &c, err, sizeof err), -EINVAL);
	assert_string_equal(err, "payload too large (1048576 bytes, at most 4096)");
	/* the limit itself is fine: trailing white space */
	assert_int_equal(command_parse("ack", huge, FM_CMD_PAYLOAD_MAX, &c, err, sizeof err), 0);
	assert_int_equal(command_parse("ack", huge, FM_CMD_PAYLOAD_MAX + 1, &c, err, sizeof err),
	                 -EINVAL);

	/* deep nesting inside the limit: rejected, not a crash */
	char deep[FM_CMD_PAYLOAD_MAX];
	memset(deep, '[', sizeof deep);
	assert_int_equal(command_parse("ack", deep, sizeof deep, &c, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "invalid JSON"));
}

/* A short or absent ERR buffer is never overrun. */
static void test_err_buffer(void **state)
{
	(void)state;
	struct fm_cmd c;
	const char *p = "{\"rule\":\"r\"}";
	char err[8];
	memset(err, 'X', sizeof err);
	assert_int_equal(command_parse("ack", p, strlen(p), &c, err, 6), -EINVAL);
	assert_string_equal(err, "\"by\":");
	assert_int_equal(err[7], 'X');
	assert_int_equal(command_parse("ack", p, strlen(p), &c, NULL, 0), -EINVAL);
	assert_int_equal(command_parse("ack", "{\"rule\":\"r\",\"by\":\"t\"}", 21, &c, NULL, 0), 0);
}

static void test_describe(void **state)
{
	(void)state;
	static const struct {
		struct fm_cmd cmd;
		const char *want;
	} rows[] = {
		{{FM_CMD_ACK, "room-temp-high", "", "tanaka", "AC tech called", 0, false},
		 "ack rule=room-temp-high by=tanaka comment=\"AC tech called\""},
		{{FM_CMD_ACK, "rack-a.comm", "", "tanaka", "", 0, false}, "ack rule=rack-a.comm by=tanaka"},
		{{FM_CMD_SILENCE, "rack-a.*", "", "tanaka", "AC \"big\" job \\ 2", 7200, false},
		 "silence match=rack-a.* duration=7200s by=tanaka why=\"AC \\\"big\\\" job \\\\ 2\""},
		{{FM_CMD_UNSILENCE, "", "s-17", "tanaka", "", 0, false}, "unsilence id=s-17 by=tanaka"},
		{{FM_CMD_UNSILENCE, "rack-a.*", "", "tanaka", "done", 0, false},
		 "unsilence match=rack-a.* by=tanaka why=\"done\""},
	};
	int failures = 0;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char got[512];
		command_describe(&rows[i].cmd, got, sizeof got);
		if (strcmp(got, rows[i].want) != 0) {
			printf("row %zu:\n  got  %s\n  want %s\n", i, got, rows[i].want);
			failures++;
		}
	}
	char small[12];
	command_describe(&rows[0].cmd, small, sizeof small);
	if (strcmp(small, "ack rule=ro") != 0) {
		printf("truncated: got \"%s\"\n", small);
		failures++;
	}
	assert_string_equal(command_kind_name(FM_CMD_UNSILENCE), "unsilence");
	assert_int_equal(failures, 0);
}

/* The globs that name every alert there could be, and some that do not. */
static void test_match_is_everything(void **state)
{
	(void)state;
	static const struct {
		const char *match;
		bool want;
	} rows[] = {
		{"*", true}, {"**", true}, {"*?*", true}, {"?*", true},
		{"?", false}, {"rack-*", false}, {"*.comm", false}, {"*a*", false},
		{"[a-z]*", false}, {"", false},
	};
	int failures = 0;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		if (command_match_is_everything(rows[i].match) != rows[i].want) {
			printf("\"%s\": got %d, want %d\n", rows[i].match, !rows[i].want,
			       rows[i].want);
			failures++;
		}
	assert_int_equal(failures, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_payload_bytes),
		cmocka_unit_test(test_err_buffer),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_match_is_everything),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
