/* fuzz_modbus_plan.c - libFuzzer target: Modbus read planning.
 *
 * Owns: turning an input into a device's limits and points as the config
 * would accept them, planning the reads, splitting blocks as the collector
 * does when a request fails, and checking what the collector relies on:
 * every point is in exactly one block, of its read kind, whose registers
 * cover all of the point's; a block stays within the device's limit unless
 * it holds one span wider than that; a plan's blocks come in kind and
 * address order.
 *
 * Input: max_registers, max_gap, coalesce (1 byte each), then per point 4
 * bytes: read kind and type, bit, address (big-endian); then bytes that
 * pick the blocks to split.
 */
#include <stdlib.h>
#include <string.h>

#include "collectors/modbus_plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_POINTS_MAX 512

static bool fuzz_bit_read(enum fm_read_kind k)
{
	return k == FM_READ_COIL || k == FM_READ_DISCRETE;
}

/* One point from 4 bytes, as the config's checks leave it. */
static bool fuzz_point(const uint8_t b[4], struct fm_point *p)
{
	*p = (struct fm_point){ .bit = -1, .scale = 1 };
	p->read = (enum fm_read_kind)(b[0] & 3);
	p->type = (enum fm_value_type)((b[0] >> 2) % (FM_TYPE_FLOAT64 + 1));
	if (fuzz_bit_read(p->read))
		p->type = FM_TYPE_BOOL;
	else if (b[1] < 16 && (p->type == FM_TYPE_INT16 || p->type == FM_TYPE_UINT16))
		p->bit = b[1];
	p->address = (uint16_t)(b[2] << 8 | b[3]);
	return (uint32_t)p->address + mb_point_width(p) <= 65536;
}

static unsigned fuzz_limit(const struct mb_limits *l, enum fm_read_kind k)
{
	return fuzz_bit_read(k) ? l->max_bits : l->max_registers;
}

/* All points of block B on one span of exactly its width. */
static bool fuzz_one_span(const struct mb_block *b, const struct fm_point *pts)
{
	for (size_t k = 0; k < b->npoints; k++) {
		const struct fm_point *p = &pts[b->points[k]];
		if (p->address != b->address || mb_point_width(p) != b->count)
			return false;
	}
	return true;
}

static void fuzz_check(const struct mb_plan *plan, const struct fm_point *pts,
                       size_t n, const struct mb_limits *l)
{
	unsigned char seen[FUZZ_POINTS_MAX] = { 0 };
	for (size_t i = 0; i < plan->nblocks; i++) {
		const struct mb_block *b = &plan->blocks[i];
		if (b->npoints == 0 || b->count == 0)
			abort();
		if (l && b->count > fuzz_limit(l, b->read) && !fuzz_one_span(b, pts))
			abort();
		if (l && i > 0) { /* a split block's parts may pass the next one */
			const struct mb_block *a = &plan->blocks[i - 1];
			if (a->read > b->read || (a->read == b->read && a->address > b->address))
				abort();
		}
		for (size_t k = 0; k < b->npoints; k++) {
			size_t pi = b->points[k];
			if (pi >= n || seen[pi]++)
				abort();
			const struct fm_point *p = &pts[pi];
			if (p->read != b->read || p->address < b->address ||
			    (uint32_t)p->address + mb_point_width(p) >
			            (uint32_t)b->address + b->count)
				abort();
		}
	}
	for (size_t i = 0; i < n; i++)
		if (!seen[i])
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return -1;
	struct fm_device dev = {
		.max_registers = data[0] % FM_MODBUS_MAX_REGISTERS + 1,
		.max_gap = data[1] % FM_MODBUS_MAX_REGISTERS,
		.coalesce = data[2] & 1,
	};
	struct mb_limits l = mb_limits_for(&dev);
	data += 3;
	size -= 3;

	static struct fm_point pts[FUZZ_POINTS_MAX];
	size_t n = 0;
	for (; size >= 4 && n < FUZZ_POINTS_MAX; data += 4, size -= 4)
		if (fuzz_point(data, &pts[n]))
			n++;

	struct mb_plan plan;
	if (mb_plan_build(pts, n, &l, &plan) != 0)
		return 0;
	fuzz_check(&plan, pts, n, &l);
	for (; size > 0 && plan.nblocks > 0; data++, size--) {
		size_t before = plan.nblocks, b = *data % plan.nblocks;
		int got = mb_plan_split(&plan, b, pts);
		if (got < 0 || plan.nblocks != before - (got > 0) + (size_t)got)
			abort();
		fuzz_check(&plan, pts, n, NULL);
	}
	mb_plan_free(&plan);
	return 0;
}
