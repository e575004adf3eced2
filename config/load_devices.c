/* load_devices.c - the devices section.
 *
 * Owns: reading each device's own keys and own points. A device is Modbus
 * (the default: on a bus, at a unit id) or SNMP (type = "snmp": at
 * host:port over UDP, with v1/v2c or v3 credentials); each kind's keys are
 * errors on the other. A device's final point list (its profile's points,
 * then its own) is put together later by the cross-checks, once the
 * profile directory and the buses are known; this file leaves the own
 * points and the profile setting in the device's conf__device_state for
 * that.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/load_private.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char *const device_common_keys[] = {
	"name", "type", "profile", "interval", "down_after", "stale_after", "points",
	"location", "runbook", "owner", NULL,
};
static const char *const device_modbus_keys[] = {
	"bus", "unit", "max_registers", "max_gap", "coalesce", NULL,
};
static const char *const device_snmp_keys[] = {
	"host", "port", "version", "community", "timeout_ms", "retries",
	"user", "security_level", "auth_protocol", "auth_passphrase_file",
	"priv_protocol", "priv_passphrase_file", NULL,
};
/* The SNMPv3 keys among device_snmp_keys. */
static const char *const snmp_v3_keys[] = {
	"user", "security_level", "auth_protocol", "auth_passphrase_file",
	"priv_protocol", "priv_passphrase_file", NULL,
};

static const char *const device_kind_names[] = {
	[FM_DEVICE_MODBUS] = "modbus",
	[FM_DEVICE_SNMP] = "snmp",
};

static const char *const snmp_version_names[] = {
	[FM_SNMP_V1] = "1",
	[FM_SNMP_V2C] = "2c",
	[FM_SNMP_V3] = "3",
};

static const char *const snmp_level_names[] = {
	[FM_SNMP_NOAUTH] = "noAuthNoPriv",
	[FM_SNMP_AUTHNOPRIV] = "authNoPriv",
	[FM_SNMP_AUTHPRIV] = "authPriv",
};

/* Written as net-snmp's snmpget -a / -x take them; SHA (SHA-1) first, as
 * the default. */
static const char *const snmp_auth_names[] = {
	"SHA", "SHA-224", "SHA-256", "SHA-384", "SHA-512", "MD5",
};
static const int snmp_auth_values[] = {
	FM_AUTH_SHA, FM_AUTH_SHA224, FM_AUTH_SHA256, FM_AUTH_SHA384, FM_AUTH_SHA512,
	FM_AUTH_MD5,
};
static const char *const snmp_priv_names[] = { "AES", "AES-192", "AES-256", "DES" };
static const int snmp_priv_values[] = {
	FM_PRIV_AES, FM_PRIV_AES192, FM_PRIV_AES256, FM_PRIV_DES,
};

static bool in_list(const char *const *list, const char *name)
{
	for (; *list; list++)
		if (strcmp(*list, name) == 0)
			return true;
	return false;
}

/* The suggestion comes from this kind's keys first: an snmp device's
 * "hots" is its host. */
static void device_unknown_key(struct conf__ctx *c, const config_setting_t *m,
                               const char *path, enum fm_device_kind kind)
{
	const char *name = config_setting_name(m), *best = NULL;
	int best_d = 0;
	conf__suggest(name, device_common_keys, &best, &best_d);
	conf__suggest(name, kind == FM_DEVICE_SNMP ? device_snmp_keys : device_modbus_keys,
	              &best, &best_d);
	conf__unknown_key(c, m, path, best);
}

/* Unknown keys, and keys of the other kind of device. */
static void device_check_keys(struct conf__ctx *c, const config_setting_t *g,
                              const char *path, enum fm_device_kind kind)
{
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(m);
		bool modbus = in_list(device_modbus_keys, name);
		bool snmp = in_list(device_snmp_keys, name);
		if (!modbus && !snmp && !in_list(device_common_keys, name))
			device_unknown_key(c, m, path, kind);
		else if (kind == FM_DEVICE_MODBUS && snmp)
			conf__error(c, m, "%s.%s: %s is a key of snmp devices (type = \"snmp\"); "
			            "a modbus device is reached through its bus", path, name, name);
		else if (kind == FM_DEVICE_SNMP && strcmp(name, "bus") == 0)
			conf__error(c, m, "%s.bus: snmp devices have no bus; they are polled "
			            "over UDP at host:port", path);
		else if (kind == FM_DEVICE_SNMP && strcmp(name, "unit") == 0)
			conf__error(c, m, "%s.unit: snmp devices have no unit id; they are "
			            "polled over UDP at host:port", path);
		else if (kind == FM_DEVICE_SNMP && modbus)
			conf__error(c, m, "%s.%s: %s is a Modbus key (how register reads are "
			            "joined); not for snmp devices", path, name, name);
	}
}

