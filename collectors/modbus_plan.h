/* modbus_plan.h - which requests read a device's points.
 *
 * Owns: coalescing a device's points into as few Modbus read requests as
 * the protocol allows (contiguous or overlapping addresses of one read kind
 * joined, at most 125 registers or 2000 bits per request). Pure: the same
 * points always give the same blocks, in address order per kind.
 */
#ifndef FACMON_MODBUS_PLAN_H
#define FACMON_MODBUS_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

/* One read request and the points it serves. */
struct mb_block {
	enum fm_read_kind read;
	uint16_t address;  /* first register / bit */
	uint16_t count;    /* registers or bits */
	size_t *points;    /* indexes into the device's points */
	size_t npoints;
};

struct mb_plan {
	struct mb_block *blocks;
	size_t nblocks;
};

/* Plans the reads for POINTS. MAX_GAP unused registers/bits may be read to
 * join two blocks (0: only contiguous or overlapping points join). Returns
 * 0, or -ENOMEM. */
int mb_plan_build(const struct fm_point *points, size_t npoints,
                  unsigned max_gap, struct mb_plan *plan);
void mb_plan_free(struct mb_plan *plan);

/* Registers or bits one point occupies for its read kind. */
unsigned mb_point_width(const struct fm_point *p);

#endif
