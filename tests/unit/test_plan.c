/* test_plan.c - coalescing points into read requests (modbus_plan.c).
 *
 * Table-driven: each row gives points (runs of evenly spaced points, so the
 * 125-register and 2000-bit limits fit in a line) and the exact plan they
 * must give, written as text: "holding@0+4[0-2] input@10+1[3]" is a
 * holding block at address 0 of 4 registers serving points 0, 1 and 2, then
 * an input block. Got and want are printed for every bad row; the test fails
 * once, at the end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/modbus_plan.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_SPECS 8

/* REPEAT points (1 when 0) at ADDRESS, ADDRESS + STRIDE, ... */
struct spec {
	enum fm_read_kind read;
	unsigned address;
	enum fm_value_type type;
	int bit; /* -1: whole value */
	unsigned repeat;
	unsigned stride;
};

struct plan_row {
	const char *name;
	struct spec specs[MAX_SPECS];
	size_t nspecs;
	unsigned max_gap;
	const char *want;
	unsigned max_registers; /* 0: the protocol's 125 */
	bool single;            /* coalesce = false */
};

#define H(a, t) { FM_READ_HOLDING, (a), FM_TYPE_##t, -1, 1, 0 }
#define I(a, t) { FM_READ_INPUT, (a), FM_TYPE_##t, -1, 1, 0 }
#define C(a) { FM_READ_COIL, (a), FM_TYPE_BOOL, -1, 1, 0 }
#define D(a) { FM_READ_DISCRETE, (a), FM_TYPE_BOOL, -1, 1, 0 }
#define HBIT(a, n) { FM_READ_HOLDING, (a), FM_TYPE_UINT16, (n), 1, 0 }
#define IBIT(a, n) { FM_READ_INPUT, (a), FM_TYPE_UINT16, (n), 1, 0 }
#define RUN(k, a, t, n, s) { FM_READ_##k, (a), FM_TYPE_##t, -1, (n), (s) }

#define ROW(name, gap, want, ...) \
	{ name, { __VA_ARGS__ }, LEN(((struct spec[]){ __VA_ARGS__ })), gap, want, 0, false }
/* a device's max_registers, or coalesce = false (SINGLE) */
#define ROWL(name, maxreg, single, want, ...) \
	{ name, { __VA_ARGS__ }, LEN(((struct spec[]){ __VA_ARGS__ })), 0, want, maxreg, single }

