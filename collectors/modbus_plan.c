/* modbus_plan.c - coalescing a device's points into Modbus read requests.
 *
 * Owns: mb_plan_build(), declared in modbus_plan.h. Pure.
 *
 * Each point becomes a span [start, end) of registers or bits. The spans
 * are sorted by read kind (holding, input, coil, discrete: the enum order),
 * then address, then point index, and swept once: a span joins the current
 * block when it starts at or before the block's end plus max_gap and the
 * joined block stays within the limit (the protocol's 125 registers / 2000
 * bits, or a device's max_registers). A span wider than the limit still
 * gets a block of its own.
 * Spans that overlap (two bits of one status word, a bit of a float's
 * second register) therefore share a block. A single point is at most 4
 * registers wide, so every point fits in a block of its own.
 */
#include "collectors/modbus_plan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct mb_span {
	enum fm_read_kind read;
	uint32_t start;
	uint32_t end; /* exclusive; 32 bits so address 65535 + 4 cannot wrap */
	size_t point;
	size_t block; /* filled by the sweep */
};

static bool mb_reads_bits(enum fm_read_kind k)
{
	return k == FM_READ_COIL || k == FM_READ_DISCRETE;
}

const struct mb_limits mb_limits_default = {
	.max_registers = FM_MODBUS_MAX_REGISTERS,
	.max_bits = FM_MODBUS_MAX_BITS,
	.max_gap = 0,
};

struct mb_limits mb_limits_for(const struct fm_device *dev)
{
	struct mb_limits l = mb_limits_default;
	if (dev->max_registers > 0 && dev->max_registers < FM_MODBUS_MAX_REGISTERS)
		l.max_registers = (unsigned)dev->max_registers;
	l.max_gap = dev->max_gap > 0 ? (unsigned)dev->max_gap : 0;
	if (!dev->coalesce) {
		l.max_registers = l.max_bits = 1;
		l.max_gap = 0;
	}
	return l;
}

static uint32_t mb_kind_limit(const struct mb_limits *l, enum fm_read_kind k)
{
	return mb_reads_bits(k) ? l->max_bits : l->max_registers;
}

unsigned mb_point_width(const struct fm_point *p)
{
	if (mb_reads_bits(p->read) || p->bit >= 0)
		return 1;
	return (unsigned)value_type_registers(p->type);
}

static int mb_span_cmp(const void *a, const void *b)
{
	const struct mb_span *x = a, *y = b;

	if (x->read != y->read)
		return x->read < y->read ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return (x->point > y->point) - (x->point < y->point);
}

/* Assigns each sorted span its block number; returns the number of blocks. */
static size_t mb_sweep(struct mb_span *spans, size_t n, const struct mb_limits *l)
{
	size_t nblocks = 0;
	uint32_t bstart = 0, bend = 0;

	for (size_t i = 0; i < n; i++) {
		struct mb_span *s = &spans[i];
		uint32_t end = s->end > bend ? s->end : bend;
		bool joins = i > 0 && s->read == spans[i - 1].read &&
		             (uint64_t)s->start <= (uint64_t)bend + l->max_gap &&
		             end - bstart <= mb_kind_limit(l, s->read);
		if (joins) {
			bend = end;
		} else {
			nblocks++;
			bstart = s->start;
			bend = s->end;
		}
		s->block = nblocks - 1;
	}
	return nblocks;
}

