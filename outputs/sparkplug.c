/* sparkplug.c - the room as a Sparkplug B edge node (outputs.sparkplug).
 *
 * Owns: what the edge node says (docs/sparkplug.md), on its own
 * connection (outputs/spb_link.h), in payloads of outputs/spb_payload.h:
 *   spBv1.0/<group>/NBIRTH/<agent.name>   bdSeq, Node Control/Rebirth,
 *       the agent's properties, and one Boolean per alert ("Alerts/<name>",
 *       true while firing)
 *   .../NDATA/<agent.name>                an alert that started or stopped firing
 *   .../DBIRTH/<agent.name>/<device>      every point of a device that
 *       answers, with its datatype, value (or null) and engUnit
 *   .../DDATA/<agent.name>/<device>       the points that changed since
 *   .../DDEATH/<agent.name>/<device>      the device went down
 *   .../NDEATH/<agent.name>               the will (bdSeq), or on a clean stop
 * Every metric has an alias (but the two node controls), fixed by the
 * config: alert i is i + 1, then each device's points in order. seq goes
 * 0 (NBIRTH), 1, 2, ... 255, 0 over everything but NDEATH. A new session,
 * an NCMD "Node Control/Rebirth" = true, a reload, or a metric a birth did
 * not name (a row found, an alert named after it) bring the whole birth
 * sequence again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "outputs/output.h"
#include "outputs/payload.h"
#include "outputs/spb_link.h"
#include "outputs/spb_payload.h"

#define SPB_TOPIC_MAX (FM_TEXT_MAX * 2)
#define SPB_ALERT_METRIC_MAX (FM_NAME_MAX * 2 + 8)
#define SHUTDOWN_MS 1000
#define NODE_METRICS 4 /* bdSeq, Node Control/Rebirth, two properties */

/* What the host was last told of a point. */
enum spb_sent { SENT_NONE, SENT_VALUE, SENT_NULL };

struct spb_dev {
	char name[FM_NAME_MAX];
	bool born;
	uint64_t names;       /* payload_point_names_hash() at its birth */
	uint64_t alias_base;  /* its point p is alias_base + p */
	double *last;         /* per point: the value last sent */
	unsigned char *sent;  /* per point: enum spb_sent */
};

struct spb_output {
	struct output_env env;
	struct spb_link *link;
	uint8_t seq;            /* the next message's */
	bool node_born;         /* an NBIRTH went out in this session */
	bool birth_due;         /* the whole birth sequence, at the next chance */
	bool rebirth_asked;     /* an NCMD asked for it */
	struct spb_dev *devs;   /* per engine device */
	size_t ndevs;
	unsigned char *alerts;  /* per engine alert: 0 not born, 1 not firing, 2 firing */
	size_t nalerts;
};

static uint64_t wall_now(void)
{
	return (uint64_t)clock_wall_ms();
}

static int next_seq(struct spb_output *s)
{
	return s->seq++; /* uint8_t: 255 wraps to 0 */
}

static void spb_send(struct spb_output *s, const char *type, const char *device,
                 const struct spb_builder *b)
{
	char topic[SPB_TOPIC_MAX];
	size_t len;
	uint8_t *buf = spb_pack(b, &len);
	spb_link_topic(s->link, type, device, topic, sizeof topic);
	if (!buf)
		log_error("sparkplug: out of memory encoding %s", topic);
	else if (spb_link_publish(s->link, topic, buf, len) == 0)
		log_debug("sparkplug: %s seq %llu, %zu metrics", topic,
		          (unsigned long long)b->payload.seq, b->payload.n_metrics);
	free(buf);
}

/* ---- the per-device and per-alert state of an engine ---- */

static void devs_free(struct spb_output *s)
{
	for (size_t i = 0; i < s->ndevs; i++) {
		free(s->devs[i].last);
		free(s->devs[i].sent);
	}
	free(s->devs);
	free(s->alerts);
	s->devs = NULL;
	s->alerts = NULL;
	s->ndevs = s->nalerts = 0;
}

