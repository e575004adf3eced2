/* homeassistant.c - Home Assistant MQTT discovery (outputs.homeassistant).
 *
 * Owns: keeping the broker's retained discovery configs
 * (outputs/ha_discovery.h builds them) in step with the running config,
 * on the agent's own connection: all of them on every new session, and
 * after a reload (or a row of a walked column found) the ones that
 * changed, with an empty retained config for each entity that is gone, so
 * Home Assistant removes it. It remembers what it published (each topic
 * and a hash of its config); a removal it could not send (the broker was
 * away) is sent with the next sync. The entities read facmon's own
 * retained topics: this output publishes nothing else.
 *
 * What a config said before the agent restarted is not known to it: an
 * entity dropped from the config while the agent was stopped stays in
 * Home Assistant until it is deleted there (docs/home-assistant.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "outputs/ha_discovery.h"
#include "outputs/mqtt.h"
#include "outputs/output.h"
#include "outputs/payload.h"

#define DISCOVERY_QOS 1
#define RETRY_MS 5000 /* a sync that could not send everything, again */

/* One config the broker retains from us, as far as we know. */
struct ha_published {
	char *topic;
	uint64_t hash;  /* of its payload; 0: to be sent again */
	bool clearing;  /* gone from the config, its removal not yet sent */
};

struct ha_output {
	struct output_env env;
	struct ha_published *pub;
	size_t npub;
	bool due;           /* a sync at the next service() */
	int64_t retry_at;   /* not before: the last sync could not send everything */
	uint64_t *names;    /* per device: a hash of its point names at the last sync */
	size_t nnames;
	size_t skipped;     /* entities left out at the last sync (a topic taken) */
};

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h ? h : 1;
}

static void note_names(struct ha_output *h)
{
	const struct engine *e = h->env.engine;
	uint64_t *names = calloc(e->ndevices + 1, sizeof *names);
	if (!names)
		return;
	for (size_t i = 0; i < e->ndevices; i++)
		names[i] = payload_point_names_hash(&e->devices[i]);
	free(h->names);
	h->names = names;
	h->nnames = e->ndevices;
}

static void published_free(struct ha_published *pub, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(pub[i].topic);
	free(pub);
}

static struct ha_published *published_find(const struct ha_output *h, const char *topic)
{
	for (size_t i = 0; i < h->npub; i++)
		if (strcmp(h->pub[i].topic, topic) == 0)
			return &h->pub[i];
	return NULL;
}

static bool send_config(struct ha_output *h, const char *topic, const char *payload)
{
	return mqtt_publish_raw(h->env.mqtt, topic, payload, strlen(payload), DISCOVERY_QOS,
	                        true) == 0;
}

/* Publishes what DOCS changed against what we published (everything with
 * FORCE) into NEXT, which has room for DOCS and every old entry; how many
 * were sent in *SENT. */
static size_t sync_docs(struct ha_output *h, const struct ha_docs *docs, bool force,
                        struct ha_published *next, size_t *sent)
{
	size_t n = 0;
	for (size_t i = 0; i < docs->count; i++) {
		const struct ha_doc *d = &docs->items[i];
		uint64_t hash = fnv1a(d->payload);
		const struct ha_published *old = published_find(h, d->topic);
		bool send = force || !old || old->hash != hash || old->clearing;
		if (send && !send_config(h, d->topic, d->payload)) {
			hash = 0; /* sent again at the next sync */
			h->due = true;
		}
		*sent += send && hash;
		next[n++] = (struct ha_published){.topic = strdup(d->topic), .hash = hash};
	}
	return n;
}

/* Empty retained configs for what we published that DOCS no longer has. */
static size_t sync_removals(struct ha_output *h, const struct ha_docs *docs,
                            struct ha_published *next, size_t n, size_t *removed)
{
	for (size_t i = 0; i < h->npub; i++) {
		bool kept = false;
		for (size_t k = 0; k < docs->count && !kept; k++)
			kept = strcmp(docs->items[k].topic, h->pub[i].topic) == 0;
		if (kept)
			continue;
		if (send_config(h, h->pub[i].topic, "")) {
			(*removed)++;
			continue;
		}
		h->due = true;
		next[n++] = (struct ha_published){.topic = strdup(h->pub[i].topic), .clearing = true};
	}
	return n;
}

