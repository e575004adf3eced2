/* commands.c - acting on operators' commands (R/cmd/ack, R/cmd/silence).
 *
 * Owns: what the agent does with a command the MQTT client has parsed and
 * validated (alerting/command.c): acknowledge, silence, end silences; and
 * its answer in the log, for the operator who sent it.
 */
#include <limits.h>
#include <stdlib.h>

#include "agent/agent.h"
#include "agent/clock.h"
#include "alerting/command.h"

static void do_ack(struct agent *a, const struct fm_cmd *cmd, const char *line)
{
	enum eng_ack_result r = engine_ack(a->engine, cmd->rule_or_match, cmd->by, cmd->text,
	                                   clock_wall_ms());
	if (r == ENG_ACK_DONE)
		log_info("command %s: done", line);
	else
		log_warn("command %s: ignored: %s", line, eng_ack_result_text(r));
}

static void do_silence(struct agent *a, const struct fm_cmd *cmd, const char *line)
{
	int64_t wall = clock_wall_ms();
	unsigned id = engine_silence(a->engine, cmd->rule_or_match, wall,
	                             wall + cmd->duration_s * 1000, cmd->by, cmd->text, false,
	                             wall);
	if (id)
		log_info("command %s: silence %u", line, id);
	else
		log_warn("command %s: refused: %d silences are in place already",
		         line, ENG_SILENCES_MAX);
}

static void do_unsilence(struct agent *a, const struct fm_cmd *cmd, const char *line)
{
	char *end = NULL;
	unsigned long id = cmd->silence_id[0] ? strtoul(cmd->silence_id, &end, 10) : 0;
	size_t n = 0;
	if (!cmd->silence_id[0] || (end && *end == '\0' && id > 0 && id <= UINT_MAX))
		n = engine_unsilence(a->engine, (unsigned)id, id ? NULL : cmd->rule_or_match,
		                     clock_wall_ms());
	if (n)
		log_info("command %s: ended %zu silence%s", line, n, n == 1 ? "" : "s");
	else
		log_warn("command %s: ignored: no such silence", line);
}

/* An operator's command from R/cmd/...: acted on, and answered in the log. */
void agent_on_command(void *ctx, const struct fm_cmd *cmd)
{
	struct agent *a = ctx;
	char line[FM_CMD_MATCH_MAX + FM_CMD_BY_MAX + FM_CMD_TEXT_MAX * 2 + 64];
	command_describe(cmd, line, sizeof line);
	switch (cmd->kind) {
	case FM_CMD_ACK:
		do_ack(a, cmd, line);
		break;
	case FM_CMD_SILENCE:
		do_silence(a, cmd, line);
		break;
	case FM_CMD_UNSILENCE:
		do_unsilence(a, cmd, line);
		break;
	}
}