static int devs_alloc(struct spb_output *s)
{
	const struct engine *e = s->env.engine;
	s->devs = calloc(e->ndevices + 1, sizeof *s->devs);
	s->alerts = calloc(e->nalerts + 1, sizeof *s->alerts);
	if (!s->devs || !s->alerts)
		return -1;
	s->ndevs = e->ndevices;
	s->nalerts = e->nalerts;
	uint64_t alias = e->nalerts + 1;
	for (size_t i = 0; i < e->ndevices; i++) {
		struct spb_dev *d = &s->devs[i];
		size_t n = e->devices[i].conf->npoints;
		snprintf(d->name, sizeof d->name, "%s", e->devices[i].conf->name);
		d->alias_base = alias;
		alias += n;
		d->last = calloc(n + 1, sizeof *d->last);
		d->sent = calloc(n + 1, sizeof *d->sent);
		if (!d->last || !d->sent)
			return -1;
	}
	return 0;
}

/* ---- births, data, deaths ---- */

static bool answers(const struct eng_device *d)
{
	return d->has_reading &&
	       (d->health.state == FM_DEV_UP || d->health.state == FM_DEV_DEGRADED);
}

static void nbirth(struct spb_output *s)
{
	const struct engine *e = s->env.engine;
	struct spb_builder b;
	char (*names)[SPB_ALERT_METRIC_MAX] = calloc(e->nalerts + 1, sizeof *names);
	uint64_t now = wall_now();
	s->seq = 0;
	if (!names || spb_begin(&b, NODE_METRICS + e->nalerts, now, next_seq(s)) < 0) {
		log_error("sparkplug: out of memory building the NBIRTH");
		free(names);
		return;
	}
	spb_set(spb_add(&b, "bdSeq", 0, now, SPB_INT64), (double)spb_link_bdseq(s->link));
	spb_set(spb_add(&b, SPB_REBIRTH, 0, now, SPB_BOOLEAN), 0);
	spb_set_string(spb_add(&b, "Properties/Software", 0, now, SPB_STRING),
	               "facmon " FACMON_VERSION);
	spb_set_string(spb_add(&b, "Properties/Site", 0, now, SPB_STRING),
	               s->env.cfg->agent.site);
	for (size_t i = 0; i < e->nalerts; i++) {
		const struct eng_alert *a = &e->alerts[i];
		s->alerts[i] = 0;
		if (!a->name[0])
			continue;
		bool firing = a->fsm.state == FM_ALERT_FIRING;
		snprintf(names[i], sizeof names[i], "Alerts/%s", a->name);
		spb_set(spb_add(&b, names[i], i + 1, now, SPB_BOOLEAN), firing);
		s->alerts[i] = firing ? 2 : 1;
	}
	spb_send(s, "NBIRTH", NULL, &b);
	spb_end(&b);
	free(names);
	s->node_born = true;
}

/* Point P of device D into B: with NAME in a birth, else by alias. */
static void add_point(struct spb_builder *b, struct spb_dev *sd, const struct eng_device *d,
                      size_t p, bool birth)
{
	const struct fm_point *pt = &d->conf->points[p];
	SpbMetric *m = spb_add(b, birth ? eng_point_name(d, p) : NULL, sd->alias_base + p,
	                       (uint64_t)d->reading_wall_ms, spb_point_type(pt));
	if (!m)
		return;
	if (birth && pt->unit[0])
		spb_set_unit(m, pt->unit);
	if (d->values[p].status == FM_POINT_OK) {
		spb_set(m, d->values[p].value);
		sd->sent[p] = SENT_VALUE;
		sd->last[p] = d->values[p].value;
	} else {
		sd->sent[p] = SENT_NULL;
	}
}

static void dbirth(struct spb_output *s, size_t i)
{
	const struct eng_device *d = &s->env.engine->devices[i];
	struct spb_dev *sd = &s->devs[i];
	struct spb_builder b;
	if (spb_begin(&b, d->conf->npoints, wall_now(), next_seq(s)) < 0) {
		log_error("sparkplug: out of memory building the DBIRTH of %s", sd->name);
		return;
	}
	for (size_t p = 0; p < d->conf->npoints; p++) {
		sd->sent[p] = SENT_NONE;
		if (eng_point_name(d, p)[0] && d->values[p].status != FM_POINT_ABSENT)
			add_point(&b, sd, d, p, true);
	}
	spb_send(s, "DBIRTH", sd->name, &b);
	spb_end(&b);
	sd->born = true;
	sd->names = payload_point_names_hash(d);
}

