/* run.c - `facmon run`: the agent's lifecycle and its event loop.
 *
 * DESIGN
 * One thread owns all state: the engine (readings, devices, alerts), the
 * MQTT connection and the schedule. It sleeps in poll() on three kinds of
 * file descriptor: a signalfd (SIGTERM/SIGINT stop, SIGHUP), the poll
 * results eventfd of the bus workers, and the broker socket. poll() rather
 * than epoll because the broker socket changes on every reconnect and the
 * set is three descriptors. Every deadline is on the monotonic clock.
 * Operators' commands arrive through the MQTT client's handler (acted on
 * in commands.c), SIGHUP reloads the config (reload.c), and the agent's
 * checks of itself run every SELF_CHECK_MS and feed the engine like any
 * other alert. The agent's state is struct agent (agent.h).
 */
#include "agent/run.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "agent/agent.h"
#include "collectors/worker.h"
#include "base/clock.h"
#include "agent/sdnotify.h"

#define TICK_MS 1000
#define SELF_CHECK_MS 10000 /* the agent's checks of itself */
#define STATUS_EVERY_MS 60000 /* the heartbeat on R/status */

static int signals_open(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGPIPE);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	sigdelset(&set, SIGPIPE); /* blocked, never read: a closed socket is an errno */
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

static void handle_signals(struct agent *a)
{
	struct signalfd_siginfo si;
	while (read(a->sigfd, &si, sizeof si) == sizeof si) {
		if (si.ssi_signo == SIGHUP) {
			agent_reload(a);
			continue;
		}
		log_info("%s: stopping", strsignal((int)si.ssi_signo));
		snprintf(a->stop_reason, sizeof a->stop_reason, "%s", strsignal((int)si.ssi_signo));
		a->stop = true;
	}
}

/* Logs a device's failed requests without writing a line per poll. */
static void note_read_outcome(struct agent *a, const struct fm_poll_result *r,
                              int64_t now)
{
	const struct fm_device *dev = &a->cfg->devices[r->device];
	struct complaint *c = &a->read_complaints[r->device];
	if (dev->kind == FM_DEVICE_SNMP) {
		if (r->requests_failed > 0)
			complain(c, now, "snmp[%s]: %s", dev->name, r->error);
		else
			complain_recovered(c, "snmp[%s]: reads", dev->name);
	} else if (r->requests_failed > 0) {
		complain(c, now, "modbus[%s/%s]: %s", dev->bus, dev->name, r->error);
	} else {
		complain_recovered(c, "modbus[%s/%s]: reads", dev->bus, dev->name);
	}
}

/* Counts one poll result against its bus, and notes that polling goes
 * on (facmon.collectors watches that it does). */
static void count_poll(struct agent *a, const struct fm_poll_result *r, int64_t now)
{
	const char *bus = a->cfg->devices[r->device].bus;
	for (size_t b = 0; b < a->cfg->nbuses; b++) {
		struct fm_bus_stats *st = &a->bus_stats[b];
		if (strcmp(st->name, bus) != 0)
			continue;
		st->polls++;
		st->last_result_mono_ms = now;
		st->polls_failed += r->requests_ok == 0;
		st->requests_failed += r->requests_failed;
		return;
	}
}

/* A trap is news from the device: poll it now instead of at its interval. */
static void on_trap(struct agent *a, const struct fm_poll_result *r)
{
	log_info("device %s: trap %s, polling it now", a->cfg->devices[r->device].name,
	         r->trap);
	poller_poll_soon(a->poller, r->device);
}

