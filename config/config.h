/* config.h - facmon's configuration model and its loader.
 *
 * Owns: the plain structs a libconfig file (and the device profiles it
 * names) is turned into, and the entry points that load and validate one.
 * Everything that reads the config reads these structs, never libconfig.
 *
 * Loading is two passes: config_load() parses the file and each section into
 * structs, checking types, unknown keys and ranges; it then validates the
 * cross-references (buses, profiles, rule points, duplicate names). Every
 * problem is collected as a diagnostic with its file and line, so `facmon
 * check` can list them all at once instead of stopping at the first.
 *
 * Folder config/ owns the config: libconfig and the device profiles
 * turned into plain structs, checked with FILE:LINE messages (load*.c,
 * validate.c), the names of its enumerations (names.c), the catalog of
 * control IDs rules may name (controls.c), its hash (hash.c); examples/
 * holds commented configs. Uses base/ only.
 */
#ifndef FACMON_CONFIG_H
#define FACMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/log.h"
#include "base/pool.h"

#define FM_NAME_MAX 64      /* device, point, rule, bus names incl. NUL */
#define FM_TEXT_MAX 256     /* hosts, paths, free text incl. NUL */
#define FM_UNIT_MAX 16      /* engineering unit, "degC" */
#define FM_CONTROLS_MAX 8   /* control IDs per rule */
#define FM_CONTROL_MAX 16   /* one control ID incl. NUL, "設46" is 6 bytes */
#define FM_OID_MAX 128      /* a numeric OID as text incl. NUL */
#define FM_ENUM_MAX 24      /* named values per point */
#define FM_ENUM_NAME_MAX 32
#define FM_ROWS_MAX 64      /* rows one table point may have */
#define FM_SENTINELS_MAX 4  /* raw values a point declares as "no sensor" */
#define FM_ROWS_DEFAULT 16  /* max_rows of a walked column when not given */
#define FM_HISTORY_DAYS_DEFAULT 90 /* agent.history_days: ISO 27001 8.15 */
#define FM_HISTORY_DAYS_MAX 3650
/* Operators' silences: the longest (7 days; agent.commands.max_silence may
 * lower it) and how many at once (agent.commands.max_silences). The engine
 * holds 64 silences in all; the rest is the config's windows. */
#define FM_SILENCE_MAX_S (7 * 86400)
#define FM_OPERATOR_SILENCES_DEFAULT 16
#define FM_OPERATOR_SILENCES_MAX 48

/* Modbus limits from the protocol specification (V1.1b3, 6.1-6.4). */
#define FM_MODBUS_MAX_REGISTERS 125
#define FM_MODBUS_MAX_BITS 2000

enum fm_bus_type {
	FM_BUS_MODBUS_TCP,
	FM_BUS_MODBUS_RTU,
	FM_BUS_SNMP, /* implicit: every SNMP device is on the one "snmp" bus */
};

/* The name of the implicit bus that SNMP devices are on (fm_device.bus). */
#define FM_SNMP_BUS_NAME "snmp"

enum fm_device_kind {
	FM_DEVICE_MODBUS,
	FM_DEVICE_SNMP,
};

enum fm_snmp_version { FM_SNMP_V1, FM_SNMP_V2C, FM_SNMP_V3 };
enum fm_snmp_level { FM_SNMP_NOAUTH, FM_SNMP_AUTHNOPRIV, FM_SNMP_AUTHPRIV };
enum fm_snmp_auth { FM_AUTH_NONE, FM_AUTH_MD5, FM_AUTH_SHA, FM_AUTH_SHA224,
                    FM_AUTH_SHA256, FM_AUTH_SHA384, FM_AUTH_SHA512 };
enum fm_snmp_priv { FM_PRIV_NONE, FM_PRIV_DES, FM_PRIV_AES, FM_PRIV_AES192,
                    FM_PRIV_AES256 };

enum fm_read_kind {
	FM_READ_HOLDING,  /* FC03 */
	FM_READ_INPUT,    /* FC04 */
	FM_READ_COIL,     /* FC01 */
	FM_READ_DISCRETE, /* FC02 */
};

enum fm_value_type {
	FM_TYPE_BOOL,
	FM_TYPE_INT16,
	FM_TYPE_UINT16,
	FM_TYPE_INT32,
	FM_TYPE_UINT32,
	FM_TYPE_FLOAT32,
	FM_TYPE_INT64,
	FM_TYPE_UINT64,
	FM_TYPE_FLOAT64,
};

