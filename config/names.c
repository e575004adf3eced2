/* names.c - the config model's small public helpers.
 *
 * Owns: the names of the config's enumerations (as written in the config
 * and in messages), the diagnostics list (errors and warnings), lookups on a loaded config, and
 * where profiles live by default. No libconfig here: everything in this
 * file works on a loaded fm_config.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

#ifndef FACMON_DEFAULT_PROFILE_DIR
#define FACMON_DEFAULT_PROFILE_DIR "/usr/share/facmon/profiles"
#endif

static const char *name_of(const char *const *names, size_t n, int i)
{
	if (i < 0 || (size_t)i >= n || !names[i])
		return "?";
	return names[i];
}

#define NAME_OF(table, i) name_of((table), sizeof(table) / sizeof((table)[0]), (int)(i))

const char *read_kind_name(enum fm_read_kind k)
{
	static const char *const names[] = {
		[FM_READ_HOLDING] = "holding",
		[FM_READ_INPUT] = "input",
		[FM_READ_COIL] = "coil",
		[FM_READ_DISCRETE] = "discrete",
	};
	return NAME_OF(names, k);
}

const char *value_type_name(enum fm_value_type t)
{
	static const char *const names[] = {
		[FM_TYPE_BOOL] = "bool",       [FM_TYPE_INT16] = "int16",
		[FM_TYPE_UINT16] = "uint16",   [FM_TYPE_INT32] = "int32",
		[FM_TYPE_UINT32] = "uint32",   [FM_TYPE_FLOAT32] = "float32",
		[FM_TYPE_INT64] = "int64",     [FM_TYPE_UINT64] = "uint64",
		[FM_TYPE_FLOAT64] = "float64",
	};
	return NAME_OF(names, t);
}

const char *word_order_name(enum fm_word_order o)
{
	static const char *const names[] = {
		[FM_ORDER_ABCD] = "abcd",
		[FM_ORDER_CDAB] = "cdab",
		[FM_ORDER_BADC] = "badc",
		[FM_ORDER_DCBA] = "dcba",
	};
	return NAME_OF(names, o);
}

const char *severity_name(enum fm_severity s)
{
	static const char *const names[] = {
		[FM_SEV_INFO] = "info",
		[FM_SEV_WARNING] = "warning",
		[FM_SEV_MAJOR] = "major",
		[FM_SEV_CRITICAL] = "critical",
	};
	return NAME_OF(names, s);
}

int value_type_registers(enum fm_value_type t)
{
	switch (t) {
	case FM_TYPE_BOOL:
	case FM_TYPE_INT16:
	case FM_TYPE_UINT16:
		return 1;
	case FM_TYPE_INT32:
	case FM_TYPE_UINT32:
	case FM_TYPE_FLOAT32:
		return 2;
	case FM_TYPE_INT64:
	case FM_TYPE_UINT64:
	case FM_TYPE_FLOAT64:
		return 4;
	}
	return 1;
}

const char *config_default_profile_dir(void)
{
	return FACMON_DEFAULT_PROFILE_DIR;
}

static void diags_vadd(struct fm_diags *d, enum fm_diag_severity severity,
                       const char *file, int line, const char *fmt, va_list ap)
{
	struct fm_diag *items = realloc(d->items, (d->count + 1) * sizeof(*items));
	if (!items)
		return; /* out of memory: the caller still sees the earlier ones */
	d->items = items;

	struct fm_diag *g = &items[d->count++];
	snprintf(g->file, sizeof(g->file), "%s", file ? file : "");
	g->line = line;
	g->severity = severity;
	vsnprintf(g->message, sizeof(g->message), fmt, ap);
}

void diags_add(struct fm_diags *d, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diags_vadd(d, FM_DIAG_ERROR, file, line, fmt, ap);
	va_end(ap);
}

void diags_warn(struct fm_diags *d, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diags_vadd(d, FM_DIAG_WARNING, file, line, fmt, ap);
	va_end(ap);
}

size_t diags_errors(const struct fm_diags *d)
{
	size_t n = 0;
	for (size_t i = 0; i < d->count; i++)
		n += d->items[i].severity == FM_DIAG_ERROR;
	return n;
}

void diags_free(struct fm_diags *d)
{
	if (!d)
		return;
	free(d->items);
	d->items = NULL;
	d->count = 0;
}

size_t config_count_buses(const struct fm_config *cfg)
{
	size_t n = 0;
	for (size_t i = 0; i < cfg->nbuses; i++)
		n += cfg->buses[i].type != FM_BUS_SNMP;
	return n;
}

const struct fm_bus *config_find_bus(const struct fm_config *cfg, const char *name)
{
	for (size_t i = 0; cfg && i < cfg->nbuses; i++)
		if (strcmp(cfg->buses[i].name, name) == 0)
			return &cfg->buses[i];
	return NULL;
}

const struct fm_device *config_find_device(const struct fm_config *cfg, const char *name)
{
	for (size_t i = 0; cfg && i < cfg->ndevices; i++)
		if (strcmp(cfg->devices[i].name, name) == 0)
			return &cfg->devices[i];
	return NULL;
}

const struct fm_point *device_find_point(const struct fm_device *dev, const char *name)
{
	for (size_t i = 0; dev && i < dev->npoints; i++)
		if (strcmp(dev->points[i].name, name) == 0)
			return &dev->points[i];
	return NULL;
}

bool serial_baud_valid(long baud)
{
	static const long rates[] = {1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200};
	for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++)
		if (rates[i] == baud)
			return true;
	return false;
}

char serial_parity_from_name(const char *name)
{
	if (strcmp(name, "none") == 0)
		return 'N';
	if (strcmp(name, "even") == 0)
		return 'E';
	if (strcmp(name, "odd") == 0)
		return 'O';
	return 0;
}
