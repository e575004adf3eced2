/* agent.h - the running agent's state, shared by its files (not an API).
 *
 * Owns: struct agent, what `facmon run` holds while it runs: the config
 * (replaced by a reload), the engine, the pollers, the broker connection,
 * the store and outbox (in struct outputs), and the self-health state. run.c
 * starts, loops and stops it; commands.c acts on operators' commands;
 * reload.c replaces the config on SIGHUP. Only the event-loop thread
 * touches it.
 *
 * Folder agent/ owns the `facmon` executable: the command line
 * (main.c), the running daemon (run.c, reload.c, poller.c, sdnotify.c,
 * self_health.c, commands.c, availability.c) and the commands once.c,
 * history.c and report.c. The
 * top layer: it may use every other folder, and none uses it.
 */
#ifndef FACMON_AGENT_H
#define FACMON_AGENT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/log.h"
#include "outputs/outputs.h"
#include "agent/availability.h"
#include "agent/poller.h"
#include "agent/sdnotify.h"
#include "agent/self_health.h"
#include "alerting/engine.h"
#include "outputs/mqtt.h"
#include "outputs/payload.h"

#define SHUTDOWN_FLUSH_MS 2000 /* a stop (or a new broker) waits this long
                                  for the goodbye's PUBACK */

struct agent {
	struct fm_config *cfg;  /* owned: a reload replaces it */
	int64_t started_wall_ms;
	struct engine *engine;
	struct outputs out;     /* mqtt, store and outbox, owned here */
	struct fm_mqtt *mqtt;
	struct poller *poller;
	int sigfd;
	bool stop;
	int64_t next_tick_ms;
	struct self_health health;
	struct sh_collector *collectors; /* one per bus, for the checks */
	int64_t next_self_check_ms;
	struct complaint *read_complaints; /* one per device */
	/* the heartbeat on R/status */
	struct fm_bus_stats *bus_stats;    /* one per bus */
	char config_sha256[CONFIG_HASH_LEN];
	int64_t next_status_ms;
	int64_t next_alive_ms;   /* the alive mark in the store (lifecycle.c) */
	/* what taking poll results costs the loop, for the heartbeat: how many
	 * it took and the CPU time it spent on them (engine, store, outputs) */
	struct {
		unsigned long results;
		int64_t cpu_ns;
	} loop;
	char stop_reason[48];    /* the signal that stopped it */
	struct sdnotify notify; /* systemd: READY, RELOADING, WATCHDOG, STOPPING */
	struct availability avail; /* polls counted for the report (availability.c) */
};

/* run.c */
/* Takes every waiting poll result into the engine. */
void agent_drain_results(struct agent *a);
/* Names the self-health alerts in the engine. */
void agent_define_self_alerts(struct agent *a);
/* Sets the config's maintenance windows (one already over is skipped). */
void agent_apply_config_silences(struct agent *a, int64_t wall);
/* Publishes the heartbeat on R/status now. */
void agent_publish_status(struct agent *a);
/* What the outputs of outputs/registry.c are given (outputs.h): A's state
 * with CFG, its engine and MQTT (a reload passes the new ones before it
 * installs them). */
struct output_env agent_output_env(const struct agent *a, const struct fm_config *cfg,
                                   struct fm_mqtt *mqtt);
/* The outputs' descriptors the loop polls, at most. */
#define OUTPUT_FDS_MAX 8
/* "1 bus, 3 devices, 5 rules": what CFG watches, for the log and systemd. */
void agent_summary(const struct fm_config *cfg, char *buf, size_t len);
/* Counters per bus of CFG, carried by name from OLD (NOLD of them). */
struct fm_bus_stats *agent_bus_stats(const struct fm_config *cfg,
                                     const struct fm_bus_stats *old, size_t nold);

/* commands.c: the MQTT command handler (CTX is the agent). */
struct fm_cmd;
void agent_on_command(void *ctx, const struct fm_cmd *cmd);

/* reload.c: SIGHUP. */
void agent_reload(struct agent *a);

/* lifecycle.c: the agent's own events. */
/* What a reload came to, for its event. */
struct reload_outcome {
	bool accepted;
	char old_sha256[CONFIG_HASH_LEN];
	char new_sha256[CONFIG_HASH_LEN];  /* the new config's, when it loaded */
	char file_sha256[CONFIG_HASH_LEN]; /* the main file's alone, when it did not */
	char why[FM_TEXT_MAX * 2];         /* rejected: the first problem */
};
/* At start: an unclean stop of the last run if there was one, then
 * "started"; the alive mark is written. */
void agent_note_start(struct agent *a);
/* Every loop turn: the alive mark, once a minute. */
void agent_note_alive(struct agent *a, int64_t now_mono);
/* At a clean stop, WHY ("Terminated") it stopped. */
void agent_note_stop(struct agent *a, const char *why);
void agent_note_reload(struct agent *a, const struct reload_outcome *r);

#endif
