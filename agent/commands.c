/* commands.c - acting on operators' commands (R/cmd/ack, R/cmd/silence).
 *
 * Owns: what the agent does with a command the MQTT client has parsed and
 * validated (outputs/command.c): acknowledge, silence, end silences; and
 * its answer in the log, for the operator who sent it. A silence is kept
 * in the store as well, so that a restart does not end it; when the store
 * fails, the silence still holds until the agent stops.
 */
#include <limits.h>
#include <stdlib.h>

#include "agent/agent.h"
#include "base/clock.h"
#include "outputs/command.h"

static void do_ack(struct agent *a, const struct fm_cmd *cmd, const char *line)
{
	enum eng_ack_result r = engine_ack(a->engine, cmd->rule_or_match, cmd->by, cmd->text,
	                                   clock_wall_ms());
	if (r == ENG_ACK_DONE)
		log_info("command %s: done", line);
	else
		log_warn("command %s: ignored: %s", line, eng_ack_result_text(r));
}

/* Writes silence ID to the store, so that it outlives a restart. */
static void keep_silence(struct agent *a, unsigned id)
{
	char err[FM_TEXT_MAX * 2];
	const struct eng_silence *s = engine_find_silence(a->engine, id);
	if (s && a->out.store && store_save_silence(a->out.store, s, err, sizeof err) < 0)
		log_warn("store: %s (silence %u holds, but not across a restart)", err, id);
}

/* Deletes the silences a cancel ended from the store (all it holds of
 * them, even one the engine no longer has). */
static void forget_silences(struct agent *a, unsigned id, const char *match)
{
	char err[FM_TEXT_MAX * 2];
	if (a->out.store && store_delete_silences(a->out.store, id, match, err, sizeof err) < 0)
		log_warn("store: %s (ended now, but back after a restart)", err);
}

static void do_silence(struct agent *a, const struct fm_cmd *cmd, const char *line)
{
	int64_t wall = clock_wall_ms();
	unsigned id = engine_silence(a->engine, cmd->rule_or_match, wall,
	                             wall + cmd->duration_s * 1000, cmd->by, cmd->text, false,
	                             wall);
	if (!id) {
		log_warn("command %s: refused: %d silences are in place already",
		         line, ENG_SILENCES_MAX);
		return;
	}
	log_info("command %s: silence %u", line, id);
	if (engine_match_count(a->engine, cmd->rule_or_match) == 0)
		log_warn("command %s: silence %u matches no alert of this agent (a rule, a "
		         "device, <device>.comm, <bus>.bus or facmon.*): it silences nothing "
		         "until the config has one", line, id);
	keep_silence(a, id);
}

static void do_unsilence(struct agent *a, const struct fm_cmd *cmd, const char *line)
{
	char *end = NULL;
	unsigned long id = cmd->silence_id[0] ? strtoul(cmd->silence_id, &end, 10) : 0;
	size_t n = 0;
	if (!cmd->silence_id[0] || (end && *end == '\0' && id > 0 && id <= UINT_MAX)) {
		const char *match = id ? NULL : cmd->rule_or_match;
		n = engine_unsilence(a->engine, (unsigned)id, match, clock_wall_ms());
		forget_silences(a, (unsigned)id, match);
	}
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