static const struct plan_row rows[] = {
	{ "no points", { { 0 } }, 0, 0, "", 0, false },
	ROWL("max_registers 4 splits a run of 6", 4, false,
	     "holding@0+4[0-3] holding@4+2[4-5]", RUN(HOLDING, 0, UINT16, 6, 1)),
	ROWL("max_registers 4 keeps a float32 whole", 4, false,
	     "holding@0+3[0-1] holding@3+2[2]", H(0, UINT16), H(1, FLOAT32), H(3, FLOAT32)),
	ROWL("max_registers does not limit bits", 4, false, "coil@0+8[0-7]",
	     RUN(COIL, 0, BOOL, 8, 1)),
	ROWL("coalesce off: one request per point", 0, true,
	     "holding@0+1[0] holding@1+2[1] input@5+1[2]",
	     H(0, INT16), H(1, FLOAT32), I(5, UINT16)),
	ROWL("coalesce off: bits of one register still one request", 0, true,
	     "holding@3+1[0-1]", HBIT(3, 0), HBIT(3, 7)),
	ROW("one point", 0, "holding@7+1[0]", H(7, INT16)),
	ROW("contiguous join", 0, "holding@0+4[0-2]",
	    H(0, INT16), H(1, UINT16), H(2, FLOAT32)),
	ROW("gap splits with max_gap 0", 0, "holding@0+1[0] holding@2+1[1]",
	    H(0, INT16), H(2, INT16)),
	ROW("gap of 2 joins with max_gap 2", 2, "holding@0+4[0-1]",
	    H(0, INT16), H(3, INT16)),
	ROW("gap of 3 splits with max_gap 2", 2, "holding@0+1[0] holding@4+1[1]",
	    H(0, INT16), H(4, INT16)),
	ROW("gap after a float32 counts from its end", 2,
	    "holding@0+5[0-1] holding@8+1[2]",
	    H(0, FLOAT32), H(4, INT16), H(8, INT16)),
	ROW("two bits of one status word share it", 0, "input@0+2[0-3]",
	    IBIT(0, 0), IBIT(0, 1), I(0, UINT16), I(1, INT16)),
	ROW("a bit of a float's second register", 0, "holding@10+2[0-1]",
	    H(10, FLOAT32), HBIT(11, 3)),
	ROW("same address, different widths", 0, "holding@0+2[0-1]",
	    H(0, INT16), H(0, FLOAT32)),
	ROW("a point inside a wider one", 0, "holding@0+4[0-1] holding@5+1[2]",
	    H(0, FLOAT64), H(1, INT16), H(5, INT16)),
	ROW("a short point doesn't shorten the block", 0, "holding@0+5[0-2]",
	    H(0, FLOAT64), H(1, INT16), H(4, INT16)),
	ROW("64-bit points", 0, "holding@0+12[0-2] input@0+4[3]",
	    H(0, INT64), H(4, FLOAT64), H(8, UINT64), I(0, INT64)),
	ROW("exactly 125 registers", 200, "holding@0+125[0-1]",
	    H(0, INT16), H(123, FLOAT32)),
	ROW("126 registers split", 200, "holding@0+1[0] holding@124+2[1]",
	    H(0, INT16), H(124, FLOAT32)),
	ROW("float64 ending at the limit", 200, "holding@0+125[0-1] holding@122+4[2]",
	    H(0, INT16), H(121, FLOAT64), H(122, FLOAT64)),
	ROW("max_gap reaching exactly the limit", 123, "holding@0+125[0-1]",
	    H(0, INT16), H(124, INT16)),
	ROW("125 contiguous int16", 0, "input@0+125[0-124]",
	    RUN(INPUT, 0, INT16, 125, 1)),
	ROW("126 contiguous int16", 0, "input@0+125[0-124] input@125+1[125]",
	    RUN(INPUT, 0, INT16, 126, 1)),
	ROW("63 float32 in a row", 0, "holding@0+124[0-61] holding@124+2[62]",
	    RUN(HOLDING, 0, FLOAT32, 63, 2)),
	ROW("2000 coils", 0, "coil@0+2000[0-1999]", RUN(COIL, 0, BOOL, 2000, 1)),
	ROW("2001 coils", 0, "coil@0+2000[0-1999] coil@2000+1[2000]",
	    RUN(COIL, 0, BOOL, 2001, 1)),
	ROW("discretes 2000 apart with a wide gap", 5000, "discrete@0+2000[0-1]",
	    D(0), D(1999)),
	ROW("discretes 2001 apart with a wide gap", 5000,
	    "discrete@0+1[0] discrete@2000+1[1]", D(0), D(2000)),
	ROW("a coil is one bit whatever its type", 0, "coil@0+1[0] coil@2+1[1]",
	    { FM_READ_COIL, 0, FM_TYPE_FLOAT32, -1, 1, 0 }, C(2)),
	ROW("kinds in order holding, input, coil, discrete", 0,
	    "holding@10+1[1] input@0+1[3] coil@3+1[2] discrete@5+1[0]",
	    D(5), H(10, INT16), C(3), I(0, INT16)),
	ROW("same address in two kinds stays apart", 0,
	    "holding@0+1[0] input@0+1[1]", H(0, INT16), I(0, INT16)),
	ROW("unsorted input", 0, "holding@0+2[2,1] holding@10+1[0]",
	    H(10, INT16), H(1, INT16), H(0, INT16)),
	ROW("unsorted, overlapping and gapped", 1,
	    "holding@0+3[3,1,0] holding@20+2[2]",
	    HBIT(2, 4), H(1, UINT16), H(20, UINT32), H(0, FLOAT32)),
	ROW("top of the address space", 0, "holding@65532+4[0-1]",
	    H(65532, UINT16), H(65532, UINT64)),
};