/* Byte order of a multi-register value, written as the order in which the
 * bytes A (most significant) .. D arrive: abcd is plain big-endian. For
 * 64-bit values the pattern is applied to each half and the halves follow
 * the same word order (cdab swaps words throughout). */
enum fm_word_order {
	FM_ORDER_ABCD,
	FM_ORDER_CDAB,
	FM_ORDER_BADC,
	FM_ORDER_DCBA,
};

enum fm_severity {
	FM_SEV_INFO,
	FM_SEV_WARNING,
	FM_SEV_MAJOR,
	FM_SEV_CRITICAL,
};

/* Where a setting came from, for messages: "file:line". */
struct fm_origin {
	const char *file; /* interned by the config; lives as long as it */
	int line;
};

struct fm_agent_conf {
	char site[FM_NAME_MAX];
	char name[FM_NAME_MAX];
	char state_dir[FM_TEXT_MAX];
	char profile_dir[FM_TEXT_MAX]; /* extension: where profiles are looked up */
	enum fm_log_level log_level;
	int history_days;              /* events are kept this long, then pruned */
	bool strict_controls;          /* a control ID not in the catalog is an
	                                  error, not a warning (controls.c) */
	/* self-health (agent/self_health.h) */
	int disk_min_free_pct;   /* state_dir's filesystem below this % free: alert */
	int clock_unsync_grace;  /* seconds the clock may be unsynchronised */
	int outbox_alert_after;  /* seconds the broker may be away with events waiting */
	int collector_hang_after; /* seconds a bus worker may be silent (at least) */
	/* what operators' commands over MQTT may do (agent.commands) */
	struct fm_commands_conf {
		bool silence_self;  /* a silence may cover *.comm, *.bus, facmon.* */
		int max_silence;    /* seconds, the longest silence */
		int max_silences;   /* operators' silences in place at once */
	} commands;
};

struct fm_mqtt_conf {
	char host[FM_TEXT_MAX];
	int port;
	char client_id[FM_TEXT_MAX]; /* filled with facmon-<site>-<name> if empty */
	char username[FM_TEXT_MAX];
	char password_file[FM_TEXT_MAX];
	char tls_ca_file[FM_TEXT_MAX];
	char tls_cert_file[FM_TEXT_MAX];
	char tls_key_file[FM_TEXT_MAX];
	char topic_prefix[FM_TEXT_MAX];
	int qos;       /* 0 or 1: telemetry QoS; status, states and events use 1 */
	int keepalive; /* seconds */
	int reconnect_max; /* seconds: the reconnect back-off never waits longer */
};

/* How an SNMP device is reached (devices with type = "snmp"). */
struct fm_snmp_conf {
	char host[FM_TEXT_MAX];
	int port;                        /* default 161 */
	enum fm_snmp_version version;    /* default 2c */
	char community[FM_TEXT_MAX];     /* v1/v2c, default "public" */
	/* v3 */
	char user[FM_TEXT_MAX];
	enum fm_snmp_level level;
	enum fm_snmp_auth auth;          /* default SHA when a level needs it */
	char auth_passphrase_file[FM_TEXT_MAX];
	enum fm_snmp_priv priv;          /* default AES when a level needs it */
	char priv_passphrase_file[FM_TEXT_MAX];
	int timeout_ms;                  /* default 1000 */
	int retries;                     /* default 1 */
};

/* The optional SNMP trap listener (`snmp_traps = { ... }`). Traps are
 * accepted only from the hosts of configured SNMP devices. */
#define FM_TRAP_USERS_MAX 8

/* An SNMPv3 user traps are accepted from: the sending agent's engine ID
 * (hex) and the USM credentials (only the v3 fields of SNMP are used). */
struct fm_trap_user {
	char engine_id[FM_OID_MAX];
	struct fm_snmp_conf v3;
};

struct fm_trap_conf {
	bool enabled;
	char listen[FM_TEXT_MAX];   /* address to bind, default "0.0.0.0" */
	int port;                   /* default 162 */
	char community[FM_TEXT_MAX];/* v1/v2c traps must carry it; default "public" */
	struct fm_trap_user v3_users[FM_TRAP_USERS_MAX];
	size_t nv3_users;
};

