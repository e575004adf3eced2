/* probe_profile.c - `facmon probe --profile`: a device model's points, read
 * the way the agent reads them.
 *
 * Owns: loading one profile (config_load_profile, so its problems are the
 * loader's FILE:LINE messages; an SNMP profile on a Modbus probe, or the
 * reverse, is refused; probe_snmp.c loads its profiles here too), polling
 * the unit once through the real collector for the bus type (same request
 * coalescing, same splitting of a block on an exception, same decoding),
 * and printing every point with its value and unit or why it failed.
 *
 * DESIGN: a poll result carries only its first error, but a commissioning
 * engineer wants each failed point's own reason. So the collector is
 * configured with the whole device first and then each point as a device
 * of its own (same unit); a point that failed in the poll is asked again
 * alone for its reason. A unit that did not answer at all is not asked
 * again: that would cost a timeout per point to learn nothing new.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "probe/probe_private.h"
#include "collectors/collector.h"
#include "collectors/modbus_link.h"

struct profile_run {
	const struct probe_opts *o;
	const char *dir;
	struct fm_profile profile;
	struct fm_point *points;         /* the profile's */
	size_t npoints;
	struct fm_device *devices;       /* [0] the whole device, [1+i] point i */
	const struct fm_device **devptrs;
	const struct fm_collector_ops *ops;
	void *state;
	struct fm_poll_result poll;
	int *reasons;                    /* per point: errno of its failure, or 0 */
	size_t failed;
};

const char *probe_profile_dir(const struct probe_opts *o)
{
	const char *env = getenv("FACMON_PROFILE_DIR");
	if (o->profile_dir)
		return o->profile_dir;
	return env && env[0] ? env : config_default_profile_dir();
}

static int cfg_file(const struct dirent *e)
{
	size_t n = strlen(e->d_name);
	return n > 4 && strcmp(e->d_name + n - 4, ".cfg") == 0;
}

/* "known profiles in DIR: a b c" when NAME has no file there. */
static void list_profiles(const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, cfg_file, alphasort);
	if (n < 0)
		return;
	fprintf(stderr, "facmon probe: known profiles in %s:", dir);
	for (int i = 0; i < n; i++) {
		fprintf(stderr, " %.*s", (int)(strlen(names[i]->d_name) - 4), names[i]->d_name);
		free(names[i]);
	}
	fprintf(stderr, "%s\n", n == 0 ? " none" : "");
	free(names);
}

/* A profile of the other kind of device than the probe's transport. */
static int wrong_kind(const struct probe_opts *o, const struct fm_point *points)
{
	bool snmp = points[0].oid[0] != '\0'; /* a profile is all of one kind */
	if (snmp == (o->bus.type == FM_BUS_SNMP))
		return PROBE_EXIT_OK;
	if (snmp)
		fprintf(stderr, "facmon probe: profile %s is for SNMP agents (its points "
		        "are OIDs): facmon probe snmp HOST[:PORT] --profile %s\n",
		        o->profile, o->profile);
	else
		fprintf(stderr, "facmon probe: profile %s is for Modbus devices (its points "
		        "are registers): facmon probe tcp HOST[:PORT] -u UNIT --profile %s, "
		        "or rtu DEVICE\n", o->profile, o->profile);
	fprintf(stderr, "Run 'facmon probe --help' for the options and examples.\n");
	return PROBE_EXIT_USAGE;
}

int probe_profile_load(const struct probe_opts *o, const char *dir, struct fm_profile *out)
{
	struct fm_diags diags = {0};
	if (config_profile_load(dir, o->profile, out, &diags) == 0) {
		diags_free(&diags);
		return out->npoints ? wrong_kind(o, out->points) : PROBE_EXIT_OK;
	}
	for (size_t i = 0; i < diags.count; i++) {
		const struct fm_diag *g = &diags.items[i];
		if (g->line > 0)
			fprintf(stderr, "%s:%d: %s\n", g->file, g->line, g->message);
		else
			fprintf(stderr, "%s: %s\n", g->file, g->message);
	}
	char path[FM_TEXT_MAX * 2];
	snprintf(path, sizeof path, "%s/%s.cfg", dir, o->profile);
	if (access(path, F_OK) != 0)
		list_profiles(dir);
	diags_free(&diags);
	return PROBE_EXIT_PROFILE;
}

