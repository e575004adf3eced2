/* reload.c - SIGHUP: the config read again while the agent runs.
 *
 * Owns: agent_reload. An invalid config, or one that cannot be applied
 * live (agent.state_dir moved), changes nothing and says why. A valid one
 * replaces the engine and the pollers: the new engine takes over the old
 * one's state by name (engine_adopt), each unchanged device keeps its
 * polling schedule (poller_adopt_schedule), and the store, the outbox and
 * seq go on. The broker connection is kept unless its settings changed.
 * systemd hears RELOADING=1 before and READY=1 after, applied or not, and
 * the outcome is an event (lifecycle.c) with the old and new hashes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"
#include "base/clock.h"
#include "base/sha256.h"

/* A reload removed an alert or a device: clear its retained topics. */
static void forget(void *ctx, const char *kind, const char *name)
{
	struct agent *a = ctx;
	log_info("reload: %s %s is gone", kind, name);
	if (strcmp(kind, "alert") == 0)
		mqtt_forget_alert(a->mqtt, name);
	else
		mqtt_forget_device(a->mqtt, name);
}

/* The new config, or NULL with its problems logged and the first one in
 * R->why. R gets the new config's hash, or its main file's when it did
 * not load. */
/* Each diagnostic at its level; the first error, or NULL. */
static const struct fm_diag *log_diags(const struct fm_diags *d)
{
	const struct fm_diag *first = NULL;
	for (size_t i = 0; i < d->count; i++) {
		const struct fm_diag *g = &d->items[i];
		if (g->severity == FM_DIAG_WARNING) {
			log_warn("reload: %s:%d: warning: %s", g->file, g->line, g->message);
			continue;
		}
		log_error("reload: %s:%d: %s", g->file, g->line, g->message);
		if (!first)
			first = g;
	}
	return first;
}

static struct fm_config *load_new_config(const struct agent *a, struct reload_outcome *r)
{
	struct fm_diags diags = {0};
	struct fm_config *cfg = config_load(a->cfg->path, &diags);
	const struct fm_diag *first = log_diags(&diags);
	if (!cfg) {
		size_t errors = diags_errors(&diags);
		log_error("reload: %s has %zu problem%s; still running the previous config",
		          a->cfg->path, errors, errors == 1 ? "" : "s");
		if (first)
			snprintf(r->why, sizeof r->why, "%zu problem%s, the first %.200s:%d: %.250s",
			         errors, errors == 1 ? "" : "s", first->file, first->line,
			         first->message);
		if (sha256_file(a->cfg->path, r->file_sha256) < 0)
			r->file_sha256[0] = '\0';
	}
	diags_free(&diags);
	if (cfg && config_hash(cfg, r->new_sha256) < 0)
		r->new_sha256[0] = '\0';
	if (cfg && strcmp(cfg->agent.state_dir, a->cfg->agent.state_dir) != 0) {
		log_error("reload: agent.state_dir changed (%s -> %s): the store cannot move "
		          "while the agent runs; restart it. Still running the previous config",
		          a->cfg->agent.state_dir, cfg->agent.state_dir);
		snprintf(r->why, sizeof r->why, "agent.state_dir changed (%.230s -> %.230s)",
		         a->cfg->agent.state_dir, cfg->agent.state_dir);
		config_free(cfg);
		cfg = NULL;
	}
	return cfg;
}

/* Whether CFG talks to the broker otherwise than the running config. */
static bool mqtt_changed(const struct fm_config *old, const struct fm_config *cfg)
{
	return memcmp(&old->mqtt, &cfg->mqtt, sizeof cfg->mqtt) != 0 ||
	       strcmp(old->agent.site, cfg->agent.site) != 0 ||
	       strcmp(old->agent.name, cfg->agent.name) != 0;
}

/* The per-device and per-bus arrays of a config, allocated ahead so a
 * reload that gets this far cannot fail half way. */
struct sized {
	bool *telemetry_due;
	struct complaint *complaints;
	struct sh_collector *collectors;
	struct fm_bus_stats *bus_stats;
};

static int sized_alloc(struct sized *z, const struct agent *a, const struct fm_config *cfg)
{
	z->telemetry_due = calloc(cfg->ndevices + 1, sizeof *z->telemetry_due);
	z->complaints = calloc(cfg->ndevices + 1, sizeof *z->complaints);
	z->collectors = calloc(cfg->nbuses + 1, sizeof *z->collectors);
	z->bus_stats = agent_bus_stats(cfg, a->bus_stats, a->cfg->nbuses);
	if (z->telemetry_due && z->complaints && z->collectors && z->bus_stats)
		return 0;
	free(z->telemetry_due);
	free(z->complaints);
	free(z->collectors);
	free(z->bus_stats);
	return -1;
}

