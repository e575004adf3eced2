/* self_health.c - the agent's checks of itself: clock, outbox, disk, collectors.
 *
 * DESIGN
 * Each check is a small function from facts to one observation; the facts
 * come from the kernel (ntp_adjtime, statvfs, through replaceable pointers)
 * or from the caller (struct sh_inputs). Two checks keep state: the clock
 * remembers since when it has been unsynchronised, so it fires only after a
 * grace period (a Pi without an RTC boots with a wrong clock and syncs
 * within minutes), and the disk remembers its last verdict, so free space
 * wobbling at the threshold (an SQLite checkpoint) does not flap the alert.
 * The grace counts from the first unsynchronised reading in a row, which is
 * never before the agent started: a restart waits the grace again.
 */
#include "agent/self_health.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/timex.h>

static const char clock_controls[][FM_CONTROL_MAX] = {"8.17"};
static const char outbox_controls[][FM_CONTROL_MAX] = {"8.15", "実102"};
static const char disk_controls[][FM_CONTROL_MAX] = {"8.15"};
static const char collector_controls[][FM_CONTROL_MAX] = {"実102"};

#define CONTROLS(a) (a), sizeof(a) / sizeof((a)[0])

static const struct sh_check_desc checks[SH_NCHECKS] = {
	[SH_CLOCK] = {"facmon.clock", FM_SEV_WARNING, CONTROLS(clock_controls)},
	[SH_OUTBOX] = {"facmon.outbox", FM_SEV_MAJOR, CONTROLS(outbox_controls)},
	[SH_DISK] = {"facmon.disk", FM_SEV_MAJOR, CONTROLS(disk_controls)},
	[SH_COLLECTORS] = {"facmon.collectors", FM_SEV_CRITICAL,
	                   CONTROLS(collector_controls)},
};

const struct sh_check_desc *sh_check_desc(enum sh_check c)
{
	return (unsigned)c < SH_NCHECKS ? &checks[c] : NULL;
}

const char *sh_check_name(enum sh_check c)
{
	return (unsigned)c < SH_NCHECKS ? checks[c].name : "";
}

void self_health_init(struct self_health *h, const struct fm_agent_conf *agent)
{
	*h = (struct self_health){
		.lim = {
			.clock_grace_ms = (int64_t)agent->clock_unsync_grace * 1000,
			.outbox_after_ms = (int64_t)agent->outbox_alert_after * 1000,
			.outbox_max_events = SH_OUTBOX_MAX_EVENTS,
			.disk_min_free_pct = agent->disk_min_free_pct,
			.disk_min_free_bytes = SH_DISK_MIN_FREE_BYTES,
			.disk_clear_pct = SH_DISK_CLEAR_PCT,
			.disk_clear_bytes = SH_DISK_CLEAR_BYTES,
			.collector_min_ms = (int64_t)agent->collector_hang_after * 1000,
			.collector_periods = SH_COLLECTOR_PERIODS,
		},
		.adjtime_fn = ntp_adjtime,
		.statvfs_fn = statvfs,
	};
}

/* ---- wording ---- */

