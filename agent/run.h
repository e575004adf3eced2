/* run.h - the agent's commands: `facmon run` and `facmon once`, and the
 * self-health alerts every engine of the agent's has. */
#ifndef FACMON_RUN_H
#define FACMON_RUN_H

#include <stdbool.h>

#include "alerting/engine.h"
#include "config/config.h"

/* Runs until SIGTERM/SIGINT; SIGHUP reloads CFG's file. Takes CFG over
 * (frees it, or the config that replaced it). Returns the exit status. */
int agent_run(struct fm_config *cfg);

/* Polls every device once and prints readings, device states and what each
 * rule would do. Exit status: 0 all devices answered, 3 some did not.
 * Judges each device from this one poll, so CFG's down_after is set to 1,
 * and leaves the trap port to the running agent (no listener). */
int agent_once(struct fm_config *cfg, bool json);

/* Names the self-health alerts in engine E, with their severities and
 * controls, as the running agent does (also for the report's catalog). */
void agent_name_self_alerts(struct engine *e);

#endif
