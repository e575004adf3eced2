/* fuzz_command.c - libFuzzer target: operators' MQTT commands.
 *
 * Owns: handing any payload, as received on R/cmd/ack, R/cmd/silence or a
 * topic that is neither, to command_parse(), and a parsed command to
 * command_describe() (the log line). Checks command.h's promises: a
 * command is accepted with who sent it and, for a silence, a duration in
 * range; a refusal has a reason without control characters and leaves the
 * command zeroed; the log line is terminated even when cut short.
 *
 * Input: a topic selector (1 byte), then the payload.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "outputs/command.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fuzz_topics[] = { "ack", "silence", "", "unsilence" };

static void fuzz_check_refusal(const struct fm_cmd *cmd, const char *err)
{
	static const struct fm_cmd zero;
	if (!err[0] || memcmp(cmd, &zero, sizeof zero) != 0)
		abort();
	for (const unsigned char *s = (const unsigned char *)err; *s; s++)
		if (*s < 0x20 || *s == 0x7f)
			abort();
}

static void fuzz_check_command(const struct fm_cmd *cmd, const char *topic)
{
	if (!cmd->by[0] || strnlen(cmd->rule_or_match, sizeof cmd->rule_or_match) ==
	                           sizeof cmd->rule_or_match)
		abort();
	bool silence_topic = strcmp(topic, "silence") == 0;
	if (silence_topic != (cmd->kind != FM_CMD_ACK))
		abort();
	if (cmd->kind == FM_CMD_SILENCE &&
	    (cmd->duration_s < 1 || cmd->duration_s > FM_CMD_DURATION_MAX_S))
		abort();
	char line[512], cut[16];
	command_describe(cmd, line, sizeof line);
	command_describe(cmd, cut, sizeof cut);
	if (strnlen(line, sizeof line) == sizeof line || strnlen(cut, sizeof cut) == sizeof cut)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return -1;
	const char *topic = fuzz_topics[data[0] % 4];
	struct fm_cmd cmd;
	char err[256];
	memset(err, 0, sizeof err);
	if (command_parse(topic, data + 1, size - 1, &cmd, err, sizeof err) == 0)
		fuzz_check_command(&cmd, topic);
	else
		fuzz_check_refusal(&cmd, err);
	/* a caller that wants no reason */
	(void)command_parse(topic, data + 1, size - 1, &cmd, NULL, 0);
	return 0;
}