static void sized_install(struct agent *a, const struct sized *z)
{
	free(a->out.telemetry_due);
	free(a->read_complaints);
	free(a->collectors);
	free(a->bus_stats);
	a->out.telemetry_due = z->telemetry_due;
	a->read_complaints = z->complaints;
	a->collectors = z->collectors;
	a->bus_stats = z->bus_stats;
}

/* The broker connection for CFG: the running one, or a new one when the
 * broker settings changed (the outbox follows it). */
static void switch_mqtt(struct agent *a, struct fm_config *cfg, struct fm_mqtt *fresh)
{
	if (!fresh) {
		mqtt_rebind_config(a->mqtt, cfg);
		return;
	}
	log_info("reload: the broker settings changed; connecting to %s:%d",
	         cfg->mqtt.host, cfg->mqtt.port);
	outbox_destroy(a->out.outbox);
	mqtt_shutdown(a->mqtt, SHUTDOWN_FLUSH_MS);
	mqtt_destroy(a->mqtt);
	a->mqtt = a->out.mqtt = fresh;
	a->out.outbox = outbox_create(a->out.store, fresh);
	mqtt_set_command_handler(fresh, agent_on_command, a);
}

/* Replaces the running config with CFG; false (CFG freed, nothing
 * changed) when it cannot be applied. */
static bool apply(struct agent *a, struct fm_config *cfg, struct reload_outcome *r)
{
	char err[FM_TEXT_MAX] = "";
	struct fm_mqtt *fresh = NULL;
	if (mqtt_changed(a->cfg, cfg) &&
	    !(fresh = mqtt_create(cfg, err, sizeof err))) {
		log_error("reload: mqtt: %s; still running the previous config", err);
		snprintf(r->why, sizeof r->why, "mqtt: %s", err);
		config_free(cfg);
		return false;
	}
	int64_t now = clock_mono_ms(), wall = clock_wall_ms();
	struct eng_publisher pub = outputs_publisher(&a->out);
	struct engine *engine = engine_create(cfg, &pub, now, wall);
	struct sized arrays;
	if (!engine || sized_alloc(&arrays, a, cfg) < 0) {
		log_error("reload: out of memory; still running the previous config");
		snprintf(r->why, sizeof r->why, "out of memory");
		engine_destroy(engine);
		mqtt_destroy(fresh);
		config_free(cfg);
		return false;
	}
	/* what is in flight lands in the old engine, then polling moves over */
	poller_stop(a->poller);
	agent_drain_results(a);
	sized_install(a, &arrays);
	struct poller *poller = poller_create(cfg, now, err, sizeof err);
	if (poller)
		poller_adopt_schedule(poller, a->poller);
	else
		log_error("reload: %s: polling stopped until the next reload", err);
	poller_destroy(a->poller);
	a->poller = poller;
	struct engine *old = a->engine;
	a->engine = engine;
	agent_define_self_alerts(a);
	/* the outputs see the new engine before it publishes anything */
	struct output_env env = agent_output_env(a, cfg, fresh ? fresh : a->mqtt);
	outputs_rebind(&a->out, &env);
	engine_adopt(engine, old, forget, a, wall);
	engine_destroy(old);
	switch_mqtt(a, cfg, fresh);
	a->out.cfg = cfg;
	struct self_health limits;
	self_health_init(&limits, &cfg->agent);
	a->health.lim = limits.lim;
	log_set_level(cfg->agent.log_level);
	log_info("reloaded: %zu devices, %zu rules (were %zu, %zu)", cfg->ndevices,
	         cfg->nrules, a->cfg->ndevices, a->cfg->nrules);
	config_free(a->cfg);
	a->cfg = cfg;
	memcpy(a->config_sha256, r->new_sha256, sizeof a->config_sha256);
	if (!a->config_sha256[0])
		log_warn("reload: cannot hash the files the config was read from");
	agent_apply_config_silences(a, wall);
	if (mqtt_connected(a->mqtt)) {
		agent_publish_status(a); /* the new config's hash */
		engine_publish_states(engine);
	}
	return true;
}

void agent_reload(struct agent *a)
{
	log_info("SIGHUP: reloading %s", a->cfg->path);
	sdnotify_reloading(&a->notify);
	struct reload_outcome r = {0};
	memcpy(r.old_sha256, a->config_sha256, sizeof r.old_sha256);
	struct fm_config *cfg = load_new_config(a, &r);
	r.accepted = cfg && apply(a, cfg, &r);
	agent_note_reload(a, &r);
	bool applied = r.accepted;
	char summary[128];
	agent_summary(a->cfg, summary, sizeof summary);
	sdnotify_ready(&a->notify, "running: %s%s", summary,
	               applied ? "" : " (the last reload was rejected)");
}
