/* probe_snmp.c - `facmon probe snmp`: OIDs, or a profile's points, read from
 * one SNMP agent the way the agent reads them.
 *
 * Owns: turning the command line into one SNMP device (kind snmp, one
 * point per OID named by its OID, or the points of an SNMP profile), and
 * polling it once through the real collector (collector_for_bus(
 * FM_BUS_SNMP): same sessions, same SNMPv3 keys, same decoding and the same
 * words for a failure), driven the way collectors/worker.c drives it:
 * attach, open, start, then select() on wait_set until DONE, with an
 * overall deadline as a backstop; then printing every OID or point with
 * its value, unit and enum name, or its failure. A walked column of a
 * profile (rows = "all") shows the rows the walk found.
 *
 * DESIGN: as probe_profile.c, a poll result carries only its first error,
 * so the collector is configured with the whole device first and then each
 * point as a device of its own; points that failed are asked again alone
 * for their own reasons, many at once (the collector is asynchronous). An
 * agent that answered nothing is not asked again.
 *
 * --retries are the probe's own: the collector is configured with none and
 * a poll that got no answer is started again, up to --retries times. So a
 * try is exactly one --timeout, whatever net-snmp does between resends
 * (it reports each one to the request's callback as
 * NETSNMP_CALLBACK_OP_RESEND, which collectors/snmp.c would take for the
 * end of the poll).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>

#include "collectors/worker.h"
#include "base/clock.h"
#include "probe/explain.h"
#include "base/log.h"
#include "probe/probe_private.h"
#include "collectors/collector.h"

/* Past a try's --timeout, counted from before start(): the collector
 * should have finished long before. It is also what ends an SNMPv3 poll of
 * an agent that is not there, which collectors/snmp.c does not finish
 * (net-snmp fails the engine ID discovery inside snmp_async_send, calling
 * the callback and returning an error, so the poll is counted out twice). */
#define BACKSTOP_SLACK_MS 1000

/* Points asked again alone at once: each is a session (a socket) of its
 * own, and select() takes descriptors below FD_SETSIZE; the sessions of
 * one batch are closed before the next (start() opens them again). */
#define ALONE_AT_ONCE 32

struct snmp_run {
	const struct probe_opts *o;
	const char *dir;                  /* --profile: where it was found */
	struct fm_profile profile;        /* with --profile */
	struct fm_point *points;          /* the profile's, or made for --oid */
	size_t npoints;
	struct fm_bus bus;
	struct fm_device *devices;        /* [0] every point, [1+i] point i */
	const struct fm_device **devptrs;
	size_t ndevices;
	const struct fm_collector_ops *ops;
	void *state;
	struct fm_poll_result **results;  /* per device, as DONE handed it back */
	size_t pending;                   /* polls started, not yet done */
	bool gave_up;                     /* the backstop ended a poll */
	size_t failed;
};

/* ---- the device -------------------------------------------------------- */

/* One point per OID, named by it, as an SNMP point of a config is. */
static int oid_points(struct snmp_run *r)
{
	const struct probe_opts *o = r->o;
	r->points = calloc(o->noids ? o->noids : 1, sizeof *r->points);
	if (!r->points)
		return -1;
	r->npoints = o->noids;
	for (size_t i = 0; i < o->noids; i++) {
		struct fm_point *p = &r->points[i];
		const char *oid = o->oids[i][0] == '.' ? o->oids[i] + 1 : o->oids[i];
		snprintf(p->oid, sizeof p->oid, "%s", oid);
		snprintf(p->name, sizeof p->name, "%s", oid); /* for logs; may be cut */
		p->read = FM_READ_HOLDING;
		p->type = FM_TYPE_INT64; /* as config/load_points.c's SNMP points */
		p->order = FM_ORDER_ABCD;
		p->bit = -1;
		p->scale = 1.0;
	}
	return 0;
}