struct fm_bus {
	char name[FM_NAME_MAX];
	enum fm_bus_type type;
	/* modbus-tcp */
	char host[FM_TEXT_MAX];
	int port;
	/* modbus-rtu */
	char device[FM_TEXT_MAX];
	int baud;
	char parity; /* 'N', 'E', 'O' */
	int data_bits;
	int stop_bits;
	int delay_ms;
	/* both */
	int timeout_ms;
	/* snmp: the trap listener (a copy of fm_config.traps) */
	struct fm_trap_conf traps;
	struct fm_origin origin;
};

/* Who to call and where (`location`, `runbook`, `owner`), on rules and
 * devices; an alert carries its rule's, else its device's. */
struct fm_routing {
	/* each NULL when not given; else in the config's pool (pool.h) */
	const char *location;
	const char *runbook;
	const char *owner;
};

/* One named value of an enumeration: `enum = { normal = 3; battery = 5; }` */
struct fm_enum_item {
	int value;
	char name[FM_ENUM_NAME_MAX];
};

struct fm_point {
	char name[FM_NAME_MAX];
	/* snmp: the numeric OID to GET ("1.3.6.1.2.1.33.1.4.1.0"); "" for modbus */
	char oid[FM_OID_MAX];
	enum fm_read_kind read;
	uint16_t address;
	enum fm_value_type type;
	enum fm_word_order order;
	int bit; /* -1: whole value; 0..15: that bit of the (first) register */
	double scale;
	double offset;
	char unit[FM_UNIT_MAX];
	/* names for integer values: a table in the pool of whoever owns the
	 * points (the config's, for a loaded config), shared by their copies */
	const struct fm_enum_item *enums;
	size_t nenums;
	bool enum_is_bits; /* `bits = { zone_1 = 0; }`: ENUMS name bit positions */
	/* Sensor faults: a reading outside [valid_min, valid_max], or whose raw
	 * value (before scale/offset) is one of SENTINELS, is a fault of the
	 * sensor, not a value; so is one that has not changed at all for
	 * STUCK_AFTER seconds (0: never). */
	bool has_valid_min, has_valid_max;
	double valid_min, valid_max;
	double sentinels[FM_SENTINELS_MAX];
	size_t nsentinels;
	int stuck_after;
	/* snmp, `rows = "all"`: the column is walked every poll and its rows,
	 * found at run time, fill NSLOTS consecutive points of this name (the
	 * slots, numbered 1..NSLOTS); 0 for every other point */
	unsigned slot;
	unsigned nslots;
	const char *row_names_oid; /* the name column to name rows by (in the
	                            * pool, as ENUMS), or NULL */
	/* config only: `{ name = "x"; drop = true; }` in a device's points
	 * removes its profile's point x; never set in a loaded device */
	bool drop;
	struct fm_origin origin;
};

/* What a profile says of the hardware it describes ("" when it does not
 * say, and for a device without a profile): Home Assistant shows it. */
struct fm_profile_about {
	char model[FM_TEXT_MAX];
	char manufacturer[FM_NAME_MAX];
};

struct fm_device {
	char name[FM_NAME_MAX];
	enum fm_device_kind kind;
	char bus[FM_NAME_MAX];  /* FM_SNMP_BUS_NAME for SNMP devices */
	int unit;        /* Modbus unit id, 1..247 */
	char profile[FM_NAME_MAX];
	struct fm_profile_about about; /* its profile's model and manufacturer */
	int interval;    /* seconds between polls */
	int down_after;  /* failed polls in a row before the device is down */
	/* how reads are coalesced (modbus_plan.h) */
	int max_registers; /* registers per request, 1..125 (bits: 2000 unless 1) */
	int max_gap;       /* unused registers/bits read to join two blocks */
	bool coalesce;     /* false: one request per point */
	struct fm_snmp_conf snmp; /* kind == FM_DEVICE_SNMP */
	int stale_after;   /* seconds without a fresh value before a point is
	                      unknown; default 3 intervals */
	struct fm_routing routing; /* for the alerts of its points */
	struct fm_point *points; /* profile points, then the device's own */
	size_t npoints;
	struct fm_origin origin;
};


enum fm_rule_kind {
	FM_RULE_ABOVE,
	FM_RULE_BELOW,
	FM_RULE_EQUALS,
	FM_RULE_NOT_EQUALS,
	FM_RULE_RISE,  /* risen by at least THRESHOLD within WITHIN seconds */
	FM_RULE_FALL,
	FM_RULE_MASK,  /* any of the MASK bits set: one alert per bit */
};

