/* modbus_decode.h - turning Modbus registers and bits into point values.
 *
 * Owns: the pure conversion between raw registers/bits and engineering
 * values for one point (type, word order, bit, scale, offset), in both
 * directions: decode for the collector, encode for the simulator and tests.
 * No I/O and no state, so every combination is table-tested.
 */
#ifndef FACMON_MODBUS_DECODE_H
#define FACMON_MODBUS_DECODE_H

#include <stdint.h>

#include "config/config.h"

/* Decodes the point whose first register is REGS[0] (for holding/input
 * reads; REGS holds value_type_registers(type) registers, or 1 with a bit).
 * Returns the engineering value raw * scale + offset. */
double mb_decode_registers(const struct fm_point *p, const uint16_t *regs);

/* Decodes a coil or discrete input: 0 or 1, then scale/offset as usual. */
double mb_decode_bit(const struct fm_point *p, uint8_t bit);

/* Encodes VALUE (an engineering value) into the registers the point
 * occupies, the inverse of mb_decode_registers. With a bit, only that bit of
 * REGS[0] changes. Returns 0, or -1 when VALUE does not fit the type. */
int mb_encode_registers(const struct fm_point *p, double value, uint16_t *regs);

/* The raw integer/float a register pair means in each word order, for
 * commissioning: as int32, uint32 and float32. */
struct mb_order_view {
	int32_t i32;
	uint32_t u32;
	float f32;
};
void mb_decode_all_orders(const uint16_t regs[2], struct mb_order_view out[4]);

#endif
