/* history.h - `facmon history`: the stored events, printed.
 *
 * Owns: what the command prints and its exit status once main.c has parsed
 * its options and loaded the config. The store owns the database.
 */
#ifndef FACMON_HISTORY_H
#define FACMON_HISTORY_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"

struct history_opts {
	bool json;
	bool has_since;
	int64_t since_ms;  /* with HAS_SINCE: events of the last SINCE_MS only */
	const char *rule;  /* a rule name or an fnmatch(3) pattern; NULL: all */
};

/* "90s", "30m", "12h", "7d", "2w" into milliseconds; -1 if TEXT is not a
 * whole number followed by one of those units. */
int history_parse_duration(const char *text, int64_t *ms);

/* Prints the events in CFG's state_dir as aligned text or, with JSON, a
 * JSON array. Returns the exit status: 0, also when there are none; 1 when
 * the database is missing or cannot be read. */
int history_print(const struct fm_config *cfg, const struct history_opts *o);

#endif