static void device_init(struct fm_device *d, const struct probe_opts *o,
                        struct fm_point *points, size_t npoints)
{
	snprintf(d->name, sizeof d->name, "%s", o->profile ? o->profile : "probe");
	d->kind = FM_DEVICE_SNMP;
	snprintf(d->bus, sizeof d->bus, "%s", FM_SNMP_BUS_NAME);
	if (o->profile)
		snprintf(d->profile, sizeof d->profile, "%s", o->profile);
	d->interval = 1;
	d->down_after = 1;
	d->max_registers = FM_MODBUS_MAX_REGISTERS;
	d->coalesce = true;
	d->snmp = o->snmp;
	d->snmp.retries = 0; /* the probe tries again itself (DESIGN) */
	d->points = points;
	d->npoints = npoints;
}

static int configure(struct snmp_run *r, char *err, size_t errlen)
{
	r->ndevices = r->npoints + 1;
	r->devices = calloc(r->ndevices, sizeof *r->devices);
	r->devptrs = calloc(r->ndevices, sizeof *r->devptrs);
	r->results = calloc(r->ndevices, sizeof *r->results);
	r->ops = collector_for_bus(FM_BUS_SNMP);
	if (!r->devices || !r->devptrs || !r->results) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (!r->ops) {
		snprintf(err, errlen, "this build has no SNMP collector");
		return -1;
	}
	snprintf(r->bus.name, sizeof r->bus.name, "%s", FM_SNMP_BUS_NAME);
	r->bus.type = FM_BUS_SNMP;
	r->bus.timeout_ms = r->o->snmp.timeout_ms; /* no trap listener */
	device_init(&r->devices[0], r->o, r->points, r->npoints);
	for (size_t i = 0; i < r->npoints; i++)
		device_init(&r->devices[1 + i], r->o, &r->points[i], 1);
	for (size_t i = 0; i < r->ndevices; i++)
		r->devptrs[i] = &r->devices[i];
	return r->ops->configure(&r->bus, r->devptrs, r->ndevices, &r->state, err, errlen);
}

static void release(struct snmp_run *r)
{
	if (r->ops && r->state)
		r->ops->release(r->state); /* hands back a poll still in flight */
	for (size_t i = 0; r->results && i < r->ndevices; i++)
		poll_result_free(r->results[i]);
	free(r->results);
	free(r->devices);
	free(r->devptrs);
	if (r->dir)
		config_profile_free(&r->profile);
	else
		free(r->points);
}

/* ---- driving the collector --------------------------------------------- */

/* The collector's DONE: a poll of device OUT->device is complete. */
static void poll_done(void *arg, struct fm_poll_result *out)
{
	struct snmp_run *r = arg;
	if (out->device < r->ndevices && !r->results[out->device] && !out->trap[0]) {
		r->results[out->device] = out;
		r->pending--;
	} else {
		poll_result_free(out); /* not one we asked for (no traps: none expected) */
	}
}

static int start_poll(struct snmp_run *r, size_t dev)
{
	struct fm_poll_result *out = collector_result_new(dev, r->devices[dev].npoints);
	if (!out)
		return -1;
	r->pending++;
	r->ops->start(r->state, dev, out); /* may be done at once (no session) */
	return 0;
}

/* When polls started now should have been done. */
static int64_t backstop(const struct snmp_run *r)
{
	return clock_mono_ms() + r->o->snmp.timeout_ms + BACKSTOP_SLACK_MS;
}

/* Runs the collector until every started poll is done, or DEADLINE
 * passes; then the collector hands back what is still in flight, failed. */
static void wait_polls(struct snmp_run *r, int64_t deadline)
{
	while (r->pending > 0) {
		int64_t left = deadline - clock_mono_ms();
		if (left <= 0) {
			r->gave_up = true;
			r->ops->close(r->state);
			return;
		}
		fd_set rfds;
		FD_ZERO(&rfds);
		int maxfd = -1, timeout_ms = left < 1000 ? (int)left : 1000;
		r->ops->wait_set(r->state, &rfds, &maxfd, &timeout_ms);
		struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
		if (select(maxfd + 1, &rfds, NULL, NULL, &tv) < 0) {
			if (errno != EINTR)
				log_error("snmp: select: %s", strerror(errno));
			FD_ZERO(&rfds);
		}
		r->ops->process(r->state, &rfds);
	}
}

/* True when ERROR is about one of the points (the agent answered it:
 * "1.3.6.1...: noSuchInstance"), not about the agent ("HOST:PORT: ..."). */
