/* alertmanager.c - facmon's alerts posted to Prometheus Alertmanager.
 *
 * Owns: outputs.alertmanager. Every firing alert is posted to
 * POST /api/v2/alerts of each configured Alertmanager (a cluster: each
 * gets every alert, as Prometheus does), its resolution with endsAt = the
 * time it resolved. Labels and annotations: am_alert.h; HTTP: am_post.h,
 * on this output's own thread, so a dead or slow Alertmanager (each POST
 * bounded by timeout_ms) never delays polling, MQTT or the other outputs.
 *
 * DESIGN
 * Two paths, as Alertmanager expects of a client:
 *  - Transitions, durable. The stored events come from the feed (feed.c)
 *    in seq order; a transition to firing or to resolved is posted, the
 *    rest are done at once. An event is done when every Alertmanager took
 *    it (HTTP 2xx); a failure posts it again, after the feed's back-off,
 *    to those that did not (twice is harmless: same labels, same alert).
 *    So an outage of Alertmanager loses nothing: once it is back, a firing
 *    and its resolution that happened meanwhile arrive in order, the
 *    resolution with its real endsAt.
 *  - The present, re-posted. Every `resend` seconds (60 by default) every
 *    alert firing now (env->engine; also one whose data went away while
 *    it fired: it is not known to be over) is posted again, with startsAt
 *    = when it fired. Not durable: it is the present, and the next one
 *    replaces a lost one.
 *
 * endsAt of a firing alert is `resend` x 4 ahead, as Prometheus does
 * (ValidUntil = 4 x max(resend delay, evaluation interval)): Alertmanager
 * resolves an alert whose endsAt has passed, and one posted without endsAt
 * after its own resolve_timeout (5 min by default, its config, not ours).
 * Setting endsAt keeps that in facmon's hands: an alert survives three
 * lost re-posts, and one of a facmon that died (or of a rule a reload
 * removed) resolves itself at Alertmanager within four intervals instead
 * of firing forever. Clients are expected to re-send "on the order of 30
 * seconds to 3 minutes" (Alertmanager's "Sending alerts"); 60 s is
 * Prometheus's default resend delay.
 *
 * min_firing: Alertmanager never notifies an alert that resolved before
 * its group was first flushed (group_wait): it drops a group whose alerts
 * fired and resolved in between ("the receiver doesn't know about them").
 * A firing and its resolution posted a moment apart, as they are when a
 * backlog is delivered after an outage, or when a short incident happened,
 * would reach no one. So a resolution is posted no sooner than min_firing
 * seconds (35 by default, above group_wait's default 30 s) after its
 * firing was taken; events after it wait with it, in order.
 *
 * Acknowledgements and silences stay facmon's (MQTT): an Alertmanager
 * silence is the on-call's own tool, and no bridge links the two. An
 * acknowledged alert is re-posted with annotation acked_by; a silenced
 * one with annotation silenced (docs/alertmanager.md).
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "outputs/am_alert.h"
#include "outputs/am_post.h"
#include "outputs/job_thread.h"
#include "outputs/output.h"
#include "outputs/payload.h"

#define VALID_RESENDS 4 /* endsAt of a firing alert: this many re-posts ahead */
#define FIRED_MAX 64    /* firings remembered for min_firing */
#define RESEND_TAG 0    /* the job tag of a re-post; a delivery's is its seq */

/* One POST, handed to the thread. */
struct am_job {
	char urls[FM_AM_URLS_MAX][FM_TEXT_MAX];
	size_t nurls;
	unsigned targets; /* which of URLS to post to */
	unsigned taken;   /* which took it: written by the thread */
	int timeout_ms;
	char *body;
};

/* A firing this output posted, for the resolution that follows it. */
struct am_fired {
	char name[FM_NAME_MAX * 2];
	char starts[CLOCK_ISO_LEN];
	int64_t taken_mono;
};

struct am_output {
	const struct fm_config *cfg;
	const struct engine *engine;
	struct job_thread *thread;
	/* the event in flight */
	uint64_t seq;
	enum output_result state;
	char why[JOB_WHY_MAX];
	enum am_phase phase;
	char name[FM_NAME_MAX * 2];
	char starts[CLOCK_ISO_LEN];
	struct am_job *delivery; /* its POST: the thread's until its result is taken */
	unsigned taken;          /* the Alertmanagers that took it, of: */
	char taken_of[FM_AM_URLS_MAX][FM_TEXT_MAX];
	int64_t hold_until;      /* a resolution waiting for min_firing; 0: none */
	/* the re-post of what fires */
	int64_t next_resend;
	bool resend_pending;
	struct complaint resend_complaint;
	struct am_fired fired[FIRED_MAX];
	size_t nfired;
};

