/* modbus_plan.c - coalescing a device's points into Modbus read requests.
 *
 * Owns: mb_plan_build(), declared in modbus_plan.h. Pure.
 *
 * Each point becomes a span [start, end) of registers or bits. The spans
 * are sorted by read kind (holding, input, coil, discrete: the enum order),
 * then address, then point index, and swept once: a span joins the current
 * block when it starts at or before the block's end plus MAX_GAP and the
 * joined block stays within the protocol limit (125 registers, 2000 bits).
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

static uint32_t mb_kind_limit(enum fm_read_kind k)
{
	return mb_reads_bits(k) ? FM_MODBUS_MAX_BITS : FM_MODBUS_MAX_REGISTERS;
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
static size_t mb_sweep(struct mb_span *spans, size_t n, unsigned max_gap)
{
	size_t nblocks = 0;
	uint32_t bstart = 0, bend = 0;

	for (size_t i = 0; i < n; i++) {
		struct mb_span *s = &spans[i];
		uint32_t end = s->end > bend ? s->end : bend;
		bool joins = i > 0 && s->read == spans[i - 1].read &&
		             (uint64_t)s->start <= (uint64_t)bend + max_gap &&
		             end - bstart <= mb_kind_limit(s->read);
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
                  unsigned max_gap, struct mb_plan *plan)
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

	size_t nblocks = mb_sweep(spans, npoints, max_gap);
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
