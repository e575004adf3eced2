/* report.c - `facmon report`: the monthly evidence report, written out.
 *
 * Owns: the command around report/: the store opened read-only (safe next
 * to a running agent), the config's engine as the catalog of its alerts
 * with the agent's own checks named as the running agent names them, the
 * report built and rendered in the chosen format to stdout or to a file.
 * A file is written beside its final name and renamed into place, so a
 * failed run never leaves half a report under that name; what is not a
 * regular file (a pipe, /dev/null) is written to, never replaced.
 */
#include "agent/report.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/run.h"
#include "base/clock.h"
#include "report/report.h"
#include "store/store.h"

int report_format_from_name(const char *name)
{
	if (strcmp(name, "html") == 0)
		return REPORT_HTML;
	if (strcmp(name, "csv") == 0)
		return REPORT_CSV;
	if (strcmp(name, "json") == 0)
		return REPORT_JSON;
	return -1;
}

static int render(const struct report *r, enum report_format f, FILE *out)
{
	switch (f) {
	case REPORT_HTML: return report_render_html(r, out);
	case REPORT_CSV: return report_render_csv(r, out);
	case REPORT_JSON: return report_render_json(r, out);
	}
	return -1;
}

/* Renders R to OUT, then flushes it; 0, or -1 with errno set. */
static int render_to(const struct report *r, enum report_format f, FILE *out)
{
	errno = 0;
	int rc = render(r, f, out);
	if (rc == 0 && fflush(out) != 0)
		rc = -1;
	return rc;
}

/* Renders R into PATH: a regular file (or a new one) through
 * PATH.tmp-<pid>, renamed into place; anything else (a FIFO, a terminal,
 * /dev/null) is written as it is, never replaced. 0, or -1 with ERR. */
static int write_file(const struct report *r, enum report_format f, const char *path,
                      char *err, size_t errlen)
{
	struct stat st;
	bool special = stat(path, &st) == 0 && !S_ISREG(st.st_mode);
	char tmp[FM_TEXT_MAX * 2];
	snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid());
	const char *target = special ? path : tmp;
	FILE *out = fopen(target, "w");
	if (!out) {
		snprintf(err, errlen, "%s: %s", target, strerror(errno));
		return -1;
	}
	int rc = render_to(r, f, out);
	if (rc == 0 && !special && fsync(fileno(out)) != 0)
		rc = -1;
	int saved = errno;
	if (fclose(out) != 0 && rc == 0) {
		rc = -1;
		saved = errno;
	}
	if (rc == 0 && !special && rename(tmp, path) != 0) {
		rc = -1;
		saved = errno;
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", path, saved ? strerror(saved) : "out of memory");
		if (!special)
			remove(tmp);
	}
	return rc;
}

/* The engine of CFG, as the agent builds it, for its list of alerts;
 * nothing is published through it. */
static struct engine *catalog_of(const struct fm_config *cfg)
{
	struct eng_publisher none = {0};
	struct engine *e = engine_create(cfg, &none, 0, 0);
	if (e)
		agent_name_self_alerts(e);
	return e;
}

static int build(const struct fm_config *cfg, const struct report_opts *o,
                 struct report **out, char *err, size_t errlen)
{
	struct fm_store *s;
	if (store_open_readonly(cfg->agent.state_dir, &s, err, errlen) < 0)
		return -1;
	char sha[CONFIG_HASH_LEN] = "";
	if (config_hash(cfg, sha) < 0)
		sha[0] = '\0';
	struct engine *catalog = catalog_of(cfg);
	struct report_request q = {.cfg = cfg, .catalog = catalog, .config_sha256 = sha,
	                           .year = o->year, .month = o->month,
	                           .now_ms = clock_wall_ms()};
	int rc = catalog ? report_build(s, &q, out, err, errlen) : -1;
	if (!catalog)
		snprintf(err, errlen, "out of memory");
	engine_destroy(catalog);
	store_close(s);
	return rc;
}

int report_write(const struct fm_config *cfg, const struct report_opts *o)
{
	char err[FM_TEXT_MAX * 3];
	struct report *r;
	if (build(cfg, o, &r, err, sizeof err) < 0) {
		fprintf(stderr, "facmon report: %s\n", err);
		return 1;
	}
	int rc;
	if (o->output) {
		rc = write_file(r, o->format, o->output, err, sizeof err);
	} else {
		rc = render_to(r, o->format, stdout);
		snprintf(err, sizeof err, "writing the report: %s",
		         errno ? strerror(errno) : "out of memory");
	}
	if (rc < 0)
		fprintf(stderr, "facmon report: %s\n", err);
	else if (r->chain_checked && !r->chain.intact)
		fprintf(stderr, "facmon report: the chain is broken at seq %llu: %s (the report "
		        "says so)\n", (unsigned long long)r->chain.bad_seq, r->chain.why);
	report_free(r);
	return rc < 0 ? 1 : 0;
}
