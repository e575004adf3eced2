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
	bool csv;
	bool has_since;
	int64_t since_ms;    /* with HAS_SINCE: events of the last SINCE_MS only */
	int64_t from_ms;     /* events at or after this UTC time; 0: no bound */
	int64_t until_ms;    /* events before this UTC time; 0: no bound */
	const char *rule;    /* a rule name or an fnmatch(3) pattern; NULL: all */
	const char *type;    /* "transition", "ack", "silence", ...; NULL: all */
	const char *control; /* events carrying this control ID; NULL: all */
};

/* "90s", "30m", "12h", "7d", "2w" into milliseconds; -1 if TEXT is not a
 * whole number followed by one of those units. */
int history_parse_duration(const char *text, int64_t *ms);

/* An absolute UTC time, "2026-11-01", "2026-11-01T08:30", "2026-11-01
 * 08:30:15" or with a trailing "Z", into milliseconds since 1970; -1 if
 * TEXT is none of those or no such date. */
int history_parse_time(const char *text, int64_t *ms);

/* Whether TYPE is a type of event ("transition", "ack", ...). */
bool history_type_known(const char *type);

/* Prints the events in CFG's state_dir as aligned text, CSV or a JSON
 * array. Returns the exit status: 0, also when there are none; 1 when the
 * database is missing or cannot be read. */
int history_print(const struct fm_config *cfg, const struct history_opts *o);

/* `facmon verify`: re-checks the hash chain of CFG's history and prints one
 * line saying what was checked, or the first seq that does not verify and
 * why. Returns the exit status: 0 intact, 1 broken or unreadable. */
int history_verify(const struct fm_config *cfg);

#endif
