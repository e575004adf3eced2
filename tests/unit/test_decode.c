/* test_decode.c - register decoding and encoding (modbus_decode.c).
 *
 * Table-driven: every type in every word order against known byte
 * patterns, scale/offset and the 1/scale division, bits, bools, encode as
 * the exact inverse, range errors, and the commissioning view of all four
 * orders. Each table runs to the end, printing got and want for every bad
 * row, and fails once at the end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "collectors/modbus_decode.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define SENTINEL 0xA5A5

static const enum fm_word_order all_orders[] = {
	FM_ORDER_ABCD, FM_ORDER_CDAB, FM_ORDER_BADC, FM_ORDER_DCBA,
};

static struct fm_point point(enum fm_value_type type, enum fm_word_order order,
                             int bit, double scale, double offset)
{
	struct fm_point p = {
		.read = FM_READ_HOLDING, .type = type, .order = order,
		.bit = bit, .scale = scale, .offset = offset,
	};
	snprintf(p.name, sizeof p.name, "p");
	return p;
}

static bool same(double a, double b)
{
	return (isnan(a) && isnan(b)) || a == b;
}

static unsigned width(enum fm_value_type t)
{
	return (unsigned)value_type_registers(t);
}

static void print_regs(const char *label, const uint16_t *r, unsigned n)
{
	printf("    %s", label);
	for (unsigned i = 0; i < n; i++)
		printf(" %04X", r[i]);
	printf("\n");
}

/* --- decode ------------------------------------------------------------ */

struct decode_row {
	const char *name;
	enum fm_value_type type;
	enum fm_word_order order;
	int bit;
	double scale, offset;
	uint16_t regs[4];
	double want;
	bool inverse; /* encoding WANT must give exactly REGS */
};

