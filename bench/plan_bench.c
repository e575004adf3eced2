/* plan_bench.c - requests and wire time per poll cycle for a room config.
 *
 * Loads a facmon config (bench/room.cfg: a realistic room), plans every
 * device's reads with the agent's own planner, and compares the requests per
 * poll cycle with what a collector that reads one point per request sends
 * (as several peers do when each register is configured on its own). For an
 * RTU line it computes the time the cycle occupies the wire at the line's
 * baud rate from the bytes each request and answer put on it: 11 bit times
 * per character (start, 8 data, parity or a second stop bit, stop: the
 * Modbus serial line spec) plus the 3.5-character silence that ends each
 * frame. Device turnaround is left out: this is the physical limit of the
 * line, the floor no collector can beat.
 *
 * With --points it prints instead every point of every device as the
 * agent loaded it (profile and device points merged), one tab-separated
 * line each: what bench/collectd_conf.py turns into the peer's config, so
 * both read the same registers without a second parser of profiles.
 *
 * Usage: facmon-bench-plan [-c bench/room.cfg] [--baud N] [--points]
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/modbus_plan.h"
#include "config/config.h"

#define RTU_REQUEST_BYTES 8 /* unit, fc, address(2), count(2), crc(2) */
#define RTU_ANSWER_OVERHEAD 5 /* unit, fc, byte count, crc(2) */
#define BITS_PER_CHAR 11.0
#define FRAME_GAP_CHARS 3.5

struct totals {
	unsigned requests;
	unsigned long wire_chars; /* characters, incl. the 3.5-char gaps */
};

static unsigned answer_bytes(enum fm_read_kind read, unsigned count)
{
	bool bits = read == FM_READ_COIL || read == FM_READ_DISCRETE;
	return RTU_ANSWER_OVERHEAD + (bits ? (count + 7) / 8 : 2 * count);
}

static void add_request(struct totals *t, enum fm_read_kind read, unsigned count)
{
	t->requests++;
	/* request + gap, answer + gap, in tenths of a character */
	t->wire_chars += (unsigned long)(10 * (RTU_REQUEST_BYTES + FRAME_GAP_CHARS) +
	                                 10 * (answer_bytes(read, count) + FRAME_GAP_CHARS));
}

static void plan_device(const struct fm_device *d, struct totals *planned,
                        struct totals *per_point)
{
	struct mb_limits limits = mb_limits_for(d);
	struct mb_plan plan;
	if (mb_plan_build(d->points, d->npoints, &limits, &plan) < 0) {
		fprintf(stderr, "%s: out of memory\n", d->name);
		exit(1);
	}
	for (size_t b = 0; b < plan.nblocks; b++)
		add_request(planned, plan.blocks[b].read, plan.blocks[b].count);
	for (size_t p = 0; p < d->npoints; p++)
		add_request(per_point, d->points[p].read, mb_point_width(&d->points[p]));
	mb_plan_free(&plan);
}

/* device bus unit profile point read address type order bit scale offset
 * oid (SNMP points: the OID, Modbus ones "-") */
static void print_points(const struct fm_config *cfg)
{
	printf("device\tbus\tunit\tprofile\tpoint\tread\taddress\ttype\torder\tbit"
	       "\tscale\toffset\toid\n");
	for (size_t i = 0; i < cfg->ndevices; i++) {
		const struct fm_device *d = &cfg->devices[i];
		for (size_t p = 0; p < d->npoints; p++) {
			const struct fm_point *pt = &d->points[p];
			printf("%s\t%s\t%d\t%s\t%s\t%s\t%u\t%s\t%s\t%d\t%.17g\t%.17g\t%s\n",
			       d->name, d->bus, d->unit, d->profile, pt->name,
			       read_kind_name(pt->read), (unsigned)pt->address,
			       value_type_name(pt->type), word_order_name(pt->order),
			       pt->bit, pt->scale, pt->offset, pt->oid[0] ? pt->oid : "-");
		}
	}
}

