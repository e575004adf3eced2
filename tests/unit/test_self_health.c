/* test_self_health.c - the agent's checks of itself, against faked facts.
 *
 * ntp_adjtime and statvfs are replaced through struct self_health's
 * pointers by fakes that play back a table row; the outbox facts and the
 * bus workers' heartbeats are given as inputs. Each table is a scenario on
 * one self_health, so the state a check keeps (the clock's grace, the
 * disk's hysteresis) is exercised across rows; a failed row prints what was
 * got and wanted and the other rows still run. One test starts a real bus
 * worker and leaves it idle, to see that it beats while it waits.
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "collectors/worker.h"
#include "base/clock.h"
#include "agent/self_health.h"
#include "loopback.h"

#define MIN (60 * 1000)
#define T0 5000 /* the agent's start on the fake monotonic clock */

static const struct fm_agent_conf default_agent = {
	.state_dir = "/var/lib/facmon",
	.disk_min_free_pct = 5,
	.clock_unsync_grace = 600,
	.outbox_alert_after = 300,
	.collector_hang_after = 60,
};

static const char *const cond_names[] = {"ok", "bad", "unknown"};

/* Compares one observation with what a row wants; prints both when they
 * differ. WANT_VALUE NAN: the value must be NaN. WANT_DETAIL: a substring. */
static bool expect(const char *what, const struct sh_obs *o, enum sh_check check,
                   int want_cond, double want_value, const char *want_detail)
{
	bool value_ok = isnan(want_value) ? isnan(o->value)
	                                  : fabs(o->value - want_value) < 1e-9;
	bool ok = o->check == check && o->cond == want_cond && value_ok &&
	          strstr(o->detail, want_detail) != NULL;
	if (!ok)
		print_error("FAIL %s: %s\n    got  %s %g \"%s\"\n    want %s %g \"...%s...\"\n",
		            sh_check_name(check), what, cond_names[o->cond], o->value,
		            o->detail, cond_names[want_cond], want_value, want_detail);
	return ok;
}

/* Runs every check on H at NOW and compares check C's observation with
 * what a row wants; 1 when it differs (printed), else 0. */
static int row_fails(struct self_health *h, const struct sh_inputs *in, int64_t now,
                     enum sh_check c, const char *what, int want_cond,
                     double want_value, const char *want_detail)
{
	struct sh_obs out[SH_NCHECKS];
	self_health_run(h, in, now, out);
	return !expect(what, &out[c], c, want_cond, want_value, want_detail);
}

/* ---- the alerts' names, severities and controls ---- */

static void test_alert_data(void **state)
{
	(void)state;
	static const struct {
		enum sh_check check;
		const char *name;
		enum fm_severity severity;
		const char *controls[2];
	} want[] = {
		{SH_CLOCK, "facmon.clock", FM_SEV_WARNING, {"8.17"}},
		{SH_OUTBOX, "facmon.outbox", FM_SEV_MAJOR, {"8.15", "実102"}},
		{SH_DISK, "facmon.disk", FM_SEV_MAJOR, {"8.15"}},
		{SH_COLLECTORS, "facmon.collectors", FM_SEV_CRITICAL, {"実102"}},
	};
	assert_int_equal(sizeof want / sizeof want[0], SH_NCHECKS);
	for (size_t i = 0; i < SH_NCHECKS; i++) {
		const struct sh_check_desc *d = sh_check_desc(want[i].check);
		assert_non_null(d);
		assert_string_equal(sh_check_name(want[i].check), want[i].name);
		assert_string_equal(d->name, want[i].name);
		assert_int_equal(d->severity, want[i].severity);
		size_t n = want[i].controls[1] ? 2 : 1;
		assert_int_equal(d->ncontrols, n);
		for (size_t k = 0; k < n; k++)
			assert_string_equal(d->controls[k], want[i].controls[k]);
	}
	assert_string_equal(sh_check_name(SH_NCHECKS), "");
	assert_null(sh_check_desc(SH_NCHECKS));
}