static bool names_a_point(const struct snmp_run *r, const char *error)
{
	for (size_t i = 0; i < r->npoints; i++) {
		size_t n = strlen(r->points[i].oid);
		if (strncmp(error, r->points[i].oid, n) == 0 && error[n] == ':')
			return true;
	}
	return false;
}

static struct fm_point_value *value_of(const struct snmp_run *r, size_t i)
{
	return &r->results[0]->values[i];
}

/* Why point I failed, in the collector's words. */
static const char *reason(const struct snmp_run *r, size_t i)
{
	const struct fm_poll_result *alone = r->results[1 + i];
	if (alone && alone->error[0])
		return alone->error;
	if (r->results[0]->error[0])
		return r->results[0]->error;
	return "no value";
}

/* One poll of every point, tried up to 1 + --retries times while the
 * agent is silent. True when the agent answered (results[0] has what). */
static bool poll_all(struct snmp_run *r)
{
	for (int try = 0; try <= r->o->snmp.retries; try++) {
		poll_result_free(r->results[0]);
		r->results[0] = NULL;
		r->gave_up = false;
		int64_t deadline = backstop(r);
		if (start_poll(r, 0) != 0)
			return false;
		wait_polls(r, deadline);
		struct fm_poll_result *all = r->results[0];
		if (!all)
			return false;
		if (r->gave_up)
			snprintf(all->error, sizeof all->error, "%.200s:%d: no answer (timeout)",
			         r->o->snmp.host, r->o->snmp.port);
		if (all->requests_ok > 0 || names_a_point(r, all->error))
			return true;
		if (!strstr(all->error, "no answer (timeout)"))
			return false; /* an answer we cannot read, no session: no use again */
	}
	return false;
}

/* The poll, then each failed point alone. Returns false when the agent
 * answered nothing at all (results[0]->error says why). */
static bool poll_agent(struct snmp_run *r)
{
	if (!poll_all(r))
		return false;
	for (size_t i = 0; i < r->npoints;) {
		int64_t deadline = backstop(r);
		for (size_t n = 0; i < r->npoints && n < ALONE_AT_ONCE; i++)
			if (value_of(r, i)->status == FM_POINT_FAILED && !r->points[i].nslots &&
			    start_poll(r, 1 + i) == 0)
				n++;
		wait_polls(r, deadline);
		r->ops->close(r->state);
	}
	for (size_t i = 0; i < r->npoints; i++) {
		const struct fm_poll_result *alone = r->results[1 + i];
		if (value_of(r, i)->status != FM_POINT_FAILED)
			continue;
		if (alone && alone->values[0].status == FM_POINT_OK)
			*value_of(r, i) = alone->values[0]; /* it answered this time */
		else
			r->failed++;
	}
	return true;
}

/* ---- output ------------------------------------------------------------ */

/* The slots of walked columns (rows = "all") are shown as the rows they
 * hold, "temperature_rack_3_top" at "<column>.<index>"; a slot that holds
 * no row is not shown (its name is emptied); a column without rows, or
 * whose walk failed, is shown once as the column. */
static void name_slots(struct snmp_run *r)
{
	const struct fm_poll_result *all = r->results[0];
	for (size_t i = 0; i < r->npoints; i++) {
		struct fm_point *p = &r->points[i];
		if (!p->nslots)
			continue;
		const struct fm_row *row = all->rows ? &all->rows[i] : NULL;
		bool failed = value_of(r, i)->status == FM_POINT_FAILED;
		if (!row || !row->name[0]) {
			if (p->slot == 1)
				continue; /* no rows, or the walk failed: shown as the column */
			r->failed -= failed;
			p->name[0] = '\0';
			continue;
		}
		if (value_of(r, i)->status == FM_POINT_ABSENT) {
			p->name[0] = '\0';
			continue;
		}
		char name[FM_NAME_MAX], oid[FM_OID_MAX];
		snprintf(name, sizeof name, "%.31s_%s", p->name, row->name);
		snprintf(oid, sizeof oid, "%.80s.%.40s", p->oid, row->index);
		memcpy(p->name, name, sizeof name);
		memcpy(p->oid, oid, sizeof oid);
	}
}

static bool shown(const struct snmp_run *r, size_t i)
{
	return r->points[i].name[0] != '\0';
}

static size_t count_shown(const struct snmp_run *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->npoints; i++)
		n += shown(r, i);
	return n;
}