void agent_drain_results(struct agent *a)
{
	struct fm_poll_result *r;
	int64_t cpu0 = clock_thread_cpu_ns();
	while ((r = poller_take(a->poller))) {
		a->loop.results++;
		int64_t now = clock_mono_ms();
		if (r->trap[0]) {
			on_trap(a, r);
			poll_result_free(r);
			continue;
		}
		note_read_outcome(a, r, now);
		count_poll(a, r, now);
		avail_count_poll(&a->avail, a->out.store, &a->cfg->devices[r->device], r,
		                 clock_wall_ms());
		engine_apply_poll(a->engine, r, now, clock_wall_ms());
		poll_result_free(r);
	}
	a->loop.cpu_ns += clock_thread_cpu_ns() - cpu0;
}

/* The maintenance windows of the config; one already over is skipped. */
void agent_apply_config_silences(struct agent *a, int64_t wall)
{
	for (size_t i = 0; i < a->cfg->nsilences; i++) {
		const struct fm_silence *s = &a->cfg->silences[i];
		if (s->end_ms <= wall)
			log_info("silence %s (%s:%d) is over; skipped", s->match, s->origin.file,
			         s->origin.line);
		else if (!engine_silence(a->engine, s->match, s->start_ms, s->end_ms, s->by,
		                         s->why, true, wall))
			log_error("silence %s (%s:%d): %d silences are in place already",
			          s->match, s->origin.file, s->origin.line, ENG_SILENCES_MAX);
	}
}

/* ---- the agent's own health ---- */

void agent_name_self_alerts(struct engine *e)
{
	for (size_t c = 0; c < SH_NCHECKS; c++) {
		const struct sh_check_desc *d = sh_check_desc((enum sh_check)c);
		engine_self_define(e, c, d->name, d->severity, d->controls, d->ncontrols);
	}
}

void agent_define_self_alerts(struct agent *a)
{
	agent_name_self_alerts(a->engine);
}

static enum fm_cond self_cond(int cond)
{
	return cond == SH_OK ? FM_COND_FALSE : cond == SH_BAD ? FM_COND_TRUE : FM_COND_UNKNOWN;
}

/* Runs the self-health checks and feeds their verdicts to the engine. */
static void check_self(struct agent *a, int64_t now)
{
	size_t n = 0;
	for (size_t b = 0; b < a->cfg->nbuses; b++) {
		const struct bus_worker *w = poller_worker(a->poller, b);
		if (w)
			a->collectors[n++] = (struct sh_collector){
				bus_worker_name(w), bus_worker_heartbeat_ms(w),
				a->bus_stats[b].last_result_mono_ms,
				self_health_bus_period_ms(a->cfg, &a->cfg->buses[b])};
	}
	struct sh_inputs in = {
		.state_dir = a->cfg->agent.state_dir,
		.outbox_known = true,
		.events_unacked = outbox_pending(a->out.outbox),
		.unreachable_since_ms = mqtt_unreachable_since_ms(a->mqtt),
		.collectors = a->collectors,
		.ncollectors = n,
	};
	struct sh_obs out[SH_NCHECKS];
	self_health_run(&a->health, &in, now, out);
	for (size_t c = 0; c < SH_NCHECKS; c++)
		engine_self_observe(a->engine, c, self_cond(out[c].cond), out[c].detail, now,
		                    clock_wall_ms());
}

/* ---- the heartbeat ---- */

struct fm_bus_stats *agent_bus_stats(const struct fm_config *cfg,
                                     const struct fm_bus_stats *old, size_t nold)
{
	struct fm_bus_stats *st = calloc(cfg->nbuses + 1, sizeof *st);
	for (size_t b = 0; st && b < cfg->nbuses; b++) {
		snprintf(st[b].name, sizeof st[b].name, "%s", cfg->buses[b].name);
		st[b].last_result_mono_ms = clock_mono_ms(); /* a new bus starts now */
		for (size_t o = 0; o < nold; o++)
			if (strcmp(old[o].name, st[b].name) == 0)
				st[b] = old[o];
	}
	return st;
}