/* A string that must be one of NAMES, whose values are VALUES. */
static enum conf__got conf_enum_mapped(struct conf__ctx *c, const config_setting_t *g,
                                       const char *path, const char *key,
                                       const char *const *names, const int *values,
                                       int n, int *out)
{
	int i;
	enum conf__got got = conf__enum(c, g, path, key, false, names, n, &i);
	if (got == CONF_OK)
		*out = values[i];
	return got;
}

/* -1 when bad. A bare number (version = 3) is the likely slip: say what
 * is wanted instead of only "expected a string". */
static int parse_snmp_version(struct conf__ctx *c, const config_setting_t *g,
                              const char *path)
{
	const config_setting_t *s = config_setting_get_member(g, "version");
	if (s && config_setting_type(s) != CONFIG_TYPE_STRING) {
		conf__error(c, s, "%s.version: expected a string (\"1\", \"2c\" or \"3\"), "
		            "got %s", path, conf__type_name(config_setting_type(s)));
		return -1;
	}
	int v = FM_SNMP_V2C;
	if (conf__enum(c, g, path, "version", false, snmp_version_names,
	               (int)ARRAY_LEN(snmp_version_names), &v) == CONF_BAD)
		return -1;
	return v;
}

/* Each of KEYS present in G is an error: "<key> WHY". */
static void refuse_keys(struct conf__ctx *c, const config_setting_t *g,
                        const char *path, const char *const *keys, const char *why)
{
	for (; *keys; keys++) {
		const config_setting_t *s = config_setting_get_member(g, *keys);
		if (s)
			conf__error(c, s, "%s.%s: %s %s", path, *keys, *keys, why);
	}
}

void conf__parse_snmp_v3(struct conf__ctx *c, const config_setting_t *g,
                         const char *path, const char *config_path,
                         struct fm_snmp_conf *s)
{
	static const char *const auth_keys[] = { "auth_protocol", "auth_passphrase_file", NULL };
	static const char *const priv_keys[] = { "priv_protocol", "priv_passphrase_file", NULL };

	s->community[0] = '\0';
	refuse_keys(c, g, path, (const char *const[]){ "community", NULL },
	            "is not used by SNMPv3, which authenticates with user and "
	            "security_level");
	if (conf__string(c, g, path, "user", true, s->user, sizeof(s->user)) == CONF_OK &&
	    !s->user[0])
		conf__error(c, config_setting_get_member(g, "user"),
		            "%s.user: must not be empty", path);
	int level = FM_SNMP_AUTHPRIV;
	if (conf__enum(c, g, path, "security_level", false, snmp_level_names,
	               (int)ARRAY_LEN(snmp_level_names), &level) == CONF_BAD)
		return; /* which keys belong is not known */
	s->level = (enum fm_snmp_level)level;

	if (s->level == FM_SNMP_NOAUTH) {
		refuse_keys(c, g, path, auth_keys, "is not used with security_level "
		            "noAuthNoPriv (no authentication); remove it or raise "
		            "security_level");
	} else {
		int auth = FM_AUTH_SHA;
		conf_enum_mapped(c, g, path, "auth_protocol", snmp_auth_names,
		                 snmp_auth_values, (int)ARRAY_LEN(snmp_auth_names), &auth);
		s->auth = (enum fm_snmp_auth)auth;
		conf__file(c, g, path, "auth_passphrase_file", CONF_FILE_REQUIRED | CONF_FILE_SECRET,
		           config_path, s->auth_passphrase_file, sizeof(s->auth_passphrase_file));
	}
	if (s->level != FM_SNMP_AUTHPRIV) {
		char why[FM_TEXT_MAX];
		snprintf(why, sizeof(why), "is not used with security_level %s (no "
		         "encryption); remove it or set security_level = \"authPriv\"",
		         snmp_level_names[s->level]);
		refuse_keys(c, g, path, priv_keys, why);
	} else {
		int priv = FM_PRIV_AES;
		conf_enum_mapped(c, g, path, "priv_protocol", snmp_priv_names,
		                 snmp_priv_values, (int)ARRAY_LEN(snmp_priv_names), &priv);
		s->priv = (enum fm_snmp_priv)priv;
		conf__file(c, g, path, "priv_passphrase_file", CONF_FILE_REQUIRED | CONF_FILE_SECRET,
		           config_path, s->priv_passphrase_file, sizeof(s->priv_passphrase_file));
	}
}

