/* command.h - operators' commands received over MQTT (R/cmd/<kind>).
 *
 * Owns: the payload format of R/cmd/ack and R/cmd/silence and its
 * validation. Pure: a payload in, a checked struct fm_cmd or a one-line
 * reason out; no I/O. Acting on a command (acknowledging, silencing) is the
 * alert engine's business, not this module's.
 *
 *   R/cmd/ack      {"rule":"room-temp-high","by":"tanaka","comment":"AC tech called"}
 *   R/cmd/silence  {"match":"rack-a.*","duration":"2h","by":"tanaka","why":"AC maintenance"}
 *                  {"match":"*","all":true,"duration":"1h","by":"tanaka","why":"move"}
 *                  {"cancel":"<silence id>","by":"tanaka"}
 *                  {"match":"rack-a.*","cancel":true,"by":"tanaka"}
 */
#ifndef FACMON_COMMAND_H
#define FACMON_COMMAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FM_CMD_MATCH_MAX 128        /* rule_or_match, incl. NUL */
#define FM_CMD_BY_MAX 64
#define FM_CMD_TEXT_MAX 256
#define FM_CMD_ID_MAX 64
#define FM_CMD_PAYLOAD_MAX 4096     /* bytes; longer payloads are rejected unread */
#define FM_CMD_DURATION_MAX_S (7 * 86400)

enum fm_cmd_kind {
	FM_CMD_ACK,       /* acknowledge the alert named rule_or_match */
	FM_CMD_SILENCE,   /* silence alerts matching rule_or_match for duration_s */
	FM_CMD_UNSILENCE, /* end the silence silence_id, or every silence whose
	                   * pattern is exactly rule_or_match */
};

struct fm_cmd {
	enum fm_cmd_kind kind;
	/* ACK: an alert name ("<rule>", "<rule>.<row>", "<device>.comm").
	 * SILENCE: an fnmatch(3) glob on alert names.
	 * UNSILENCE: the glob of the silences to end, "" when by id. */
	char rule_or_match[FM_CMD_MATCH_MAX];
	char silence_id[FM_CMD_ID_MAX]; /* UNSILENCE by id; "" otherwise */
	char by[FM_CMD_BY_MAX];         /* who: always set */
	char text[FM_CMD_TEXT_MAX];     /* ACK "comment", (UN)SILENCE "why"; may be "" */
	int64_t duration_s;             /* SILENCE: 1 .. FM_CMD_DURATION_MAX_S; else 0 */
	bool all;                       /* SILENCE: "all": true, the sender means a match
	                                 * that covers every alert */
};

/* Whether glob MATCH names every alert there could be ("*", "**", "*?*"):
 * a silence of it needs "all": true. */
bool command_match_is_everything(const char *match);

/* The topics under R/cmd/ that carry commands, subscribed by mqtt.c. */
#define FM_CMD_NTOPICS 2
extern const char *const command_topics[FM_CMD_NTOPICS]; /* "ack", "silence" */

/* Parses the command PAYLOAD (LEN bytes, not NUL-terminated) received on
 * R/cmd/TOPIC_SUFFIX ("ack" or "silence"). Returns 0 and fills OUT, or
 * -EINVAL with a one-line reason in ERR (and OUT zeroed). The reason never
 * contains a control character and quotes at most a few dozen bytes of
 * the payload. ERR may be NULL when ERRLEN is 0. */
int command_parse(const char *topic_suffix, const void *payload, size_t len,
                  struct fm_cmd *out, char *err, size_t errlen);

/* "ack", "silence", "unsilence". */
const char *command_kind_name(enum fm_cmd_kind kind);

/* One line for the log: `ack rule=room-temp-high by=tanaka comment="AC tech
 * called"`; text is quoted with " and \ escaped. Truncated to LEN. */
void command_describe(const struct fm_cmd *cmd, char *buf, size_t len);

#endif