void agent_publish_status(struct agent *a)
{
	struct fm_status st = {
		.version = FACMON_VERSION,
		.started_wall_ms = a->started_wall_ms,
		.now_wall_ms = clock_wall_ms(),
		.config_sha256 = a->config_sha256,
		.buses = a->bus_stats,
		.nbuses = a->cfg->nbuses,
	};
	if (store_head(a->out.store, &st.chain_seq, st.chain_hash) < 0)
		st.chain_hash[0] = '\0';
	st.loop_results = a->loop.results;
	st.loop_cpu_ms = (double)a->loop.cpu_ns / 1e6;
	mqtt_publish_online(a->mqtt, &st);
	a->next_status_ms = clock_mono_ms() + STATUS_EVERY_MS;
}

/* A new connection: the status, then the events that wait (oldest first),
 * then every retained state; telemetry follows once the outbox is empty. */
static void on_new_session(struct agent *a)
{
	agent_publish_status(a);
	outbox_session_started(a->out.outbox);
	engine_publish_states(a->engine);
	outputs_mqtt_session(&a->out);
}

struct output_env agent_output_env(const struct agent *a, const struct fm_config *cfg,
                                   struct fm_mqtt *mqtt)
{
	return (struct output_env){
		.cfg = cfg,
		.mqtt = mqtt,
		.engine = a->engine,
		.store = a->out.store,
		.bus_stats = a->bus_stats,
		.nbuses = cfg->nbuses,
		.started_wall_ms = a->started_wall_ms,
	};
}

static int64_t min64(int64_t x, int64_t y)
{
	return x < y ? x : y;
}

/* One turn of the loop: wait for the earliest deadline or I/O, then act. */
static void loop_once(struct agent *a)
{
	int64_t now = clock_mono_ms();
	int64_t wake = poller_run_due(a->poller, now);
	wake = min64(wake, mqtt_service(a->mqtt, now));
	if (mqtt_take_new_session(a->mqtt))
		on_new_session(a);
	wake = min64(wake, a->next_tick_ms);

	wake = min64(wake, outputs_service(&a->out, now));

	int mfd = mqtt_fd(a->mqtt);
	struct pollfd fds[3 + OUTPUT_FDS_MAX] = {
		{.fd = a->sigfd, .events = POLLIN},
		{.fd = poller_fd(a->poller), .events = POLLIN},
		{.fd = mfd, .events = (short)(POLLIN | (mqtt_want_write(a->mqtt) ? POLLOUT : 0))},
	};
	size_t nout = outputs_pollfds(&a->out, fds + 3, OUTPUT_FDS_MAX);
	int timeout = (int)(wake > now ? wake - now : 0);
	int n = poll(fds, 3 + nout, timeout); /* poll ignores the fds that are -1 */
	if (n < 0 && errno != EINTR) {
		log_error("poll: %s", strerror(errno));
		a->stop = true;
		return;
	}
	now = clock_mono_ms();
	if (fds[0].revents)
		handle_signals(a);
	if (fds[1].revents)
		agent_drain_results(a);
	if (mfd >= 0 && fds[2].revents)
		mqtt_handle_io(a->mqtt, fds[2].revents & (POLLIN | POLLERR | POLLHUP),
		               fds[2].revents & POLLOUT, now);
	outputs_handle(&a->out, fds + 3, nout, now);
	outputs_release_telemetry(&a->out, a->engine);
	if (now >= a->next_tick_ms) {
		engine_tick(a->engine, now, clock_wall_ms());
		store_maintain(a->out.store, a->cfg->agent.history_days, now, clock_wall_ms());
		avail_tick(&a->avail, a->out.store, clock_wall_ms());
		outbox_flush(a->out.outbox);
		agent_note_alive(a, now);
		a->next_tick_ms = now + TICK_MS;
		sdnotify_watchdog(&a->notify, now, self_health_hung(&a->health));
	}
	if (now >= a->next_status_ms && mqtt_connected(a->mqtt))
		agent_publish_status(a);
	if (now >= a->next_self_check_ms) {
		check_self(a, now);
		a->next_self_check_ms = now + SELF_CHECK_MS;
	}
}