static void parse_snmp(struct conf__ctx *c, const config_setting_t *g,
                       const char *path, const char *config_path,
                       struct fm_snmp_conf *s)
{
	s->port = 161;
	s->version = FM_SNMP_V2C;
	snprintf(s->community, sizeof(s->community), "public");
	s->level = FM_SNMP_NOAUTH;
	s->auth = FM_AUTH_NONE;
	s->priv = FM_PRIV_NONE;
	s->timeout_ms = 1000;
	s->retries = 1;

	if (conf__string(c, g, path, "host", true, s->host, sizeof(s->host)) == CONF_OK &&
	    !s->host[0])
		conf__error(c, config_setting_get_member(g, "host"),
		            "%s.host: must not be empty", path);
	conf__int(c, g, path, "port", false, 1, 65535, &s->port);
	conf__int(c, g, path, "timeout_ms", false, 10, 60000, &s->timeout_ms);
	conf__int(c, g, path, "retries", false, 0, 10, &s->retries);

	int version = parse_snmp_version(c, g, path);
	if (version < 0)
		return; /* which keys belong is not known */
	s->version = (enum fm_snmp_version)version;
	if (s->version == FM_SNMP_V3) {
		conf__parse_snmp_v3(c, g, path, config_path, s);
		return;
	}
	char why[FM_TEXT_MAX];
	snprintf(why, sizeof(why), "is an SNMPv3 key; this device uses version %s "
	         "(community)", snmp_version_names[s->version]);
	refuse_keys(c, g, path, snmp_v3_keys, why);
	if (conf__string(c, g, path, "community", false, s->community,
	                 sizeof(s->community)) == CONF_OK && !s->community[0])
		conf__error(c, config_setting_get_member(g, "community"),
		            "%s.community: must not be empty", path);
}

static void parse_modbus(struct conf__ctx *c, const config_setting_t *g,
                         const char *path, struct fm_device *d)
{
	conf__name(c, g, path, "bus", true, CONF_NAME, d->bus);
	d->unit = 1;
	conf__int(c, g, path, "unit", false, 1, 247, &d->unit);
	conf__int(c, g, path, "max_registers", false, 1, FM_MODBUS_MAX_REGISTERS,
	          &d->max_registers);
	conf__int(c, g, path, "max_gap", false, 0, FM_MODBUS_MAX_REGISTERS - 1, &d->max_gap);
	conf__bool(c, g, path, "coalesce", false, &d->coalesce);
}

static void parse_device(struct conf__ctx *c, const config_setting_t *g,
                         const char *path, const char *config_path,
                         struct fm_device *d, struct conf__device_state *ds)
{
	size_t before = conf__nerrors(c);

	conf__origin(c, g, &d->origin);
	conf__name(c, g, path, "name", true, CONF_NAME, d->name);
	int kind = FM_DEVICE_MODBUS;
	/* a bad type leaves every other key's meaning open: one message */
	if (conf__enum(c, g, path, "type", false, device_kind_names,
	               (int)ARRAY_LEN(device_kind_names), &kind) == CONF_BAD)
		return;
	d->kind = (enum fm_device_kind)kind;
	device_check_keys(c, g, path, d->kind);

	/* the Modbus read limits are harmless defaults on an SNMP device */
	d->max_registers = FM_MODBUS_MAX_REGISTERS;
	d->max_gap = 0;
	d->coalesce = true;
	if (d->kind == FM_DEVICE_SNMP) {
		snprintf(d->bus, sizeof(d->bus), "%s", FM_SNMP_BUS_NAME);
		parse_snmp(c, g, path, config_path, &d->snmp);
	} else {
		parse_modbus(c, g, path, d);
	}

	if (conf__name(c, g, path, "profile", false, CONF_NAME_LOWER, d->profile) == CONF_OK)
		ds->profile = config_setting_get_member(g, "profile");
	d->interval = 10;
	conf__int(c, g, path, "interval", false, 1, 86400, &d->interval);
	d->down_after = 3;
	conf__int(c, g, path, "down_after", false, 1, 100, &d->down_after);
	d->stale_after = 3 * d->interval;
	conf__int(c, g, path, "stale_after", false, 1, 7 * 86400, &d->stale_after);
	conf__parse_routing(c, g, path, &d->routing);

	const config_setting_t *points = config_setting_get_member(g, "points");
	if (points) {
		char p[CONF_PATH_MAX];
		conf__path(p, path, "points");
		conf__parse_points(c, points, p, (int)d->kind, &ds->own, &ds->nown);
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
			conf__path_entry(path, "devices", (int)i, g, CONF_NAME);
			if (conf__expect(c, g, path, CONFIG_TYPE_GROUP))
				parse_device(c, g, path, st->cfg->path, &st->cfg->devices[i],
				             &st->devs[i]);
		}
	}
	st->devices_ok = conf__nerrors(c) == before;
}