static void device_init(struct fm_device *d, const struct probe_opts *o,
                        struct fm_point *points, size_t npoints)
{
	snprintf(d->name, sizeof d->name, "%s", o->profile);
	snprintf(d->bus, sizeof d->bus, "%s", o->bus.name);
	snprintf(d->profile, sizeof d->profile, "%s", o->profile);
	d->unit = o->unit;
	d->interval = 1;
	d->down_after = 1;
	d->max_registers = FM_MODBUS_MAX_REGISTERS;
	d->max_gap = 0;
	d->coalesce = true;
	d->points = points;
	d->npoints = npoints;
}

static int configure(struct profile_run *r, char *err, size_t errlen)
{
	size_t n = r->npoints + 1;
	r->devices = calloc(n, sizeof *r->devices);
	r->devptrs = calloc(n, sizeof *r->devptrs);
	r->reasons = calloc(r->npoints, sizeof *r->reasons);
	r->poll.values = calloc(r->npoints, sizeof *r->poll.values);
	r->ops = collector_for_bus(r->o->bus.type);
	if (!r->devices || !r->devptrs || !r->reasons || !r->poll.values || !r->ops) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r->poll.nvalues = r->npoints;
	device_init(&r->devices[0], r->o, r->points, r->npoints);
	for (size_t i = 0; i < r->npoints; i++)
		device_init(&r->devices[1 + i], r->o, &r->points[i], 1);
	for (size_t i = 0; i < n; i++)
		r->devptrs[i] = &r->devices[i];
	return r->ops->configure(&r->o->bus, r->devptrs, n, &r->state, err, errlen);
}

static void release(struct profile_run *r)
{
	if (r->ops && r->state)
		r->ops->release(r->state);
	config_profile_free(&r->profile);
	free(r->devices);
	free(r->devptrs);
	free(r->reasons);
	free(r->poll.values);
}

/* Asks point I alone; its errno, or 0 if it reads now. */
static int ask_alone(struct profile_run *r, size_t i)
{
	struct fm_point_value v;
	struct fm_poll_result one = {.values = &v, .nvalues = 1};
	int rc = r->ops->read(r->state, 1 + i, &one);
	if (rc == 0 && one.values[0].status == FM_POINT_OK) {
		r->poll.values[i] = v; /* it answered this time */
		return 0;
	}
	return rc < 0 ? -rc : EMBBADDATA;
}

/* The poll, then each failed point's own reason, unless the unit or the
 * link is gone altogether. Returns the errno that failed the whole poll. */
static int poll_device(struct profile_run *r)
{
	int rc = r->ops->read(r->state, 0, &r->poll);
	int e = rc < 0 ? -rc : 0;
	if (r->poll.connection_lost || (e && mb_errno_is_silence(e)))
		return e ? e : ENOTCONN;
	for (size_t i = 0; i < r->npoints; i++)
		if (r->poll.values[i].status != FM_POINT_OK)
			r->reasons[i] = ask_alone(r, i);
	for (size_t i = 0; i < r->npoints; i++)
		r->failed += r->poll.values[i].status != FM_POINT_OK;
	return 0;
}

/* ---- output ------------------------------------------------------------ */

static void point_address(const struct fm_point *p, char *buf, size_t len)
{
	if (p->bit >= 0)
		snprintf(buf, len, "%u.%d", p->address, p->bit);
	else
		snprintf(buf, len, "%u", p->address);
}

static void point_type(const struct fm_point *p, char *buf, size_t len)
{
	if (value_type_registers(p->type) > 1 && p->bit < 0)
		snprintf(buf, len, "%s %s", value_type_name(p->type), word_order_name(p->order));
	else
		snprintf(buf, len, "%s", value_type_name(p->type));
}

static void print_text(const struct profile_run *r)
{
	char where[FM_TEXT_MAX + 64], addr[24], type[24], value[64];
	probe_where(r->o, r->o->unit, where, sizeof where);
	unsigned requests = r->poll.requests_ok + r->poll.requests_failed;
	printf("%s: profile %s (%s/%s.cfg): %zu point%s in %u request%s, %u failed\n",
	       where, r->o->profile, r->dir, r->o->profile, r->npoints,
	       r->npoints == 1 ? "" : "s", requests, requests == 1 ? "" : "s",
	       r->poll.requests_failed);
	printf("%-24s %-9s %-8s %-13s %s\n", "POINT", "READ", "ADDRESS", "TYPE", "VALUE");
	for (size_t i = 0; i < r->npoints; i++) {
		const struct fm_point *p = &r->points[i];
		point_address(p, addr, sizeof addr);
		point_type(p, type, sizeof type);
		if (r->poll.values[i].status == FM_POINT_OK) {
			probe_format_value(p, r->poll.values[i].value, value, sizeof value);
			printf("%-24s %-9s %-8s %-13s %s%s%s\n", p->name, read_kind_name(p->read),
			       addr, type, value, p->unit[0] ? " " : "", p->unit);
		} else {
			printf("%-24s %-9s %-8s %-13s FAILED: %s\n", p->name,
			       read_kind_name(p->read), addr, type,
			       mb_strerror(r->reasons[i] ? r->reasons[i] : EMBBADDATA));
		}
	}
}