/* One alert state saved before the last stop, put back. */
static void resume_alert(void *ctx, const char *name, const char *state,
                         int64_t since_wall, const char *acked_by,
                         const char *ack_comment, int64_t acked_wall)
{
	struct agent *a = ctx;
	enum fm_alert_state st;
	if (!alert_state_from_name(state, &st) ||
	    !engine_resume(a->engine, name, st, since_wall, acked_by, ack_comment,
	                   acked_wall, clock_mono_ms()))
		log_debug("store: alert %s (%s) is not in this config; not resumed", name,
		          state);
	else if (st == FM_ALERT_FIRING)
		log_info("alert %s: still firing since before the restart%s%s", name,
		         acked_by[0] ? ", acknowledged by " : "", acked_by);
}

/* Alert states as they were before the restart: a firing alert stays
 * firing (republished retained), with no fresh firing event. seq goes on
 * above every seq ever used; a history that was lost is the first event. */
static void resume_alerts(struct agent *a)
{
	char err[FM_TEXT_MAX * 2];
	a->engine->next_seq = store_next_seq(a->out.store);
	const struct eng_store_reset *reset = store_reset(a->out.store);
	if (reset)
		engine_note_store_reset(a->engine, reset, clock_wall_ms());
	if (store_load_alerts(a->out.store, resume_alert, a, err, sizeof err) < 0)
		log_error("store: %s (alerts start unknown)", err);
}

struct resuming {
	struct agent *a;
	int64_t wall; /* the time the silences were read at */
};

/* One operator's silence stored before the last stop, put back. */
static void resume_silence(void *ctx, const struct eng_silence *s)
{
	const struct resuming *r = ctx;
	char until[CLOCK_ISO_LEN];
	clock_iso8601(s->end_wall_ms, until, sizeof until);
	if (engine_resume_silence(r->a->engine, s, r->wall))
		log_info("silence %u: %s until %s by %s, kept from before the restart", s->id,
		         s->match, until, s->by);
	else
		log_error("silence %u: %s until %s by %s: not resumed: %d silences are in "
		          "place already", s->id, s->match, until, s->by, ENG_SILENCES_MAX);
}

/* The silences operators set before the restart, with their ids; new ids
 * go on after the highest ever stored. Those that ended meanwhile are not
 * read (store_maintain has pruned them). */
static void resume_silences(struct agent *a)
{
	char err[FM_TEXT_MAX * 2];
	unsigned last = store_last_silence_id(a->out.store);
	if (last >= a->engine->next_silence_id)
		a->engine->next_silence_id = last + 1;
	struct resuming r = {a, clock_wall_ms()};
	if (store_load_silences(a->out.store, r.wall, resume_silence, &r, err, sizeof err) < 0)
		log_error("store: %s (the operators' silences are not resumed)", err);
}

