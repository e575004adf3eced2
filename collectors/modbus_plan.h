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

/* How far a device lets requests be joined. */
struct mb_limits {
	unsigned max_registers; /* per holding/input request, 1..125 */
	unsigned max_bits;      /* per coil/discrete request, 1..2000 */
	unsigned max_gap;       /* unused registers/bits read to join two blocks */
};

/* The protocol's limits: contiguous or overlapping points join. */
extern const struct mb_limits mb_limits_default;
/* The limits a device's config asks for: max_registers, max_gap, and
 * coalesce = false as limits of one register and one bit (each point is
 * read alone, but bits of one register still come with one request). */
struct mb_limits mb_limits_for(const struct fm_device *dev);

/* Plans the reads for POINTS within LIMITS. Returns 0, or -ENOMEM. */
int mb_plan_build(const struct fm_point *points, size_t npoints,
                  const struct mb_limits *limits, struct mb_plan *plan);
void mb_plan_free(struct mb_plan *plan);

/* Replaces block B with one block per distinct point span, in address
 * order, so that the points a failing request carried can be read apart.
 * A block of one point is left alone (returns 0, nothing changes).
 * Returns the number of blocks B became, or -ENOMEM (PLAN unchanged). */
int mb_plan_split(struct mb_plan *plan, size_t b, const struct fm_point *points);

/* Registers or bits one point occupies for its read kind. */
unsigned mb_point_width(const struct fm_point *p);

#endif