static void job_free(void *p)
{
	struct am_job *j = p;
	if (j)
		free(j->body);
	free(j);
}

/* A POST of ALERTS (an array, taken) to every Alertmanager of the config
 * but those in SKIP. */
static struct am_job *job_new(const struct am_output *x, cJSON *alerts, unsigned skip)
{
	struct am_job *j = calloc(1, sizeof *j);
	if (j)
		j->body = cJSON_PrintUnformatted(alerts);
	if (!j || !j->body) {
		job_free(j);
		cJSON_Delete(alerts);
		return NULL;
	}
	const struct fm_alertmanager_conf *am = &x->cfg->outputs.alertmanager;
	memcpy(j->urls, am->urls, sizeof j->urls);
	j->nurls = am->nurls;
	j->targets = ((1u << am->nurls) - 1) & ~skip;
	j->timeout_ms = am->timeout_ms;
	cJSON_Delete(alerts);
	return j;
}

/* On the thread. */
static int post_job(void *arg, char *why, size_t len)
{
	struct am_job *j = arg;
	j->taken = am_post(j->urls, j->nurls, j->targets, j->body, j->timeout_ms, why, len);
	return j->taken == j->targets ? 0 : -1;
}

static void iso_ahead(const struct am_output *x, char *buf, size_t len)
{
	int64_t ahead = (int64_t)x->cfg->outputs.alertmanager.resend * 1000 * VALID_RESENDS;
	clock_iso8601(clock_wall_ms() + ahead, buf, len);
}

/* ---- firings remembered for min_firing ---- */

static struct am_fired *fired_find(struct am_output *x, const char *name)
{
	for (size_t i = 0; i < x->nfired; i++)
		if (strcmp(x->fired[i].name, name) == 0)
			return &x->fired[i];
	return NULL;
}

static void fired_note(struct am_output *x, const char *name, const char *starts,
                       int64_t now)
{
	struct am_fired *f = fired_find(x, name);
	if (!f && x->nfired == FIRED_MAX) /* the oldest goes */
		memmove(&x->fired[0], &x->fired[1], sizeof x->fired[0] * --x->nfired);
	if (!f)
		f = &x->fired[x->nfired++];
	snprintf(f->name, sizeof f->name, "%s", name);
	snprintf(f->starts, sizeof f->starts, "%s", starts);
	f->taken_mono = now;
}

static void fired_forget(struct am_output *x, const char *name)
{
	struct am_fired *f = fired_find(x, name);
	if (!f)
		return;
	size_t i = (size_t)(f - x->fired);
	memmove(f, f + 1, sizeof *f * (x->nfired - i - 1));
	x->nfired--;
}

/* ---- the durable path: one stored event ---- */

static void submit_delivery(struct am_output *x)
{
	if (job_thread_submit(x->thread, post_job, x->delivery, NULL, x->seq) == 0)
		return;
	job_free(x->delivery);
	x->delivery = NULL;
	x->state = OUTPUT_FAILED;
	snprintf(x->why, sizeof x->why, "its thread has too much to do");
}

/* The alert of DOC in PHASE, as a one-element array. */
static cJSON *event_alerts(struct am_output *x, const cJSON *doc, enum am_phase phase)
{
	const cJSON *ts = cJSON_GetObjectItemCaseSensitive(doc, "ts");
	const char *when = cJSON_IsString(ts) ? ts->valuestring : "";
	const struct am_fired *f = fired_find(x, x->name);
	char ahead[CLOCK_ISO_LEN];
	iso_ahead(x, ahead, sizeof ahead);
	snprintf(x->starts, sizeof x->starts, "%s", phase == AM_FIRING ? when : f ? f->starts : "");
	cJSON *arr = cJSON_CreateArray();
	cJSON *alert = am_alert(doc, x->cfg, phase, x->starts, phase == AM_FIRING ? ahead : when);
	if (!arr || !alert || !cJSON_AddItemToArray(arr, alert)) {
		cJSON_Delete(alert);
		cJSON_Delete(arr);
		return NULL;
	}
	return arr;
}

/* Posts the event now, or, for a resolution whose firing was taken less
 * than min_firing ago, once that is up (am_service). */
