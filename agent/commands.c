/* commands.c - acting on operators' commands (R/cmd/ack, R/cmd/silence).
 *
 * Owns: what the agent does with a command the MQTT client has parsed and
 * validated (outputs/command.c): acknowledge, silence, end silences; the
 * limits the config puts on silences (agent.commands: never the agent's
 * failure detection unless allowed, a longest duration, a most at once,
 * "all": true for a match of every alert), a refusal recorded as an event;
 * and its answer in the log, for the operator who sent it. A silence is
 * kept in the store as well, so that a restart does not end it; when the
 * store fails, the silence still holds until the agent stops.
 */
#include <limits.h>
#include <stdio.h>
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

/* A command the agent will not carry out: said in the log and recorded as
 * an event, so an attempt to blind the monitoring is evidence too. */
static void refuse(struct agent *a, const struct fm_cmd *cmd, const char *line,
                   const char *reason)
{
	log_warn("command %s: refused: %s", line, reason);
	char detail[FM_CMD_MATCH_MAX + FM_CMD_BY_MAX + FM_TEXT_MAX * 2];
	snprintf(detail, sizeof detail, "%s by %s refused: %s", command_kind_name(cmd->kind),
	         cmd->by, reason);
	struct eng_notice n = {.subject = ENG_SUBJECT_COMMAND, .action = "refused"};
	eng_notice_text(&n, "command", command_kind_name(cmd->kind));
	eng_notice_text(&n, "by", cmd->by);
	eng_notice_text(&n, "match", cmd->rule_or_match);
	eng_notice_number(&n, "duration_s", (double)cmd->duration_s);
	eng_notice_text(&n, "why", cmd->text);
	eng_notice_text(&n, "reason", reason);
	eng_notice_text(&n, "detail", detail);
	engine_note(a->engine, ENG_EVENT_COMMAND, &n, clock_wall_ms());
}

/* Why the silence CMD asks for may not be set (agent.commands), into WHY;
 * false when it may. */
static bool silence_refused(const struct agent *a, const struct fm_cmd *cmd, char *why,
                            size_t len)
{
	const struct fm_commands_conf *policy = &a->cfg->agent.commands;
	const char *match = cmd->rule_or_match;
	if (command_match_is_everything(match) && !cmd->all)
		snprintf(why, len, "\"%s\" matches every alert; send \"all\": true to mean it",
		         match);
	else if (cmd->duration_s > policy->max_silence)
		snprintf(why, len, "%lld s is longer than agent.commands.max_silence (%d s)",
		         (long long)cmd->duration_s, policy->max_silence);
	else if (engine_operator_silences(a->engine) >= (size_t)policy->max_silences)
		snprintf(why, len, "%d operators' silences are in place already "
		         "(agent.commands.max_silences)", policy->max_silences);
	else if (!policy->silence_self && engine_match_count(a->engine, match, true) == 0 &&
	         engine_match_count(a->engine, match, false) > 0)
		snprintf(why, len, "it would cover only the agent's failure detection "
		         "(<device>.comm, <bus>.bus, facmon.*), which agent.commands.silence_self "
		         "keeps from silences");
	else
		return false;
	return true;
}

static void do_silence(struct agent *a, const struct fm_cmd *cmd, const char *line)
{
	char why[FM_TEXT_MAX];
	if (silence_refused(a, cmd, why, sizeof why)) {
		refuse(a, cmd, line, why);
		return;
	}
	int64_t wall = clock_wall_ms();
	unsigned id = engine_silence(a->engine, cmd->rule_or_match, wall,
	                             wall + cmd->duration_s * 1000, cmd->by, cmd->text, false,
	                             wall);
	if (!id) {
		snprintf(why, sizeof why, "%d silences are in place already", ENG_SILENCES_MAX);
		refuse(a, cmd, line, why);
		return;
	}
	log_info("command %s: silence %u", line, id);
	if (engine_match_count(a->engine, cmd->rule_or_match, true) == 0)
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