/* Integers exactly (Counter64 too), fractions (scaled, or sent as text)
 * to the precision a double has. */
static void format_value(double v, char *buf, size_t len)
{
	if (!isfinite(v))
		snprintf(buf, len, "%s", isnan(v) ? "NaN" : v > 0 ? "inf" : "-inf");
	else if (v == floor(v) && fabs(v) < 1e19)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.15g", v);
}

/* The collector's words without the OID in front, for a row that shows it. */
static const char *without_oid(const struct fm_point *p, const char *why)
{
	size_t n = strlen(p->oid);
	if (strncmp(why, p->oid, n) == 0 && why[n] == ':' && why[n + 1] == ' ')
		return why + n + 2;
	return why;
}

/* "23 V", "3 (normal)", "FAILED: noSuchInstance". */
static void point_text(const struct snmp_run *r, size_t i, char *buf, size_t len)
{
	const struct fm_point *p = &r->points[i];
	const struct fm_point_value *v = value_of(r, i);
	char value[64];
	if (v->status == FM_POINT_ABSENT) {
		snprintf(buf, len, "no rows");
		return;
	}
	if (v->status != FM_POINT_OK) {
		snprintf(buf, len, "FAILED: %s", without_oid(p, reason(r, i)));
		return;
	}
	format_value(v->value, value, sizeof value);
	const char *name = point_enum_name(p, v->value);
	snprintf(buf, len, "%s%s%s%s%s%s", value, p->unit[0] ? " " : "", p->unit,
	         name ? " (" : "", name ? name : "", name ? ")" : "");
}

/* The width of a column: its widest cell, at least MIN. */
static int column(const struct snmp_run *r, bool names, int min)
{
	size_t w = (size_t)min;
	for (size_t i = 0; i < r->npoints; i++) {
		if (!shown(r, i))
			continue;
		size_t n = strlen(names ? r->points[i].name : r->points[i].oid);
		w = n > w ? n : w;
	}
	return (int)w;
}

static void print_text(const struct snmp_run *r)
{
	char where[FM_TEXT_MAX * 3], text[FM_TEXT_MAX + 16];
	const char *what = r->dir ? "point" : "OID";
	int nw = column(r, true, 23), ow = column(r, false, 27);
	size_t n = count_shown(r);
	probe_snmp_where(r->o, where, sizeof where);
	if (r->dir)
		printf("%s: profile %s (%s/%s.cfg): %zu %s%s, %zu failed\n", where,
		       r->o->profile, r->dir, r->o->profile, n, what, n == 1 ? "" : "s",
		       r->failed);
	else
		printf("%s: %zu %s%s, %zu failed\n", where, r->npoints, what,
		       r->npoints == 1 ? "" : "s", r->failed);
	if (r->dir)
		printf("%-*s  %-*s  %s\n", nw, "POINT", ow, "OID", "VALUE");
	else
		printf("%-*s  %s\n", ow, "OID", "VALUE");
	for (size_t i = 0; i < r->npoints; i++) {
		if (!shown(r, i))
			continue;
		point_text(r, i, text, sizeof text);
		if (r->dir)
			printf("%-*s  %-*s  %s\n", nw, r->points[i].name, ow, r->points[i].oid, text);
		else
			printf("%-*s  %s\n", ow, r->points[i].oid, text);
	}
}

static cJSON *point_json(const struct snmp_run *r, size_t i)
{
	const struct fm_point *p = &r->points[i];
	const struct fm_point_value *v = value_of(r, i);
	cJSON *o = cJSON_CreateObject();
	if (v->status == FM_POINT_OK)
		cJSON_AddNumberToObject(o, "v", v->value);
	else
		cJSON_AddNullToObject(o, "v");
	if (p->unit[0])
		cJSON_AddStringToObject(o, "unit", p->unit);
	const char *name = v->status == FM_POINT_OK ? point_enum_name(p, v->value) : NULL;
	if (name)
		cJSON_AddStringToObject(o, "text", name);
	cJSON_AddStringToObject(o, "oid", p->oid);
	if (v->status == FM_POINT_FAILED)
		cJSON_AddStringToObject(o, "error", reason(r, i));
	if (v->status == FM_POINT_ABSENT)
		cJSON_AddNumberToObject(o, "rows", 0);
	return o;
}