static double cycle_ms(const struct totals *t, int baud)
{
	return (double)t->wire_chars / 10.0 * BITS_PER_CHAR * 1000.0 / baud;
}

int main(int argc, char **argv)
{
	const char *path = "bench/room.cfg";
	int baud = 9600, c;
	bool points_only = false;
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"baud", required_argument, NULL, 'b'},
		{"points", no_argument, NULL, 'p'},
		{NULL, 0, NULL, 0},
	};
	while ((c = getopt_long(argc, argv, "c:b:", opts, NULL)) != -1) {
		if (c == 'c')
			path = optarg;
		else if (c == 'b')
			baud = atoi(optarg) > 0 ? atoi(optarg) : 9600;
		else if (c == 'p')
			points_only = true;
		else
			return 2;
	}
	struct fm_diags diags = {0};
	struct fm_config *cfg = config_load(path, &diags);
	for (size_t i = 0; i < diags.count; i++)
		fprintf(stderr, "%s:%d: %s\n", diags.items[i].file, diags.items[i].line,
		        diags.items[i].message);
	diags_free(&diags);
	if (!cfg)
		return 1;
	if (points_only) {
		print_points(cfg);
		config_free(cfg);
		return 0;
	}

	struct totals planned = {0}, per_point = {0};
	struct totals *bus_planned = calloc(cfg->nbuses + 1, sizeof *bus_planned);
	struct totals *bus_point = calloc(cfg->nbuses + 1, sizeof *bus_point);
	size_t points = 0;
	if (!bus_planned || !bus_point)
		return 1;
	printf("%-14s %-26s %7s %9s %10s\n", "device", "profile", "points", "requests",
	       "per-point");
	for (size_t i = 0; i < cfg->ndevices; i++) {
		const struct fm_device *d = &cfg->devices[i];
		struct totals dp = {0}, dq = {0};
		plan_device(d, &dp, &dq);
		printf("%-14s %-26s %7zu %9u %10u\n", d->name, d->profile, d->npoints,
		       dp.requests, dq.requests);
		for (size_t b = 0; b < cfg->nbuses; b++)
			if (strcmp(cfg->buses[b].name, d->bus) == 0) {
				bus_planned[b].requests += dp.requests;
				bus_planned[b].wire_chars += dp.wire_chars;
				bus_point[b].requests += dq.requests;
				bus_point[b].wire_chars += dq.wire_chars;
			}
		planned.requests += dp.requests;
		planned.wire_chars += dp.wire_chars;
		per_point.requests += dq.requests;
		per_point.wire_chars += dq.wire_chars;
		points += d->npoints;
	}
	printf("\n%zu devices, %zu points\n", cfg->ndevices, points);
	printf("requests per poll cycle: %u coalesced, %u one per point (%.1fx fewer)\n",
	       planned.requests, per_point.requests,
	       (double)per_point.requests / (planned.requests ? planned.requests : 1));
	printf("RTU wire time per poll cycle at %d baud (11 bits/char, 3.5-char gaps, no "
	       "device turnaround):\n", baud);
	printf("  %-8s %9s %10s %12s %12s\n", "line", "requests", "per-point",
	       "coalesced", "per-point");
	double worst = 0, worst_pp = 0;
	for (size_t b = 0; b < cfg->nbuses; b++) {
		double ms = cycle_ms(&bus_planned[b], baud), pp = cycle_ms(&bus_point[b], baud);
		printf("  %-8s %9u %10u %9.0f ms %9.0f ms\n", cfg->buses[b].name,
		       bus_planned[b].requests, bus_point[b].requests, ms, pp);
		worst = ms > worst ? ms : worst;
		worst_pp = pp > worst_pp ? pp : worst_pp;
	}
	printf("  lines run in parallel: the room's cycle is its slowest line, "
	       "%.0f ms coalesced, %.0f ms one per point\n", worst, worst_pp);
	free(bus_planned);
	free(bus_point);
	config_free(cfg);
	return 0;
}
