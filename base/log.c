/* log.c - leveled one-line logging to stderr and the complaint helper.
 *
 * Lines go to stderr unbuffered so journald (or a test) sees them at once;
 * journald adds its own timestamp, so we print only the level and text.
 */
#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>

static enum fm_log_level current_level = FM_LOG_INFO;

static const char *const level_names[] = {
	[FM_LOG_ERROR] = "ERROR",
	[FM_LOG_WARN] = "WARN",
	[FM_LOG_INFO] = "INFO",
	[FM_LOG_DEBUG] = "DEBUG",
};

void log_set_level(enum fm_log_level level)
{
	current_level = level;
}

bool log_enabled(enum fm_log_level level)
{
	return level <= current_level;
}

static void log_vwrite(enum fm_log_level level, const char *fmt, va_list ap,
                       const char *suffix) __attribute__((format(printf, 2, 0)));

static void log_vwrite(enum fm_log_level level, const char *fmt, va_list ap,
                       const char *suffix)
{
	char line[1024];
	vsnprintf(line, sizeof line, fmt, ap);
	fprintf(stderr, "%s %s%s\n", level_names[level], line, suffix);
}

void log_write(enum fm_log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vwrite(level, fmt, ap, "");
	va_end(ap);
}

#define COMPLAINT_FIRST_MS 60000         /* first repeat after a minute */
#define COMPLAINT_MAX_MS (24 * 3600000LL) /* then at most daily */

void complain(struct complaint *c, int64_t now_ms, const char *fmt, ...)
{
	c->failures++;
	if (c->failures > 1 && now_ms < c->next_ms)
		return;
	if (c->interval_ms == 0)
		c->interval_ms = COMPLAINT_FIRST_MS;
	else if (c->interval_ms < COMPLAINT_MAX_MS)
		c->interval_ms *= 2;
	c->next_ms = now_ms + c->interval_ms;
	if (!log_enabled(FM_LOG_WARN))
		return;
	char suffix[64] = "";
	if (c->failures > 1)
		snprintf(suffix, sizeof suffix, " (failing for %u polls)", c->failures);
	va_list ap;
	va_start(ap, fmt);
	log_vwrite(FM_LOG_WARN, fmt, ap, suffix);
	va_end(ap);
}

void complain_now(struct complaint *c)
{
	c->next_ms = 0;
}

void complain_recovered(struct complaint *c, const char *fmt, ...)
{
	if (c->failures == 0)
		return;
	char suffix[64];
	snprintf(suffix, sizeof suffix, ": recovered after %u failures", c->failures);
	*c = (struct complaint){0};
	if (!log_enabled(FM_LOG_INFO))
		return;
	va_list ap;
	va_start(ap, fmt);
	log_vwrite(FM_LOG_INFO, fmt, ap, suffix);
	va_end(ap);
}