/* Brings the broker's discovery configs in step with the config. */
static void ha_sync(struct ha_output *h, bool force)
{
	if (!h->env.mqtt || !mqtt_connected(h->env.mqtt)) {
		h->due = true;
		return;
	}
	h->due = false;
	struct ha_docs docs;
	struct ha_published *next = NULL;
	if (ha_docs_build(h->env.cfg, h->env.engine, mqtt_root(h->env.mqtt), &docs) < 0 ||
	    !(next = calloc(docs.count + h->npub + 1, sizeof *next))) {
		log_error("homeassistant: out of memory building the discovery configs");
		ha_docs_free(&docs);
		return;
	}
	if (docs.skipped && docs.skipped != h->skipped)
		log_warn("homeassistant: %zu entit%s left out: %s discovery topic is another's "
		         "(names that differ only in '.' or '_')", docs.skipped,
		         docs.skipped == 1 ? "y" : "ies", docs.skipped == 1 ? "its" : "their");
	h->skipped = docs.skipped;
	size_t sent = 0, removed = 0;
	size_t n = sync_docs(h, &docs, force, next, &sent);
	n = sync_removals(h, &docs, next, n, &removed);
	published_free(h->pub, h->npub);
	h->pub = next;
	h->npub = n;
	note_names(h);
	if (sent || removed)
		log_info("homeassistant: %zu discovery config%s published, %zu removed", sent,
		         sent == 1 ? "" : "s", removed);
	ha_docs_free(&docs);
}

/* ---- the output ---- */

static bool ha_wanted(const struct fm_config *cfg)
{
	return cfg->outputs.homeassistant.enabled;
}

static void *ha_create(const struct output_env *env, char *err, size_t errlen)
{
	if (!env->mqtt) {
		snprintf(err, errlen, "needs the broker connection (mqtt)");
		return NULL;
	}
	struct ha_output *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	h->env = *env;
	h->due = true; /* sent now if connected, else on the first session */
	return h;
}

static void ha_destroy(void *self)
{
	struct ha_output *h = self;
	if (!h)
		return;
	published_free(h->pub, h->npub);
	free(h->names);
	free(h);
}

/* After the reload is done (the new engine has taken over the row names
 * of the old), at the next service(). */
static void ha_rebind(void *self, const struct output_env *env)
{
	struct ha_output *h = self;
	h->env = *env;
	free(h->names);
	h->names = NULL;
	h->nnames = 0;
	h->due = true;
}

static void ha_session(void *self)
{
	ha_sync(self, true);
}

/* A slot of a walked column named (or renamed): its entity changes. */
static void ha_telemetry(void *self, const struct eng_device *d)
{
	struct ha_output *h = self;
	size_t i = (size_t)(d - h->env.engine->devices);
	if (i < h->nnames && h->names[i] != payload_point_names_hash(d))
		h->due = true;
}

/* An alert named after a row found at run time: a new entity. */
static void ha_alert_state(void *self, const struct eng_alert *a)
{
	struct ha_output *h = self;
	char topic[FM_TEXT_MAX * 3];
	if (!a->name[0] || h->due)
		return;
	ha_alert_topic(h->env.cfg, a, topic, sizeof topic);
	if (!published_find(h, topic))
		h->due = true;
}

static int64_t ha_service(void *self, int64_t now)
{
	struct ha_output *h = self;
	if (!h->due || !h->env.mqtt || !mqtt_connected(h->env.mqtt))
		return INT64_MAX; /* a session or a change calls again */
	if (now < h->retry_at)
		return h->retry_at;
	ha_sync(h, false);
	if (!h->due)
		return INT64_MAX;
	h->retry_at = now + RETRY_MS;
	return h->retry_at;
}

const struct output_ops output_homeassistant = {
	.name = "homeassistant",
	.wanted = ha_wanted,
	.create = ha_create,
	.destroy = ha_destroy,
	.rebind = ha_rebind,
	.telemetry = ha_telemetry,
	.alert_state = ha_alert_state,
	.mqtt_session = ha_session,
	.service = ha_service,
};