#define FM_CONDS_MAX 4 /* conditions of one all/any rule */

/* One condition on one point: `point = "dev.p"; above = 30; clear = 28;` */
struct fm_condition {
	char device[FM_NAME_MAX]; /* from point = "<device>.<point>" */
	char point[FM_NAME_MAX];
	enum fm_rule_kind kind;
	double threshold; /* above/below/equals value, or how far rise/fall go */
	double clear;     /* hysteresis bound; equals threshold when not given */
	int within;       /* rise/fall: the window, seconds */
	uint32_t mask;    /* mask: the bits watched */
	struct fm_origin origin;
};

/* How a rule's conditions combine: one, all of them, or any of them. */
enum fm_combine { FM_COMBINE_ONE, FM_COMBINE_ALL, FM_COMBINE_ANY };

struct fm_rule {
	char name[FM_NAME_MAX];
	struct fm_condition conds[FM_CONDS_MAX];
	size_t nconds;
	enum fm_combine combine;
	int for_s;        /* seconds the condition must hold before firing */
	int clear_for_s;  /* seconds it must be clear before resolving */
	int repeat;       /* seconds between re-publications while firing; 0 = never */
	enum fm_severity severity;
	char controls[FM_CONTROLS_MAX][FM_CONTROL_MAX];
	size_t ncontrols;
	struct fm_routing routing;
	struct fm_origin origin;
};

/* A maintenance window from the config (`silences = ( ... )`): alerts
 * matching MATCH (a glob on alert, rule or device names) are marked
 * silenced from START to END (wall clock, ms since the epoch). */
struct fm_silence {
	char match[FM_NAME_MAX * 2];
	int64_t start_ms, end_ms;
	char by[FM_NAME_MAX];
	char why[FM_TEXT_MAX];
	struct fm_origin origin;
};

/* outputs: who else is told, beyond facmon's own MQTT topics. Every part
 * is off unless its group is in the config (docs/reference.md). */
#define FM_AM_URLS_MAX 4
struct fm_outputs_conf {
	struct fm_alertmanager_conf {
		char urls[FM_AM_URLS_MAX][FM_TEXT_MAX]; /* none: off */
		size_t nurls;
		int timeout_ms;  /* one POST */
		int resend;      /* seconds between re-posts of a firing alert */
		int min_firing;  /* seconds a firing stays posted before its resolution */
	} alertmanager;
	struct fm_exec_conf {
		char command[FM_TEXT_MAX]; /* "": off; an absolute path, run without a shell */
		int timeout;     /* seconds one run may take */
	} exec;
	struct fm_homeassistant_conf {
		bool enabled;
		char prefix[FM_TEXT_MAX]; /* the discovery prefix, "homeassistant" */
	} homeassistant;
	struct fm_sparkplug_conf {
		bool enabled;
		char group[FM_NAME_MAX];  /* the Sparkplug group id; the edge node is agent.name */
	} sparkplug;
	struct fm_http_conf {
		bool enabled;
		char host[FM_TEXT_MAX];   /* the address it binds to, 127.0.0.1 by default */
		int port;
	} http;
};

struct fm_config {
	char *path; /* the main file, as given */
	struct fm_agent_conf agent;
	struct fm_mqtt_conf mqtt;
	struct fm_bus *buses;
	size_t nbuses;
	struct fm_device *devices;
	size_t ndevices;
	struct fm_rule *rules;
	size_t nrules;
	struct fm_trap_conf traps;
	struct fm_silence *silences;
	size_t nsilences;
	struct fm_outputs_conf outputs;
	/* file names referenced by fm_origin.file, freed with the config */
	char **files;
	size_t nfiles;
	struct fm_pool pool; /* what the points share (enum tables, name OIDs) */
};

/* How much a problem matters. An error makes the config invalid; a
 * warning is reported and the config is used all the same. Errors are 0,
 * so a zeroed diagnostic is an error. */
enum fm_diag_severity {
	FM_DIAG_ERROR,
	FM_DIAG_WARNING,
};

/* One problem found while loading. */
struct fm_diag {
	char file[FM_TEXT_MAX];
	int line; /* 0 when no line applies (file not found) */
	enum fm_diag_severity severity;
	char message[FM_TEXT_MAX];
};