static void test_init(void **state)
{
	(void)state;
	struct fm_agent_conf agent = default_agent;
	agent.disk_min_free_pct = 12;
	agent.clock_unsync_grace = 90;
	agent.outbox_alert_after = 45;
	agent.collector_hang_after = 20;
	struct self_health h;
	self_health_init(&h, &agent);
	assert_int_equal(h.lim.clock_grace_ms, 90000);
	assert_int_equal(h.lim.outbox_after_ms, 45000);
	assert_int_equal(h.lim.outbox_max_events, 1000);
	assert_true(h.lim.disk_min_free_pct == 12.0);
	assert_int_equal(h.lim.disk_min_free_bytes, 50000000);
	assert_int_equal(h.lim.collector_min_ms, 20000);
	assert_int_equal(h.lim.collector_periods, 3);
	assert_ptr_equal(h.adjtime_fn, ntp_adjtime);
	assert_ptr_equal(h.statvfs_fn, statvfs);
	assert_false(h.clock_unsynced);
	assert_false(h.disk_low);
	assert_null(self_health_hung(&h));
}

/* ---- fakes of the kernel ---- */

struct fake_clock {
	int rc;           /* ntp_adjtime's return: TIME_OK, TIME_ERROR, -1 */
	int err;          /* errno when rc is -1 */
	int status;
	long maxerror, esterror; /* microseconds */
};
static struct fake_clock fake_clock;

static int fake_adjtime(struct timex *tx)
{
	if (tx->modes != 0)
		fail_msg("self-health must only read the clock (modes %u)", tx->modes);
	if (fake_clock.rc < 0) {
		errno = fake_clock.err;
		return -1;
	}
	tx->status = fake_clock.status;
	tx->maxerror = fake_clock.maxerror;
	tx->esterror = fake_clock.esterror;
	return fake_clock.rc;
}

struct fake_disk {
	int rc, err;
	unsigned long frsize;
	fsblkcnt_t blocks, bavail;
};
static struct fake_disk fake_disk;
static char statvfs_path[256];

static int fake_statvfs(const char *path, struct statvfs *st)
{
	snprintf(statvfs_path, sizeof statvfs_path, "%s", path);
	if (fake_disk.rc < 0) {
		errno = fake_disk.err;
		return -1;
	}
	memset(st, 0, sizeof *st);
	st->f_frsize = fake_disk.frsize;
	st->f_bsize = 4096;
	st->f_blocks = fake_disk.blocks;
	st->f_bfree = fake_disk.bavail + fake_disk.blocks / 20; /* root's reserve */
	st->f_bavail = fake_disk.bavail;
	return 0;
}

/* A self_health with the default limits and the fakes; the clock synced
 * and the disk half empty unless a test says otherwise. */
static void faked(struct self_health *h, const struct fm_agent_conf *agent)
{
	self_health_init(h, agent);
	h->adjtime_fn = fake_adjtime;
	h->statvfs_fn = fake_statvfs;
	fake_clock = (struct fake_clock){TIME_OK, 0, 0, 1000, 100};
	fake_disk = (struct fake_disk){0, 0, 1000, 10000000, 5000000};
}

static const struct sh_inputs healthy_inputs = {
	.state_dir = "/var/lib/facmon",
	.outbox_known = true,
};

/* ---- clock (8.17) ---- */

#define UNSYNC TIME_ERROR, 0, STA_UNSYNC, 16000000, 16000000

