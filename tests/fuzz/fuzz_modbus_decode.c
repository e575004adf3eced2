/* fuzz_modbus_decode.c - libFuzzer target: Modbus register decoding.
 *
 * Owns: turning an input into one point as the config would accept it
 * (any type and word order, a bit only on 16-bit types, a finite non-zero
 * scale and a finite offset) and registers as a device would send them,
 * then decoding, encoding and decoding again. Besides the sanitizers it
 * checks the round trip: for 16- and 32-bit integers and single bits with
 * a plain scale, the registers a value was decoded from encode back to
 * the same registers.
 *
 * Input: type, order, bit, scale selector (1 byte each), then 4 registers
 * (8 bytes, big-endian), then with selector >= 4 the scale and offset
 * (8 bytes each, host doubles), then a value to encode (8 bytes).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/modbus_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_in {
	const uint8_t *data;
	size_t size;
};

static uint8_t fuzz_byte(struct fuzz_in *in)
{
	if (in->size == 0)
		return 0;
	in->size--;
	return *in->data++;
}

static double fuzz_double(struct fuzz_in *in)
{
	double d = 0;
	size_t n = in->size < sizeof d ? in->size : sizeof d;
	memcpy(&d, in->data, n);
	in->data += n;
	in->size -= n;
	return d;
}

/* Scales whose round trip is exact enough to check (selector 0..3). */
static const double fuzz_plain_scales[] = { 1, 0.1, 0.01, 10 };

static void fuzz_point(struct fuzz_in *in, struct fm_point *p, bool *plain)
{
	*p = (struct fm_point){ .read = FM_READ_HOLDING, .bit = -1 };
	p->type = (enum fm_value_type)(fuzz_byte(in) % (FM_TYPE_FLOAT64 + 1));
	p->order = (enum fm_word_order)(fuzz_byte(in) % (FM_ORDER_DCBA + 1));
	uint8_t bit = fuzz_byte(in);
	if (bit < 16 && (p->type == FM_TYPE_INT16 || p->type == FM_TYPE_UINT16))
		p->bit = bit;
	uint8_t sel = fuzz_byte(in);
	*plain = sel < 4;
	p->scale = *plain ? fuzz_plain_scales[sel] : 1;
}

static void fuzz_regs(struct fuzz_in *in, uint16_t regs[4])
{
	for (int i = 0; i < 4; i++) {
		uint16_t hi = fuzz_byte(in);
		regs[i] = (uint16_t)(hi << 8 | fuzz_byte(in));
	}
}

static bool fuzz_round_trips(const struct fm_point *p)
{
	if (p->bit >= 0)
		return true;
	return p->type == FM_TYPE_INT16 || p->type == FM_TYPE_UINT16 ||
	       p->type == FM_TYPE_INT32 || p->type == FM_TYPE_UINT32;
}

static void fuzz_check_round_trip(const struct fm_point *p, const uint16_t regs[4])
{
	double v = mb_decode_registers(p, regs);
	uint16_t again[4];
	memcpy(again, regs, sizeof again);
	if (p->bit < 0)
		memset(again, 0xa5, sizeof again); /* every register must be written */
	if (mb_encode_registers(p, v, again) != 0)
		abort(); /* a decoded value must encode */
	int n = p->bit >= 0 ? 1 : value_type_registers(p->type);
	if (memcmp(again, regs, (size_t)n * sizeof regs[0]) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct fm_point p;
	bool plain;
	fuzz_point(&in, &p, &plain);
	uint16_t regs[4];
	fuzz_regs(&in, regs);
	if (!plain) {
		p.scale = fuzz_double(&in);
		p.offset = fuzz_double(&in);
		if (!isfinite(p.scale) || p.scale == 0 || !isfinite(p.offset))
			return -1; /* the config refuses these */
	}

	double v = mb_decode_registers(&p, regs);
	(void)mb_decode_bit(&p, regs[0] & 1);
	uint16_t out[4] = { 0 };
	if (mb_encode_registers(&p, v, out) == 0)
		(void)mb_decode_registers(&p, out);
	(void)mb_encode_registers(&p, fuzz_double(&in), out);
	struct mb_order_view views[4];
	mb_decode_all_orders(regs, views);

	if (plain && fuzz_round_trips(&p))
		fuzz_check_round_trip(&p, regs);
	return 0;
}