static void hold_or_submit(struct am_output *x)
{
	const struct am_fired *f = fired_find(x, x->name);
	int64_t hold = (int64_t)x->cfg->outputs.alertmanager.min_firing * 1000;
	int64_t now = clock_mono_ms();
	if (x->phase != AM_RESOLVED || !f || now >= f->taken_mono + hold) {
		submit_delivery(x);
		return;
	}
	x->hold_until = f->taken_mono + hold;
	log_debug("alertmanager: event seq=%llu: %s resolved; posted in %lld ms (min_firing)",
	          (unsigned long long)x->seq, x->name, (long long)(x->hold_until - now));
}

static void am_deliver(void *self, uint64_t seq, const char *document)
{
	struct am_output *x = self;
	cJSON *doc = cJSON_Parse(document);
	x->why[0] = '\0';
	x->phase = am_event_phase(doc);
	x->state = OUTPUT_DONE;
	if (x->phase == AM_NONE) {
		cJSON_Delete(doc); /* not a transition Alertmanager is told of */
		return;
	}
	const struct fm_alertmanager_conf *am = &x->cfg->outputs.alertmanager;
	if (seq != x->seq || memcmp(x->taken_of, am->urls, sizeof x->taken_of) != 0)
		x->taken = 0; /* a new event, or a reload changed the Alertmanagers */
	memcpy(x->taken_of, am->urls, sizeof x->taken_of);
	x->seq = seq;
	snprintf(x->name, sizeof x->name, "%s",
	         cJSON_GetObjectItemCaseSensitive(doc, "rule")->valuestring);
	cJSON *alerts = event_alerts(x, doc, x->phase);
	cJSON_Delete(doc);
	x->delivery = alerts ? job_new(x, alerts, x->taken) : NULL;
	if (!x->delivery) {
		x->state = OUTPUT_FAILED;
		snprintf(x->why, sizeof x->why, "out of memory");
		return;
	}
	x->state = OUTPUT_BUSY;
	hold_or_submit(x);
}

static enum output_result am_delivered(void *self, char *why, size_t len)
{
	struct am_output *x = self;
	snprintf(why, len, "%s", x->why);
	return x->state;
}

/* The result of the event's POST: done once every Alertmanager took it. */
static void delivery_result(struct am_output *x, int rc, int64_t now)
{
	const struct fm_alertmanager_conf *am = &x->cfg->outputs.alertmanager;
	struct am_job *j = x->delivery;
	x->delivery = NULL;
	if (j && memcmp(j->urls, am->urls, sizeof j->urls) == 0)
		x->taken |= j->taken;
	else
		x->taken = 0; /* a reload changed the Alertmanagers: all of them again */
	job_free(j);
	unsigned all = (1u << am->nurls) - 1;
	if ((x->taken & all) != all) {
		x->state = OUTPUT_FAILED;
		if (rc == 0 || !x->why[0])
			snprintf(x->why, sizeof x->why, "the Alertmanagers changed (a reload)");
		return;
	}
	x->state = OUTPUT_DONE;
	if (x->phase == AM_FIRING)
		fired_note(x, x->name, x->starts, now);
	else
		fired_forget(x, x->name);
	log_debug("alertmanager: event seq=%llu: %s %s, taken", (unsigned long long)x->seq,
	          x->name, x->phase == AM_FIRING ? "firing" : "resolved");
}

/* ---- the present: every firing alert, re-posted ---- */

/* Firing, or gone unknown while firing (not known to be over). */
static bool fires(const struct eng_alert *a)
{
	return a->name[0] && (a->fsm.state == FM_ALERT_FIRING ||
	                      (a->fsm.state == FM_ALERT_UNKNOWN && a->fsm.was_firing));
}

static void add_firing(const struct am_output *x, cJSON *arr, const struct eng_alert *a,
                       const char *ahead)
{
	char *text = payload_alert_state(a), since[CLOCK_ISO_LEN];
	cJSON *doc = text ? cJSON_Parse(text) : NULL;
	free(text);
	clock_iso8601(a->fsm.since_wall_ms, since, sizeof since);
	cJSON *alert = doc ? am_alert(doc, x->cfg, AM_FIRING, since, ahead) : NULL;
	cJSON_Delete(doc);
	if (alert && !cJSON_AddItemToArray(arr, alert))
		cJSON_Delete(alert);
}

static void resend(struct am_output *x)
{
	if (x->resend_pending || !x->engine)
		return; /* the last one is still under way */
	char ahead[CLOCK_ISO_LEN];
	iso_ahead(x, ahead, sizeof ahead);
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; arr && i < x->engine->nalerts; i++)
		if (fires(&x->engine->alerts[i]))
			add_firing(x, arr, &x->engine->alerts[i], ahead);
	int n = arr ? cJSON_GetArraySize(arr) : 0;
	if (n == 0) {
		cJSON_Delete(arr);
		return;
	}
	log_debug("alertmanager: re-posting %d firing alert%s", n, n == 1 ? "" : "s");
	struct am_job *j = job_new(x, arr, 0);
	if (j && job_thread_submit(x->thread, post_job, j, job_free, RESEND_TAG) == 0)
		x->resend_pending = true;
	else
		job_free(j);
}

