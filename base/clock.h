/* clock.h - the two clocks facmon uses.
 *
 * Owns: monotonic time for every deadline and schedule (it does not jump
 * when a Pi syncs NTP), and wall-clock UTC for timestamps people read.
 */
#ifndef FACMON_CLOCK_H
#define FACMON_CLOCK_H

#include <stddef.h>
#include <stdint.h>

int64_t clock_mono_ms(void);
/* CPU time the calling thread has used, in nanoseconds: what the work of
 * the loop costs, apart from the time it waits. */
int64_t clock_thread_cpu_ns(void);
int64_t clock_wall_ms(void);

/* "2026-11-21T22:35:14.123Z" into BUF (at least 25 bytes). */
#define CLOCK_ISO_LEN 25
void clock_iso8601(int64_t wall_ms, char *buf, size_t len);

/* An ISO 8601 time as events and configs write it back into milliseconds:
 * "2026-11-21T22:35:14.123Z", "2026-11-21T22:35:14Z",
 * "2026-11-22T07:35:14+09:00" (or +0900). 0, or -1 if TEXT is none. */
int clock_parse_iso8601(const char *text, int64_t *ms);

#endif
