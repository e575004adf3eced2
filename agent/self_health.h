/* self_health.h - the agent watching itself (FISC 実102, ISO 27001 8.15, 8.17).
 *
 * Owns: four checks of the agent's own health, their thresholds, the little
 * state they keep between runs, and the alert each stands for (its name,
 * severity and control IDs, as data here):
 *
 *   facmon.clock       warning   8.17        the kernel says the clock is not
 *                                             synchronised, for longer than
 *                                             agent.clock_unsync_grace (600 s)
 *   facmon.outbox      major     8.15 実102  the broker has been unreachable
 *                                             longer than agent.outbox_alert_after
 *                                             (300 s) with an event waiting, or
 *                                             more than 1000 events wait
 *   facmon.disk        major     8.15        state_dir's filesystem has less than
 *                                             agent.disk_min_free_pct (5 %) or
 *                                             50 MB free
 *   facmon.collectors  critical  実102       a bus worker's heartbeat, or the
 *                                             last poll result of its bus the
 *                                             loop took, is older than
 *                                             max(agent.collector_hang_after
 *                                             (60 s), 3 x its bus period)
 *
 * self_health_run() turns facts into one observation per check (ok, bad or
 * unknown, a value and a sentence); the engine feeds them to the alert state
 * machine like a rule's classification, so the grace periods live here and
 * the alerts need no `for` delay. It reads no clock (the caller passes the
 * monotonic time) and its only I/O is the two kernel queries, made through
 * the function pointers in struct self_health so tests can fake them. The
 * caller gathers the rest into struct sh_inputs each time:
 *
 *   in.state_dir            = cfg->agent.state_dir;
 *   in.outbox_known         = true;
 *   in.events_unacked       = mqtt_events_unacked(mqtt);
 *   in.unreachable_since_ms = mqtt_unreachable_since_ms(mqtt);
 *   for each bus b with w = poller_worker(poller, b) != NULL:
 *       { bus_worker_name(w), bus_worker_heartbeat_ms(w),
 *         bus_stats[b].last_result_mono_ms,
 *         self_health_bus_period_ms(cfg, &cfg->buses[b]) }
 *
 * Only the event-loop thread calls it; reading the heartbeats is safe from
 * any thread.
 */
#ifndef FACMON_SELF_HEALTH_H
#define FACMON_SELF_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

struct timex;
struct statvfs;

enum sh_check { SH_CLOCK, SH_OUTBOX, SH_DISK, SH_COLLECTORS, SH_NCHECKS };

/* sh_obs.cond; the same numbering as the engine's false / true / unknown */
enum { SH_OK = 0, SH_BAD = 1, SH_UNKNOWN = 2 };

struct sh_obs {
	enum sh_check check;
	int cond;          /* 0 ok, 1 bad, 2 unknown */
	/* clock: the kernel's maxerror in seconds; outbox: events waiting;
	 * disk: percent free; collectors: age of the oldest heartbeat, seconds.
	 * NAN when the check is unknown. */
	double value;
	char detail[256];  /* one sentence for the alert, the event and the log */
};

/* The alert a check stands for. CONTROLS has the shape of fm_rule.controls
 * and eng_alert.controls, so an alert can point at it. */
struct sh_check_desc {
	const char *name;                       /* "facmon.clock", ... */
	enum fm_severity severity;
	const char (*controls)[FM_CONTROL_MAX];
	size_t ncontrols;
};

const struct sh_check_desc *sh_check_desc(enum sh_check c);
/* The stable alert name of C: "facmon.clock", "facmon.outbox",
 * "facmon.disk", "facmon.collectors"; "" for anything else. */
const char *sh_check_name(enum sh_check c);