/* Fills PLAN's blocks from the swept spans. Returns 0 or -ENOMEM. */
static int mb_fill_blocks(const struct mb_span *spans, size_t n,
                          struct mb_plan *plan)
{
	for (size_t i = 0; i < n; i++) {
		struct mb_block *b = &plan->blocks[spans[i].block];
		if (b->npoints == 0) {
			b->read = spans[i].read;
			b->address = (uint16_t)spans[i].start;
		}
		uint32_t count = spans[i].end - b->address;
		if (count > b->count)
			b->count = (uint16_t)count;
		b->npoints++;
	}
	for (size_t i = 0; i < plan->nblocks; i++) {
		struct mb_block *b = &plan->blocks[i];
		b->points = malloc(b->npoints * sizeof *b->points);
		if (b->points == NULL)
			return -ENOMEM;
		b->npoints = 0;
	}
	for (size_t i = 0; i < n; i++) {
		struct mb_block *b = &plan->blocks[spans[i].block];
		b->points[b->npoints++] = spans[i].point;
	}
	return 0;
}

int mb_plan_build(const struct fm_point *points, size_t npoints,
                  const struct mb_limits *limits, struct mb_plan *plan)
{
	int rc = 0;

	plan->blocks = NULL;
	plan->nblocks = 0;
	if (npoints == 0)
		return 0;

	struct mb_span *spans = malloc(npoints * sizeof *spans);
	if (spans == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < npoints; i++) {
		spans[i] = (struct mb_span){
			.read = points[i].read,
			.start = points[i].address,
			.end = (uint32_t)points[i].address + mb_point_width(&points[i]),
			.point = i,
		};
	}
	qsort(spans, npoints, sizeof *spans, mb_span_cmp);

	size_t nblocks = mb_sweep(spans, npoints, limits);
	plan->blocks = calloc(nblocks, sizeof *plan->blocks);
	if (plan->blocks == NULL) {
		rc = -ENOMEM;
		goto free_spans;
	}
	plan->nblocks = nblocks;
	rc = mb_fill_blocks(spans, npoints, plan);
	if (rc < 0)
		mb_plan_free(plan);

free_spans:
	free(spans);
	return rc;
}

void mb_plan_free(struct mb_plan *plan)
{
	if (plan == NULL)
		return;
	for (size_t i = 0; i < plan->nblocks; i++)
		free(plan->blocks[i].points);
	free(plan->blocks);
	plan->blocks = NULL;
	plan->nblocks = 0;
}

int mb_plan_split(struct mb_plan *plan, size_t b, const struct fm_point *points)
{
	const struct mb_block *old = &plan->blocks[b];
	if (old->npoints <= 1)
		return 0;
	/* The block's points, planned alone: one block per point span, except
	 * that points on the very same span (bits of one register) stay
	 * together; they cannot be read apart anyway. */
	struct fm_point *sub = malloc(old->npoints * sizeof *sub);
	if (sub == NULL)
		return -ENOMEM;
	for (size_t k = 0; k < old->npoints; k++)
		sub[k] = points[old->points[k]];
	struct mb_limits alone = mb_limits_default;
	alone.max_registers = 1;
	alone.max_bits = 1;
	struct mb_plan parts;
	int rc = mb_plan_build(sub, old->npoints, &alone, &parts);
	free(sub);
	if (rc < 0)
		return rc;
	/* map the parts' point indexes back to the device's */
	for (size_t i = 0; i < parts.nblocks; i++)
		for (size_t k = 0; k < parts.blocks[i].npoints; k++)
			parts.blocks[i].points[k] = old->points[parts.blocks[i].points[k]];
	size_t n = plan->nblocks - 1 + parts.nblocks;
	struct mb_block *blocks = calloc(n, sizeof *blocks);
	if (blocks == NULL) {
		mb_plan_free(&parts);
		return -ENOMEM;
	}
	memcpy(blocks, plan->blocks, b * sizeof *blocks);
	memcpy(blocks + b, parts.blocks, parts.nblocks * sizeof *blocks);
	memcpy(blocks + b + parts.nblocks, plan->blocks + b + 1,
	       (plan->nblocks - b - 1) * sizeof *blocks);
	free(plan->blocks[b].points);
	free(plan->blocks);
	free(parts.blocks);
	plan->blocks = blocks;
	plan->nblocks = n;
	return (int)parts.nblocks;
}
