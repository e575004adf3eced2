/* probe_read.c - `facmon probe` reading registers or bits of one unit.
 *
 * Owns: the plain read (one request of --count values of --type at
 * --address, printed one line per register or bit with its raw value and
 * the decoded value) and --all-orders (2 registers shown as int32, uint32
 * and float32 in each word order). One request each, through modbus_link
 * like the collector, decoded by modbus_decode like the agent, so a
 * value read here reads the same once it is in a config.
 */
#include <errno.h>
#include <stdio.h>

#include "probe/probe_private.h"
#include "collectors/modbus_decode.h"
#include "collectors/modbus_link.h"

/* Opens the line, or explains why not (stderr, and DOC for --json). */
static modbus_t *open_or_explain(const struct probe_opts *o, cJSON *doc)
{
	char err[FM_TEXT_MAX * 2], msg[FM_TEXT_MAX * 4];
	modbus_t *ctx = mb_link_open(&o->bus, err, sizeof err);
	if (ctx)
		return ctx;
	probe_explain_open(o, errno, err, msg, sizeof msg);
	probe_give_up(doc, "connection", msg);
	return NULL;
}

/* One request; on failure explains it and returns the exit status. */
static int read_or_explain(const struct probe_opts *o, unsigned span,
                           uint16_t *regs, uint8_t *bits, cJSON *doc)
{
	char what[64], msg[FM_TEXT_MAX * 4];
	modbus_t *ctx = open_or_explain(o, doc);
	if (!ctx)
		return PROBE_EXIT_NO_ANSWER;
	int e = mb_link_read(ctx, o->unit, o->read, o->address, (uint16_t)span, regs, bits);
	mb_link_close(ctx);
	if (e == 0)
		return PROBE_EXIT_OK;
	probe_range_text(o->read, o->address, span, what, sizeof what);
	const char *kind = probe_explain(o, o->unit, e, what, msg, sizeof msg);
	return probe_give_up(doc, kind, msg);
}

static void add_request_json(const struct probe_opts *o, cJSON *doc, unsigned span)
{
	cJSON_AddStringToObject(doc, "read", read_kind_name(o->read));
	cJSON_AddNumberToObject(doc, "address", o->address);
	cJSON_AddNumberToObject(doc, "count", o->count);
	cJSON_AddNumberToObject(doc, "span", span);
	cJSON_AddStringToObject(doc, "type", value_type_name(o->point.type));
	cJSON_AddStringToObject(doc, "order", word_order_name(o->point.order));
	cJSON_AddNumberToObject(doc, "scale", o->point.scale);
	cJSON_AddNumberToObject(doc, "offset", o->point.offset);
}

/* "unit 1 at HOST:502: input 1..2 as int16, scale 0.1" */
static void print_heading(const struct probe_opts *o, unsigned span)
{
	char where[FM_TEXT_MAX + 64], what[64];
	probe_where(o, o->unit, where, sizeof where);
	probe_range_text(o->read, o->address, span, what, sizeof what);
	printf("%s: %s as %s", where, what, value_type_name(o->point.type));
	if (value_type_registers(o->point.type) > 1)
		printf(" %s", word_order_name(o->point.order));
	if (o->point.scale != 1.0)
		printf(", scale %g", o->point.scale);
	if (o->point.offset != 0.0)
		printf(", offset %g", o->point.offset);
	printf("\n");
}

static void print_registers(const struct probe_opts *o, const uint16_t *regs)
{
	unsigned per = (unsigned)value_type_registers(o->point.type);
	char value[64];
	printf("%-8s %-6s %-7s %s\n", "ADDRESS", "DEC", "HEX", "VALUE");
	for (unsigned i = 0; i < o->count * per; i++) {
		unsigned addr = o->address + i;
		if (i % per == 0)
			probe_format_value(&o->point, mb_decode_registers(&o->point, &regs[i]),
			                   value, sizeof value);
		else
			snprintf(value, sizeof value, "(part of %u)", addr - i % per);
		printf("%-8u %-6u 0x%04X  %s\n", addr, regs[i], regs[i], value);
	}
}

static void print_bits(const struct probe_opts *o, const uint8_t *bits)
{
	bool scaled = o->point.scale != 1.0 || o->point.offset != 0.0;
	char value[64];
	if (scaled)
		printf("%-8s %-4s %s\n", "ADDRESS", "BIT", "VALUE");
	else
		printf("%-8s %s\n", "ADDRESS", "VALUE");
	for (unsigned i = 0; i < o->count; i++) {
		probe_format_value(&o->point, mb_decode_bit(&o->point, bits[i]), value,
		                   sizeof value);
		if (scaled)
			printf("%-8u %-4u %s\n", o->address + i, bits[i] ? 1u : 0u, value);
		else
			printf("%-8u %u\n", o->address + i, bits[i] ? 1u : 0u);
	}
}

