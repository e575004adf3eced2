/* load_sections.c - the agent, mqtt, buses and snmp_traps sections.
 *
 * Owns: reading those sections into fm_agent_conf, fm_mqtt_conf, fm_bus
 * and fm_trap_conf, with their defaults, ranges and per-type keys. The
 * implicit bus of SNMP devices is not a section: validate.c adds it, and
 * this file keeps its name from being taken. Each parser
 * records whether its section came through clean, so the cross-checks can
 * skip what depends on a broken section rather than pile on.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/load_private.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- agent ---- */

static const char *const agent_keys[] = {
	"site", "name", "state_dir", "log_level", "profile_dir", "history_days",
	"disk_min_free_pct", "clock_unsync_grace", "outbox_alert_after",
	"collector_hang_after", "strict_controls", "commands", NULL,
};

static const char *const commands_keys[] = {
	"silence_self", "max_silence", "max_silences", NULL,
};

static const char *const log_level_names[] = {
	[FM_LOG_ERROR] = "error",
	[FM_LOG_WARN] = "warn",
	[FM_LOG_INFO] = "info",
	[FM_LOG_DEBUG] = "debug",
};

/* Where profiles are read from: agent.profile_dir (relative to the config
 * file's directory), else $FACMON_PROFILE_DIR, else the compiled-in dir. */
static void resolve_profile_dir(struct conf__state *st, const config_setting_t *g,
                                const char *config_path)
{
	struct fm_agent_conf *a = &st->cfg->agent;
	char dir[FM_TEXT_MAX];
	enum conf__got got = conf__string(&st->ctx, g, "agent", "profile_dir", false,
	                                  dir, sizeof(dir));
	if (got == CONF_BAD)
		return;
	st->profile_dir_ok = true;

	if (got == CONF_ABSENT) {
		const char *env = getenv("FACMON_PROFILE_DIR");
		snprintf(a->profile_dir, sizeof(a->profile_dir), "%s",
		         env && env[0] ? env : config_default_profile_dir());
		return;
	}
	if (conf__relative_path(a->profile_dir, sizeof(a->profile_dir), config_path,
	                        dir) != 0) {
		conf__error(&st->ctx, config_setting_get_member(g, "profile_dir"),
		            "agent.profile_dir: resolved path is too long");
		st->profile_dir_ok = false;
	}
}

/* The self-health thresholds (agent/self_health.h); durations in seconds,
 * at most a day. */
static void parse_self_health(struct conf__ctx *c, const config_setting_t *g,
                              struct fm_agent_conf *a)
{
	conf__int(c, g, "agent", "disk_min_free_pct", false, 0, 50, &a->disk_min_free_pct);
	conf__int(c, g, "agent", "clock_unsync_grace", false, 0, 86400,
	          &a->clock_unsync_grace);
	conf__int(c, g, "agent", "outbox_alert_after", false, 0, 86400,
	          &a->outbox_alert_after);
	conf__int(c, g, "agent", "collector_hang_after", false, 1, 86400,
	          &a->collector_hang_after);
}

/* agent.commands: what operators' commands may do. By default a silence
 * never covers the agent's failure detection (*.comm, *.bus, facmon.*),
 * lasts at most 7 days, and operators have at most 16 in place, leaving
 * room for the config's own windows (defaults in conf__parse_agent). */
static void parse_commands(struct conf__ctx *c, const config_setting_t *g,
                           struct fm_commands_conf *cmd)
{
	const config_setting_t *t = config_setting_get_member(g, "commands");
	if (!t || !conf__expect(c, t, "agent.commands", CONFIG_TYPE_GROUP))
		return;
	conf__known_keys(c, t, "agent.commands", commands_keys);
	conf__bool(c, t, "agent.commands", "silence_self", false, &cmd->silence_self);
	conf__int(c, t, "agent.commands", "max_silence", false, 60, FM_SILENCE_MAX_S,
	          &cmd->max_silence);
	conf__int(c, t, "agent.commands", "max_silences", false, 1, FM_OPERATOR_SILENCES_MAX,
	          &cmd->max_silences);
}

