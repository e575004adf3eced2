/* report_time.c - the report's times: read from events, written for people.
 *
 * Owns: the bounds of a month, and every way the renderers write a time: UTC, and the gateway's local
 * time as the TZ environment (or /etc/localtime) has it, with its zone's
 * name and offset at that moment (a zone with summer time changes both),
 * and durations in words.
 */
#include "report/report_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"

int report_parse_month(const char *text, int *year, int *month)
{
	int y, m, n = 0;
	if (sscanf(text, "%4d-%2d%n", &y, &m, &n) != 2 || n != 7 || text[n] != '\0' ||
	    text[4] != '-' || y < 1970 || m < 1 || m > 12)
		return -1;
	*year = y;
	*month = m;
	return 0;
}

int64_t report_month_start(int year, int month)
{
	struct tm tm = {.tm_year = year - 1900, .tm_mon = month - 1, .tm_mday = 1};
	return (int64_t)timegm(&tm) * 1000;
}

/* ---- writing ---- */

static struct tm local_tm(int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	return tm;
}

/* "+09:00" */
static void offset_text(long east, char *buf, size_t len)
{
	long a = east < 0 ? -east : east;
	snprintf(buf, len, "%c%02ld:%02ld", east < 0 ? '-' : '+', a / 3600, a % 3600 / 60);
}

void report_utc_text(int64_t ms, char *buf, size_t len)
{
	char iso[CLOCK_ISO_LEN];
	clock_iso8601(ms, iso, sizeof iso);
	snprintf(buf, len, "%.10s %.8s UTC", iso, iso + 11);
}

void report_local_text(int64_t ms, char *buf, size_t len)
{
	struct tm tm = local_tm(ms);
	char day[40];
	strftime(day, sizeof day, "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf, len, "%s %s", day, tm.tm_zone ? tm.tm_zone : "");
}

void report_local_iso(int64_t ms, char *buf, size_t len)
{
	struct tm tm = local_tm(ms);
	char day[40], off[24];
	strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
	offset_text(tm.tm_gmtoff, off, sizeof off);
	snprintf(buf, len, "%s.%03d%s", day, (int)(((ms % 1000) + 1000) % 1000), off);
}

void report_zone_text(int64_t ms, char *buf, size_t len)
{
	struct tm tm = local_tm(ms);
	char off[24];
	offset_text(tm.tm_gmtoff, off, sizeof off);
	const char *tz = getenv("TZ");
	snprintf(buf, len, "%s (UTC%s)%s%s", tm.tm_zone ? tm.tm_zone : "", off,
	         tz && tz[0] ? ", TZ=" : "", tz && tz[0] ? tz : "");
}

void report_duration_text(double s, char *buf, size_t len)
{
	long long t = (long long)(s + 0.5);
	if (s < 0)
		snprintf(buf, len, "-");
	else if (t < 120)
		snprintf(buf, len, "%lld s", t);
	else if (t < 7200)
		snprintf(buf, len, "%lld min %02lld s", t / 60, t % 60);
	else if (t < 172800)
		snprintf(buf, len, "%lld h %02lld min", t / 3600, t % 3600 / 60);
	else
		snprintf(buf, len, "%lld d %lld h %02lld min", t / 86400, t % 86400 / 3600,
		         t % 3600 / 60);
}
