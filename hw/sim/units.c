/* units.c - the simulated devices facmon-sim serves over TCP and RTU.
 *
 * Owns: each unit's profile points (loaded like the agent loads them, so
 * the simulator and the agent agree on addresses and encodings by
 * construction), its own register and bit tables, the plausible values a
 * unit starts with, and every way the tables are changed from outside the
 * Modbus protocol: engineering values (encoded with mb_encode_registers,
 * the inverse of what the collector decodes) and raw registers or bits.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/modbus_decode.h"
#include "hw/sim/sim.h"

/* Every unit maps the whole address space: any address reads as 0 unless a
 * point or a raw write put something there, like a lenient real device. */
#define SIM_TABLE_SIZE 65536

static int sim_diags_to_err(const struct fm_diags *d, char *err, size_t errlen)
{
	if (d->count == 0) {
		snprintf(err, errlen, "cannot load profile");
		return -1;
	}
	const struct fm_diag *first = &d->items[0];
	if (first->line > 0)
		snprintf(err, errlen, "%s:%d: %s%s", first->file, first->line,
		         first->message, d->count > 1 ? " (and more)" : "");
	else
		snprintf(err, errlen, "%s: %s%s", first->file, first->message,
		         d->count > 1 ? " (and more)" : "");
	return -1;
}

static int sim_point_registers(const struct fm_point *p)
{
	if (p->read == FM_READ_COIL || p->read == FM_READ_DISCRETE || p->bit >= 0)
		return 1;
	return value_type_registers(p->type);
}

static bool sim_point_is_bit(const struct fm_point *p)
{
	return p->read == FM_READ_COIL || p->read == FM_READ_DISCRETE;
}

static bool sim_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* 22.5 for a temperature, 45 for a humidity, else 0: a room that is fine,
 * so an agent pointed at a fresh simulator raises no alert. By suffix, so
 * "supply_air_temperature" is one and "temperature_correction" is not. */
static double sim_initial_value(const struct fm_point *p)
{
	if (sim_point_is_bit(p) || p->bit >= 0 || p->type == FM_TYPE_BOOL)
		return 0.0;
	if (sim_ends_with(p->name, "temperature"))
		return 22.5;
	if (sim_ends_with(p->name, "humidity"))
		return 45.0;
	return 0.0;
}

static void sim_unit_initialise(struct sim_unit *u)
{
	char err[SIM_ERR_MAX];

	for (size_t i = 0; i < u->prof.npoints; i++) {
		const struct fm_point *p = &u->prof.points[i];
		/* A value the point's type cannot hold (a scaled uint16 with
		 * a negative offset, say) falls back to 0, then to raw 0. */
		if (sim_point_set(u, p, sim_initial_value(p), err, sizeof err) != 0)
			(void)sim_point_set(u, p, 0.0, err, sizeof err);
	}
}

static int sim_unit_check_points(const struct sim_unit *u, char *err,
                                 size_t errlen)
{
	for (size_t i = 0; i < u->prof.npoints; i++) {
		const struct fm_point *p = &u->prof.points[i];
		if ((long)p->address + sim_point_registers(p) > SIM_TABLE_SIZE) {
			snprintf(err, errlen, "profile %s: point %s runs past "
			         "address 65535", u->profile, p->name);
			return -1;
		}
	}
	return 0;
}

static void sim_unit_release(struct sim_unit *u)
{
	config_profile_free(&u->prof);
	if (u->map != NULL)
		modbus_mapping_free(u->map);
	memset(u, 0, sizeof *u);
}

static int sim_unit_load(struct sim_unit *u, const char *profile_dir,
                         char *err, size_t errlen)
{
	struct fm_diags diags = { 0 };

	if (config_profile_load(profile_dir, u->profile, &u->prof, &diags) != 0) {
		sim_diags_to_err(&diags, err, errlen);
		diags_free(&diags);
		return -1;
	}
	diags_free(&diags);
	if (sim_unit_check_points(u, err, errlen) != 0)
		return -1;
	u->map = modbus_mapping_new(SIM_TABLE_SIZE, SIM_TABLE_SIZE,
	                            SIM_TABLE_SIZE, SIM_TABLE_SIZE);
	if (u->map == NULL) {
		snprintf(err, errlen, "cannot allocate registers: %s",
		         modbus_strerror(errno));
		return -1;
	}
	sim_unit_initialise(u);
	return 0;
}