void conf__parse_agent(struct conf__state *st, const config_setting_t *root,
                       const char *config_path)
{
	struct conf__ctx *c = &st->ctx;
	struct fm_agent_conf *a = &st->cfg->agent;

	snprintf(a->state_dir, sizeof(a->state_dir), "/var/lib/facmon");
	a->log_level = FM_LOG_INFO;
	a->history_days = FM_HISTORY_DAYS_DEFAULT;
	a->disk_min_free_pct = 5;
	a->clock_unsync_grace = 600; /* a Pi without an RTC takes minutes to sync */
	a->outbox_alert_after = 300;
	a->collector_hang_after = 60; /* the floor; 3 bus periods when longer */
	a->commands = (struct fm_commands_conf){.max_silence = FM_SILENCE_MAX_S,
	                                        .max_silences = FM_OPERATOR_SILENCES_DEFAULT};

	const config_setting_t *g = conf__member(c, root, "", "agent", true);
	if (!g || !conf__expect(c, g, "agent", CONFIG_TYPE_GROUP))
		return;
	conf__known_keys(c, g, "agent", agent_keys);
	conf__name(c, g, "agent", "site", true, CONF_NAME_LOWER, a->site);
	conf__name(c, g, "agent", "name", true, CONF_NAME_LOWER, a->name);
	conf__string(c, g, "agent", "state_dir", false, a->state_dir, sizeof(a->state_dir));
	int level = (int)a->log_level;
	conf__enum(c, g, "agent", "log_level", false, log_level_names,
	           (int)ARRAY_LEN(log_level_names), &level);
	a->log_level = (enum fm_log_level)level;
	conf__int(c, g, "agent", "history_days", false, 1, FM_HISTORY_DAYS_MAX,
	          &a->history_days);
	conf__bool(c, g, "agent", "strict_controls", false, &a->strict_controls);
	resolve_profile_dir(st, g, config_path);
	parse_self_health(c, g, a);
	parse_commands(c, g, &a->commands);
}

/* ---- mqtt ---- */

static const char *const mqtt_keys[] = {
	"host", "port", "client_id", "username", "password_file", "tls",
	"topic_prefix", "qos", "keepalive", "reconnect_max", NULL,
};

static const char *const tls_keys[] = { "ca_file", "cert_file", "key_file", NULL };

#define CA_FILE_WHY                                                                   \
	"the CA certificate (PEM) that signed the broker's certificate; TLS always "  \
	"verifies the broker (to connect without TLS, remove the tls group)"

/* The group being there is what turns TLS on, and TLS always verifies the
 * broker: a group without its CA is an error, never plain text or an
 * unverified connection. A client certificate and its key come together;
 * the key is a secret. */
static void parse_tls(struct conf__ctx *c, const config_setting_t *g,
                      const char *config_path, struct fm_mqtt_conf *m)
{
	const config_setting_t *t = config_setting_get_member(g, "tls");
	if (!t || !conf__expect(c, t, "mqtt.tls", CONFIG_TYPE_GROUP))
		return;
	conf__known_keys(c, t, "mqtt.tls", tls_keys);
	const config_setting_t *ca = config_setting_get_member(t, "ca_file");
	const char *ca_text = ca ? config_setting_get_string(ca) : NULL;
	if (!ca)
		conf__error(c, t, "mqtt.tls: missing ca_file, " CA_FILE_WHY);
	else if (ca_text && !ca_text[0])
		conf__error(c, ca, "mqtt.tls.ca_file: is empty; it names " CA_FILE_WHY);
	else
		conf__file(c, t, "mqtt.tls", "ca_file", CONF_FILE_REQUIRED, config_path,
		           m->tls_ca_file, sizeof(m->tls_ca_file));
	enum conf__got cert = conf__file(c, t, "mqtt.tls", "cert_file", 0, config_path,
	                                 m->tls_cert_file, sizeof(m->tls_cert_file));
	enum conf__got key = conf__file(c, t, "mqtt.tls", "key_file", CONF_FILE_SECRET,
	                                config_path, m->tls_key_file, sizeof(m->tls_key_file));
	if (cert != CONF_ABSENT && key == CONF_ABSENT)
		conf__error(c, config_setting_get_member(t, "cert_file"),
		            "mqtt.tls.cert_file: a client certificate needs its private key: "
		            "add key_file");
	else if (key != CONF_ABSENT && cert == CONF_ABSENT)
		conf__error(c, config_setting_get_member(t, "key_file"),
		            "mqtt.tls.key_file: a private key needs its client certificate: "
		            "add cert_file");
}

