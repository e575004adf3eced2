/* load_devices.c - the devices section.
 *
 * Owns: reading each device's own keys and own points. A device's final
 * point list (its profile's points, then its own) is put together later by
 * the cross-checks, once the profile directory and the buses are known;
 * this file leaves the own points and the profile setting in the device's
 * conf__device_state for that.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/load_private.h"

static const char *const device_keys[] = {
	"name", "bus", "type", "unit", "profile", "interval", "down_after",
	"max_registers", "max_gap", "coalesce", "points", NULL,
};

enum device_kind { DEVICE_MODBUS, DEVICE_SNMP };
static const char *const device_kind_names[] = {
	[DEVICE_MODBUS] = "modbus",
	[DEVICE_SNMP] = "snmp",
};

/* False when the device is of a kind this build cannot poll; its other keys
 * are then not worth a message each. */
static bool device_kind_supported(struct conf__ctx *c, const config_setting_t *g,
                                  const char *path)
{
	int kind = DEVICE_MODBUS;
	enum conf__got got = conf__enum(c, g, path, "type", false, device_kind_names, 2, &kind);
	if (got == CONF_BAD)
		return false;
	if (kind == DEVICE_SNMP) {
		conf__error(c, config_setting_get_member(g, "type"),
		            "%s.type: snmp devices are not supported yet", path);
		return false;
	}
	return true;
}

static void parse_device(struct conf__ctx *c, const config_setting_t *g,
                         const char *path, struct fm_device *d,
                         struct conf__device_state *ds)
{
	size_t before = conf__nerrors(c);

	conf__origin(c, g, &d->origin);
	conf__name(c, g, path, "name", true, CONF_NAME, d->name);
	if (!device_kind_supported(c, g, path))
		return;
	conf__known_keys(c, g, path, device_keys);
	conf__name(c, g, path, "bus", true, CONF_NAME, d->bus);
	d->unit = 1;
	conf__int(c, g, path, "unit", false, 1, 247, &d->unit);
	if (conf__name(c, g, path, "profile", false, CONF_NAME_LOWER, d->profile) == CONF_OK)
		ds->profile = config_setting_get_member(g, "profile");
	d->interval = 10;
	conf__int(c, g, path, "interval", false, 1, 86400, &d->interval);
	d->down_after = 3;
	conf__int(c, g, path, "down_after", false, 1, 100, &d->down_after);
	d->max_registers = FM_MODBUS_MAX_REGISTERS;
	conf__int(c, g, path, "max_registers", false, 1, FM_MODBUS_MAX_REGISTERS,
	          &d->max_registers);
	d->max_gap = 0;
	conf__int(c, g, path, "max_gap", false, 0, FM_MODBUS_MAX_REGISTERS - 1, &d->max_gap);
	d->coalesce = true;
	conf__bool(c, g, path, "coalesce", false, &d->coalesce);

	const config_setting_t *points = config_setting_get_member(g, "points");
	if (points) {
		char p[CONF_PATH_MAX];
		conf__path(p, path, "points");
		conf__parse_points(c, points, p, &ds->own, &ds->nown);
	}
	ds->ok = conf__nerrors(c) == before;
}

void conf__parse_devices(struct conf__state *st, const config_setting_t *root)
{
	struct conf__ctx *c = &st->ctx;
	size_t before = conf__nerrors(c);

	const config_setting_t *list = config_setting_get_member(root, "devices");
	if (list && conf__group_list(c, list, "devices")) {
		size_t n = (size_t)config_setting_length(list);
		st->cfg->devices = calloc(n + 1, sizeof(*st->cfg->devices));
		st->devs = calloc(n + 1, sizeof(*st->devs));
		if (!st->cfg->devices || !st->devs) {
			conf__error(c, list, "devices: out of memory");
			return;
		}
		st->cfg->ndevices = n;
		for (size_t i = 0; i < n; i++) {
			const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
			char path[CONF_PATH_MAX];
			conf__path_index(path, "devices", (int)i);
			if (conf__expect(c, g, path, CONFIG_TYPE_GROUP))
				parse_device(c, g, path, &st->cfg->devices[i], &st->devs[i]);
		}
	}
	st->devices_ok = conf__nerrors(c) == before;
}