/* Fixed limits (the configurable ones are in fm_agent_conf). */
#define SH_OUTBOX_MAX_EVENTS 1000                  /* more waiting: bad */
#define SH_DISK_MIN_FREE_BYTES (50ull * 1000 * 1000) /* less free: bad */
#define SH_DISK_CLEAR_PCT 1.0                      /* hysteresis above the */
#define SH_DISK_CLEAR_BYTES (10ull * 1000 * 1000)  /* thresholds to clear */
#define SH_COLLECTOR_PERIODS 3                     /* x the bus period */

struct sh_limits {
	int64_t clock_grace_ms;        /* unsynchronised longer than this: bad */
	int64_t outbox_after_ms;       /* unreachable longer, event waiting: bad */
	size_t outbox_max_events;      /* more events than this waiting: bad */
	double disk_min_free_pct;      /* less free than this (0: no % check) */
	uint64_t disk_min_free_bytes;  /* or less than this: bad */
	double disk_clear_pct;         /* once bad, ok again only this far */
	uint64_t disk_clear_bytes;     /* above both thresholds */
	int64_t collector_min_ms;      /* heartbeat older than max(this, */
	int collector_periods;         /* this x the bus period): bad */
};

struct self_health {
	struct sh_limits lim;
	/* the kernel and filesystem, replaceable by tests */
	int (*adjtime_fn)(struct timex *tx);                  /* ntp_adjtime */
	int (*statvfs_fn)(const char *path, struct statvfs *st); /* statvfs */
	/* state */
	bool clock_unsynced;           /* the last reading said unsynchronised */
	int64_t clock_unsync_since_ms; /* the first such reading in a row */
	bool disk_low;                 /* last verdict was bad (hysteresis) */
	bool collectors_hung;          /* last verdict of facmon.collectors: bad */
	char hung_detail[256];         /* ... and its detail */
};

/* One bus as the collectors check sees it: its worker still turning, and
 * its poll results still reaching the loop. Either may stall alone: a
 * worker hung in a driver, or one idle because nothing posts it jobs. */
struct sh_collector {
	const char *name;      /* the bus, named in the detail */
	int64_t heartbeat_ms;  /* bus_worker_heartbeat_ms(); <= 0: none (unknown) */
	int64_t result_ms;     /* when the loop last took a poll result of the bus
	                        * (fm_bus_stats.last_result_mono_ms); <= 0: ignored */
	int64_t period_ms;     /* self_health_bus_period_ms() */
};

/* The facts the checks need that are not the kernel's. */
struct sh_inputs {
	const char *state_dir;          /* NULL or "": disk unknown */
	bool outbox_known;              /* false (no broker client): outbox unknown */
	size_t events_unacked;          /* mqtt_events_unacked() */
	int64_t unreachable_since_ms;   /* mqtt_unreachable_since_ms(); 0: connected */
	const struct sh_collector *collectors; /* one per running bus worker */
	size_t ncollectors;
};

/* Sets the limits from AGENT (disk_min_free_pct, clock_unsync_grace,
 * outbox_alert_after, collector_hang_after) and the fixed ones, the real ntp_adjtime and statvfs,
 * and clears the state. */
void self_health_init(struct self_health *h, const struct fm_agent_conf *agent);

/* Runs every check at NOW_MONO_MS (clock_mono_ms()); OUT[c] is check c. */
void self_health_run(struct self_health *h, const struct sh_inputs *in,
                     int64_t now_mono_ms, struct sh_obs out[SH_NCHECKS]);

/* What the last self_health_run() found hung: the detail of
 * facmon.collectors ("bus rs485a silent for 75 s (limit 60 s)") while that
 * check is bad, else NULL. The systemd watchdog (agent/sdnotify.h) is fed
 * only while this is NULL, so the agent is restarted for exactly the hang
 * the alert reports, and only after the alert has fired. */
const char *self_health_hung(const struct self_health *h);

/* The longest a worker of BUS may legitimately be busy or idle between
 * polls: the longest poll interval of its devices or request timeout
 * (an SNMP device's timeout times its tries), in milliseconds. */
int64_t self_health_bus_period_ms(const struct fm_config *cfg, const struct fm_bus *bus);

#endif