static cJSON *point_json(const struct profile_run *r, size_t i)
{
	const struct fm_point *p = &r->points[i];
	cJSON *o = cJSON_CreateObject();
	if (r->poll.values[i].status == FM_POINT_OK)
		cJSON_AddNumberToObject(o, "v", r->poll.values[i].value);
	else
		cJSON_AddNullToObject(o, "v");
	if (p->unit[0])
		cJSON_AddStringToObject(o, "unit", p->unit);
	cJSON_AddStringToObject(o, "read", read_kind_name(p->read));
	cJSON_AddNumberToObject(o, "address", p->address);
	if (p->bit >= 0)
		cJSON_AddNumberToObject(o, "bit", p->bit);
	cJSON_AddStringToObject(o, "type", value_type_name(p->type));
	if (r->poll.values[i].status != FM_POINT_OK)
		cJSON_AddStringToObject(o, "error", mb_strerror(r->reasons[i] ? r->reasons[i]
		                                                                    : EMBBADDATA));
	return o;
}

static void add_points_json(const struct profile_run *r, cJSON *doc)
{
	cJSON_AddNumberToObject(doc, "requests_ok", r->poll.requests_ok);
	cJSON_AddNumberToObject(doc, "requests_failed", r->poll.requests_failed);
	cJSON *points = cJSON_AddObjectToObject(doc, "points");
	for (size_t i = 0; i < r->npoints; i++)
		cJSON_AddItemToObject(points, r->points[i].name, point_json(r, i));
}

/* On stderr: how many failed, and what the first one's failure means. */
static void explain_failed(const struct profile_run *r, cJSON *doc)
{
	char what[FM_NAME_MAX + 64], msg[FM_TEXT_MAX * 4];
	for (size_t i = 0; i < r->npoints; i++) {
		const struct fm_point *p = &r->points[i];
		if (r->poll.values[i].status == FM_POINT_OK)
			continue;
		struct probe_opts o = *r->o;
		o.read = p->read;
		snprintf(what, sizeof what, "%s %u (%s)", read_kind_name(p->read),
		         p->address, p->name);
		const char *kind = probe_explain(&o, o.unit, r->reasons[i] ? r->reasons[i]
		                                 : EMBBADDATA, what, msg, sizeof msg);
		fprintf(stderr, "facmon probe: %zu of %zu points could not be read; the "
		        "first: %s\n", r->failed, r->npoints, msg);
		if (doc)
			probe_json_error(doc, kind, msg);
		return;
	}
}

/* The whole poll failed (no answer, link lost): say why, exit 3. */
static int report_dead(const struct profile_run *r, int e, cJSON *doc)
{
	char what[64], msg[FM_TEXT_MAX * 4];
	snprintf(what, sizeof what, "profile %s", r->o->profile);
	const char *kind = probe_explain(r->o, r->o->unit, e, what, msg, sizeof msg);
	return probe_give_up(doc, kind, msg);
}

static int run(struct profile_run *r, cJSON *doc)
{
	char err[FM_TEXT_MAX * 2], msg[FM_TEXT_MAX * 4];
	if (configure(r, err, sizeof err) != 0) {
		probe_fail(err);
		return PROBE_EXIT_PROFILE;
	}
	int e = r->ops->open(r->state, err, sizeof err);
	if (e != 0) {
		probe_explain_open(r->o, -e, err, msg, sizeof msg);
		return probe_give_up(doc, "connection", msg);
	}
	e = poll_device(r);
	if (e)
		return report_dead(r, e, doc);
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

int probe_profile(const struct probe_opts *o)
{
	struct profile_run r = {.o = o, .dir = probe_profile_dir(o)};
	/* The collector's own log lines (a block split on an exception) would
	 * repeat what the table says per point. */
	log_set_level(FM_LOG_ERROR);
	int rc = probe_profile_load(o, r.dir, &r.profile);
	r.points = r.profile.points;
	r.npoints = r.profile.npoints;
	if (rc != PROBE_EXIT_OK) {
		release(&r);
		return rc;
	}
	cJSON *doc = NULL;
	if (o->json) {
		doc = probe_json_start(o, o->unit);
		cJSON_AddStringToObject(doc, "profile", o->profile);
	}
	rc = run(&r, doc);
	release(&r);
	return rc;
}
