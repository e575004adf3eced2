/* probe_scan.c - `facmon probe --scan`: which unit ids answer on a line.
 *
 * Owns: asking every unit id of a range once for one value (--read,
 * --address) over one link, each bounded by the response timeout (200 ms
 * unless --timeout), and listing who answered. A unit that answers with a
 * Modbus exception exists: it only refused that register. A garbled answer
 * is listed too: a device is there, maybe at other serial settings, or a
 * slow one whose late answer met the next request. A gateway that drops
 * the connection is reconnected and the scan goes on.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "probe/probe_private.h"
#include "collectors/modbus_link.h"

enum scan_status { SCAN_SILENT, SCAN_ANSWERED, SCAN_EXCEPTION, SCAN_GARBLED, SCAN_LOST };

struct scan {
	const struct probe_opts *o;
	modbus_t *ctx;
	bool progress;        /* stderr is a terminal: show which id is asked */
	unsigned found, silent, garbled, lost;
	cJSON *doc, *units;   /* --json */
	char found_list[1024];
	char gone[FM_TEXT_MAX * 4]; /* why the scan stopped early */
};

static const char *status_name(enum scan_status s)
{
	static const char *const names[] = {
		[SCAN_SILENT] = "silent", [SCAN_ANSWERED] = "answered",
		[SCAN_EXCEPTION] = "exception", [SCAN_GARBLED] = "garbled",
		[SCAN_LOST] = "connection-lost",
	};
	return names[s];
}

static enum scan_status classify(int e)
{
	if (e == 0)
		return SCAN_ANSWERED;
	if (mb_errno_is_silence(e))
		return SCAN_SILENT;
	if (mb_errno_is_exception(e))
		return SCAN_EXCEPTION;
	if (mb_errno_is_link(e))
		return SCAN_LOST;
	return SCAN_GARBLED;
}

/* One line per unit that is there (and per trouble), as it is found. */
static void report_unit(struct scan *s, int unit, enum scan_status st, int e,
                        uint16_t reg, uint8_t bit)
{
	const struct probe_opts *o = s->o;
	bool bits = o->read == FM_READ_COIL || o->read == FM_READ_DISCRETE;
	char what[64];
	probe_range_text(o->read, o->address, 1, what, sizeof what);
	if (s->progress)
		fprintf(stderr, "\r%-40s\r", "");
	if (st == SCAN_ANSWERED && bits)
		printf("unit %d answers: %s = %u\n", unit, what, bit ? 1u : 0u);
	else if (st == SCAN_ANSWERED)
		printf("unit %d answers: %s = %u (0x%04X)\n", unit, what, reg, reg);
	else if (st == SCAN_EXCEPTION)
		printf("unit %d answers with %s (the unit exists; %s is "
		       "not readable on it)\n", unit, mb_strerror(e), what);
	else if (st == SCAN_GARBLED)
		printf("unit %d: a garbled answer (%s): a device may be there at other "
		       "serial settings, or a slow one answered late (try --timeout 500)\n",
		       unit, mb_strerror(e));
	else
		printf("unit %d: the connection was lost (%s); reconnecting\n", unit,
		       mb_strerror(e));
	fflush(stdout);
}

static void record(struct scan *s, int unit, enum scan_status st, int e,
                   uint16_t reg, uint8_t bit)
{
	bool bits = s->o->read == FM_READ_COIL || s->o->read == FM_READ_DISCRETE;
	if (st == SCAN_ANSWERED || st == SCAN_EXCEPTION) {
		size_t n = strlen(s->found_list);
		snprintf(s->found_list + n, sizeof s->found_list - n, "%s%d",
		         s->found ? ", " : "", unit);
		s->found++;
	}
	s->silent += st == SCAN_SILENT;
	s->garbled += st == SCAN_GARBLED;
	s->lost += st == SCAN_LOST;
	if (st != SCAN_SILENT && !s->doc)
		report_unit(s, unit, st, e, reg, bit);
	if (st == SCAN_SILENT || !s->doc)
		return;
	cJSON *u = cJSON_CreateObject();
	cJSON_AddNumberToObject(u, "unit", unit);
	cJSON_AddStringToObject(u, "status", status_name(st));
	if (st == SCAN_ANSWERED)
		cJSON_AddNumberToObject(u, "value", bits ? (bit != 0) : reg);
	else
		cJSON_AddStringToObject(u, "error", mb_strerror(e));
	cJSON_AddItemToArray(s->units, u);
}

/* After a lost link: reopen, or explain and give up (false). */
static bool reconnect(struct scan *s)
{
	char err[FM_TEXT_MAX * 2];
	mb_link_close(s->ctx);
	s->ctx = mb_link_open(&s->o->bus, err, sizeof err);
	if (s->ctx)
		return true;
	probe_explain_open(s->o, errno, err, s->gone, sizeof s->gone);
	probe_fail(s->gone);
	return false;
}

/* Asks one unit; false when the line is gone for good. */
static bool ask(struct scan *s, int unit)
{
	const struct probe_opts *o = s->o;
	uint16_t reg = 0;
	uint8_t bit = 0;
	if (s->progress)
		fprintf(stderr, "\rasking unit %d of %d-%d, %u found", unit, o->scan_from,
		        o->scan_to, s->found);
	int e = mb_link_read(s->ctx, unit, o->read, o->address, 1, &reg, &bit);
	enum scan_status st = classify(e);
	if (e != 0 && st != SCAN_LOST)
		mb_link_recover(s->ctx, e);
	record(s, unit, st, e, reg, bit);
	return st != SCAN_LOST || reconnect(s);
}