struct fm_diags {
	struct fm_diag *items;
	size_t count;
};

/* Loads and validates PATH. Returns the config, or NULL when any error
 * was found; the problems, errors and warnings, are appended to DIAGS
 * either way (a valid config has no errors, and may have warnings). Profiles are looked up in agent.profile_dir, else in
 * FACMON_PROFILE_DIR from the environment, else in the compiled-in dir. */
struct fm_config *config_load(const char *path, struct fm_diags *diags);
void config_free(struct fm_config *cfg);

/* One profile loaded on its own (by the probe, the simulator): its points,
 * what it says of the hardware, the files the points' origins name and
 * what the points share, all freed together by config_profile_free. */
struct fm_profile {
	struct fm_point *points;
	size_t npoints;
	struct fm_profile_about about;
	char **files;
	size_t nfiles;
	struct fm_pool pool;
};

/* Loads PROFILE_DIR/NAME.cfg into OUT (zeroed first). Returns 0, or -1
 * with the problems appended to DIAGS and OUT empty. */
int config_profile_load(const char *profile_dir, const char *name, struct fm_profile *out,
                        struct fm_diags *diags);
void config_profile_free(struct fm_profile *p);

/* The SHA-256 of the files CFG was read from, in hex (config/hash.c);
 * 0, or -1 when a file cannot be read any more. */
#define CONFIG_HASH_LEN 65
int config_hash(const struct fm_config *cfg, char out[CONFIG_HASH_LEN]);

/* The directory profiles are read from when the config doesn't say. */
const char *config_default_profile_dir(void);

/* Appends an error (diags_add) or a warning (diags_warn) to D. */
void diags_add(struct fm_diags *d, const char *file, int line,
               const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void diags_warn(struct fm_diags *d, const char *file, int line,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* How many of D's problems are errors. */
size_t diags_errors(const struct fm_diags *d);
void diags_free(struct fm_diags *d);

/* Lookups on a loaded config; NULL when absent. */
/* The buses the user declared: Modbus lines and endpoints, not the
 * implicit one SNMP devices share. */
size_t config_count_buses(const struct fm_config *cfg);
const struct fm_bus *config_find_bus(const struct fm_config *cfg, const char *name);
const struct fm_device *config_find_device(const struct fm_config *cfg, const char *name);
const struct fm_point *device_find_point(const struct fm_device *dev, const char *name);

/* The enum name of VALUE on point P, or NULL when it has none. */
const char *point_enum_name(const struct fm_point *p, double value);

/* Names used in the config and in messages. */
const char *read_kind_name(enum fm_read_kind k);
const char *value_type_name(enum fm_value_type t);
const char *word_order_name(enum fm_word_order o);
const char *severity_name(enum fm_severity s);

/* Serial line settings, shared by the config, `facmon probe rtu` and the
 * simulator: the baud rates an RTU bus may use, and "none" / "even" /
 * "odd" as libmodbus's 'N' / 'E' / 'O' (0 for anything else). */
#define FM_SERIAL_BAUDS "1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200"
bool serial_baud_valid(long baud);
char serial_parity_from_name(const char *name);

/* Alerts are named by rules, devices ("<device>.comm"), buses and the
 * agent ("facmon.*"), all of A-Z a-z 0-9 _ - . : the first character of
 * silence pattern MATCH, outside glob syntax (* ? [...] \\), that no alert
 * name holds, so the silence can match nothing; '\0' when there is none. */
char silence_match_impossible(const char *match);

/* Control IDs, the catalog facmon ships (controls.c): FISC 安全対策基準
 * items (9th and 10th editions) and ISO/IEC 27001:2022 Annex A controls.
 * Whether ID is one of them, as written ("設46", "8.16"). */
bool control_id_known(const char *id);
/* The catalog's ID that ID was probably meant to be (a letter O for a zero,
 * l or I for a one, full-width digits, spaces, "A.8.16" for "8.16"), into
 * OUT; false when there is none or it is ID itself. */
bool control_id_suggest(const char *id, char *out, size_t outsz);
/* What the catalog holds, in a few words for a message about ID: the
 * range of ID's family ("FISC 設1..設138"), or every standard's. */
void control_catalog_describe(const char *id, char *out, size_t outsz);

/* Registers a value type occupies (bool: 1; a coil/discrete: 1 bit). */
int value_type_registers(enum fm_value_type t);

#endif