static void test_clock(void **state)
{
	(void)state;
	static const struct {
		const char *what;
		int64_t now;
		struct fake_clock k;
		int want;
		double value; /* maxerror, seconds */
		const char *detail;
	} rows[] = {
		{"unsynchronised at boot: grace", T0, {UNSYNC}, SH_OK, 16.0,
		 "not synchronised for 0 s (alert after 10 min); maxerror 16.000 s, esterror 16.000 s"},
		{"5 min after boot", T0 + 5 * MIN, {UNSYNC}, SH_OK, 16.0,
		 "not synchronised for 5 min (alert after 10 min)"},
		{"exactly the grace", T0 + 10 * MIN, {UNSYNC}, SH_OK, 16.0, "(alert after 10 min)"},
		{"past the grace", T0 + 10 * MIN + 1, {UNSYNC}, SH_BAD, 16.0,
		 "not synchronised for 10 min (more than 10 min); maxerror 16.000 s"},
		{"still unsynchronised", T0 + 130 * MIN, {UNSYNC}, SH_BAD, 16.0,
		 "not synchronised for 2 h 10 min (more than 10 min)"},
		{"synchronised (chrony, timesyncd)", T0 + 131 * MIN,
		 {TIME_OK, 0, STA_PLL, 12000, 500}, SH_OK, 0.012,
		 "synchronised; maxerror 0.012000 s, esterror 0.000500 s"},
		{"a leap second pending is still synchronised", T0 + 132 * MIN,
		 {TIME_INS, 0, STA_PLL | STA_INS, 12000, 500}, SH_OK, 0.012, "synchronised;"},
		{"unsynchronised again: a new grace", T0 + 140 * MIN, {UNSYNC}, SH_OK, 16.0,
		 "not synchronised for 0 s (alert after 10 min)"},
		{"the kernel cannot be asked", T0 + 145 * MIN, {-1, EPERM, 0, 0, 0}, SH_UNKNOWN,
		 NAN, "cannot ask the kernel (ntp_adjtime): Operation not permitted"},
		{"an unknown reading does not restart the grace", T0 + 150 * MIN + 1, {UNSYNC},
		 SH_BAD, 16.0, "not synchronised for 10 min (more than 10 min)"},
		{"synchronised", T0 + 151 * MIN, {TIME_OK, 0, 0, 2000, 1000}, SH_OK, 0.002,
		 "synchronised;"},
		{"TIME_ERROR alone means unsynchronised", T0 + 152 * MIN,
		 {TIME_ERROR, 0, 0, 500000, 400000}, SH_OK, 0.5,
		 "not synchronised for 0 s (alert after 10 min); maxerror 0.500 s, esterror 0.400 s"},
		{"so does STA_UNSYNC alone", T0 + 162 * MIN + 1,
		 {TIME_OK, 0, STA_UNSYNC, 600000, 400000}, SH_BAD, 0.6,
		 "not synchronised for 10 min (more than 10 min)"},
	};
	struct self_health h;
	faked(&h, &default_agent);
	int failures = 0;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		fake_clock = rows[i].k;
		failures += row_fails(&h, &healthy_inputs, rows[i].now, SH_CLOCK, rows[i].what,
		                      rows[i].want, rows[i].value, rows[i].detail);
	}
	assert_int_equal(failures, 0);
}

/* clock_unsync_grace = 0: the first unsynchronised reading is not yet
 * "more than" nothing; the next one is. */
static void test_clock_no_grace(void **state)
{
	(void)state;
	struct fm_agent_conf agent = default_agent;
	agent.clock_unsync_grace = 0;
	struct self_health h;
	faked(&h, &agent);
	fake_clock = (struct fake_clock){UNSYNC};
	struct sh_obs out[SH_NCHECKS];
	self_health_run(&h, &healthy_inputs, T0, out);
	assert_int_equal(out[SH_CLOCK].cond, SH_OK);
	self_health_run(&h, &healthy_inputs, T0 + 1000, out);
	assert_int_equal(out[SH_CLOCK].cond, SH_BAD);
}

/* ---- outbox (8.15, 実102) ---- */