/* The user name, and the file holding the password (a secret; it is read
 * when the agent starts, never here). A password without a user is a
 * mistake MQTT cannot express. */
static void parse_credentials(struct conf__ctx *c, const config_setting_t *g,
                              const char *config_path, struct fm_mqtt_conf *m)
{
	conf__string(c, g, "mqtt", "username", false, m->username, sizeof(m->username));
	if (conf__file(c, g, "mqtt", "password_file", CONF_FILE_SECRET, config_path,
	               m->password_file, sizeof(m->password_file)) != CONF_ABSENT &&
	    !m->username[0])
		conf__error(c, config_setting_get_member(g, "password_file"),
		            "mqtt.password_file: a password needs a user name: set mqtt.username");
}

/* The prefix starts every topic: MQTT wildcards or stray slashes in it would
 * make topics that subscribers cannot match. */
static void check_topic_prefix(struct conf__ctx *c, const config_setting_t *g,
                               const char *prefix)
{
	const char *why = NULL;
	size_t len = strlen(prefix);
	if (len == 0)
		why = "must not be empty";
	else if (strpbrk(prefix, "+#"))
		why = "must not contain the MQTT wildcards '+' or '#'";
	else if (prefix[0] == '/' || prefix[len - 1] == '/')
		why = "must not start or end with '/'";
	if (why)
		conf__error(c, config_setting_get_member(g, "topic_prefix"),
		            "mqtt.topic_prefix: '%s' %s", prefix, why);
}

static void mqtt_defaults(struct fm_mqtt_conf *m)
{
	snprintf(m->host, sizeof(m->host), "127.0.0.1");
	m->port = 1883;
	snprintf(m->topic_prefix, sizeof(m->topic_prefix), "facmon");
	m->qos = 1;
	m->keepalive = 30;
	m->reconnect_max = 5;
}

void conf__parse_mqtt(struct conf__state *st, const config_setting_t *root)
{
	struct conf__ctx *c = &st->ctx;
	struct fm_mqtt_conf *m = &st->cfg->mqtt;

	mqtt_defaults(m);
	const config_setting_t *g = config_setting_get_member(root, "mqtt");
	if (!g || !conf__expect(c, g, "mqtt", CONFIG_TYPE_GROUP))
		return;
	conf__known_keys(c, g, "mqtt", mqtt_keys);
	if (conf__string(c, g, "mqtt", "host", false, m->host, sizeof(m->host)) == CONF_OK &&
	    !m->host[0])
		conf__error(c, config_setting_get_member(g, "host"),
		            "mqtt.host: must not be empty");
	conf__int(c, g, "mqtt", "port", false, 1, 65535, &m->port);
	conf__string(c, g, "mqtt", "client_id", false, m->client_id, sizeof(m->client_id));
	parse_credentials(c, g, st->cfg->path, m);
	parse_tls(c, g, st->cfg->path, m);
	if (conf__string(c, g, "mqtt", "topic_prefix", false, m->topic_prefix,
	                 sizeof(m->topic_prefix)) == CONF_OK)
		check_topic_prefix(c, g, m->topic_prefix);
	conf__int(c, g, "mqtt", "qos", false, 0, 1, &m->qos);
	conf__int(c, g, "mqtt", "keepalive", false, 5, 3600, &m->keepalive);
	conf__int(c, g, "mqtt", "reconnect_max", false, 1, 3600, &m->reconnect_max);
}