static void resend_result(struct am_output *x, int rc, const char *why, int64_t now)
{
	x->resend_pending = false;
	if (rc == 0)
		complain_recovered(&x->resend_complaint, "alertmanager: re-posting firing alerts");
	else
		complain(&x->resend_complaint, now, "alertmanager: re-posting firing alerts: %s",
		         why);
}

/* ---- the loop ---- */

static bool am_wanted(const struct fm_config *cfg)
{
	return cfg->outputs.alertmanager.nurls > 0;
}

static void log_start(const struct fm_alertmanager_conf *am)
{
	char urls[FM_AM_URLS_MAX * (FM_TEXT_MAX + 2)] = "";
	size_t used = 0;
	for (size_t i = 0; i < am->nurls && used < sizeof urls; i++) {
		char shown[FM_TEXT_MAX];
		am_url_shown(am->urls[i], shown, sizeof shown);
		int n = snprintf(urls + used, sizeof urls - used, "%s%s", i ? ", " : "", shown);
		used += n > 0 ? (size_t)n : 0;
	}
	log_info("alertmanager: posting to %s; firing alerts again every %d s, valid %d s; "
	         "a resolution %d s after its firing at the soonest", urls, am->resend,
	         am->resend * VALID_RESENDS, am->min_firing);
}

static void *am_create(const struct output_env *env, char *err, size_t errlen)
{
	struct am_output *x = calloc(1, sizeof *x);
	if (!x)
		return NULL;
	x->cfg = env->cfg;
	x->engine = env->engine;
	x->state = OUTPUT_DONE;
	if (am_post_init(err, errlen) < 0) {
		free(x);
		return NULL;
	}
	x->thread = job_thread_start("alertmanager", err, errlen);
	if (!x->thread) {
		am_post_cleanup();
		free(x);
		return NULL;
	}
	log_start(&x->cfg->outputs.alertmanager);
	return x;
}

static void am_destroy(void *self)
{
	struct am_output *x = self;
	job_thread_stop(x->thread);
	job_free(x->delivery); /* the thread's no more */
	am_post_cleanup();
	free(x);
}

static void am_rebind(void *self, const struct output_env *env)
{
	struct am_output *x = self;
	const struct fm_alertmanager_conf *was = &x->cfg->outputs.alertmanager;
	const struct fm_alertmanager_conf *now = &env->cfg->outputs.alertmanager;
	if (was->nurls != now->nurls || memcmp(was->urls, now->urls, sizeof now->urls) != 0 ||
	    was->resend != now->resend || was->min_firing != now->min_firing)
		log_start(now);
	x->cfg = env->cfg;
	x->engine = env->engine;
	int64_t next = clock_mono_ms() + (int64_t)x->cfg->outputs.alertmanager.resend * 1000;
	if (next < x->next_resend)
		x->next_resend = next;
}

static int am_fd(void *self)
{
	return job_thread_fd(((struct am_output *)self)->thread);
}

static void am_handle(void *self, int64_t now)
{
	struct am_output *x = self;
	uint64_t tag;
	int rc;
	char why[JOB_WHY_MAX];
	while (job_thread_take(x->thread, &tag, &rc, why, sizeof why) == 1) {
		if (tag == RESEND_TAG) {
			resend_result(x, rc, why, now);
			continue;
		}
		snprintf(x->why, sizeof x->why, "%s", why);
		delivery_result(x, rc, now);
	}
}

static int64_t am_service(void *self, int64_t now)
{
	struct am_output *x = self;
	if (x->hold_until && now >= x->hold_until) {
		x->hold_until = 0;
		submit_delivery(x);
	}
	if (now >= x->next_resend) {
		resend(x);
		x->next_resend = now + (int64_t)x->cfg->outputs.alertmanager.resend * 1000;
	}
	return x->hold_until && x->hold_until < x->next_resend ? x->hold_until : x->next_resend;
}

const struct output_ops output_alertmanager = {
	.name = "alertmanager",
	.wanted = am_wanted,
	.create = am_create,
	.destroy = am_destroy,
	.rebind = am_rebind,
	.deliver = am_deliver,
	.delivered = am_delivered,
	.fd = am_fd,
	.handle = am_handle,
	.service = am_service,
};