static void test_outbox(void **state)
{
	(void)state;
	static const struct {
		const char *what;
		int64_t now;
		bool known;
		size_t unacked;
		int64_t down_since; /* 0: connected */
		int want;
		double value;
		const char *detail;
	} rows[] = {
		{"connected, nothing waiting", T0, true, 0, 0, SH_OK, 0,
		 "broker connected, 0 events waiting for its acknowledgement"},
		{"connected, one in flight", T0, true, 1, 0, SH_OK, 1,
		 "broker connected, 1 event waiting"},
		{"connected, 1000 waiting", T0, true, 1000, 0, SH_OK, 1000, "1000 events waiting"},
		{"connected, 1001 waiting", T0, true, 1001, 0, SH_BAD, 1001,
		 "1001 events waiting for the broker (more than 1000)"},
		{"unreachable since boot, nothing waiting", T0 + 60 * MIN, true, 0, T0, SH_OK, 0,
		 "broker unreachable for 60 min, 0 events waiting"},
		{"unreachable 5 min, one waiting", T0 + 5 * MIN, true, 1, T0, SH_OK, 1,
		 "broker unreachable for 5 min, 1 event waiting"},
		{"unreachable over 5 min, one waiting", T0 + 5 * MIN + 1, true, 1, T0, SH_BAD, 1,
		 "broker unreachable for 5 min (more than 5 min) with 1 event waiting"},
		{"unreachable 3 h, 12 waiting", T0 + 180 * MIN, true, 12, T0, SH_BAD, 12,
		 "broker unreachable for 3 h 0 min (more than 5 min) with 12 events waiting"},
		{"unreachable 1 min, 1001 waiting", T0 + MIN, true, 1001, T0, SH_BAD, 1001,
		 "1001 events waiting for the broker (more than 1000)"},
		{"no broker client", T0, false, 0, 0, SH_UNKNOWN, NAN,
		 "no broker connection to watch"},
		{"back, the backlog delivered", T0 + 200 * MIN, true, 0, 0, SH_OK, 0,
		 "broker connected, 0 events waiting"},
	};
	struct self_health h;
	faked(&h, &default_agent);
	int failures = 0;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct sh_inputs in = healthy_inputs;
		in.outbox_known = rows[i].known;
		in.events_unacked = rows[i].unacked;
		in.unreachable_since_ms = rows[i].down_since;
		failures += row_fails(&h, &in, rows[i].now, SH_OUTBOX, rows[i].what,
		                      rows[i].want, rows[i].value, rows[i].detail);
	}
	assert_int_equal(failures, 0);
}

/* ---- disk (8.15) ---- */

/* Blocks of 1000 bytes: 10,000,000 blocks are 10 GB. */
#define DISK(blocks, bavail) {0, 0, 1000, blocks, bavail}

