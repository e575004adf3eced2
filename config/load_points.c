/* load_points.c - point definitions, for devices and for profiles alike.
 *
 * Owns: reading a list of points into fm_point, with the checks a Modbus
 * read needs before it ever reaches a device: coils and discrete inputs
 * are single bits, `bit` picks from one 16-bit register, and the last
 * register a value occupies must still be a protocol address.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/load_private.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char *const point_keys[] = {
	"name", "read", "address", "type", "order", "bit", "scale", "offset", "unit", NULL,
};

static const char *const read_names[] = {
	[FM_READ_HOLDING] = "holding",
	[FM_READ_INPUT] = "input",
	[FM_READ_COIL] = "coil",
	[FM_READ_DISCRETE] = "discrete",
};

static const char *const type_names[] = {
	[FM_TYPE_BOOL] = "bool",     [FM_TYPE_INT16] = "int16",   [FM_TYPE_UINT16] = "uint16",
	[FM_TYPE_INT32] = "int32",   [FM_TYPE_UINT32] = "uint32", [FM_TYPE_FLOAT32] = "float32",
	[FM_TYPE_INT64] = "int64",   [FM_TYPE_UINT64] = "uint64", [FM_TYPE_FLOAT64] = "float64",
};

static const char *const order_names[] = {
	[FM_ORDER_ABCD] = "abcd",
	[FM_ORDER_CDAB] = "cdab",
	[FM_ORDER_BADC] = "badc",
	[FM_ORDER_DCBA] = "dcba",
};

static bool is_bit_read(enum fm_read_kind k)
{
	return k == FM_READ_COIL || k == FM_READ_DISCRETE;
}

/* Value type, defaulted from the read kind; false when it was bad. */
static bool parse_point_type(struct conf__ctx *c, const config_setting_t *g,
                             const char *path, bool read_ok, struct fm_point *p)
{
	int type = read_ok && is_bit_read(p->read) ? FM_TYPE_BOOL : FM_TYPE_UINT16;
	enum conf__got got = conf__enum(c, g, path, "type", false, type_names,
	                                (int)ARRAY_LEN(type_names), &type);
	p->type = (enum fm_value_type)type;
	if (got == CONF_BAD)
		return false;
	if (read_ok && is_bit_read(p->read) && p->type != FM_TYPE_BOOL) {
		conf__error(c, config_setting_get_member(g, "type"),
		            "%s.type: %s points are single bits, so the type must be bool, "
		            "not %s", path, read_names[p->read], type_names[p->type]);
		return false;
	}
	return true;
}

static void parse_point_bit(struct conf__ctx *c, const config_setting_t *g,
                            const char *path, bool read_ok, bool type_ok,
                            struct fm_point *p)
{
	p->bit = -1;
	if (conf__int(c, g, path, "bit", false, 0, 15, &p->bit) != CONF_OK)
		return;
	const config_setting_t *s = config_setting_get_member(g, "bit");
	if (read_ok && is_bit_read(p->read))
		conf__error(c, s, "%s.bit: bit is only for holding and input registers, "
		            "not %s", path, read_names[p->read]);
	else if (type_ok && p->type != FM_TYPE_INT16 && p->type != FM_TYPE_UINT16)
		conf__error(c, s, "%s.bit: bit needs a 16-bit type (int16 or uint16), "
		            "not %s", path, type_names[p->type]);
}

static void parse_point_scaling(struct conf__ctx *c, const config_setting_t *g,
                                const char *path, struct fm_point *p)
{
	p->scale = 1.0;
	p->offset = 0.0;
	if (conf__double(c, g, path, "scale", false, &p->scale) == CONF_OK && p->scale == 0.0)
		conf__error(c, config_setting_get_member(g, "scale"),
		            "%s.scale: must not be 0 (every reading would be 0)", path);
	conf__double(c, g, path, "offset", false, &p->offset);
	conf__string(c, g, path, "unit", false, p->unit, sizeof(p->unit));
}

static void check_register_count(struct conf__ctx *c, const config_setting_t *g,
                                 const char *path, int address, const struct fm_point *p)
{
	int regs = is_bit_read(p->read) ? 1 : value_type_registers(p->type);
	if (address + regs - 1 <= 65535)
		return;
	conf__error(c, config_setting_get_member(g, "address"),
	            "%s.address: %d with register count %d (%s) runs past the last "
	            "address 65535", path, address, regs, type_names[p->type]);
}

static bool parse_point(struct conf__ctx *c, const config_setting_t *g,
                        const char *path, struct fm_point *p)
{
	size_t before = conf__nerrors(c);

	conf__origin(c, g, &p->origin);
	conf__known_keys(c, g, path, point_keys);
	conf__name(c, g, path, "name", true, CONF_NAME, p->name);

	int read = FM_READ_HOLDING;
	bool read_ok = conf__enum(c, g, path, "read", true, read_names,
	                          (int)ARRAY_LEN(read_names), &read) == CONF_OK;
	p->read = (enum fm_read_kind)read;
	int address = 0;
	bool address_ok = conf__int(c, g, path, "address", true, 0, 65535,
	                            &address) == CONF_OK;
	p->address = (uint16_t)address;
	bool type_ok = parse_point_type(c, g, path, read_ok, p);

	int order = FM_ORDER_ABCD;
	conf__enum(c, g, path, "order", false, order_names, (int)ARRAY_LEN(order_names),
	           &order);
	p->order = (enum fm_word_order)order;
	parse_point_bit(c, g, path, read_ok, type_ok, p);
	parse_point_scaling(c, g, path, p);
	if (read_ok && address_ok && type_ok)
		check_register_count(c, g, path, address, p);

	return conf__nerrors(c) == before;
}

/* Names are unique within one list; the first one wins the message. */
static bool check_duplicate_points(struct conf__ctx *c, const config_setting_t *list,
                                   const char *path, const struct fm_point *points,
                                   size_t n)
{
	bool ok = true;
	for (size_t i = 1; i < n; i++) {
		for (size_t j = 0; points[i].name[0] && j < i; j++) {
			if (strcmp(points[i].name, points[j].name) != 0)
				continue;
			const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
			conf__error(c, config_setting_get_member(g, "name"),
			            "%s.[%zu].name: duplicate point name '%s' (first at %s:%d)",
			            path, i, points[i].name, points[j].origin.file,
			            points[j].origin.line);
			ok = false;
			break;
		}
	}
	return ok;
}

bool conf__parse_points(struct conf__ctx *c, const config_setting_t *list,
                        const char *path, struct fm_point **points, size_t *npoints)
{
	*points = NULL;
	*npoints = 0;
	if (!conf__group_list(c, list, path))
		return false;

	int n = config_setting_length(list);
	*points = calloc((size_t)n + 1, sizeof(**points));
	if (!*points) {
		conf__error(c, list, "%s: out of memory", path);
		return false;
	}
	*npoints = (size_t)n;

	bool ok = true;
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
		char p[CONF_PATH_MAX];
		conf__path_index(p, path, i);
		(*points)[i].bit = -1;
		if (!conf__expect(c, g, p, CONFIG_TYPE_GROUP) || !parse_point(c, g, p, &(*points)[i]))
			ok = false;
	}
	return check_duplicate_points(c, list, path, *points, *npoints) && ok;
}