/* Expands a row's specs into points; returns how many. */
static size_t make_points(const struct plan_row *r, struct fm_point *pts, size_t max)
{
	size_t n = 0;

	for (size_t s = 0; s < r->nspecs; s++) {
		const struct spec *sp = &r->specs[s];
		unsigned repeat = sp->repeat ? sp->repeat : 1;
		for (unsigned k = 0; k < repeat && n < max; k++, n++) {
			pts[n] = (struct fm_point){
				.read = sp->read,
				.address = (uint16_t)(sp->address + k * sp->stride),
				.type = sp->type,
				.order = FM_ORDER_ABCD,
				.bit = sp->bit,
				.scale = 1,
			};
			snprintf(pts[n].name, sizeof pts[n].name, "p%zu", n);
		}
	}
	return n;
}

/* "1-3" for a run of consecutive indexes, "3,1,0" otherwise. */
static void format_indexes(const struct mb_block *b, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < b->npoints && used < len;) {
		size_t j = i;
		while (j + 1 < b->npoints && b->points[j + 1] == b->points[j] + 1)
			j++;
		const char *sep = i ? "," : "";
		int w = j > i ? snprintf(buf + used, len - used, "%s%zu-%zu", sep,
		                         b->points[i], b->points[j])
		              : snprintf(buf + used, len - used, "%s%zu", sep, b->points[i]);
		used += (size_t)w;
		i = j + 1;
	}
}

static void format_plan(const struct mb_plan *plan, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < plan->nblocks && used < len; i++) {
		const struct mb_block *b = &plan->blocks[i];
		char idx[256];
		format_indexes(b, idx, sizeof idx);
		used += (size_t)snprintf(buf + used, len - used, "%s%s@%u+%u[%s]",
		                         i ? " " : "", read_kind_name(b->read),
		                         b->address, b->count, idx);
	}
}

static void test_plan_rows(void **state)
{
	(void)state;
	enum { MAX_POINTS = 2100 };
	struct fm_point *pts = calloc(MAX_POINTS, sizeof *pts);
	int failures = 0;

	assert_non_null(pts);
	for (size_t i = 0; i < LEN(rows); i++) {
		const struct plan_row *r = &rows[i];
		size_t n = make_points(r, pts, MAX_POINTS);
		struct mb_plan plan;
		char got[1024];
		struct mb_limits lim = mb_limits_default;
		lim.max_gap = r->max_gap;
		if (r->max_registers)
			lim.max_registers = r->max_registers;
		if (r->single)
			lim.max_registers = lim.max_bits = 1;
		int rc = mb_plan_build(pts, n, &lim, &plan);
		format_plan(&plan, got, sizeof got);
		if (rc != 0 || strcmp(got, r->want) != 0) {
			printf("plan %s (max_gap %u): rc %d\n    got  \"%s\"\n    want \"%s\"\n",
			       r->name, r->max_gap, rc, got, r->want);
			failures++;
		}
		mb_plan_free(&plan);
	}
	free(pts);
	assert_int_equal(failures, 0);
}

/* Every block within the limits, every point in exactly one block that
 * covers it, blocks in order: the invariants behind the rows above,
 * checked over a pseudo-random mix of points and gaps. */