/* "points": by point name (--profile) or by OID. */
static void add_points_json(const struct snmp_run *r, cJSON *doc)
{
	cJSON_AddNumberToObject(doc, "failed", (double)r->failed);
	cJSON *points = cJSON_AddObjectToObject(doc, "points");
	for (size_t i = 0; i < r->npoints; i++)
		if (shown(r, i))
			cJSON_AddItemToObject(points, r->dir ? r->points[i].name : r->points[i].oid,
			                      point_json(r, i));
}

/* On stderr: how many failed, and what the first one's failure means. */
static void explain_failed(const struct snmp_run *r, cJSON *doc)
{
	char msg[FM_TEXT_MAX * 4];
	const char *what = r->dir ? "point" : "OID";
	for (size_t i = 0; i < r->npoints; i++) {
		if (value_of(r, i)->status == FM_POINT_OK || !shown(r, i))
			continue;
		const char *why = reason(r, i);
		const char *advice = explain_snmp_advice(&r->o->snmp, why);
		if (r->dir)
			snprintf(msg, sizeof msg, "%s (%s): %s%s%s", r->points[i].name,
			         r->points[i].oid, without_oid(&r->points[i], why),
			         advice[0] ? " — " : "", advice);
		else
			snprintf(msg, sizeof msg, "%s%s%s", why, advice[0] ? " — " : "", advice);
		fprintf(stderr, "facmon probe: %zu of %zu %ss could not be read; the "
		        "first: %s\n", r->failed, count_shown(r), what, msg);
		if (doc)
			probe_json_error(doc, "oid", msg);
		return;
	}
}

/* The agent answered nothing: say why, exit 3. */
static int report_dead(const struct snmp_run *r, cJSON *doc)
{
	char msg[FM_TEXT_MAX * 4];
	const char *error = r->results[0] && r->results[0]->error[0]
	                    ? r->results[0]->error : "no answer (timeout)";
	const char *kind = probe_snmp_explain_dead(r->o, error, msg, sizeof msg);
	return probe_give_up(doc, kind, msg);
}

static int run(struct snmp_run *r, cJSON *doc)
{
	char err[FM_TEXT_MAX * 2], msg[FM_TEXT_MAX * 4];
	if (configure(r, err, sizeof err) != 0) {
		probe_fail(err);
		if (doc)
			cJSON_Delete(doc);
		return PROBE_EXIT_PROFILE;
	}
	r->ops->attach(r->state, poll_done, r);
	if (r->ops->open(r->state, err, sizeof err) != 0) {
		const char *kind = probe_snmp_explain_dead(r->o, err, msg, sizeof msg);
		return probe_give_up(doc, kind, msg);
	}
	if (!poll_agent(r))
		return report_dead(r, doc);
	name_slots(r);
	if (doc)
		add_points_json(r, doc);
	else
		print_text(r);
	if (r->failed)
		explain_failed(r, doc);
	if (doc)
		probe_json_print(doc);
	return r->failed ? PROBE_EXIT_NO_ANSWER : PROBE_EXIT_OK;
}

int probe_snmp(const struct probe_opts *o)
{
	struct snmp_run r = {.o = o};
	/* net-snmp's and the collector's log lines would repeat what the
	 * table and the message say. */
	log_set_level(FM_LOG_ERROR);
	int rc;
	if (o->mode == PROBE_MODE_PROFILE) {
		r.dir = probe_profile_dir(o);
		rc = probe_profile_load(o, r.dir, &r.profile);
		r.points = r.profile.points;
		r.npoints = r.profile.npoints;
	} else {
		rc = oid_points(&r) == 0 ? PROBE_EXIT_OK : PROBE_EXIT_PROFILE;
		if (rc != PROBE_EXIT_OK)
			probe_fail("out of memory");
	}
	if (rc != PROBE_EXIT_OK) {
		release(&r);
		return rc;
	}
	cJSON *doc = NULL;
	if (o->json) {
		doc = probe_json_start(o, 0);
		if (o->profile)
			cJSON_AddStringToObject(doc, "profile", o->profile);
	}
	rc = run(&r, doc);
	release(&r);
	return rc;
}