static void set_obs(struct sh_obs *o, int cond, double value, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void set_obs(struct sh_obs *o, int cond, double value, const char *fmt, ...)
{
	o->cond = cond;
	o->value = value;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(o->detail, sizeof o->detail, fmt, ap);
	va_end(ap);
}

/* "45 s", "12 min", "3 h 5 min": how long, for people. */
static const char *duration(int64_t ms, char *buf, size_t len)
{
	int64_t s = ms / 1000;
	if (s < 120)
		snprintf(buf, len, "%lld s", (long long)s);
	else if (s < 2 * 3600)
		snprintf(buf, len, "%lld min", (long long)(s / 60));
	else
		snprintf(buf, len, "%lld h %lld min", (long long)(s / 3600),
		         (long long)(s % 3600 / 60));
	return buf;
}

/* "412.0 MB", "12.8 GB" (decimal units, as df -H). */
static const char *bytes(uint64_t n, char *buf, size_t len)
{
	if (n >= 1000ull * 1000 * 1000)
		snprintf(buf, len, "%.1f GB", (double)n / 1e9);
	else
		snprintf(buf, len, "%.1f MB", (double)n / 1e6);
	return buf;
}

/* ---- clock (ISO 27001 8.17) ---- */

static void check_clock(struct self_health *h, int64_t now, struct sh_obs *o)
{
	struct timex tx = {.modes = 0}; /* read only */
	int state = h->adjtime_fn(&tx);
	if (state < 0) {
		set_obs(o, SH_UNKNOWN, NAN, "cannot ask the kernel (ntp_adjtime): %s",
		        strerror(errno));
		return; /* says nothing about how long it has been unsynchronised */
	}
	double maxerr = (double)tx.maxerror / 1e6, esterr = (double)tx.esterror / 1e6;
	if (state != TIME_ERROR && !(tx.status & STA_UNSYNC)) {
		h->clock_unsynced = false;
		set_obs(o, SH_OK, maxerr, "synchronised; maxerror %.6f s, esterror %.6f s",
		        maxerr, esterr);
		return;
	}
	if (!h->clock_unsynced) {
		h->clock_unsynced = true;
		h->clock_unsync_since_ms = now;
	}
	int64_t for_ms = now - h->clock_unsync_since_ms;
	bool bad = for_ms > h->lim.clock_grace_ms;
	char d1[32], d2[32];
	set_obs(o, bad ? SH_BAD : SH_OK, maxerr,
	        "not synchronised for %s (%s %s); maxerror %.3f s, esterror %.3f s",
	        duration(for_ms, d1, sizeof d1), bad ? "more than" : "alert after",
	        duration(h->lim.clock_grace_ms, d2, sizeof d2), maxerr, esterr);
}

/* ---- outbox (8.15, 実102): events the broker has not acknowledged ---- */

static void check_outbox(const struct self_health *h, const struct sh_inputs *in,
                         int64_t now, struct sh_obs *o)
{
	if (!in->outbox_known) {
		set_obs(o, SH_UNKNOWN, NAN, "no broker connection to watch");
		return;
	}
	size_t n = in->events_unacked;
	int64_t down_ms = in->unreachable_since_ms > 0 ? now - in->unreachable_since_ms : 0;
	char d[32];
	if (n > h->lim.outbox_max_events) {
		set_obs(o, SH_BAD, (double)n, "%zu events waiting for the broker "
		        "(more than %zu)", n, h->lim.outbox_max_events);
	} else if (in->unreachable_since_ms > 0 && n > 0 && down_ms > h->lim.outbox_after_ms) {
		char d2[32];
		set_obs(o, SH_BAD, (double)n, "broker unreachable for %s (more than %s) "
		        "with %zu event%s waiting", duration(down_ms, d, sizeof d),
		        duration(h->lim.outbox_after_ms, d2, sizeof d2), n, n == 1 ? "" : "s");
	} else if (in->unreachable_since_ms > 0) {
		set_obs(o, SH_OK, (double)n, "broker unreachable for %s, %zu event%s "
		        "waiting", duration(down_ms, d, sizeof d), n, n == 1 ? "" : "s");
	} else {
		set_obs(o, SH_OK, (double)n, "broker connected, %zu event%s waiting for "
		        "its acknowledgement", n, n == 1 ? "" : "s");
	}
}

/* ---- disk (8.15): room for the event history ---- */

static void check_disk(struct self_health *h, const struct sh_inputs *in,
                       struct sh_obs *o)
{
	const char *dir = in->state_dir;
	struct statvfs st;
	if (!dir || !dir[0]) {
		set_obs(o, SH_UNKNOWN, NAN, "no state_dir to watch");
		return;
	}
	if (h->statvfs_fn(dir, &st) < 0) {
		set_obs(o, SH_UNKNOWN, NAN, "%s: statvfs: %s", dir, strerror(errno));
		return;
	}
	if (st.f_blocks == 0) {
		set_obs(o, SH_UNKNOWN, NAN, "%s: the filesystem reports no size", dir);
		return;
	}
	/* f_bavail: what the agent, not root, can still write */
	uint64_t unit = st.f_frsize ? st.f_frsize : st.f_bsize;
	uint64_t avail = (uint64_t)st.f_bavail * unit, total = (uint64_t)st.f_blocks * unit;
	double pct = 100.0 * (double)st.f_bavail / (double)st.f_blocks;
	const struct sh_limits *l = &h->lim;
	bool low = pct < l->disk_min_free_pct || avail < l->disk_min_free_bytes;
	if (h->disk_low && !low) /* clear only clearly above the thresholds */
		low = (l->disk_min_free_pct > 0 && pct < l->disk_min_free_pct + l->disk_clear_pct) ||
		      avail < l->disk_min_free_bytes + l->disk_clear_bytes;
	h->disk_low = low;
	char b1[32], b2[32], b3[32], pct_limit[32] = "";
	if (l->disk_min_free_pct > 0)
		snprintf(pct_limit, sizeof pct_limit, "%g%% or ", l->disk_min_free_pct);
	set_obs(o, low ? SH_BAD : SH_OK, pct, "%s: %.1f%% free (%s of %s); alert below "
	        "%s%s", dir, pct, bytes(avail, b1, sizeof b1), bytes(total, b2, sizeof b2),
	        pct_limit, bytes(l->disk_min_free_bytes, b3, sizeof b3));
}

/* ---- collectors (実102): every bus worker turning, and polling going on ---- */

static int64_t collector_limit_ms(const struct sh_limits *l, const struct sh_collector *c)
{
	int64_t periods = (int64_t)l->collector_periods * c->period_ms;
	return periods > l->collector_min_ms ? periods : l->collector_min_ms;
}

/* Appends to O->detail; what does not fit is cut off. */
static void append(struct sh_obs *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void append(struct sh_obs *o, const char *fmt, ...)
{
	size_t used = strlen(o->detail);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(o->detail + used, sizeof o->detail - used, fmt, ap);
	va_end(ap);
}

static int64_t age_ms(int64_t now, int64_t then)
{
	return now > then ? now - then : 0;
}

static void check_collectors(const struct self_health *h, const struct sh_inputs *in,
                             int64_t now, struct sh_obs *o)
{
	size_t nbad = 0, nunknown = 0;
	int64_t oldest = 0;
	char d1[32], d2[32];
	o->detail[0] = '\0';
	for (size_t i = 0; i < in->ncollectors; i++) {
		const struct sh_collector *c = &in->collectors[i];
		if (c->heartbeat_ms <= 0) {
			nunknown++;
			continue;
		}
		int64_t age = age_ms(now, c->heartbeat_ms);
		int64_t results_age = c->result_ms > 0 ? age_ms(now, c->result_ms) : 0;
		int64_t limit = collector_limit_ms(&h->lim, c);
		if (age > oldest || results_age > oldest)
			oldest = age > results_age ? age : results_age;
		if (age > limit)
			append(o, "%sbus %s silent for %s (limit %s)", nbad++ ? "; " : "",
			       c->name, duration(age, d1, sizeof d1),
			       duration(limit, d2, sizeof d2));
		else if (results_age > limit)
			append(o, "%sbus %s: no poll result for %s (limit %s), its worker "
			       "idle: polling has stopped", nbad++ ? "; " : "", c->name,
			       duration(results_age, d1, sizeof d1),
			       duration(limit, d2, sizeof d2));
	}
	if (nbad) {
		o->cond = SH_BAD;
		o->value = (double)oldest / 1000.0;
	} else if (nunknown) {
		set_obs(o, SH_UNKNOWN, NAN, "%zu of %zu bus workers have no heartbeat yet",
		        nunknown, in->ncollectors);
	} else if (in->ncollectors == 0) {
		set_obs(o, SH_OK, 0.0, "no bus workers");
	} else {
		set_obs(o, SH_OK, (double)oldest / 1000.0, "%zu bus worker%s alive, the "
		        "quietest for %s", in->ncollectors, in->ncollectors == 1 ? "" : "s",
		        duration(oldest, d1, sizeof d1));
	}
}

void self_health_run(struct self_health *h, const struct sh_inputs *in,
                     int64_t now_mono_ms, struct sh_obs out[SH_NCHECKS])
{
	for (int c = 0; c < SH_NCHECKS; c++)
		out[c] = (struct sh_obs){.check = (enum sh_check)c};
	check_clock(h, now_mono_ms, &out[SH_CLOCK]);
	check_outbox(h, in, now_mono_ms, &out[SH_OUTBOX]);
	check_disk(h, in, &out[SH_DISK]);
	check_collectors(h, in, now_mono_ms, &out[SH_COLLECTORS]);
	h->collectors_hung = out[SH_COLLECTORS].cond == SH_BAD;
	snprintf(h->hung_detail, sizeof h->hung_detail, "%s", out[SH_COLLECTORS].detail);
}

const char *self_health_hung(const struct self_health *h)
{
	return h->collectors_hung ? h->hung_detail : NULL;
}

int64_t self_health_bus_period_ms(const struct fm_config *cfg, const struct fm_bus *bus)
{
	int64_t longest = bus->timeout_ms;
	for (size_t i = 0; i < cfg->ndevices; i++) {
		const struct fm_device *d = &cfg->devices[i];
		if (strcmp(d->bus, bus->name) != 0)
			continue;
		int64_t t = (int64_t)d->interval * 1000;
		if (d->kind == FM_DEVICE_SNMP) {
			int64_t tries = (int64_t)d->snmp.timeout_ms * (d->snmp.retries + 1);
			if (tries > t)
				t = tries;
		}
		if (t > longest)
			longest = t;
	}
	return longest;
}