static void test_plan_invariants(void **state)
{
	(void)state;
	enum { N = 300 };
	struct fm_point pts[N];
	static const enum fm_value_type types[] = {
		FM_TYPE_INT16, FM_TYPE_FLOAT32, FM_TYPE_UINT64, FM_TYPE_BOOL,
	};
	unsigned seed = 12345;
	int failures = 0;

	for (unsigned round = 0; round < 50; round++) {
		unsigned max_gap = round % 5 == 0 ? 0 : round;
		for (size_t i = 0; i < N; i++) {
			seed = seed * 1103515245u + 12345u;
			pts[i] = (struct fm_point){
				.read = (enum fm_read_kind)(seed >> 8 & 3),
				.address = (uint16_t)(seed >> 12 & 1023),
				.type = types[seed >> 24 & 3],
				.bit = (seed >> 26 & 7) == 0 ? 5 : -1,
				.scale = 1,
			};
		}
		struct mb_plan plan;
		struct mb_limits lim = mb_limits_default;
		lim.max_gap = max_gap;
		if (mb_plan_build(pts, N, &lim, &plan) != 0) {
			printf("invariants round %u: build failed\n", round);
			failures++;
			continue;
		}
		unsigned seen[N] = { 0 };
		for (size_t b = 0; b < plan.nblocks; b++) {
			const struct mb_block *blk = &plan.blocks[b];
			bool bits = blk->read == FM_READ_COIL || blk->read == FM_READ_DISCRETE;
			unsigned limit = bits ? FM_MODBUS_MAX_BITS : FM_MODBUS_MAX_REGISTERS;
			if (blk->count == 0 || blk->count > limit || blk->npoints == 0) {
				printf("invariants round %u block %zu: count %u, %zu points\n",
				       round, b, blk->count, blk->npoints);
				failures++;
			}
			if (b > 0) {
				const struct mb_block *prev = &plan.blocks[b - 1];
				/* blocks may overlap where the limit split them */
				if (prev->read > blk->read ||
				    (prev->read == blk->read && prev->address > blk->address)) {
					printf("invariants round %u: block %zu out of order\n", round, b);
					failures++;
				}
			}
			for (size_t k = 0; k < blk->npoints; k++) {
				const struct fm_point *p = &pts[blk->points[k]];
				seen[blk->points[k]]++;
				if (p->read != blk->read || p->address < blk->address ||
				    p->address + mb_point_width(p) > blk->address + blk->count ||
				    (k > 0 && pts[blk->points[k - 1]].address > p->address)) {
					printf("invariants round %u: point %zu misplaced in block %zu\n",
					       round, blk->points[k], b);
					failures++;
				}
			}
		}
		for (size_t i = 0; i < N; i++) {
			if (seen[i] != 1) {
				printf("invariants round %u: point %zu in %u blocks\n", round, i,
				       seen[i]);
				failures++;
			}
		}
		mb_plan_free(&plan);
	}
	assert_int_equal(failures, 0);
}

struct width_row {
	enum fm_read_kind read;
	enum fm_value_type type;
	int bit;
	unsigned want;
};

