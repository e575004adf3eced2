/* load_points.c - point definitions, for devices and for profiles alike.
 *
 * Owns: reading a list of points into fm_point. A Modbus point says which
 * registers to read, with the checks a read needs before it ever reaches a
 * device: coils and discrete inputs are single bits, `bit` picks from one
 * 16-bit register, and the last register a value occupies must still be a
 * protocol address. An SNMP point gives a numeric OID instead, or a table
 * column with `rows` (and optionally `row_names`), which becomes one point
 * per row: `input_voltage` with rows [1, 2, 3] and row_names ["L1", "L2",
 * "L3"] is input_voltage_L1 (column.1), input_voltage_L2, input_voltage_L3.
 * With `rows = "all"` the rows are not known until the device is walked:
 * the column becomes `max_rows` slots of the same name, which the SNMP
 * collector fills with the rows it finds (named by the `row_names` column,
 * an OID then, or by index).
 * Either kind may name its integer values (`enum`), so rules can compare
 * with names.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/load_private.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char *const point_keys[] = {
	"name", "read", "address", "type", "order", "bit", "scale", "offset", "unit",
	"enum", "bits", "oid", "rows", "row_names", "max_rows", "valid_min", "valid_max",
	"sentinels", "stuck_after", "drop", NULL,
};

/* Keys that say where a Modbus value is; an SNMP point has an oid instead. */
static const char *const modbus_point_keys[] = {
	"read", "address", "type", "order", "bit", NULL,
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

/* `enum = { normal = 3; battery = 5; }`: names for integer readings, in
 * file order. A name is a libconfig setting name, so its alphabet is
 * checked by the parser; two names of one value would make the reading's
 * name ambiguous. Member M of the group is added to ITEMS (N so far). */
static void parse_enum_item(struct conf__ctx *c, const config_setting_t *m,
                            const char *path, struct fm_enum_item *items, size_t *n)
{
	const config_setting_t *e = config_setting_parent(m);
	const char *name = config_setting_name(m);
	char pm[CONF_PATH_MAX];
	conf__path(pm, path, name);
	int v;
	if (conf__int(c, e, path, name, true, INT_MIN, INT_MAX, &v) != CONF_OK)
		return;
	size_t len = strlen(name);
	if (len >= FM_ENUM_NAME_MAX) {
		conf__error(c, m, "%s: the name is too long (%zu bytes, at most %d)", pm,
		            len, FM_ENUM_NAME_MAX - 1);
		return;
	}
	for (size_t k = 0; k < *n; k++) {
		if (items[k].value == v) {
			conf__error(c, m, "%s: %d is already named '%s'; one value, one name",
			            pm, v, items[k].name);
			return;
		}
	}
	struct fm_enum_item *it = &items[(*n)++];
	it->value = v;
	memcpy(it->name, name, len + 1);
}

/* `enum = { normal = 3; }` names values; `bits = { zone_1 = 0; }` names
 * bit positions (0-31) for mask rules. A point has one or the other. */
static void parse_point_enum(struct conf__ctx *c, const config_setting_t *g,
                             const char *path, struct fm_point *p)
{
	const config_setting_t *e = config_setting_get_member(g, "enum");
	const config_setting_t *bits = config_setting_get_member(g, "bits");
	if (e && bits) {
		conf__error(c, bits, "%s.bits: a point names its values (enum) or its "
		            "bits, not both", path);
		return;
	}
	if (!e && !bits)
		return;
	const char *key = e ? "enum" : "bits";
	e = e ? e : bits;
	p->enum_is_bits = bits != NULL;
	char pe[CONF_PATH_MAX];
	conf__path(pe, path, key);
	if (!config_setting_is_group(e)) {
		conf__error(c, e, "%s: expected a group of names and their %s "
		            "{ %s }, got %s", pe, bits ? "bit numbers" : "values",
		            bits ? "zone_1 = 0; zone_2 = 1;" : "normal = 3; battery = 5;",
		            conf__type_name(config_setting_type(e)));
		return;
	}
	int n = config_setting_length(e);
	if (n == 0)
		conf__error(c, e, "%s: is empty; name at least one value", pe);
	else if (n > FM_ENUM_MAX)
		conf__error(c, e, "%s: %d values, at most %d", pe, n, FM_ENUM_MAX);
	if (n == 0 || n > FM_ENUM_MAX)
		return;
	struct fm_enum_item items[FM_ENUM_MAX];
	size_t nitems = 0;
	for (int i = 0; i < n; i++)
		parse_enum_item(c, config_setting_get_elem(e, (unsigned)i), pe, items, &nitems);
	for (size_t i = 0; bits && i < nitems; i++)
		if (items[i].value < 0 || items[i].value > 31)
			conf__error(c, e, "%s.%s: bit %d; bits are 0 to 31", pe, items[i].name,
			            items[i].value);
	p->enums = nitems ? pool_copy(c->pool, items, nitems * sizeof *items) : NULL;
	p->nenums = p->enums ? nitems : 0;
	if (nitems && !p->enums)
		conf__error(c, e, "%s: out of memory", pe);
	/* rules compare the scaled value with the named raw one */
	if (p->scale != 1.0 || p->offset != 0.0)
		conf__error(c, e, "%s: %s raw integer readings; it cannot be combined with "
		            "scale or offset", pe, bits ? "bits name the bits of" : "enum names");
}

/* valid_min / valid_max (engineering units), sentinels (raw values) and
 * stuck_after: what makes a reading a sensor fault. */
static void parse_point_faults(struct conf__ctx *c, const config_setting_t *g,
                               const char *path, struct fm_point *p)
{
	p->has_valid_min = conf__double(c, g, path, "valid_min", false, &p->valid_min) == CONF_OK;
	p->has_valid_max = conf__double(c, g, path, "valid_max", false, &p->valid_max) == CONF_OK;
	if (p->has_valid_min && p->has_valid_max && p->valid_min > p->valid_max)
		conf__error(c, config_setting_get_member(g, "valid_max"),
		            "%s.valid_max: %g is below valid_min %g", path, p->valid_max,
		            p->valid_min);
	conf__int(c, g, path, "stuck_after", false, 0, 7 * 86400, &p->stuck_after);
	const config_setting_t *s = config_setting_get_member(g, "sentinels");
	if (!s)
		return;
	int n = config_setting_is_array(s) ? config_setting_length(s) : -1;
	if (n < 1 || n > FM_SENTINELS_MAX) {
		conf__error(c, s, "%s.sentinels: expected an array of 1 to %d raw values, "
		            "like [65535, -32768]", path, FM_SENTINELS_MAX);
		return;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		long long v = 0;
		char lit[64];
		if (config_setting_type(e) == CONFIG_TYPE_FLOAT)
			p->sentinels[p->nsentinels++] = config_setting_get_float(e);
		else if (conf__int_value(c, e, &v, lit, sizeof lit))
			p->sentinels[p->nsentinels++] = (double)v;
		else
			conf__error(c, e, "%s.sentinels[%d]: %s is past 64 bits, not a raw "
			            "value a register holds", path, i, lit);
	}
}

/* A numeric OID: decimal arcs, at least two, each a 32-bit sub-identifier
 * (what SNMP encodes). A leading dot, as snmpget prints them, is dropped.
 * NULL when fine, else why not. */
static const char *oid_problem(const char *oid)
{
	size_t arcs = 0;
	const char *s = oid;
	for (;;) {
		if (*s < '0' || *s > '9')
			return "";
		errno = 0;
		char *end;
		unsigned long long v = strtoull(s, &end, 10);
		if (errno == ERANGE || v > 4294967295ULL)
			return "; each arc is at most 4294967295";
		arcs++;
		s = end;
		if (*s == '\0')
			break;
		if (*s++ != '.')
			return "";
	}
	return arcs < 2 ? "; an OID has at least two arcs" : NULL;
}

/* A numeric OID under KEY of G into OUT (FM_OID_MAX); false when absent
 * (and not REQUIRED) or reported. */
static bool parse_oid_key(struct conf__ctx *c, const config_setting_t *g,
                          const char *path, const char *key, bool required, char *out)
{
	char text[FM_TEXT_MAX];
	if (conf__string(c, g, path, key, required, text, sizeof(text)) != CONF_OK)
		return false;
	const config_setting_t *s = config_setting_get_member(g, key);
	const char *oid = text[0] == '.' ? text + 1 : text;
	const char *why = oid_problem(oid);
	if (why) {
		conf__error(c, s, "%s.%s: '%s' is not a numeric OID (1.3.6.1...)%s", path,
		            key, text, why);
		return false;
	}
	size_t len = strlen(oid);
	if (len >= FM_OID_MAX) {
		conf__error(c, s, "%s.%s: is too long (%zu bytes, at most %d)", path, key,
		            len, FM_OID_MAX - 1);
		return false;
	}
	memcpy(out, oid, len + 1);
	return true;
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

static void parse_modbus_point(struct conf__ctx *c, const config_setting_t *g,
                               const char *path, struct fm_point *p)
{
	/* an oid here is the one mistake; missing read/address would repeat it */
	bool has_oid = config_setting_get_member(g, "oid") != NULL;
	if (has_oid)
		conf__error(c, config_setting_get_member(g, "oid"),
		            "%s.oid: oid is an SNMP key; Modbus points take read and "
		            "address", path);

	int read = FM_READ_HOLDING;
	bool read_ok = conf__enum(c, g, path, "read", !has_oid, read_names,
	                          (int)ARRAY_LEN(read_names), &read) == CONF_OK;
	p->read = (enum fm_read_kind)read;
	int address = 0;
	bool address_ok = conf__int(c, g, path, "address", !has_oid, 0, 65535,
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
}

/* The Modbus fields get values no Modbus code would choke on; the SNMP
 * collector reads only oid, scale, offset, unit and enum. */
static void parse_snmp_point(struct conf__ctx *c, const config_setting_t *g,
                             const char *path, struct fm_point *p)
{
	bool modbus_keys = false;
	for (size_t k = 0; modbus_point_keys[k]; k++) {
		const config_setting_t *s = config_setting_get_member(g, modbus_point_keys[k]);
		if (!s)
			continue;
		conf__error(c, s, "%s.%s: %s is a Modbus key; SNMP points take oid", path,
		            modbus_point_keys[k], modbus_point_keys[k]);
		modbus_keys = true;
	}
	p->read = FM_READ_HOLDING;
	p->address = 0;
	p->type = FM_TYPE_INT64; /* an SNMP number is a 32- or 64-bit integer */
	p->order = FM_ORDER_ABCD;
	p->bit = -1;
	parse_oid_key(c, g, path, "oid", !modbus_keys, p->oid);
	parse_point_scaling(c, g, path, p);
}

/* `{ name = "x"; drop = true; }`: true when G drops a profile point; then
 * it takes nothing but its name. */
static bool parse_drop(struct conf__ctx *c, const config_setting_t *g, const char *path,
                       struct fm_point *p)
{
	if (conf__bool(c, g, path, "drop", false, &p->drop) != CONF_OK || !p->drop)
		return false;
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
		const char *key = config_setting_name(m);
		if (strcmp(key, "name") != 0 && strcmp(key, "drop") != 0)
			conf__error(c, m, "%s.%s: a dropped point takes only its name", path, key);
	}
	return true;
}

static bool parse_point(struct conf__ctx *c, const config_setting_t *g,
                        const char *path, enum fm_device_kind kind, struct fm_point *p)
{
	size_t before = conf__nerrors(c);

	conf__origin(c, g, &p->origin);
	conf__known_keys(c, g, path, point_keys);
	conf__name(c, g, path, "name", true, CONF_NAME, p->name);
	if (parse_drop(c, g, path, p))
		return conf__nerrors(c) == before;
	if (kind == FM_DEVICE_SNMP)
		parse_snmp_point(c, g, path, p);
	else
		parse_modbus_point(c, g, path, p);
	parse_point_enum(c, g, path, p);
	parse_point_faults(c, g, path, p);

	return conf__nerrors(c) == before;
}

/* A profile is for one kind of device: SNMP when most of its points have an
 * oid (the first point breaks a tie), so the odd one out is what is told. */
static enum fm_device_kind list_kind(const config_setting_t *list, int n)
{
	int with_oid = 0, groups = 0;
	bool first_oid = false;
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
		if (!config_setting_is_group(g))
			continue;
		bool oid = config_setting_get_member(g, "oid") != NULL;
		if (groups++ == 0)
			first_oid = oid;
		with_oid += oid;
	}
	if (2 * with_oid != groups)
		return 2 * with_oid > groups ? FM_DEVICE_SNMP : FM_DEVICE_MODBUS;
	return first_oid ? FM_DEVICE_SNMP : FM_DEVICE_MODBUS;
}

enum fm_device_kind conf__points_kind(const struct fm_point *points, size_t npoints)
{
	return npoints && points[0].oid[0] ? FM_DEVICE_SNMP : FM_DEVICE_MODBUS;
}

/* The rows a table point names: none (no `rows` key); COUNT listed rows
 * with their instance numbers and labels; or, with `rows = "all"` (WALK),
 * COUNT slots for rows found at run time, named by the NAMES_OID column. */
struct table_rows {
	size_t count;
	bool walk;
	const char *names_oid; /* walked: the name column, in the pool; or NULL */
	unsigned long index[FM_ROWS_MAX];
	char label[FM_ROWS_MAX][FM_NAME_MAX];
};

static int parse_row_names(struct conf__ctx *c, const config_setting_t *g,
                           const char *path, struct table_rows *t)
{
	const config_setting_t *names = config_setting_get_member(g, "row_names");
	if (!names)
		return 0;
	if (!config_setting_is_array(names) ||
	    (size_t)config_setting_length(names) != t->count) {
		conf__error(c, names, "%s.row_names: expected an array of %zu names, one per "
		            "row (an OID of a name column goes with rows = \"all\")", path,
		            t->count);
		return -1;
	}
	for (size_t i = 0; i < t->count; i++) {
		const char *v = config_setting_get_string_elem(names, (int)i);
		if (!v || !conf__name_valid(v, CONF_NAME) || strlen(v) > 31) {
			conf__error(c, names, "%s.row_names: [%zu] is not a valid name (1-31 of "
			            "A-Z a-z 0-9 _ -)", path, i);
			return -1;
		}
		snprintf(t->label[i], sizeof t->label[i], "%s", v);
	}
	return 0;
}

/* `rows = "all"`: how many slots (max_rows) and the optional name column. */
static int parse_walked_rows(struct conf__ctx *c, const config_setting_t *g,
                             const char *path, struct table_rows *t)
{
	const config_setting_t *rows = config_setting_get_member(g, "rows");
	if (strcmp(config_setting_get_string(rows), "all") != 0) {
		conf__error(c, rows, "%s.rows: expected \"all\" (walk the column) or an "
		            "array of row indexes, like [1, 2, 3]", path);
		return -1;
	}
	int max_rows = FM_ROWS_DEFAULT;
	if (conf__int(c, g, path, "max_rows", false, 1, FM_ROWS_MAX, &max_rows) == CONF_BAD)
		return -1;
	t->walk = true;
	t->count = (size_t)max_rows;
	const config_setting_t *names = config_setting_get_member(g, "row_names");
	if (names && config_setting_type(names) != CONFIG_TYPE_STRING) {
		conf__error(c, names, "%s.row_names: with rows = \"all\", row_names is the "
		            "OID of the column that names the rows, like \"1.3.6.1...\"", path);
		return -1;
	}
	char oid[FM_OID_MAX];
	if (names && !parse_oid_key(c, g, path, "row_names", true, oid))
		return -1;
	if (names && !(t->names_oid = pool_copy(c->pool, oid, strlen(oid) + 1))) {
		conf__error(c, names, "%s.row_names: out of memory", path);
		return -1;
	}
	return 0;
}

/* `rows = [1, 2, 3]`: the listed rows, labelled by row_names or index. */
static int parse_listed_rows(struct conf__ctx *c, const config_setting_t *g,
                             const char *path, struct table_rows *t)
{
	const config_setting_t *rows = config_setting_get_member(g, "rows");
	int n = config_setting_is_array(rows) ? config_setting_length(rows) : 0;
	if (n < 1 || n > FM_ROWS_MAX || config_setting_get_elem(rows, 0) == NULL ||
	    config_setting_type(config_setting_get_elem(rows, 0)) != CONFIG_TYPE_INT) {
		conf__error(c, rows, "%s.rows: expected an array of 1 to %d row indexes, "
		            "like [1, 2, 3], or \"all\"", path, FM_ROWS_MAX);
		return -1;
	}
	if (config_setting_get_member(g, "max_rows")) {
		conf__error(c, config_setting_get_member(g, "max_rows"),
		            "%s.max_rows: goes with rows = \"all\"; listed rows are all read", path);
		return -1;
	}
	t->count = (size_t)n;
	for (size_t i = 0; i < t->count; i++) {
		long long v;
		char lit[64];
		const config_setting_t *e = config_setting_get_elem(rows, (unsigned)i);
		if (!conf__int_value(c, e, &v, lit, sizeof lit) || v < 0 || v > 4294967295LL) {
			conf__error(c, rows, "%s.rows: %s is not a row index (0..4294967295)", path, lit);
			return -1;
		}
		t->index[i] = (unsigned long)v;
		snprintf(t->label[i], sizeof t->label[i], "%lld", v);
	}
	return parse_row_names(c, g, path, t);
}

static int parse_rows(struct conf__ctx *c, const config_setting_t *g, const char *path,
                      struct table_rows *t)
{
	*t = (struct table_rows){0};
	const config_setting_t *rows = config_setting_get_member(g, "rows");
	if (!rows) {
		const char *orphans[] = {"row_names", "max_rows"};
		for (size_t i = 0; i < ARRAY_LEN(orphans); i++)
			if (config_setting_get_member(g, orphans[i]))
				conf__error(c, config_setting_get_member(g, orphans[i]),
				            "%s.%s: goes with rows", path, orphans[i]);
		return 0;
	}
	const char *name = NULL;
	config_setting_lookup_string(g, "name", &name);
	if (name && strlen(name) > 31) {
		conf__error(c, rows, "%s.rows: a table point's name has at most 31 "
		            "characters ('%s' is %zu), so that name_row fits", path, name,
		            strlen(name));
		return -1;
	}
	if (config_setting_type(rows) == CONFIG_TYPE_STRING)
		return parse_walked_rows(c, g, path, t);
	return parse_listed_rows(c, g, path, t);
}

/* Writes the points a table point becomes into OUT; returns how many. */
static size_t expand_rows(const struct fm_point *column, const struct table_rows *t,
                          struct fm_point *out)
{
	if (t->count == 0) {
		out[0] = *column;
		return 1;
	}
	for (size_t i = 0; i < t->count; i++) {
		out[i] = *column;
		if (t->walk) {
			out[i].slot = (unsigned)i + 1;
			out[i].nslots = (unsigned)t->count;
			out[i].row_names_oid = t->names_oid;
			continue;
		}
		/* parse_rows made sure the name fits */
		snprintf(out[i].name, sizeof out[i].name, "%.31s_%.31s", column->name,
		         t->label[i]);
		snprintf(out[i].oid, sizeof out[i].oid, "%.*s.%lu", (int)(FM_OID_MAX - 12),
		         column->oid, t->index[i]);
	}
	return t->count;
}

/* Points the list element G becomes (at least 1), to size the array. */
static size_t row_count(const config_setting_t *g)
{
	const config_setting_t *rows = g ? config_setting_get_member(g, "rows") : NULL;
	if (rows && config_setting_type(rows) == CONFIG_TYPE_STRING) {
		int max_rows = FM_ROWS_DEFAULT;
		config_setting_lookup_int(g, "max_rows", &max_rows);
		return max_rows > 0 && max_rows <= FM_ROWS_MAX ? (size_t)max_rows : 1;
	}
	int n = rows && config_setting_is_array(rows) ? config_setting_length(rows) : 0;
	return n > 0 && n <= FM_ROWS_MAX ? (size_t)n : 1;
}

/* Names are unique within one list, rows included; ELEM maps each point to
 * the list element it came from, for the message's line. */
static bool check_duplicates(struct conf__ctx *c, const config_setting_t *list,
                             const char *path, const struct fm_point *points,
                             const int *elem, size_t n)
{
	bool ok = true;
	for (size_t i = 1; i < n; i++) {
		if (points[i].slot > 1) /* a walked column's slots share its name */
			continue;
		for (size_t j = 0; points[i].name[0] && j < i; j++) {
			if (strcmp(points[i].name, points[j].name) != 0)
				continue;
			const config_setting_t *g = config_setting_get_elem(list, (unsigned)elem[i]);
			conf__error(c, config_setting_get_member(g, "name"),
			            "%s[%d].name: duplicate point name '%s' (first at %s:%d)",
			            path, elem[i], points[i].name, points[j].origin.file,
			            points[j].origin.line);
			ok = false;
			break;
		}
	}
	return ok;
}

bool conf__parse_points(struct conf__ctx *c, const config_setting_t *list,
                        const char *path, int kind, struct fm_point **points,
                        size_t *npoints)
{
	*points = NULL;
	*npoints = 0;
	if (!conf__group_list(c, list, path))
		return false;

	int n = config_setting_length(list);
	size_t total = 0;
	for (int i = 0; i < n; i++)
		total += row_count(config_setting_get_elem(list, (unsigned)i));
	*points = calloc(total + 1, sizeof(**points));
	int *elem = calloc(total + 1, sizeof *elem);
	if (!*points || !elem) {
		free(elem);
		conf__error(c, list, "%s: out of memory", path);
		return false;
	}
	enum fm_device_kind k = kind == CONF_POINTS_ANY ? list_kind(list, n)
	                                                : (enum fm_device_kind)kind;
	bool ok = true;
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
		char p[CONF_PATH_MAX];
		conf__path_entry(p, path, i, g, CONF_NAME);
		struct fm_point column = {.bit = -1};
		struct table_rows rows = {0};
		if (!conf__expect(c, g, p, CONFIG_TYPE_GROUP) ||
		    !parse_point(c, g, p, k, &column) || parse_rows(c, g, p, &rows) < 0) {
			ok = false;
			rows.count = 0;
		}
		if (rows.count && !column.oid[0]) {
			conf__error(c, config_setting_get_member(g, "rows"),
			            "%s.rows: only SNMP points (with an oid) have table rows", p);
			ok = false;
			rows.count = 0;
		}
		size_t made = expand_rows(&column, &rows, *points + *npoints);
		for (size_t r = 0; r < made; r++)
			elem[*npoints + r] = i;
		*npoints += made;
	}
	ok = check_duplicates(c, list, path, *points, elem, *npoints) && ok;
	free(elem);
	return ok;
}