/* ---- buses ---- */

static const char *const bus_type_names[] = {
	[FM_BUS_MODBUS_TCP] = "modbus-tcp",
	[FM_BUS_MODBUS_RTU] = "modbus-rtu",
};

static const char *const bus_common_keys[] = { "name", "type", "timeout_ms", NULL };
static const char *const bus_tcp_keys[] = { "host", "port", NULL };
static const char *const bus_rtu_keys[] = {
	"device", "baud", "parity", "data_bits", "stop_bits", "delay_ms", NULL,
};

static bool in_list(const char *const *list, const char *name)
{
	for (; *list; list++)
		if (strcmp(*list, name) == 0)
			return true;
	return false;
}

/* The suggestion comes from this type's keys (any, when TYPE is -1). */
static void bus_unknown_key(struct conf__ctx *c, const config_setting_t *m,
                            const char *path, int type)
{
	const char *name = config_setting_name(m), *best = NULL;
	int best_d = 0;
	conf__suggest(name, bus_common_keys, &best, &best_d);
	if (type != FM_BUS_MODBUS_RTU)
		conf__suggest(name, bus_tcp_keys, &best, &best_d);
	if (type != FM_BUS_MODBUS_TCP)
		conf__suggest(name, bus_rtu_keys, &best, &best_d);
	conf__unknown_key(c, m, path, best);
}

/* Unknown keys, and keys that belong to the other bus type. TYPE is -1 when
 * the type itself was bad: then any bus key passes. */
static void bus_check_keys(struct conf__ctx *c, const config_setting_t *g,
                           const char *path, int type)
{
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(m);
		bool common = in_list(bus_common_keys, name);
		bool tcp = in_list(bus_tcp_keys, name), rtu = in_list(bus_rtu_keys, name);
		if (!common && !tcp && !rtu)
			bus_unknown_key(c, m, path, type);
		else if (common || type < 0)
			continue;
		else if (type == FM_BUS_MODBUS_TCP && !tcp)
			conf__error(c, m, "%s: %s is not a modbus-tcp key", path, name);
		else if (type == FM_BUS_MODBUS_RTU && !rtu)
			conf__error(c, m, "%s: %s is not a modbus-rtu key", path, name);
	}
}

static void parse_tcp_bus(struct conf__ctx *c, const config_setting_t *g,
                          const char *path, struct fm_bus *b)
{
	b->port = 502;
	b->timeout_ms = 1000;
	if (conf__string(c, g, path, "host", true, b->host, sizeof(b->host)) == CONF_OK &&
	    !b->host[0])
		conf__error(c, config_setting_get_member(g, "host"),
		            "%s.host: must not be empty", path);
	conf__int(c, g, path, "port", false, 1, 65535, &b->port);
	conf__int(c, g, path, "timeout_ms", false, 10, 60000, &b->timeout_ms);
}

static void parse_baud(struct conf__ctx *c, const config_setting_t *g,
                       const char *path, struct fm_bus *b)
{
	if (conf__int(c, g, path, "baud", false, 1, 10000000, &b->baud) != CONF_OK ||
	    serial_baud_valid(b->baud))
		return;
	conf__error(c, config_setting_get_member(g, "baud"),
	            "%s.baud: %d is not one of " FM_SERIAL_BAUDS, path, b->baud);
}