/* A whole value, scale 1, offset 0, whose encoding is exactly REGS. */
#define RAW(t, o, w, ...) \
	{ #t " " #o " " #w, FM_TYPE_##t, FM_ORDER_##o, -1, 1, 0, { __VA_ARGS__ }, (w), true }
/* Scaled: value = raw * scale + offset, encoding exactly REGS. */
#define SCALED(t, s, off, w, ...) \
	{ #t " x" #s " + " #off " = " #w, FM_TYPE_##t, FM_ORDER_ABCD, -1, (s), (off), \
	  { __VA_ARGS__ }, (w), true }
/* Bit N of the first register. */
#define BIT(t, n, w, r0) \
	{ #t " bit " #n " of " #r0, FM_TYPE_##t, FM_ORDER_ABCD, (n), 1, 0, { r0 }, (w), false }

static const struct decode_row decode_rows[] = {
	/* float32 22.5 = 0x41B40000 */
	RAW(FLOAT32, ABCD, 22.5, 0x41B4, 0x0000),
	RAW(FLOAT32, CDAB, 22.5, 0x0000, 0x41B4),
	RAW(FLOAT32, BADC, 22.5, 0xB441, 0x0000),
	RAW(FLOAT32, DCBA, 22.5, 0x0000, 0xB441),
	/* float32 pi = 0x40490FDB: four distinct bytes */
	RAW(FLOAT32, ABCD, (double)3.14159265f, 0x4049, 0x0FDB),
	RAW(FLOAT32, CDAB, (double)3.14159265f, 0x0FDB, 0x4049),
	RAW(FLOAT32, BADC, (double)3.14159265f, 0x4940, 0xDB0F),
	RAW(FLOAT32, DCBA, (double)3.14159265f, 0xDB0F, 0x4940),
	/* int32 -2 = 0xFFFFFFFE */
	RAW(INT32, ABCD, -2, 0xFFFF, 0xFFFE),
	RAW(INT32, CDAB, -2, 0xFFFE, 0xFFFF),
	RAW(INT32, BADC, -2, 0xFFFF, 0xFEFF),
	RAW(INT32, DCBA, -2, 0xFEFF, 0xFFFF),
	/* int32 0x12345678 */
	RAW(INT32, ABCD, 305419896, 0x1234, 0x5678),
	RAW(INT32, CDAB, 305419896, 0x5678, 0x1234),
	RAW(INT32, BADC, 305419896, 0x3412, 0x7856),
	RAW(INT32, DCBA, 305419896, 0x7856, 0x3412),
	/* uint32 0xDEADBEEF, and the same bits as int32 */
	RAW(UINT32, ABCD, 3735928559.0, 0xDEAD, 0xBEEF),
	RAW(UINT32, CDAB, 3735928559.0, 0xBEEF, 0xDEAD),
	RAW(UINT32, BADC, 3735928559.0, 0xADDE, 0xEFBE),
	RAW(UINT32, DCBA, 3735928559.0, 0xEFBE, 0xADDE),
	RAW(INT32, ABCD, -559038737, 0xDEAD, 0xBEEF),
	RAW(INT32, DCBA, -559038737, 0xEFBE, 0xADDE),
	/* int64 -2 */
	RAW(INT64, ABCD, -2, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFE),
	RAW(INT64, CDAB, -2, 0xFFFE, 0xFFFF, 0xFFFF, 0xFFFF),
	RAW(INT64, BADC, -2, 0xFFFF, 0xFFFF, 0xFFFF, 0xFEFF),
	RAW(INT64, DCBA, -2, 0xFEFF, 0xFFFF, 0xFFFF, 0xFFFF),
	/* int64 -0x0011223344556677 = 0xFFEEDDCCBBAA9989: eight distinct
	 * bytes, 53 significant bits, so the double holds it exactly */
	RAW(INT64, ABCD, -4822678189205111.0, 0xFFEE, 0xDDCC, 0xBBAA, 0x9989),
	RAW(INT64, CDAB, -4822678189205111.0, 0x9989, 0xBBAA, 0xDDCC, 0xFFEE),
	RAW(INT64, BADC, -4822678189205111.0, 0xEEFF, 0xCCDD, 0xAABB, 0x8999),
	RAW(INT64, DCBA, -4822678189205111.0, 0x8999, 0xAABB, 0xCCDD, 0xEEFF),
	/* uint64 0x0011223344556677 */
	RAW(UINT64, ABCD, 4822678189205111.0, 0x0011, 0x2233, 0x4455, 0x6677),
	RAW(UINT64, CDAB, 4822678189205111.0, 0x6677, 0x4455, 0x2233, 0x0011),
	RAW(UINT64, BADC, 4822678189205111.0, 0x1100, 0x3322, 0x5544, 0x7766),
	RAW(UINT64, DCBA, 4822678189205111.0, 0x7766, 0x5544, 0x3322, 0x1100),
	/* uint64 0xFEDCBA9876543800: above 2^63, exact in a double */
	RAW(UINT64, ABCD, 18364758544493066240.0, 0xFEDC, 0xBA98, 0x7654, 0x3800),
	RAW(UINT64, CDAB, 18364758544493066240.0, 0x3800, 0x7654, 0xBA98, 0xFEDC),
	RAW(UINT64, BADC, 18364758544493066240.0, 0xDCFE, 0x98BA, 0x5476, 0x0038),
	RAW(UINT64, DCBA, 18364758544493066240.0, 0x0038, 0x5476, 0x98BA, 0xDCFE),
	/* float64 pi = 0x400921FB54442D18 */
	RAW(FLOAT64, ABCD, 3.141592653589793, 0x4009, 0x21FB, 0x5444, 0x2D18),
	RAW(FLOAT64, CDAB, 3.141592653589793, 0x2D18, 0x5444, 0x21FB, 0x4009),
	RAW(FLOAT64, BADC, 3.141592653589793, 0x0940, 0xFB21, 0x4454, 0x182D),
	RAW(FLOAT64, DCBA, 3.141592653589793, 0x182D, 0x4454, 0xFB21, 0x0940),
	/* float64 22.5 = 0x4036800000000000 */
	RAW(FLOAT64, ABCD, 22.5, 0x4036, 0x8000, 0x0000, 0x0000),
	RAW(FLOAT64, CDAB, 22.5, 0x0000, 0x0000, 0x8000, 0x4036),
	RAW(FLOAT64, BADC, 22.5, 0x3640, 0x0080, 0x0000, 0x0000),
	RAW(FLOAT64, DCBA, 22.5, 0x0000, 0x0000, 0x0080, 0x3640),
	/* single registers; the order applies to multi-register types only */
	RAW(INT16, ABCD, -205, 0xFF33),
	RAW(INT16, DCBA, -205, 0xFF33),
	RAW(INT16, BADC, -32768, 0x8000),
	RAW(INT16, ABCD, 32767, 0x7FFF),
	RAW(UINT16, ABCD, 65331, 0xFF33),
	RAW(UINT16, CDAB, 65535, 0xFFFF),
	RAW(BOOL, ABCD, 0, 0x0000),
	RAW(BOOL, ABCD, 1, 0x0001),
	{ "bool 0xFFFF is true", FM_TYPE_BOOL, FM_ORDER_ABCD, -1, 1, 0, { 0xFFFF }, 1, false },
	{ "bool 0x0100 is true", FM_TYPE_BOOL, FM_ORDER_ABCD, -1, 1, 0, { 0x0100 }, 1, false },
	/* scale and offset; 1/scale integral divides (3 / 10.0 == 0.3) */
	SCALED(INT16, 0.1, 0, -20.5, 0xFF33),
	SCALED(INT16, 0.1, 0, 30.5, 0x0131),
	SCALED(UINT16, 0.1, 0, 54.6, 0x0222),
	SCALED(UINT16, 0.1, 0, 0.3, 3),
	SCALED(UINT16, 0.1, 0, 0.7, 7),
	SCALED(UINT16, 0.01, 0, 0.35, 35),
	SCALED(UINT16, 0.01, 0, 30.5, 3050),
	SCALED(UINT16, 0.001, 0, 0.009, 9),
	SCALED(INT16, -0.1, 0, -0.3, 3),
	SCALED(UINT16, 0.5, -10, 40, 100),
	SCALED(UINT16, 2, 1, 7, 3),
	SCALED(UINT16, 1, -40, -40, 0),
	SCALED(INT32, 0.01, 0, 12.34, 0x0000, 0x04D2),
	SCALED(FLOAT32, 1, -2.5, 20, 0x41B4, 0x0000),
	SCALED(FLOAT64, 0.1, 0, 2.25, 0x4036, 0x8000, 0x0000, 0x0000),
	/* bits of a status word */
	BIT(UINT16, 0, 1, 0x8001),
	BIT(UINT16, 1, 0, 0x8001),
	BIT(UINT16, 15, 1, 0x8001),
	BIT(UINT16, 7, 1, 0x0080),
	BIT(INT16, 15, 1, 0x8000),
	BIT(BOOL, 3, 0, 0xFFF7),
	{ "inverted bit 3 of 0x0008", FM_TYPE_UINT16, FM_ORDER_ABCD, 3, -1, 1, { 0x0008 }, 0, false },
};

static void test_decode_registers(void **state)
{
	(void)state;
	int failures = 0;

	for (size_t i = 0; i < LEN(decode_rows); i++) {
		const struct decode_row *r = &decode_rows[i];
		struct fm_point p = point(r->type, r->order, r->bit, r->scale, r->offset);
		double got = mb_decode_registers(&p, r->regs);
		if (!same(got, r->want)) {
			printf("decode %s: got %.17g, want %.17g\n", r->name, got, r->want);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

/* Encoding a row's value gives exactly its registers, and writes no more. */
static void test_encode_is_inverse(void **state)
{
	(void)state;
	int failures = 0;

	for (size_t i = 0; i < LEN(decode_rows); i++) {
		const struct decode_row *r = &decode_rows[i];
		if (!r->inverse)
			continue;
		struct fm_point p = point(r->type, r->order, r->bit, r->scale, r->offset);
		unsigned n = width(r->type);
		uint16_t regs[5];
		for (size_t k = 0; k < LEN(regs); k++)
			regs[k] = SENTINEL;
		int rc = mb_encode_registers(&p, r->want, regs);
		if (rc != 0 || memcmp(regs, r->regs, n * sizeof regs[0]) != 0 ||
		    regs[n] != SENTINEL) {
			printf("encode %s: rc %d\n", r->name, rc);
			print_regs("got ", regs, n + 1);
			print_regs("want", r->regs, n);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

struct bit_row {
	uint8_t bit;
	double scale, offset;
	double want;
};

static void test_decode_bit(void **state)
{
	(void)state;
	static const struct bit_row rows[] = {
		{ 0, 1, 0, 0 },
		{ 1, 1, 0, 1 },
		{ 0xFF, 1, 0, 1 },
		{ 1, -1, 1, 0 },  /* a normally-closed contact */
		{ 0, -1, 1, 1 },
		{ 1, 0.1, 0, 0.1 },
		{ 1, 1, 10, 11 },
	};
	int failures = 0;

	for (size_t i = 0; i < LEN(rows); i++) {
		struct fm_point p = point(FM_TYPE_BOOL, FM_ORDER_ABCD, -1,
		                          rows[i].scale, rows[i].offset);
		p.read = FM_READ_DISCRETE;
		double got = mb_decode_bit(&p, rows[i].bit);
		if (!same(got, rows[i].want)) {
			printf("bit %u x%g + %g: got %.17g, want %.17g\n", rows[i].bit,
			       rows[i].scale, rows[i].offset, got, rows[i].want);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

/* --- encode ------------------------------------------------------------ */

struct type_values {
	enum fm_value_type type;
	double values[6];
	size_t n;
};

/* Every type in every order: decode(encode(v)) == v. */
static void test_round_trip(void **state)
{
	(void)state;
	static const struct type_values rows[] = {
		{ FM_TYPE_BOOL, { 0, 1 }, 2 },
		{ FM_TYPE_INT16, { -32768, -205, 0, 32767 }, 4 },
		{ FM_TYPE_UINT16, { 0, 546, 65535 }, 3 },
		{ FM_TYPE_INT32, { -2147483648.0, -2, 0, 305419896, 2147483647 }, 5 },
		{ FM_TYPE_UINT32, { 0, 3735928559.0, 4294967295.0 }, 3 },
		{ FM_TYPE_FLOAT32, { 22.5, -1.5, 0, (double)3.14159265f, (double)FLT_MAX,
		                     INFINITY }, 6 },
		{ FM_TYPE_INT64, { -0x1p63, -4822678189205111.0, -2, 0, 0x1p53, 0x1p62 }, 6 },
		{ FM_TYPE_UINT64, { 0, 4822678189205111.0, 0x1p63,
		                    18446744073709549568.0 /* 2^64 - 2048 */ }, 4 },
		{ FM_TYPE_FLOAT64, { 3.141592653589793, -1e300, 22.5, DBL_MIN, -INFINITY,
		                     NAN }, 6 },
	};
	int failures = 0;

	for (size_t i = 0; i < LEN(rows); i++) {
		for (size_t o = 0; o < LEN(all_orders); o++) {
			for (size_t k = 0; k < rows[i].n; k++) {
				struct fm_point p = point(rows[i].type, all_orders[o], -1, 1, 0);
				double v = rows[i].values[k];
				uint16_t regs[4] = { 0 };
				int rc = mb_encode_registers(&p, v, regs);
				double got = mb_decode_registers(&p, regs);
				if (rc != 0 || !same(got, v)) {
					printf("round trip %s %s %.17g: rc %d, got %.17g\n",
					       value_type_name(rows[i].type),
					       word_order_name(all_orders[o]), v, rc, got);
					failures++;
				}
			}
		}
	}
	assert_int_equal(failures, 0);
}

struct encode_row {
	const char *name;
	enum fm_value_type type;
	int bit;
	double scale, offset;
	double value;
	int want_rc;
	uint16_t want_reg0; /* when want_rc is 0 (single-register rows only);
	                     * on -1 REGS must stay unchanged */
};

static void test_encode_rounding_and_range(void **state)
{
	(void)state;
	static const struct encode_row rows[] = {
		{ "int16 1.4 rounds down", FM_TYPE_INT16, -1, 1, 0, 1.4, 0, 1 },
		{ "int16 1.6 rounds up", FM_TYPE_INT16, -1, 1, 0, 1.6, 0, 2 },
		{ "int16 -1.5 rounds away", FM_TYPE_INT16, -1, 1, 0, -1.5, 0, 0xFFFE },
		{ "uint16 -0.4 rounds to 0", FM_TYPE_UINT16, -1, 1, 0, -0.4, 0, 0 },
		{ "uint16 54.6 x0.1", FM_TYPE_UINT16, -1, 0.1, 0, 54.6, 0, 546 },
		{ "int16 -20.5 x0.1", FM_TYPE_INT16, -1, 0.1, 0, -20.5, 0, 0xFF33 },
		{ "uint16 40 x0.5 - 10", FM_TYPE_UINT16, -1, 0.5, -10, 40, 0, 100 },
		{ "int16 3276.7 x0.1 fits", FM_TYPE_INT16, -1, 0.1, 0, 3276.7, 0, 0x7FFF },
		{ "int16 3276.8 x0.1", FM_TYPE_INT16, -1, 0.1, 0, 3276.8, -1, 0 },
		{ "int16 32768", FM_TYPE_INT16, -1, 1, 0, 32768, -1, 0 },
		{ "int16 -32769", FM_TYPE_INT16, -1, 1, 0, -32769, -1, 0 },
		{ "int16 32767.5 rounds out", FM_TYPE_INT16, -1, 1, 0, 32767.5, -1, 0 },
		{ "uint16 -1", FM_TYPE_UINT16, -1, 1, 0, -1, -1, 0 },
		{ "uint16 65536", FM_TYPE_UINT16, -1, 1, 0, 65536, -1, 0 },
		{ "int32 2^31", FM_TYPE_INT32, -1, 1, 0, 2147483648.0, -1, 0 },
		{ "int32 -2^31 - 1", FM_TYPE_INT32, -1, 1, 0, -2147483649.0, -1, 0 },
		{ "uint32 -1", FM_TYPE_UINT32, -1, 1, 0, -1, -1, 0 },
		{ "uint32 2^32", FM_TYPE_UINT32, -1, 1, 0, 4294967296.0, -1, 0 },
		{ "int64 2^63", FM_TYPE_INT64, -1, 1, 0, 0x1p63, -1, 0 },
		{ "int64 -2^64", FM_TYPE_INT64, -1, 1, 0, -0x1p64, -1, 0 },
		{ "uint64 2^64", FM_TYPE_UINT64, -1, 1, 0, 0x1p64, -1, 0 },
		{ "uint64 -1", FM_TYPE_UINT64, -1, 1, 0, -1, -1, 0 },
		{ "int16 NaN", FM_TYPE_INT16, -1, 1, 0, NAN, -1, 0 },
		{ "int64 NaN", FM_TYPE_INT64, -1, 1, 0, NAN, -1, 0 },
		{ "uint32 inf", FM_TYPE_UINT32, -1, 1, 0, INFINITY, -1, 0 },
		{ "bool 2", FM_TYPE_BOOL, -1, 1, 0, 2, -1, 0 },
		{ "bool -1", FM_TYPE_BOOL, -1, 1, 0, -1, -1, 0 },
		{ "float32 1e39", FM_TYPE_FLOAT32, -1, 1, 0, 1e39, -1, 0 },
		{ "float32 -1e39", FM_TYPE_FLOAT32, -1, 1, 0, -1e39, -1, 0 },
		{ "int16 with scale 0", FM_TYPE_INT16, -1, 0, 0, 5, -1, 0 },
		/* a bit changes only itself; REGS starts as 0xA5A5 */
		{ "set bit 1", FM_TYPE_UINT16, 1, 1, 0, 1, 0, 0xA5A7 },
		{ "clear bit 0", FM_TYPE_UINT16, 0, 1, 0, 0, 0, 0xA5A4 },
		{ "clear bit 15", FM_TYPE_UINT16, 15, 1, 0, 0, 0, 0x25A5 },
		{ "set bit 0 again", FM_TYPE_UINT16, 0, 1, 0, 1, 0, 0xA5A5 },
		{ "inverted bit 5", FM_TYPE_UINT16, 5, -1, 1, 1, 0, 0xA585 },
		{ "bit 2 = 2", FM_TYPE_UINT16, 2, 1, 0, 2, -1, 0 },
		{ "bit 2 = NaN", FM_TYPE_UINT16, 2, 1, 0, NAN, -1, 0 },
	};
	int failures = 0;

	for (size_t i = 0; i < LEN(rows); i++) {
		const struct encode_row *r = &rows[i];
		struct fm_point p = point(r->type, FM_ORDER_ABCD, r->bit, r->scale, r->offset);
		uint16_t regs[4] = { SENTINEL, SENTINEL, SENTINEL, SENTINEL };
		int rc = mb_encode_registers(&p, r->value, regs);
		uint16_t want[4] = { SENTINEL, SENTINEL, SENTINEL, SENTINEL };
		if (r->want_rc == 0)
			want[0] = r->want_reg0;
		if (rc != r->want_rc || memcmp(regs, want, sizeof regs) != 0) {
			printf("encode %s: got rc %d, want rc %d\n", r->name, rc, r->want_rc);
			print_regs("got ", regs, LEN(regs));
			print_regs("want", want, LEN(want));
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

/* --- all orders ---------------------------------------------------------- */

struct orders_row {
	uint16_t regs[2];
	uint32_t want_u32[4]; /* indexed by enum fm_word_order */
};

static void test_decode_all_orders(void **state)
{
	(void)state;
	static const struct orders_row rows[] = {
		{ { 0xDEAD, 0xBEEF }, { 0xDEADBEEF, 0xBEEFDEAD, 0xADDEEFBE, 0xEFBEADDE } },
		{ { 0x41B4, 0x0000 }, { 0x41B40000, 0x000041B4, 0xB4410000, 0x0000B441 } },
		{ { 0xFFFF, 0xFFFE }, { 0xFFFFFFFE, 0xFFFEFFFF, 0xFFFFFEFF, 0xFEFFFFFF } },
	};
	int failures = 0;

	for (size_t i = 0; i < LEN(rows); i++) {
		struct mb_order_view got[4];
		memset(got, 0, sizeof got);
		mb_decode_all_orders(rows[i].regs, got);
		for (size_t o = 0; o < 4; o++) {
			uint32_t u = rows[i].want_u32[o];
			int32_t want_i32;
			float want_f32;
			memcpy(&want_i32, &u, sizeof want_i32);
			memcpy(&want_f32, &u, sizeof want_f32);
			if (got[o].u32 != u || got[o].i32 != want_i32 ||
			    memcmp(&got[o].f32, &want_f32, sizeof want_f32) != 0) {
				printf("all orders %04X %04X as %s: got u32 %08X i32 %d f32 %g, "
				       "want %08X %d %g\n", rows[i].regs[0], rows[i].regs[1],
				       word_order_name((enum fm_word_order)o), got[o].u32,
				       got[o].i32, (double)got[o].f32, u, want_i32,
				       (double)want_f32);
				failures++;
			}
		}
	}
	/* the readable spot checks a commissioning engineer would make */
	struct mb_order_view v[4];
	mb_decode_all_orders((const uint16_t[2]){ 0x0000, 0x41B4 }, v);
	if (v[FM_ORDER_CDAB].f32 != 22.5f || v[FM_ORDER_ABCD].u32 != 0x000041B4) {
		printf("all orders 0000 41B4: cdab f32 %g, abcd u32 %08X\n",
		       (double)v[FM_ORDER_CDAB].f32, v[FM_ORDER_ABCD].u32);
		failures++;
	}
	mb_decode_all_orders((const uint16_t[2]){ 0xFFFE, 0xFFFF }, v);
	if (v[FM_ORDER_CDAB].i32 != -2) {
		printf("all orders FFFE FFFF: cdab i32 %d, want -2\n", v[FM_ORDER_CDAB].i32);
		failures++;
	}
	assert_int_equal(failures, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_registers),
		cmocka_unit_test(test_encode_is_inverse),
		cmocka_unit_test(test_decode_bit),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_encode_rounding_and_range),
		cmocka_unit_test(test_decode_all_orders),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