int sim_unit_add(struct sim *sim, int id, const char *profile_dir,
                 const char *profile, char *err, size_t errlen)
{
	struct sim_unit u = { .id = id };

	if (id < SIM_UNIT_MIN || id > SIM_UNIT_MAX) {
		snprintf(err, errlen, "unit %d out of range %d..%d", id,
		         SIM_UNIT_MIN, SIM_UNIT_MAX);
		return -1;
	}
	if (sim_unit_find(sim, id) != NULL) {
		snprintf(err, errlen, "given twice");
		return -1;
	}
	if (snprintf(u.profile, sizeof u.profile, "%s", profile) >=
	    (int)sizeof u.profile) {
		snprintf(err, errlen, "profile name too long: %s", profile);
		return -1;
	}
	if (sim_unit_load(&u, profile_dir, err, errlen) != 0)
		goto fail_release;

	struct sim_unit *units = realloc(sim->units,
	                                 (sim->nunits + 1) * sizeof *units);
	if (units == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail_release;
	}
	sim->units = units;
	sim->units[sim->nunits++] = u;
	return 0;

fail_release:
	sim_unit_release(&u);
	return -1;
}

void sim_free(struct sim *sim)
{
	if (sim == NULL)
		return;
	for (size_t i = 0; i < sim->nunits; i++)
		sim_unit_release(&sim->units[i]);
	free(sim->units);
	sim->units = NULL;
	sim->nunits = 0;
	sim_reqlog_free(&sim->log);
}

struct sim_unit *sim_unit_find(struct sim *sim, int id)
{
	for (size_t i = 0; i < sim->nunits; i++)
		if (sim->units[i].id == id)
			return &sim->units[i];
	return NULL;
}

const struct fm_point *sim_point_find(const struct sim_unit *u,
                                      const char *name)
{
	/* Later points override earlier ones, as a device's own points
	 * override its profile's in the agent. */
	for (size_t i = u->prof.npoints; i-- > 0;)
		if (strcmp(u->prof.points[i].name, name) == 0)
			return &u->prof.points[i];
	return NULL;
}

static uint16_t *sim_registers(const struct sim_unit *u, enum fm_read_kind k)
{
	return k == FM_READ_HOLDING ? u->map->tab_registers
	                            : u->map->tab_input_registers;
}

static uint8_t *sim_bits(const struct sim_unit *u, enum fm_read_kind k)
{
	return k == FM_READ_COIL ? u->map->tab_bits : u->map->tab_input_bits;
}

/* A coil or discrete input holds 0 or 1; undo scale and offset first so a
 * point with scale = -1, offset = 1 (an inverted contact) still works. */
static int sim_bit_from_value(const struct fm_point *p, double value,
                              uint8_t *bit)
{
	double raw = p->scale != 0.0 ? (value - p->offset) / p->scale : value;

	if (fabs(raw) < 1e-9)
		*bit = 0;
	else if (fabs(raw - 1.0) < 1e-9)
		*bit = 1;
	else
		return -1;
	return 0;
}

int sim_point_set(struct sim_unit *u, const struct fm_point *p, double value,
                  char *err, size_t errlen)
{
	if (sim_point_is_bit(p)) {
		uint8_t bit;
		if (sim_bit_from_value(p, value, &bit) != 0) {
			snprintf(err, errlen, "bad value %g: %s %s takes 0 or 1",
			         value, read_kind_name(p->read), p->name);
			return -1;
		}
		sim_bits(u, p->read)[p->address] = bit;
		return 0;
	}

	uint16_t *tab = sim_registers(u, p->read) + p->address;
	uint16_t regs[4];
	size_t n = (size_t)sim_point_registers(p);

	memcpy(regs, tab, n * sizeof regs[0]); /* a bit point keeps the rest */
	if (mb_encode_registers(p, value, regs) != 0) {
		snprintf(err, errlen, "value %g out of range for %s %s", value,
		         value_type_name(p->type), p->name);
		return -1;
	}
	memcpy(tab, regs, n * sizeof regs[0]);
	return 0;
}