static void test_disk(void **state)
{
	(void)state;
	static const struct {
		const char *what;
		int min_pct;
		const char *dir;
		struct fake_disk d;
		int want;
		double value; /* percent free */
		const char *detail;
	} rows[] = {
		{"half empty", 5, "/var/lib/facmon", DISK(10000000, 5000000), SH_OK, 50.0,
		 "/var/lib/facmon: 50.0% free (5.0 GB of 10.0 GB); alert below 5% or 50.0 MB"},
		{"just 5%", 5, "/var/lib/facmon", DISK(10000000, 500000), SH_OK, 5.0, "5.0% free"},
		{"under 5%", 5, "/var/lib/facmon", DISK(10000000, 499999), SH_BAD, 4.99999,
		 "(500.0 MB of 10.0 GB); alert below 5% or 50.0 MB"},
		{"back to 5%: still bad (clears at 6%)", 5, "/var/lib/facmon",
		 DISK(10000000, 500000), SH_BAD, 5.0, "5.0% free"},
		{"5.99%: still bad", 5, "/var/lib/facmon", DISK(10000000, 599999), SH_BAD,
		 5.99999, "6.0% free"},
		{"6%: clear", 5, "/var/lib/facmon", DISK(10000000, 600000), SH_OK, 6.0, "6.0% free"},
		/* a 500 MB partition: 10% free is under 50 MB */
		{"small disk, 49 MB free", 5, "/data", DISK(500000, 49000), SH_BAD, 9.8,
		 "/data: 9.8% free (49.0 MB of 500.0 MB)"},
		{"55 MB: still bad (clears at 60 MB)", 5, "/data", DISK(500000, 55000), SH_BAD,
		 11.0, "55.0 MB"},
		{"60 MB: clear", 5, "/data", DISK(500000, 60000), SH_OK, 12.0, "60.0 MB"},
		{"disk_min_free_pct = 0: bytes only", 0, "/data", DISK(10000000, 100000), SH_OK,
		 1.0, "1.0% free (100.0 MB of 10.0 GB); alert below 50.0 MB"},
		{"disk_min_free_pct = 20", 20, "/data", DISK(10000000, 1900000), SH_BAD, 19.0,
		 "alert below 20% or 50.0 MB"},
		{"state_dir missing", 5, "/nonexistent", {-1, ENOENT, 0, 0, 0}, SH_UNKNOWN, NAN,
		 "/nonexistent: statvfs: No such file or directory"},
		{"a filesystem with no size", 5, "/proc", DISK(0, 0), SH_UNKNOWN, NAN,
		 "/proc: the filesystem reports no size"},
		{"no state_dir given", 5, NULL, DISK(10000000, 5000000), SH_UNKNOWN, NAN,
		 "no state_dir to watch"},
	};
	struct self_health h;
	faked(&h, &default_agent);
	int failures = 0;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		h.lim.disk_min_free_pct = rows[i].min_pct;
		fake_disk = rows[i].d;
		statvfs_path[0] = '\0';
		struct sh_inputs in = healthy_inputs;
		in.state_dir = rows[i].dir;
		failures += row_fails(&h, &in, T0, SH_DISK, rows[i].what, rows[i].want,
		                      rows[i].value, rows[i].detail);
		if (rows[i].dir && strcmp(statvfs_path, rows[i].dir) != 0) {
			print_error("FAIL %s: statvfs asked about '%s'\n", rows[i].what,
			            statvfs_path);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

/* ---- collectors (実102) ---- */

#define MAX_BUSES 3
#define NO_BEAT INT64_MIN /* a worker without a heartbeat */

static void test_collectors(void **state)
{
	(void)state;
	const int64_t now = 1000 * MIN;
	static const struct {
		const char *what;
		size_t n;
		struct { const char *name; int64_t age, period; } c[MAX_BUSES];
		int want;
		double value; /* the oldest heartbeat's age, seconds */
		const char *detail;
	} rows[] = {
		{"no bus workers", 0, {{0}}, SH_OK, 0, "no bus workers"},
		{"idle workers beating", 2, {{"rs485a", 2000, 10000}, {"bms", 500, 60000}},
		 SH_OK, 2.0, "2 bus workers alive, the quietest for 2 s"},
		{"a long poll within the floor", 1, {{"rs485a", 60000, 10000}}, SH_OK, 60.0,
		 "1 bus worker alive, the quietest for 60 s"},
		{"silent past 60 s", 1, {{"rs485a", 60001, 10000}}, SH_BAD, 60.001,
		 "bus rs485a silent for 60 s (limit 60 s)"},
		{"slow bus: 3 x 30 s allowed", 1, {{"slow", 89000, 30000}}, SH_OK, 89.0, "alive"},
		{"slow bus past 90 s", 1, {{"slow", 95000, 30000}}, SH_BAD, 95.0,
		 "bus slow silent for 95 s (limit 90 s)"},
		{"two hung, one fine", 3,
		 {{"a", 30 * MIN, 10000}, {"b", 1000, 10000}, {"c", 200000, 5000}}, SH_BAD, 1800.0,
		 "bus a silent for 30 min (limit 60 s); bus c silent for 3 min (limit 60 s)"},
		{"no heartbeat yet", 2, {{"a", 1000, 10000}, {"b", NO_BEAT, 10000}}, SH_UNKNOWN,
		 NAN, "1 of 2 bus workers have no heartbeat yet"},
		{"hung beats unknown", 2, {{"a", 70000, 10000}, {"b", NO_BEAT, 10000}}, SH_BAD,
		 70.0, "bus a silent for 70 s"},
		{"a heartbeat stamped after now was read", 1, {{"a", -5, 10000}}, SH_OK, 0.0,
		 "the quietest for 0 s"},
	};
	struct self_health h;
	faked(&h, &default_agent);
	int failures = 0;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct sh_collector c[MAX_BUSES];
		for (size_t k = 0; k < rows[i].n; k++) {
			int64_t age = rows[i].c[k].age;
			c[k] = (struct sh_collector){.name = rows[i].c[k].name,
			                             .heartbeat_ms = age == NO_BEAT ? 0 : now - age,
			                             .period_ms = rows[i].c[k].period};
		}
		struct sh_inputs in = healthy_inputs;
		in.collectors = c;
		in.ncollectors = rows[i].n;
		failures += row_fails(&h, &in, now, SH_COLLECTORS, rows[i].what, rows[i].want,
		                      rows[i].value, rows[i].detail);
	}
	assert_int_equal(failures, 0);
}

/* A worker that beats while no poll result of its bus reaches the loop
 * (nothing posts it jobs, or its results go nowhere): polling has stopped
 * all the same, and the check and the watchdog say so. */
static void test_collectors_results_stop(void **state)
{
	(void)state;
	const int64_t now = 1000 * MIN;
	static const struct {
		const char *what;
		int64_t beat_age, result_age, period;
		int want;
		double value;
		const char *detail;
	} rows[] = {
		{"results flowing", 1000, 1000, 10000, SH_OK, 1.0, "1 bus worker alive"},
		{"a result within the floor", 1000, 59000, 10000, SH_OK, 59.0, "alive"},
		{"no result past 60 s", 1000, 61000, 10000, SH_BAD, 61.0,
		 "bus b: no poll result for 61 s (limit 60 s), its worker idle: polling "
		 "has stopped"},
		{"no result, slow bus within 3 periods", 1000, 80000, 30000, SH_OK, 80.0,
		 "alive"},
		{"hung worker named first", 70000, 70000, 10000, SH_BAD, 70.0,
		 "bus b silent for 70 s (limit 60 s)"},
		{"no result time: heartbeat alone", 1000, -1, 10000, SH_OK, 1.0, "alive"},
	};
	struct self_health h;
	faked(&h, &default_agent);
	int failures = 0;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct sh_collector c = {
			.name = "b", .heartbeat_ms = now - rows[i].beat_age,
			.result_ms = rows[i].result_age < 0 ? 0 : now - rows[i].result_age,
			.period_ms = rows[i].period,
		};
		struct sh_inputs in = healthy_inputs;
		in.collectors = &c;
		in.ncollectors = 1;
		failures += row_fails(&h, &in, now, SH_COLLECTORS, rows[i].what, rows[i].want,
		                      rows[i].value, rows[i].detail);
		if ((rows[i].want == SH_BAD) != (self_health_hung(&h) != NULL)) {
			print_error("FAIL %s: the watchdog %s\n", rows[i].what,
			            self_health_hung(&h) ? "stops" : "goes on");
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

/* agent.collector_hang_after lowers (or raises) the floor; 3 bus periods
 * still win when longer. */
static void test_collectors_hang_after(void **state)
{
	(void)state;
	const int64_t now = 1000 * MIN;
	static const struct {
		const char *what;
		int64_t age, period;
		int want;
		const char *detail;
	} rows[] = {
		{"within a 5 s floor", 4000, 1000, SH_OK, "alive"},
		{"past a 5 s floor", 6000, 1000, SH_BAD, "bus b silent for 6 s (limit 5 s)"},
		{"3 periods beat the floor", 8000, 3000, SH_OK, "alive"},
		{"past 3 periods", 9500, 3000, SH_BAD, "bus b silent for 9 s (limit 9 s)"},
	};
	struct fm_agent_conf agent = default_agent;
	agent.collector_hang_after = 5;
	struct self_health h;
	faked(&h, &agent);
	int failures = 0;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct sh_collector c = {.name = "b", .heartbeat_ms = now - rows[i].age,
		                         .period_ms = rows[i].period};
		struct sh_inputs in = healthy_inputs;
		in.collectors = &c;
		in.ncollectors = 1;
		failures += row_fails(&h, &in, now, SH_COLLECTORS, rows[i].what, rows[i].want,
		                      (double)rows[i].age / 1000.0, rows[i].detail);
	}
	assert_int_equal(failures, 0);
}

/* self_health_hung(), what the systemd watchdog goes by: the collectors
 * check's last verdict, with its detail while bad, NULL otherwise (also
 * when unknown: a worker without a heartbeat yet is no hang). */
static void test_hung(void **state)
{
	(void)state;
	struct self_health h;
	faked(&h, &default_agent);
	const int64_t now = 100 * MIN;
	struct sh_collector c[2] = {
		{.name = "rs485a", .heartbeat_ms = now - 1000, .period_ms = 10000},
		{.name = "bms", .heartbeat_ms = now - 500, .period_ms = 10000},
	};
	struct sh_inputs in = healthy_inputs;
	in.collectors = c;
	in.ncollectors = 2;
	struct sh_obs out[SH_NCHECKS];
	self_health_run(&h, &in, now, out);
	assert_null(self_health_hung(&h));

	c[1].heartbeat_ms = now - 75000;
	self_health_run(&h, &in, now, out);
	assert_non_null(self_health_hung(&h));
	assert_string_equal(self_health_hung(&h), "bus bms silent for 75 s (limit 60 s)");
	assert_string_equal(self_health_hung(&h), out[SH_COLLECTORS].detail);

	c[1].heartbeat_ms = 0; /* unknown */
	self_health_run(&h, &in, now, out);
	assert_int_equal(out[SH_COLLECTORS].cond, SH_UNKNOWN);
	assert_null(self_health_hung(&h));

	c[1].heartbeat_ms = now - 75000; /* hung again, then beating */
	self_health_run(&h, &in, now, out);
	assert_non_null(self_health_hung(&h));
	c[1].heartbeat_ms = now;
	self_health_run(&h, &in, now, out);
	assert_null(self_health_hung(&h));
}

/* Many hung buses: the detail is cut off, never overrun. */
static void test_collectors_long_detail(void **state)
{
	(void)state;
	struct sh_collector c[40];
	for (size_t i = 0; i < 40; i++)
		c[i] = (struct sh_collector){.name = "a-bus-with-a-rather-long-name",
		                             .heartbeat_ms = 1, .period_ms = 10000};
	struct sh_inputs in = healthy_inputs;
	in.collectors = c;
	in.ncollectors = 40;
	struct self_health h;
	faked(&h, &default_agent);
	struct sh_obs out[SH_NCHECKS];
	self_health_run(&h, &in, 100 * MIN, out);
	assert_int_equal(out[SH_COLLECTORS].cond, SH_BAD);
	assert_int_equal(strlen(out[SH_COLLECTORS].detail), sizeof out[0].detail - 1);
}

/* Every check at once, each in its own slot. */
static void test_all_checks(void **state)
{
	(void)state;
	struct self_health h;
	faked(&h, &default_agent);
	struct sh_collector c = {.name = "rs485a", .heartbeat_ms = T0 - 1000,
	                         .period_ms = 10000};
	struct sh_inputs in = healthy_inputs;
	in.collectors = &c;
	in.ncollectors = 1;
	struct sh_obs out[SH_NCHECKS];
	self_health_run(&h, &in, T0, out);
	for (int i = 0; i < SH_NCHECKS; i++) {
		assert_int_equal(out[i].check, i);
		if (out[i].cond != SH_OK)
			fail_msg("%s: %s", sh_check_name((enum sh_check)i), out[i].detail);
	}
}

/* ---- the bus period the collectors check allows ---- */

static void test_bus_period(void **state)
{
	(void)state;
	struct fm_bus buses[] = {
		{.name = "gw", .type = FM_BUS_MODBUS_TCP, .timeout_ms = 1000},
		{.name = "slowline", .type = FM_BUS_MODBUS_RTU, .timeout_ms = 45000},
		{.name = FM_SNMP_BUS_NAME, .type = FM_BUS_SNMP},
		{.name = "unused", .type = FM_BUS_MODBUS_TCP, .timeout_ms = 2000},
	};
	struct fm_device devs[] = {
		{.name = "a", .bus = "gw", .interval = 10},
		{.name = "b", .bus = "gw", .interval = 30},
		{.name = "c", .bus = "slowline", .interval = 5},
		{.name = "ups1", .kind = FM_DEVICE_SNMP, .bus = FM_SNMP_BUS_NAME, .interval = 10,
		 .snmp = {.timeout_ms = 5000, .retries = 3}},
		{.name = "ups2", .kind = FM_DEVICE_SNMP, .bus = FM_SNMP_BUS_NAME, .interval = 15,
		 .snmp = {.timeout_ms = 1000, .retries = 1}},
	};
	struct fm_config cfg = {.buses = buses, .nbuses = 4, .devices = devs, .ndevices = 5};
	assert_int_equal(self_health_bus_period_ms(&cfg, &buses[0]), 30000); /* interval */
	assert_int_equal(self_health_bus_period_ms(&cfg, &buses[1]), 45000); /* timeout */
	assert_int_equal(self_health_bus_period_ms(&cfg, &buses[2]), 20000); /* 5 s x 4 tries */
	assert_int_equal(self_health_bus_period_ms(&cfg, &buses[3]), 2000);
}

/* ---- a real worker, idle ---- */

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

/* A worker with nothing to do sleeps until its next poll, but still beats
 * (at least every 2 s), so the collectors check finds it alive; after a
 * poll it beats again. */
static void test_idle_worker_beats(void **state)
{
	(void)state;
	struct fm_point point = {.name = "p", .read = FM_READ_HOLDING, .type = FM_TYPE_UINT16,
	                         .bit = -1, .scale = 1.0};
	struct fm_bus bus = {.name = "idle-gw", .type = FM_BUS_MODBUS_TCP,
	                     .host = "127.0.0.1", .port = loopback_free_port(), .timeout_ms = 200};
	struct fm_device dev = {.name = "d1", .bus = "idle-gw", .unit = 1, .interval = 3600,
	                        .down_after = 3, .max_registers = 125, .coalesce = true,
	                        .points = &point, .npoints = 1};
	struct fm_config cfg = {.buses = &bus, .nbuses = 1, .devices = &dev, .ndevices = 1};
	const struct fm_device *devs[] = {&dev};
	size_t ids[] = {0};
	char err[FM_TEXT_MAX] = "";
	struct result_queue *q = result_queue_create();
	assert_non_null(q);
	struct bus_worker *w = bus_worker_start(&bus, devs, ids, 1, q, err, sizeof err);
	if (!w)
		fail_msg("bus_worker_start: %s", err);
	assert_string_equal(bus_worker_name(w), "idle-gw");

	int64_t started = bus_worker_heartbeat_ms(w);
	assert_true(started > 0);
	int64_t deadline = clock_mono_ms() + 6000, beat = started;
	while (beat < started + 1500 && clock_mono_ms() < deadline) {
		sleep_ms(100);
		beat = bus_worker_heartbeat_ms(w);
	}
	if (beat < started + 1500)
		fail_msg("idle worker did not beat: heartbeat %lld ms after start",
		         (long long)(beat - started));

	/* the check, fed the real heartbeat, an hour before the next poll */
	struct self_health h;
	faked(&h, &default_agent);
	struct sh_collector c = {.name = bus_worker_name(w),
	                         .heartbeat_ms = bus_worker_heartbeat_ms(w),
	                         .period_ms = self_health_bus_period_ms(&cfg, &bus)};
	assert_int_equal(c.period_ms, 3600 * 1000);
	struct sh_inputs in = healthy_inputs;
	in.collectors = &c;
	in.ncollectors = 1;
	struct sh_obs out[SH_NCHECKS];
	self_health_run(&h, &in, clock_mono_ms(), out);
	if (!expect("a real idle worker", &out[SH_COLLECTORS], SH_COLLECTORS, SH_OK,
	            out[SH_COLLECTORS].value, "1 bus worker alive"))
		fail();
	assert_true(out[SH_COLLECTORS].value < 2.5);

	/* a poll (connection refused at once), and a beat after it */
	int64_t posted = clock_mono_ms();
	bus_worker_post(w, 0);
	struct pollfd pfd = {.fd = result_queue_fd(q), .events = POLLIN};
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	struct fm_poll_result *r = result_queue_pop(q);
	assert_non_null(r);
	assert_true(r->connection_lost);
	poll_result_free(r);
	deadline = clock_mono_ms() + 1000;
	while (bus_worker_heartbeat_ms(w) < posted && clock_mono_ms() < deadline)
		sleep_ms(10);
	assert_true(bus_worker_heartbeat_ms(w) >= posted);

	bus_worker_stop(w);
	result_queue_destroy(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alert_data),
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_clock),
		cmocka_unit_test(test_clock_no_grace),
		cmocka_unit_test(test_outbox),
		cmocka_unit_test(test_disk),
		cmocka_unit_test(test_collectors),
		cmocka_unit_test(test_collectors_results_stop),
		cmocka_unit_test(test_collectors_hang_after),
		cmocka_unit_test(test_hung),
		cmocka_unit_test(test_collectors_long_detail),
		cmocka_unit_test(test_all_checks),
		cmocka_unit_test(test_bus_period),
		cmocka_unit_test(test_idle_worker_beats),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
