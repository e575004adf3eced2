/* modbus_decode.c - Modbus registers and bits to point values and back.
 *
 * Owns: the pure conversion declared in modbus_decode.h. No I/O, no state.
 *
 * WORD ORDERS. A value of N registers (N = 2 or 4) has the bytes A, B, C,
 * ... (A most significant). R0 is the register at the point's address, R1
 * the next one, and each register is sent high byte first, as Modbus says.
 * The order names how the bytes of a 32-bit value arrive:
 *
 *   order  32-bit             64-bit                            meaning
 *   abcd   R0=AB R1=CD        R0=AB R1=CD R2=EF R3=GH           big-endian
 *   cdab   R0=CD R1=AB        R0=GH R1=EF R2=CD R3=AB           words reversed
 *   badc   R0=BA R1=DC        R0=BA R1=DC R2=FE R3=HG           bytes swapped
 *   dcba   R0=DC R1=BA        R0=HG R1=FE R2=DC R3=BA           little-endian
 *
 * So an order is two independent switches: "words reversed" (cdab, dcba)
 * reverses the order of all N registers, and "bytes swapped" (badc, dcba)
 * swaps the two bytes inside each register. For 64-bit values cdab is what
 * pymodbus and most gateways call word-swapped (little-endian word order,
 * big-endian bytes), and dcba is fully little-endian. Encoding applies the
 * same two switches, so it is the exact inverse of decoding.
 *
 * Single-register types (bool, int16, uint16) and bit points ignore the
 * order: the config defines it for multi-register types only.
 *
 * SCALE. value = raw * scale + offset: collectors/scale.c.
 */
#include "collectors/modbus_decode.h"
#include "collectors/scale.h"

#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

static bool mb_order_reverses_words(enum fm_word_order o)
{
	return o == FM_ORDER_CDAB || o == FM_ORDER_DCBA;
}

static bool mb_order_swaps_bytes(enum fm_word_order o)
{
	return o == FM_ORDER_BADC || o == FM_ORDER_DCBA;
}

static uint16_t mb_swap16(uint16_t w)
{
	return (uint16_t)(w << 8 | w >> 8);
}

/* The N registers at REGS as one big-endian number A..H, per ORDER. */
static uint64_t mb_regs_to_raw(const uint16_t *regs, unsigned n,
                               enum fm_word_order order)
{
	uint64_t raw = 0;

	for (unsigned i = 0; i < n; i++) {
		uint16_t w = regs[mb_order_reverses_words(order) ? n - 1 - i : i];
		if (mb_order_swaps_bytes(order))
			w = mb_swap16(w);
		raw = raw << 16 | w;
	}
	return raw;
}

static void mb_raw_to_regs(uint64_t raw, unsigned n, enum fm_word_order order,
                           uint16_t *regs)
{
	for (unsigned i = 0; i < n; i++) {
		uint16_t w = (uint16_t)(raw >> (16 * (n - 1 - i)));
		if (mb_order_swaps_bytes(order))
			w = mb_swap16(w);
		regs[mb_order_reverses_words(order) ? n - 1 - i : i] = w;
	}
}

/* Two's complement reinterpretation without implementation-defined casts. */
static int64_t mb_signed(uint64_t raw, unsigned bits)
{
	if (bits == 64) {
		int64_t v;
		memcpy(&v, &raw, sizeof v);
		return v;
	}
	uint64_t sign = UINT64_C(1) << (bits - 1);
	return (int64_t)(raw & (sign - 1)) - (int64_t)(raw & sign);
}

static double mb_float32(uint32_t raw)
{
	float f;
	memcpy(&f, &raw, sizeof f);
	return f;
}

static double mb_float64(uint64_t raw)
{
	double d;
	memcpy(&d, &raw, sizeof d);
	return d;
}

/* The unscaled number of a whole-value point. */
static double mb_decode_raw(const struct fm_point *p, const uint16_t *regs)
{
	switch (p->type) {
	case FM_TYPE_BOOL:
		return regs[0] != 0;
	case FM_TYPE_INT16:
		return (double)mb_signed(regs[0], 16);
	case FM_TYPE_UINT16:
		return regs[0];
	case FM_TYPE_INT32:
		return (double)mb_signed(mb_regs_to_raw(regs, 2, p->order), 32);
	case FM_TYPE_UINT32:
		return (double)mb_regs_to_raw(regs, 2, p->order);
	case FM_TYPE_FLOAT32:
		return mb_float32((uint32_t)mb_regs_to_raw(regs, 2, p->order));
	case FM_TYPE_INT64:
		return (double)mb_signed(mb_regs_to_raw(regs, 4, p->order), 64);
	case FM_TYPE_UINT64:
		return (double)mb_regs_to_raw(regs, 4, p->order);
	case FM_TYPE_FLOAT64:
		return mb_float64(mb_regs_to_raw(regs, 4, p->order));
	}
	return NAN;
}