static void test_point_width(void **state)
{
	(void)state;
	static const struct width_row wrows[] = {
		{ FM_READ_HOLDING, FM_TYPE_BOOL, -1, 1 },
		{ FM_READ_HOLDING, FM_TYPE_INT16, -1, 1 },
		{ FM_READ_INPUT, FM_TYPE_UINT16, -1, 1 },
		{ FM_READ_HOLDING, FM_TYPE_INT32, -1, 2 },
		{ FM_READ_INPUT, FM_TYPE_UINT32, -1, 2 },
		{ FM_READ_HOLDING, FM_TYPE_FLOAT32, -1, 2 },
		{ FM_READ_HOLDING, FM_TYPE_INT64, -1, 4 },
		{ FM_READ_INPUT, FM_TYPE_UINT64, -1, 4 },
		{ FM_READ_HOLDING, FM_TYPE_FLOAT64, -1, 4 },
		{ FM_READ_HOLDING, FM_TYPE_UINT16, 15, 1 },
		{ FM_READ_COIL, FM_TYPE_BOOL, -1, 1 },
		{ FM_READ_DISCRETE, FM_TYPE_FLOAT64, -1, 1 },
	};
	int failures = 0;

	for (size_t i = 0; i < LEN(wrows); i++) {
		struct fm_point p = { .read = wrows[i].read, .type = wrows[i].type,
		                      .bit = wrows[i].bit, .scale = 1 };
		unsigned got = mb_point_width(&p);
		if (got != wrows[i].want) {
			printf("width %s %s bit %d: got %u, want %u\n",
			       read_kind_name(wrows[i].read), value_type_name(wrows[i].type),
			       wrows[i].bit, got, wrows[i].want);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

static void test_plan_free_is_safe(void **state)
{
	(void)state;
	struct mb_plan plan = { 0 };
	struct fm_point p = { .read = FM_READ_HOLDING, .type = FM_TYPE_INT16, .bit = -1 };

	mb_plan_free(NULL);
	mb_plan_free(&plan);
	assert_int_equal(mb_plan_build(&p, 1, &mb_limits_default, &plan), 0);
	assert_int_equal(plan.nblocks, 1);
	mb_plan_free(&plan);
	assert_null(plan.blocks);
	assert_int_equal(plan.nblocks, 0);
	mb_plan_free(&plan); /* twice is harmless */
	assert_int_equal(mb_plan_build(NULL, 0, &mb_limits_default, &plan), 0);
	assert_int_equal(plan.nblocks, 0);
	mb_plan_free(&plan);
}

/* A failing block is split into its points; the rest of the plan stays. */
static void test_plan_split(void **state)
{
	(void)state;
	static const struct plan_row r = ROW("split", 0, "",
		I(0, INT16), H(0, UINT16), H(1, FLOAT32), HBIT(3, 0), HBIT(3, 5),
		H(4, UINT16), C(0));
	struct fm_point pts[16];
	size_t n = make_points(&r, pts, 16);
	struct mb_plan plan;
	char got[1024];
	assert_int_equal(mb_plan_build(pts, n, &mb_limits_default, &plan), 0);
	format_plan(&plan, got, sizeof got);
	assert_string_equal(got, "holding@0+5[1-5] input@0+1[0] coil@0+1[6]");
	assert_int_equal(mb_plan_split(&plan, 0, pts), 4);
	format_plan(&plan, got, sizeof got);
	assert_string_equal(got, "holding@0+1[1] holding@1+2[2] holding@3+1[3-4] "
	                         "holding@4+1[5] input@0+1[0] coil@0+1[6]");
	/* a block of one point has nothing to split */
	assert_int_equal(mb_plan_split(&plan, 4, pts), 0);
	assert_int_equal(plan.nblocks, 6);
	mb_plan_free(&plan);
}

/* A device's config keys become its plan limits. */
static void test_limits_for_device(void **state)
{
	(void)state;
	struct fm_device d = {.max_registers = 125, .max_gap = 0, .coalesce = true};
	struct mb_limits l = mb_limits_for(&d);
	assert_int_equal(l.max_registers, 125);
	assert_int_equal(l.max_bits, 2000);
	assert_int_equal(l.max_gap, 0);
	d = (struct fm_device){.max_registers = 16, .max_gap = 3, .coalesce = true};
	l = mb_limits_for(&d);
	assert_int_equal(l.max_registers, 16);
	assert_int_equal(l.max_bits, 2000);
	assert_int_equal(l.max_gap, 3);
	d.coalesce = false;
	l = mb_limits_for(&d);
	assert_int_equal(l.max_registers, 1);
	assert_int_equal(l.max_bits, 1);
	assert_int_equal(l.max_gap, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_rows),
		cmocka_unit_test(test_plan_invariants),
		cmocka_unit_test(test_point_width),
		cmocka_unit_test(test_plan_free_is_safe),
		cmocka_unit_test(test_plan_split),
		cmocka_unit_test(test_limits_for_device),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