static int agent_start(struct agent *a, struct fm_config *cfg)
{
	char err[FM_TEXT_MAX] = "";
	int64_t now = clock_mono_ms(), wall = clock_wall_ms();
	a->cfg = cfg;
	a->started_wall_ms = wall;
	a->sigfd = signals_open();
	if (a->sigfd < 0) {
		log_error("signals: %s", strerror(errno));
		return -1;
	}
	if (store_open(cfg->agent.state_dir, &a->out.store, err, sizeof err) < 0) {
		log_error("store: %s", err);
		return -1;
	}
	store_maintain(a->out.store, cfg->agent.history_days, now, wall);
	a->read_complaints = calloc(cfg->ndevices + 1, sizeof *a->read_complaints);
	a->mqtt = a->out.mqtt = mqtt_create(cfg, err, sizeof err);
	if (!a->read_complaints || !a->mqtt) {
		log_error("mqtt: %s", err[0] ? err : "out of memory");
		return -1;
	}
	a->out.cfg = cfg;
	a->out.outbox = outbox_create(a->out.store, a->mqtt);
	a->out.telemetry_due = calloc(cfg->ndevices + 1, sizeof *a->out.telemetry_due);
	if (!a->out.outbox || !a->out.telemetry_due) {
		log_error("start: out of memory");
		return -1;
	}
	mqtt_set_command_handler(a->mqtt, agent_on_command, a);
	if (config_hash(cfg, a->config_sha256) < 0)
		log_warn("config: cannot hash the files it was read from");
	struct eng_publisher pub = outputs_publisher(&a->out);
	a->engine = engine_create(cfg, &pub, now, wall);
	if (a->engine) {
		agent_define_self_alerts(a); /* named, so that theirs are resumed too */
		resume_alerts(a);
		agent_note_start(a);
		resume_silences(a); /* after the states: it republishes what it covers */
	}
	a->poller = poller_create(cfg, now, err, sizeof err);
	if (!a->engine || !a->poller) {
		log_error("start: %s", err[0] ? err : "out of memory");
		return -1;
	}
	a->collectors = calloc(cfg->nbuses + 1, sizeof *a->collectors);
	a->bus_stats = agent_bus_stats(cfg, NULL, 0);
	if (!a->collectors || !a->bus_stats) {
		log_error("start: out of memory");
		return -1;
	}
	self_health_init(&a->health, &cfg->agent);
	agent_apply_config_silences(a, wall);
	a->next_tick_ms = now + TICK_MS;
	a->next_self_check_ms = now + SELF_CHECK_MS;
	struct output_env env = agent_output_env(a, cfg, a->mqtt);
	outputs_start(&a->out, &env);
	return 0;
}

void agent_summary(const struct fm_config *cfg, char *buf, size_t len)
{
	size_t nbuses = config_count_buses(cfg);
	snprintf(buf, len, "%zu bus%s, %zu device%s, %zu rule%s", nbuses,
	         nbuses == 1 ? "" : "es", cfg->ndevices, cfg->ndevices == 1 ? "" : "s",
	         cfg->nrules, cfg->nrules == 1 ? "" : "s");
}

static void agent_stop(struct agent *a)
{
	poller_destroy(a->poller); /* workers finish their current request */
	outputs_stop(&a->out);     /* their threads finish their current job */
	if (a->mqtt)
		mqtt_shutdown(a->mqtt, SHUTDOWN_FLUSH_MS);
	outbox_destroy(a->out.outbox); /* writes the last acknowledgements */
	mqtt_destroy(a->mqtt);
	free(a->out.telemetry_due);
	engine_destroy(a->engine);
	store_close(a->out.store);
	free(a->read_complaints);
	free(a->collectors);
	free(a->bus_stats);
	avail_free(&a->avail);
	if (a->sigfd >= 0)
		close(a->sigfd);
}

int agent_run(struct fm_config *cfg)
{
	struct agent a = {.sigfd = -1};
	log_set_level(cfg->agent.log_level);
	int rc = agent_start(&a, cfg);
	if (rc == 0) {
		char summary[128];
		agent_summary(cfg, summary, sizeof summary);
		log_info("facmon %s running: site %s, gateway %s, %s, broker %s:%d",
		         FACMON_VERSION, cfg->agent.site, cfg->agent.name, summary,
		         cfg->mqtt.host, cfg->mqtt.port);
		sdnotify_start(&a.notify, clock_mono_ms(), "running: %s", summary);
		while (!a.stop)
			loop_once(&a);
		sdnotify_stopping(&a.notify);
		avail_flush(&a.avail, a.out.store);
		agent_note_stop(&a, a.stop_reason[0] ? a.stop_reason : "stopped");
	}
	agent_stop(&a);
	config_free(a.cfg);
	if (rc == 0)
		log_info("stopped");
	return rc == 0 ? 0 : 1;
}
