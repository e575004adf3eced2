/* clock.c - monotonic milliseconds for deadlines, UTC wall time for people,
 * and ISO 8601 times written and read back. */
#include "base/clock.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static int64_t clock_ms(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_mono_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

int64_t clock_wall_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}

int64_t clock_thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void clock_iso8601(int64_t wall_ms, char *buf, size_t len)
{
	time_t secs = (time_t)(wall_ms / 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	         tm.tm_min, tm.tm_sec, (int)(wall_ms % 1000));
}

/* "Z", "+09:00" or "-0330" into seconds east of UTC; -1 if none. */
static int parse_offset(const char *p, long *east)
{
	int h, m, n = 0;
	if (strcmp(p, "Z") == 0) {
		*east = 0;
		return 0;
	}
	if ((p[0] != '+' && p[0] != '-') ||
	    (sscanf(p + 1, "%2d:%2d%n", &h, &m, &n) != 2 &&
	     sscanf(p + 1, "%2d%2d%n", &h, &m, &n) != 2) || p[1 + n] != '\0' || h > 14 ||
	    m > 59)
		return -1;
	*east = (p[0] == '-' ? -1 : 1) * (h * 3600L + m * 60L);
	return 0;
}

int clock_parse_iso8601(const char *text, int64_t *ms)
{
	struct tm tm = {0};
	int n = 0, frac = 0, fn = 0;
	if (sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	           &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 || n != 19)
		return -1;
	const char *rest = text + n;
	if (*rest == '.') {
		if (sscanf(rest + 1, "%3d%n", &frac, &fn) != 1 || fn != 3)
			return -1;
		rest += 4;
	}
	long east;
	if (parse_offset(rest, &east) < 0 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*ms = ((int64_t)t - east) * 1000 + frac;
	return 0;
}