static void parse_rtu_bus(struct conf__ctx *c, const config_setting_t *g,
                          const char *path, struct fm_bus *b)
{
	static const char *const parities[] = { "none", "even", "odd" };
	static const char parity_chars[] = { 'N', 'E', 'O' };

	b->baud = 9600;
	b->data_bits = 8;
	b->stop_bits = 1;
	b->timeout_ms = 500;
	b->delay_ms = 0;
	if (conf__string(c, g, path, "device", true, b->device, sizeof(b->device)) == CONF_OK &&
	    !b->device[0])
		conf__error(c, config_setting_get_member(g, "device"),
		            "%s.device: must not be empty", path);
	parse_baud(c, g, path, b);
	int parity = 0;
	conf__enum(c, g, path, "parity", false, parities, 3, &parity);
	b->parity = parity_chars[parity];
	conf__int(c, g, path, "data_bits", false, 7, 8, &b->data_bits);
	conf__int(c, g, path, "stop_bits", false, 1, 2, &b->stop_bits);
	conf__int(c, g, path, "timeout_ms", false, 10, 60000, &b->timeout_ms);
	conf__int(c, g, path, "delay_ms", false, 0, 10000, &b->delay_ms);
}

/* The bus type; -1 when it was bad. SNMP devices need no bus, and someone
 * writing one for them is told how instead of being shown the list. */
static int parse_bus_type(struct conf__ctx *c, const config_setting_t *g,
                          const char *path)
{
	const char *v = NULL;
	if (config_setting_lookup_string(g, "type", &v) && strcmp(v, "snmp") == 0) {
		conf__error(c, config_setting_get_member(g, "type"),
		            "%s.type: snmp devices need no bus; give the device "
		            "type = \"snmp\" and its host", path);
		return -1;
	}
	int type = -1;
	if (conf__enum(c, g, path, "type", true, bus_type_names,
	               (int)ARRAY_LEN(bus_type_names), &type) != CONF_OK)
		return -1;
	return type;
}

static void parse_bus(struct conf__ctx *c, const config_setting_t *g,
                      const char *path, struct fm_bus *b)
{
	conf__origin(c, g, &b->origin);
	if (conf__name(c, g, path, "name", true, CONF_NAME, b->name) == CONF_OK &&
	    strcmp(b->name, FM_SNMP_BUS_NAME) == 0)
		conf__error(c, config_setting_get_member(g, "name"),
		            "%s.name: bus name '%s' is reserved for SNMP devices", path,
		            FM_SNMP_BUS_NAME);
	int type = parse_bus_type(c, g, path);
	bus_check_keys(c, g, path, type);
	if (type < 0)
		return;
	b->type = (enum fm_bus_type)type;
	if (b->type == FM_BUS_MODBUS_TCP)
		parse_tcp_bus(c, g, path, b);
	else
		parse_rtu_bus(c, g, path, b);
}

void conf__parse_buses(struct conf__state *st, const config_setting_t *root)
{
	struct conf__ctx *c = &st->ctx;
	size_t before = conf__nerrors(c);

	const config_setting_t *list = config_setting_get_member(root, "buses");
	if (list && conf__group_list(c, list, "buses")) {
		int n = config_setting_length(list);
		st->cfg->buses = calloc((size_t)n + 1, sizeof(*st->cfg->buses));
		if (!st->cfg->buses) {
			conf__error(c, list, "buses: out of memory");
			return;
		}
		st->cfg->nbuses = (size_t)n;
		for (int i = 0; i < n; i++) {
			const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
			char path[CONF_PATH_MAX];
			conf__path_entry(path, "buses", i, g, CONF_NAME);
			if (conf__expect(c, g, path, CONFIG_TYPE_GROUP))
				parse_bus(c, g, path, &st->cfg->buses[i]);
		}
	}
	st->buses_ok = conf__nerrors(c) == before;
}

/* ---- snmp_traps ---- */

static const char *const trap_keys[] = { "listen", "port", "community", "v3_users", NULL };
static const char *const trap_user_keys[] = {
	"user", "engine_id", "security_level", "auth_protocol", "auth_passphrase_file",
	"priv_protocol", "priv_passphrase_file", NULL,
};