static void add_values_json(const struct probe_opts *o, cJSON *doc,
                            const uint16_t *regs, const uint8_t *bits)
{
	bool bit_read = o->read == FM_READ_COIL || o->read == FM_READ_DISCRETE;
	unsigned per = bit_read ? 1 : (unsigned)value_type_registers(o->point.type);
	cJSON *raw = cJSON_AddArrayToObject(doc, bit_read ? "bits" : "registers");
	for (unsigned i = 0; i < o->count * per; i++)
		cJSON_AddItemToArray(raw, cJSON_CreateNumber(bit_read ? (bits[i] != 0) : regs[i]));
	cJSON *values = cJSON_AddArrayToObject(doc, "values");
	for (unsigned i = 0; i < o->count; i++) {
		cJSON *v = cJSON_CreateObject();
		cJSON_AddNumberToObject(v, "address", o->address + i * per);
		cJSON_AddNumberToObject(v, "value", bit_read
		                        ? mb_decode_bit(&o->point, bits[i])
		                        : mb_decode_registers(&o->point, &regs[i * per]));
		cJSON_AddItemToArray(values, v);
	}
}

int probe_read(const struct probe_opts *o)
{
	uint16_t regs[FM_MODBUS_MAX_REGISTERS];
	uint8_t bits[FM_MODBUS_MAX_BITS];
	unsigned span = probe_span(o);
	cJSON *doc = NULL;
	if (o->json) {
		doc = probe_json_start(o, o->unit);
		add_request_json(o, doc, span);
	}
	int rc = read_or_explain(o, span, regs, bits, doc);
	if (rc != PROBE_EXIT_OK)
		return rc;
	if (doc) {
		add_values_json(o, doc, regs, bits);
		probe_json_print(doc);
	} else {
		print_heading(o, span);
		if (o->read == FM_READ_COIL || o->read == FM_READ_DISCRETE)
			print_bits(o, bits);
		else
			print_registers(o, regs);
	}
	return PROBE_EXIT_OK;
}

/* ---- --all-orders ------------------------------------------------------ */

static const enum fm_value_type order_types[3] = {
	FM_TYPE_INT32, FM_TYPE_UINT32, FM_TYPE_FLOAT32,
};

/* REGS read as TYPE in ORDER with the user's scale: what a point so
 * configured would read (mb_decode_all_orders gives the same unscaled). */
static double order_value(const struct probe_opts *o, const uint16_t regs[2],
                          enum fm_word_order order, enum fm_value_type type,
                          struct fm_point *p)
{
	*p = o->point;
	p->type = type;
	p->order = order;
	return mb_decode_registers(p, regs);
}

static void print_orders(const struct probe_opts *o, const uint16_t regs[2])
{
	char where[FM_TEXT_MAX + 64], what[64], cell[3][32];
	struct fm_point p;
	probe_where(o, o->unit, where, sizeof where);
	probe_range_text(o->read, o->address, 2, what, sizeof what);
	printf("%s: %s = 0x%04X 0x%04X (%u %u)", where, what, regs[0], regs[1],
	       regs[0], regs[1]);
	if (o->point.scale != 1.0 || o->point.offset != 0.0)
		printf(", shown as raw * %g + %g", o->point.scale, o->point.offset);
	printf("\n%-6s %-14s %-14s %s\n", "ORDER", "INT32", "UINT32", "FLOAT32");
	for (int w = FM_ORDER_ABCD; w <= FM_ORDER_DCBA; w++) {
		for (int t = 0; t < 3; t++) {
			double v = order_value(o, regs, (enum fm_word_order)w, order_types[t], &p);
			probe_format_value(&p, v, cell[t], sizeof cell[t]);
		}
		printf("%-6s %-14s %-14s %s\n", word_order_name((enum fm_word_order)w),
		       cell[0], cell[1], cell[2]);
	}
}

static void add_orders_json(const struct probe_opts *o, cJSON *doc,
                            const uint16_t regs[2])
{
	struct fm_point p;
	cJSON *raw = cJSON_AddArrayToObject(doc, "registers");
	cJSON_AddItemToArray(raw, cJSON_CreateNumber(regs[0]));
	cJSON_AddItemToArray(raw, cJSON_CreateNumber(regs[1]));
	cJSON *orders = cJSON_AddObjectToObject(doc, "orders");
	for (int w = FM_ORDER_ABCD; w <= FM_ORDER_DCBA; w++) {
		cJSON *one = cJSON_AddObjectToObject(orders,
		                                     word_order_name((enum fm_word_order)w));
		for (int t = 0; t < 3; t++)
			cJSON_AddNumberToObject(one, value_type_name(order_types[t]),
			                        order_value(o, regs, (enum fm_word_order)w,
			                                    order_types[t], &p));
	}
}

int probe_all_orders(const struct probe_opts *o)
{
	uint16_t regs[2];
	uint8_t unused[1];
	cJSON *doc = NULL;
	if (o->json) {
		doc = probe_json_start(o, o->unit);
		cJSON_AddStringToObject(doc, "read", read_kind_name(o->read));
		cJSON_AddNumberToObject(doc, "address", o->address);
		cJSON_AddNumberToObject(doc, "scale", o->point.scale);
		cJSON_AddNumberToObject(doc, "offset", o->point.offset);
	}
	int rc = read_or_explain(o, 2, regs, unused, doc);
	if (rc != PROBE_EXIT_OK)
		return rc;
	if (doc) {
		add_orders_json(o, doc, regs);
		probe_json_print(doc);
	} else {
		print_orders(o, regs);
	}
	return PROBE_EXIT_OK;
}
