/* lifecycle.c - the agent's own life, recorded as events.
 *
 * Owns: the evidence of when monitoring ran (FISC 実102, ISO 27001 8.15,
 * 8.16): "started" with the version and the config's hash, "stopped" with
 * why and after how long, "unclean_stop" when a start finds that the last
 * run left no "stopped" (a power cut, kill -9, a crash, the watchdog) with
 * how long the agent was away, the alive mark those are measured by, and a
 * reload's outcome with the old and new hashes. Each is an event like an
 * alert's: numbered, stored in the chain, published on R/events.
 */
#include <stdio.h>
#include <string.h>

#include "agent/agent.h"
#include "base/clock.h"

#define ALIVE_EVERY_MS 60000

/* The last run's end, when it left no "stopped": an event saying since
 * when the agent was away and for how long. */
static void note_unclean_stop(struct agent *a, int64_t wall)
{
	char action[32], ts[CLOCK_ISO_LEN];
	if (store_last_of_type(a->out.store, "agent", action, sizeof action, ts, sizeof ts) < 0 ||
	    strcmp(action, "started") != 0)
		return;
	int64_t alive = store_alive_read(a->out.store);
	char last[CLOCK_ISO_LEN], detail[160];
	if (alive > 0)
		clock_iso8601(alive, last, sizeof last);
	else
		snprintf(last, sizeof last, "%s", ts); /* it died within its first minute */
	double away_s = alive > 0 ? (double)((wall - alive) / 1000) : -1;
	if (away_s >= 0)
		snprintf(detail, sizeof detail, "the last run left no stop: last alive %s, "
		         "away %.0f s", last, away_s);
	else
		snprintf(detail, sizeof detail, "the last run, started %s, left no stop", ts);
	struct eng_notice n = {.subject = ENG_SUBJECT_AGENT, .action = "unclean_stop"};
	eng_notice_text(&n, "last_alive", last);
	if (away_s >= 0)
		eng_notice_number(&n, "away_s", away_s);
	eng_notice_text(&n, "detail", detail);
	engine_note(a->engine, ENG_EVENT_AGENT, &n, wall);
}

static void mark_alive(struct agent *a, int64_t wall)
{
	char err[FM_TEXT_MAX * 2];
	if (store_alive_write(a->out.store, wall, err, sizeof err) < 0)
		log_warn("store: %s", err);
}

void agent_note_start(struct agent *a)
{
	int64_t wall = clock_wall_ms();
	note_unclean_stop(a, wall);
	char detail[FM_TEXT_MAX + 96];
	snprintf(detail, sizeof detail, "facmon %s started with %s (config %.12s)",
	         FACMON_VERSION, a->cfg->path, a->config_sha256);
	struct eng_notice n = {.subject = ENG_SUBJECT_AGENT, .action = "started"};
	eng_notice_text(&n, "version", FACMON_VERSION);
	eng_notice_text(&n, "config", a->cfg->path);
	eng_notice_text(&n, "config_sha256", a->config_sha256);
	eng_notice_text(&n, "detail", detail);
	engine_note(a->engine, ENG_EVENT_AGENT, &n, wall);
	mark_alive(a, wall);
	a->next_alive_ms = clock_mono_ms() + ALIVE_EVERY_MS;
}

void agent_note_alive(struct agent *a, int64_t now_mono)
{
	if (now_mono < a->next_alive_ms)
		return;
	a->next_alive_ms = now_mono + ALIVE_EVERY_MS;
	mark_alive(a, clock_wall_ms());
}

void agent_note_stop(struct agent *a, const char *why)
{
	int64_t wall = clock_wall_ms();
	double uptime_s = (double)((wall - a->started_wall_ms) / 1000);
	char detail[160];
	snprintf(detail, sizeof detail, "stopped (%s) after %.0f s", why, uptime_s);
	struct eng_notice n = {.subject = ENG_SUBJECT_AGENT, .action = "stopped"};
	eng_notice_text(&n, "reason", why);
	eng_notice_number(&n, "uptime_s", uptime_s);
	eng_notice_text(&n, "detail", detail);
	engine_note(a->engine, ENG_EVENT_AGENT, &n, wall);
	mark_alive(a, wall);
}

void agent_note_reload(struct agent *a, const struct reload_outcome *r)
{
	char detail[sizeof a->cfg->path + sizeof r->why + 64];
	if (r->accepted)
		snprintf(detail, sizeof detail, "%s reloaded: config %.12s -> %.12s",
		         a->cfg->path, r->old_sha256, r->new_sha256);
	else
		snprintf(detail, sizeof detail, "%s rejected: %s; still running config %.12s",
		         a->cfg->path, r->why, r->old_sha256);
	struct eng_notice n = {.subject = ENG_SUBJECT_CONFIG,
	                       .action = r->accepted ? "accepted" : "rejected"};
	eng_notice_text(&n, "config", a->cfg->path);
	eng_notice_text(&n, "old_sha256", r->old_sha256);
	if (r->new_sha256[0])
		eng_notice_text(&n, "new_sha256", r->new_sha256);
	if (r->file_sha256[0])
		eng_notice_text(&n, "file_sha256", r->file_sha256);
	if (!r->accepted)
		eng_notice_text(&n, "why", r->why);
	eng_notice_text(&n, "detail", detail);
	engine_note(a->engine, ENG_EVENT_CONFIG, &n, clock_wall_ms());
}
