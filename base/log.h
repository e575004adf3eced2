/* log.h - one-line log messages on stderr, and rate-limited complaints.
 *
 * Owns: the log level, the line format ("LEVEL module[context]: message")
 * and the complaint helper that keeps a device dead for a week from
 * writing a line per poll. Never log a secret.
 *
 * Folder base/ owns the shared basics every layer may use, and that use
 * nothing else of facmon's: logging and the complaint helper (log.c),
 * the monotonic and wall clocks (clock.c), reading secret files
 * (secret.c), and CSV fields (csv.c).
 */
#ifndef FACMON_LOG_H
#define FACMON_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum fm_log_level {
	FM_LOG_ERROR,
	FM_LOG_WARN,
	FM_LOG_INFO,
	FM_LOG_DEBUG,
};

void log_set_level(enum fm_log_level level);
bool log_enabled(enum fm_log_level level);
void log_write(enum fm_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The level test comes before the arguments are evaluated. */
#define LOG_AT(lvl, ...) \
	do { if (log_enabled(lvl)) log_write(lvl, __VA_ARGS__); } while (0)
#define log_error(...) LOG_AT(FM_LOG_ERROR, __VA_ARGS__)
#define log_warn(...) LOG_AT(FM_LOG_WARN, __VA_ARGS__)
#define log_info(...) LOG_AT(FM_LOG_INFO, __VA_ARGS__)
#define log_debug(...) LOG_AT(FM_LOG_DEBUG, __VA_ARGS__)

/* A failure that repeats: the first occurrence is logged, then only at
 * growing intervals (doubling up to a day), and the recovery once, with the
 * number of failures it ended. */
struct complaint {
	unsigned failures;     /* in a row */
	int64_t next_ms;       /* monotonic time the next repeat may be logged */
	int64_t interval_ms;
};

/* Logs "<fmt> (failing for N polls)" at WARN if due. */
void complain(struct complaint *c, int64_t now_ms, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The next complain() on C logs whatever the interval, as the first did;
 * the count goes on. For a failure whose cause has become clear. */
void complain_now(struct complaint *c);
/* Logs "<fmt>: recovered after N failures" at INFO if C was failing. */
void complain_recovered(struct complaint *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