/* An engine ID in hex, "80001f8880..." (an optional 0x is dropped):
 * 5 to 32 octets, RFC 3411. */
static void parse_engine_id(struct conf__ctx *c, const config_setting_t *g,
                            const char *path, char *out, size_t outsz)
{
	char raw[FM_OID_MAX];
	if (conf__string(c, g, path, "engine_id", true, raw, sizeof(raw)) != CONF_OK)
		return;
	const char *hex = strncmp(raw, "0x", 2) == 0 || strncmp(raw, "0X", 2) == 0 ? raw + 2 : raw;
	size_t n = strlen(hex);
	if (n < 10 || n > 64 || n % 2 || strspn(hex, "0123456789abcdefABCDEF") != n) {
		conf__error(c, config_setting_get_member(g, "engine_id"),
		            "%s.engine_id: '%s' is not an engine ID (10 to 64 hex digits, as "
		            "the agent's snmpEngineID shows it)", path, raw);
		return;
	}
	snprintf(out, outsz, "%s", hex);
}

static void parse_trap_users(struct conf__state *st, const config_setting_t *g)
{
	struct conf__ctx *c = &st->ctx;
	struct fm_trap_conf *t = &st->cfg->traps;
	const config_setting_t *list = config_setting_get_member(g, "v3_users");
	if (!list || !conf__group_list(c, list, "snmp_traps.v3_users"))
		return;
	int n = config_setting_length(list);
	if (n > FM_TRAP_USERS_MAX) {
		conf__error(c, list, "snmp_traps.v3_users: at most %d users", FM_TRAP_USERS_MAX);
		return;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *u = config_setting_get_elem(list, (unsigned)i);
		char path[CONF_PATH_MAX];
		conf__path_index(path, "snmp_traps.v3_users", i);
		struct fm_trap_user *tu = &t->v3_users[t->nv3_users++];
		conf__known_keys(c, u, path, trap_user_keys);
		parse_engine_id(c, u, path, tu->engine_id, sizeof(tu->engine_id));
		tu->v3.version = FM_SNMP_V3;
		conf__parse_snmp_v3(c, u, path, st->cfg->path, &tu->v3);
	}
}

/* IPv4 only: the listener binds "udp:<listen>:<port>", which is net-snmp's
 * IPv4 transport. */
static void check_listen_address(struct conf__ctx *c, const config_setting_t *g,
                                 const char *addr)
{
	struct in_addr in;
	if (inet_pton(AF_INET, addr, &in) == 1)
		return;
	conf__error(c, config_setting_get_member(g, "listen"),
	            "snmp_traps.listen: '%s' is not an IPv4 address (0.0.0.0 "
	            "listens on all of them)", addr);
}

/* Optional: the group being there is what turns the listener on. */
void conf__parse_traps(struct conf__state *st, const config_setting_t *root)
{
	struct conf__ctx *c = &st->ctx;
	struct fm_trap_conf *t = &st->cfg->traps;

	snprintf(t->listen, sizeof(t->listen), "0.0.0.0");
	t->port = 162;
	snprintf(t->community, sizeof(t->community), "public");
	const config_setting_t *g = config_setting_get_member(root, "snmp_traps");
	if (!g || !conf__expect(c, g, "snmp_traps", CONFIG_TYPE_GROUP))
		return;
	t->enabled = true;
	conf__known_keys(c, g, "snmp_traps", trap_keys);
	if (conf__string(c, g, "snmp_traps", "listen", false, t->listen,
	                 sizeof(t->listen)) == CONF_OK)
		check_listen_address(c, g, t->listen);
	conf__int(c, g, "snmp_traps", "port", false, 1, 65535, &t->port);
	if (conf__string(c, g, "snmp_traps", "community", false, t->community,
	                 sizeof(t->community)) == CONF_OK && !t->community[0])
		conf__error(c, config_setting_get_member(g, "community"),
		            "snmp_traps.community: must not be empty");
	parse_trap_users(st, g);
}