/* "unit ids 1-247", or "unit id 5". */
static void ids_text(const struct probe_opts *o, char *buf, size_t len)
{
	if (o->scan_from == o->scan_to)
		snprintf(buf, len, "unit id %d", o->scan_from);
	else
		snprintf(buf, len, "unit ids %d-%d", o->scan_from, o->scan_to);
}

static void print_summary(const struct scan *s, double seconds, bool complete)
{
	const struct probe_opts *o = s->o;
	char link[FM_TEXT_MAX + 32], ids[32];
	mb_link_describe(&o->bus, link, sizeof link);
	ids_text(o, ids, sizeof ids);
	printf("%s %s on %s in %.1f s (%d ms each): ",
	       complete ? "scanned" : "stopped scanning", ids, link, seconds,
	       o->bus.timeout_ms);
	if (s->found)
		printf("%u answered (%s)", s->found, s->found_list);
	else
		printf("none answered");
	printf(", %u silent", s->silent);
	if (s->garbled)
		printf(", %u garbled", s->garbled);
	printf("\n");
}

static void explain_nobody(const struct scan *s, char *msg, size_t len)
{
	const struct probe_opts *o = s->o;
	char link[FM_TEXT_MAX + 32];
	mb_link_describe(&o->bus, link, sizeof link);
	if (s->garbled)
		snprintf(msg, len, "no unit in %d-%d answered cleanly on %s, but %u "
		         "garbled answer%s came back, so something is there: try a "
		         "longer --timeout (a slow device's late answer meets the next "
		         "request) or other serial settings (--baud, --parity)",
		         o->scan_from, o->scan_to, link, s->garbled,
		         s->garbled == 1 ? "" : "s");
	else if (o->bus.type == FM_BUS_MODBUS_RTU)
		snprintf(msg, len, "no unit in %d-%d answered on %s: check the wiring "
		         "(A/B swapped?), the baud rate and parity (try --baud 19200, "
		         "--parity even), termination and that the devices are powered",
		         o->scan_from, o->scan_to, link);
	else
		snprintf(msg, len, "no unit in %d-%d answered at %s: check the gateway's "
		         "serial settings and the RS-485 wiring behind it, and that the "
		         "devices are powered", o->scan_from, o->scan_to, link);
}

static void finish_json(struct scan *s, double seconds, bool complete)
{
	cJSON_AddNumberToObject(s->doc, "seconds", seconds);
	cJSON_AddBoolToObject(s->doc, "complete", complete);
	cJSON_AddNumberToObject(s->doc, "answered", s->found);
	cJSON_AddNumberToObject(s->doc, "silent", s->silent);
	cJSON_AddNumberToObject(s->doc, "garbled", s->garbled);
	if (!complete) {
		probe_json_error(s->doc, "connection", s->gone);
	} else if (!s->found) {
		char msg[FM_TEXT_MAX * 2];
		explain_nobody(s, msg, sizeof msg);
		probe_json_error(s->doc, "no-answer", msg);
	}
	probe_json_print(s->doc);
}

static void scan_start(struct scan *s, const struct probe_opts *o)
{
	s->o = o;
	s->progress = isatty(STDERR_FILENO);
	if (o->json) {
		s->doc = probe_json_start(o, 0);
		cJSON_AddStringToObject(s->doc, "read", read_kind_name(o->read));
		cJSON_AddNumberToObject(s->doc, "address", o->address);
		cJSON_AddNumberToObject(s->doc, "from", o->scan_from);
		cJSON_AddNumberToObject(s->doc, "to", o->scan_to);
		s->units = cJSON_AddArrayToObject(s->doc, "units");
	}
}

/* Says up front how long the scan may take: it can be most of a minute. */
static void print_intro(const struct probe_opts *o)
{
	char link[FM_TEXT_MAX + 32], what[64], ids[32];
	int n = o->scan_to - o->scan_from + 1;
	mb_link_describe(&o->bus, link, sizeof link);
	probe_range_text(o->read, o->address, 1, what, sizeof what);
	ids_text(o, ids, sizeof ids);
	printf("scanning %s on %s for %s, %d ms each (at most %.1f s)\n", ids, link,
	       what, o->bus.timeout_ms, n * o->bus.timeout_ms / 1000.0);
	fflush(stdout);
}

int probe_scan(const struct probe_opts *o)
{
	struct scan s = {0};
	char err[FM_TEXT_MAX * 2], msg[FM_TEXT_MAX * 4];
	scan_start(&s, o);
	int64_t t0 = clock_mono_ms();
	s.ctx = mb_link_open(&o->bus, err, sizeof err);
	if (!s.ctx) {
		probe_explain_open(o, errno, err, msg, sizeof msg);
		return probe_give_up(s.doc, "connection", msg);
	}
	if (!s.doc)
		print_intro(o);
	bool complete = true;
	for (int unit = o->scan_from; unit <= o->scan_to && complete; unit++)
		complete = ask(&s, unit);
	mb_link_close(s.ctx);
	double seconds = (double)(clock_mono_ms() - t0) / 1000.0;
	if (s.progress)
		fprintf(stderr, "\r%-40s\r", "");
	if (s.doc)
		finish_json(&s, seconds, complete);
	else
		print_summary(&s, seconds, complete);
	if (s.found == 0 && complete) {
		explain_nobody(&s, msg, sizeof msg);
		probe_fail(msg);
	}
	return s.found > 0 ? PROBE_EXIT_OK : PROBE_EXIT_NO_ANSWER;
}