double sim_point_get(const struct sim_unit *u, const struct fm_point *p)
{
	if (sim_point_is_bit(p))
		return mb_decode_bit(p, sim_bits(u, p->read)[p->address]);
	return mb_decode_registers(p, sim_registers(u, p->read) + p->address);
}

int sim_raw_set(struct sim_unit *u, enum fm_read_kind kind, long address,
                long value, char *err, size_t errlen)
{
	if (address < 0 || address >= SIM_TABLE_SIZE) {
		snprintf(err, errlen, "address %ld out of range 0..65535", address);
		return -1;
	}
	if (kind == FM_READ_COIL || kind == FM_READ_DISCRETE) {
		if (value != 0 && value != 1) {
			snprintf(err, errlen, "bad value %ld: a bit is 0 or 1", value);
			return -1;
		}
		sim_bits(u, kind)[address] = (uint8_t)value;
		return 0;
	}
	if (value < -32768 || value > 65535) {
		snprintf(err, errlen, "bad value %ld: a register is -32768..65535",
		         value);
		return -1;
	}
	/* Negative values are stored as their 16-bit two's complement. */
	sim_registers(u, kind)[address] = (uint16_t)(value & 0xFFFF);
	return 0;
}

int sim_raw_get(const struct sim_unit *u, enum fm_read_kind kind,
                long address, uint16_t *value, char *err, size_t errlen)
{
	if (address < 0 || address >= SIM_TABLE_SIZE) {
		snprintf(err, errlen, "address %ld out of range 0..65535", address);
		return -1;
	}
	if (kind == FM_READ_COIL || kind == FM_READ_DISCRETE)
		*value = sim_bits(u, kind)[address];
	else
		*value = sim_registers(u, kind)[address];
	return 0;
}

int sim_resolve(struct sim *sim, const char *ref, struct sim_unit **unit,
                const struct fm_point **point, char *err, size_t errlen)
{
	const char *dot = strchr(ref, '.');
	char idtext[16];
	long id;

	if (dot == NULL || dot == ref || (size_t)(dot - ref) >= sizeof idtext ||
	    dot[1] == '\0') {
		snprintf(err, errlen, "bad point %s, want UNIT.POINT", ref);
		return -1;
	}
	memcpy(idtext, ref, (size_t)(dot - ref));
	idtext[dot - ref] = '\0';
	if (sim_parse_long(idtext, SIM_UNIT_MIN, SIM_UNIT_MAX, &id) != 0 ||
	    (*unit = sim_unit_find(sim, (int)id)) == NULL) {
		snprintf(err, errlen, "unknown unit %s", idtext);
		return -1;
	}
	*point = sim_point_find(*unit, dot + 1);
	if (*point == NULL) {
		snprintf(err, errlen, "unknown point %s on unit %ld (profile %s)",
		         dot + 1, id, (*unit)->profile);
		return -1;
	}
	return 0;
}

int sim_parse_double(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (end == s || *end != '\0' || errno == ERANGE || !isfinite(*out))
		return -1;
	return 0;
}

/* Decimal, or hex with 0x (raw register values are often written so);
 * never octal, so "010" is ten. */
int sim_parse_long(const char *s, long min, long max, long *out)
{
	const char *digits = s;
	int base = 10;
	bool negative = false;
	char *end;

	if (*digits == '-') {
		negative = true;
		digits++;
	}
	if (digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
		base = 16;
		digits += 2;
	}
	if (*digits == '\0' || *digits == '-' || *digits == '+' || *digits == ' ')
		return -1;
	errno = 0;
	long v = strtol(digits, &end, base);
	if (*end != '\0' || errno == ERANGE)
		return -1;
	v = negative ? -v : v;
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}