double mb_decode_registers(const struct fm_point *p, const uint16_t *regs)
{
	double raw;

	if (p->bit >= 0) {
		assert(p->bit < 16);
		raw = (regs[0] >> p->bit) & 1;
	} else {
		raw = mb_decode_raw(p, regs);
	}
	return point_scale(p, raw);
}

double mb_decode_bit(const struct fm_point *p, uint8_t bit)
{
	return point_scale(p, bit != 0);
}

/* RAW rounded to an integer in [MIN, MAX], or false. MAX is exclusive so
 * that 2^63 and 2^64, which doubles hold exactly, can bound 64-bit types. */
static bool mb_round_in(double raw, double min, double max_excl, double *out)
{
	if (isnan(raw))
		return false;
	double r = round(raw);
	if (r < min || r >= max_excl)
		return false;
	*out = r;
	return true;
}

/* Encodes the unscaled RAW for a whole-value point into REGS. */
static int mb_encode_raw(const struct fm_point *p, double raw, uint16_t *regs)
{
	double r;

	switch (p->type) {
	case FM_TYPE_BOOL:
		if (!mb_round_in(raw, 0, 2, &r))
			return -1;
		regs[0] = (uint16_t)r;
		return 0;
	case FM_TYPE_INT16:
		if (!mb_round_in(raw, INT16_MIN, INT16_MAX + 1.0, &r))
			return -1;
		regs[0] = (uint16_t)(int16_t)r;
		return 0;
	case FM_TYPE_UINT16:
		if (!mb_round_in(raw, 0, UINT16_MAX + 1.0, &r))
			return -1;
		regs[0] = (uint16_t)r;
		return 0;
	case FM_TYPE_INT32:
		if (!mb_round_in(raw, INT32_MIN, INT32_MAX + 1.0, &r))
			return -1;
		mb_raw_to_regs((uint32_t)(int32_t)r, 2, p->order, regs);
		return 0;
	case FM_TYPE_UINT32:
		if (!mb_round_in(raw, 0, UINT32_MAX + 1.0, &r))
			return -1;
		mb_raw_to_regs((uint32_t)r, 2, p->order, regs);
		return 0;
	case FM_TYPE_FLOAT32: {
		if (isfinite(raw) && fabs(raw) > FLT_MAX)
			return -1;
		float f = (float)raw;
		uint32_t bits;
		memcpy(&bits, &f, sizeof bits);
		mb_raw_to_regs(bits, 2, p->order, regs);
		return 0;
	}
	case FM_TYPE_INT64:
		if (!mb_round_in(raw, -0x1p63, 0x1p63, &r))
			return -1;
		mb_raw_to_regs((uint64_t)(int64_t)r, 4, p->order, regs);
		return 0;
	case FM_TYPE_UINT64:
		if (!mb_round_in(raw, 0, 0x1p64, &r))
			return -1;
		mb_raw_to_regs((uint64_t)r, 4, p->order, regs);
		return 0;
	case FM_TYPE_FLOAT64: {
		uint64_t bits;
		memcpy(&bits, &raw, sizeof bits);
		mb_raw_to_regs(bits, 4, p->order, regs);
		return 0;
	}
	}
	return -1;
}

int mb_encode_registers(const struct fm_point *p, double value, uint16_t *regs)
{
	double raw = point_unscale(p, value);

	if (p->bit < 0)
		return mb_encode_raw(p, raw, regs);

	assert(p->bit < 16);
	double r;
	if (!mb_round_in(raw, 0, 2, &r))
		return -1;
	uint16_t mask = (uint16_t)(1u << p->bit);
	regs[0] = r != 0 ? regs[0] | mask : regs[0] & (uint16_t)~mask;
	return 0;
}

void mb_decode_all_orders(const uint16_t regs[2], struct mb_order_view out[4])
{
	static const enum fm_word_order orders[] = {
		FM_ORDER_ABCD, FM_ORDER_CDAB, FM_ORDER_BADC, FM_ORDER_DCBA,
	};

	for (size_t i = 0; i < sizeof orders / sizeof orders[0]; i++) {
		enum fm_word_order o = orders[i];
		uint32_t raw = (uint32_t)mb_regs_to_raw(regs, 2, o);
		out[o].u32 = raw;
		out[o].i32 = (int32_t)mb_signed(raw, 32);
		memcpy(&out[o].f32, &raw, sizeof out[o].f32);
	}
}