/* Whether point P of D says something the host does not know. */
static bool point_changed(const struct spb_dev *sd, const struct eng_device *d, size_t p)
{
	if (sd->sent[p] == SENT_NONE)
		return false; /* not in the birth */
	if (d->values[p].status == FM_POINT_OK)
		return sd->sent[p] != SENT_VALUE || sd->last[p] != d->values[p].value;
	return sd->sent[p] == SENT_VALUE;
}

static void ddata(struct spb_output *s, size_t i)
{
	const struct eng_device *d = &s->env.engine->devices[i];
	struct spb_dev *sd = &s->devs[i];
	size_t changed = 0;
	for (size_t p = 0; p < d->conf->npoints; p++)
		changed += point_changed(sd, d, p);
	struct spb_builder b;
	if (!changed)
		return;
	if (spb_begin(&b, changed, wall_now(), next_seq(s)) < 0) {
		log_error("sparkplug: out of memory building the DDATA of %s", sd->name);
		return;
	}
	for (size_t p = 0; p < d->conf->npoints; p++)
		if (point_changed(sd, d, p))
			add_point(&b, sd, d, p, false);
	spb_send(s, "DDATA", sd->name, &b);
	spb_end(&b);
}

static void ddeath(struct spb_output *s, struct spb_dev *sd)
{
	struct spb_builder b;
	sd->born = false;
	if (spb_begin(&b, 0, wall_now(), next_seq(s)) < 0)
		return;
	spb_send(s, "DDEATH", sd->name, &b);
	spb_end(&b);
}

static void births(struct spb_output *s)
{
	s->birth_due = false;
	nbirth(s);
	for (size_t i = 0; i < s->ndevs; i++) {
		s->devs[i].born = false;
		if (answers(&s->env.engine->devices[i]))
			dbirth(s, i);
	}
}

/* After I/O and timed work: a new session or a rebirth request. */
static void after_io(struct spb_output *s)
{
	if (spb_link_take_session(s->link))
		s->birth_due = true;
	if (!spb_link_online(s->link)) {
		s->node_born = false;
		return;
	}
	if (s->rebirth_asked) {
		s->rebirth_asked = false;
		s->birth_due = true;
		log_info("sparkplug: rebirth requested (NCMD %s)", SPB_REBIRTH);
	}
	if (s->birth_due)
		births(s);
}

/* ---- the engine's output ---- */

static bool live(const struct spb_output *s)
{
	return s->link && s->node_born && !s->birth_due && spb_link_online(s->link);
}

static void spb_telemetry(void *self, const struct eng_device *d)
{
	struct spb_output *s = self;
	size_t i = (size_t)(d - s->env.engine->devices);
	if (!live(s) || i >= s->ndevs)
		return;
	struct spb_dev *sd = &s->devs[i];
	if (d->health.state == FM_DEV_DOWN) {
		if (sd->born)
			ddeath(s, sd);
	} else if (answers(d)) {
		if (!sd->born || sd->names != payload_point_names_hash(d))
			dbirth(s, i);
		else
			ddata(s, i);
	}
}

static void spb_device_state(void *self, const struct eng_device *d, bool changed)
{
	struct spb_output *s = self;
	size_t i = (size_t)(d - s->env.engine->devices);
	(void)changed;
	if (live(s) && i < s->ndevs && d->health.state == FM_DEV_DOWN && s->devs[i].born)
		ddeath(s, &s->devs[i]);
}

static void spb_alert_state(void *self, const struct eng_alert *a)
{
	struct spb_output *s = self;
	size_t i = (size_t)(a - s->env.engine->alerts);
	if (!live(s) || i >= s->nalerts || !a->name[0])
		return;
	if (s->alerts[i] == 0) { /* named after its birth: a metric the host lacks */
		s->birth_due = true;
		return;
	}
	unsigned char now = a->fsm.state == FM_ALERT_FIRING ? 2 : 1;
	if (now == s->alerts[i])
		return;
	s->alerts[i] = now;
	struct spb_builder b;
	uint64_t ts = wall_now();
	if (spb_begin(&b, 1, ts, next_seq(s)) < 0)
		return;
	spb_set(spb_add(&b, NULL, i + 1, ts, SPB_BOOLEAN), now == 2);
	spb_send(s, "NDATA", NULL, &b);
	spb_end(&b);
}

/* ---- the output ---- */

static void on_ncmd(void *ctx, const void *payload, size_t len)
{
	struct spb_output *s = ctx;
	if (spb_wants_rebirth(payload, len))
		s->rebirth_asked = true;
}

static bool spb_wanted(const struct fm_config *cfg)
{
	return cfg->outputs.sparkplug.enabled;
}

static void spb_destroy(void *self)
{
	struct spb_output *s = self;
	if (!s)
		return;
	spb_link_destroy(s->link, SHUTDOWN_MS);
	devs_free(s);
	free(s);
}

static void *spb_create(const struct output_env *env, char *err, size_t errlen)
{
	if (!env->mqtt) {
		snprintf(err, errlen, "needs the broker settings (mqtt)");
		return NULL;
	}
	struct spb_output *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->env = *env;
	s->link = spb_link_create(env->cfg, on_ncmd, s, err, errlen);
	if (!s->link || devs_alloc(s) < 0) {
		spb_destroy(s);
		return NULL;
	}
	return s;
}

/* Whether CFG connects or names the edge node otherwise than OLD. */
static bool link_changed(const struct fm_config *old, const struct fm_config *cfg)
{
	return memcmp(&old->mqtt, &cfg->mqtt, sizeof cfg->mqtt) != 0 ||
	       strcmp(old->agent.name, cfg->agent.name) != 0 ||
	       strcmp(old->agent.state_dir, cfg->agent.state_dir) != 0 ||
	       strcmp(old->outputs.sparkplug.group, cfg->outputs.sparkplug.group) != 0;
}

/* A reload: a DDEATH for each device that is gone, then the whole birth
 * sequence for the new config once the reload is done (a new connection,
 * with a new bdSeq, when the broker or the names changed). */
static void spb_rebind(void *self, const struct output_env *env)
{
	struct spb_output *s = self;
	char err[FM_TEXT_MAX * 2];
	if (link_changed(s->env.cfg, env->cfg)) {
		spb_link_destroy(s->link, SHUTDOWN_MS);
		s->link = spb_link_create(env->cfg, on_ncmd, s, err, sizeof err);
	} else {
		for (size_t i = 0; live(s) && i < s->ndevs; i++)
			if (s->devs[i].born && !engine_find_device((struct engine *)env->engine,
			                                           s->devs[i].name))
				ddeath(s, &s->devs[i]);
		spb_link_rebind(s->link, env->cfg);
	}
	devs_free(s);
	s->env = *env;
	s->node_born = false;
	s->birth_due = true;
	if (!s->link || devs_alloc(s) < 0)
		log_error("sparkplug: %s; Sparkplug stops until the next reload",
		          s->link ? "out of memory" : err);
}

static int spb_fd(void *self)
{
	struct spb_output *s = self;
	return s->link ? spb_link_fd(s->link) : -1;
}

static void spb_handle(void *self, int64_t now)
{
	struct spb_output *s = self;
	if (!s->link || !s->devs)
		return;
	spb_link_handle(s->link, now);
	after_io(s);
}

static int64_t spb_service(void *self, int64_t now)
{
	struct spb_output *s = self;
	if (!s->link || !s->devs)
		return INT64_MAX;
	int64_t next = spb_link_service(s->link, now);
	after_io(s);
	return next;
}

const struct output_ops output_sparkplug = {
	.name = "sparkplug",
	.wanted = spb_wanted,
	.create = spb_create,
	.destroy = spb_destroy,
	.rebind = spb_rebind,
	.telemetry = spb_telemetry,
	.device_state = spb_device_state,
	.alert_state = spb_alert_state,
	.fd = spb_fd,
	.handle = spb_handle,
	.service = spb_service,
};
