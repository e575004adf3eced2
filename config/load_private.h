/* load_private.h - what the config loader's files share, and nothing else.
 *
 * Owns: the parse context (where diagnostics and interned file names go)
 * and the typed, range-checked getters every section parser uses. Each
 * getter reports its own problem as "path.key: message" at the setting's
 * file and line, so a section parser only says which keys it wants.
 *
 * Names here carry the conf__ prefix: internal to config/, never called
 * from outside it.
 */
#ifndef FACMON_CONFIG_LOAD_PRIVATE_H
#define FACMON_CONFIG_LOAD_PRIVATE_H

#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"

#define CONF_PATH_MAX 256 /* "devices[12] (NAME).points[3] (NAME).address" */

struct conf__ctx {
	struct fm_diags *diags;
	char ***files;  /* where origins' file names are interned */
	size_t *nfiles;
	struct fm_pool *pool; /* where what points share is copied (pool.h) */
	struct conf__source *src; /* the text last read again (source.c) */
};

/* What a section parse left behind for the cross-checks. */
struct conf__device_state {
	bool ok;                          /* parsed without a problem */
	const config_setting_t *profile;  /* the profile setting, if any */
	struct fm_point *own;             /* the device's own points */
	size_t nown;
};

/* What a rule's parse left for the cross-checks. */
struct conf__rule_state {
	/* per condition: equals/not_equals given as an enum name, resolved
	 * once the point's enum is known; NULL otherwise */
	const config_setting_t *enum_name[FM_CONDS_MAX];
	/* per condition: the setting its messages point at */
	const config_setting_t *cond[FM_CONDS_MAX];
	/* per control ID kept in fm_rule.controls: its element of `controls`,
	 * for the catalog check (validate.c) */
	const config_setting_t *control[FM_CONTROLS_MAX];
};

struct conf__state {
	struct conf__ctx ctx;
	struct fm_config *cfg;
	const config_setting_t *root;    /* the main file's, for cross-check lines */
	bool buses_ok, devices_ok; /* parsed without a problem */
	bool profile_dir_ok;       /* profiles can be looked up */
	struct conf__device_state *devs; /* one per cfg->devices entry */
	struct conf__rule_state *rules;  /* one per cfg->rules entry */
};

/* What libconfig 1.5 loses, read again from the file (source.c). The
 * value of integer setting S (or integer element of an array) as written
 * into *V and its text into LIT; false when it is past 64 bits (LIT has
 * it). */
bool conf__int_value(struct conf__ctx *c, const config_setting_t *s, long long *v,
                     char *lit, size_t litsz);
/* Whether string setting S (or an element of a string array) was written
 * with a \x00 escape, which libconfig drops. */
bool conf__string_has_nul(struct conf__ctx *c, const config_setting_t *s);
/* Reports every string under S (path P) written with \x00. */
void conf__check_strings(struct conf__ctx *c, const config_setting_t *s, const char *p);
/* Frees what the context keeps (the re-read text). */
void conf__ctx_done(struct conf__ctx *c);

/* Name alphabets. */
enum conf__charset {
	CONF_NAME_LOWER, /* [a-z0-9_-]: site, agent name, profile */
	CONF_NAME,       /* [A-Za-z0-9_-]: bus, device, point */
	CONF_NAME_RULE,  /* [A-Za-z0-9_.-]: rule */
};

/* Result of a getter: the key was absent, was read, or was reported bad. */
enum conf__got { CONF_ABSENT, CONF_OK, CONF_BAD };

/* A problem at setting S: an error makes the config invalid, a warning
 * (conf__report with FM_DIAG_WARNING) does not. conf__nerrors counts the
 * errors only. */
void conf__error(struct conf__ctx *c, const config_setting_t *s,
                 const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void conf__report(struct conf__ctx *c, enum fm_diag_severity severity,
                  const config_setting_t *s, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
size_t conf__nerrors(const struct conf__ctx *c);
const char *conf__intern(struct conf__ctx *c, const char *file);
void conf__origin(struct conf__ctx *c, const config_setting_t *s,
                  struct fm_origin *o);
void conf__path(char *buf, const char *parent, const char *key);
void conf__path_index(char *buf, const char *parent, int i);
/* Appends " (NAME)" to the path of an entry in BUF, so a message names the
 * device or rule as well as its index: "devices[0] (rack-a)". */
void conf__path_named(char *buf, const char *name);
/* The path of entry I of PARENT whose group is G: named when its name is
 * a valid one of charset CS (a bad name has its own message). */
void conf__path_entry(char *buf, const char *parent, int i, const config_setting_t *g,
                      enum conf__charset cs);

/* Checks every member of GROUP is in KNOWN (NULL-terminated). */
/* location, runbook and owner of a rule or a device. */
void conf__parse_routing(struct conf__ctx *c, const config_setting_t *g,
                         const char *path, struct fm_routing *out);

/* The key of KNOWN (NULL-terminated) closest to NAME, if close enough to
 * be a typo and closer than *BEST (*BEST_D edits away): one list at a time,
 * for groups whose keys are in several. */
void conf__suggest(const char *name, const char *const *known, const char **best,
                   int *best_d);
/* "PATH: unknown key 'NAME' (did you mean 'BEST'?)" at M. */
void conf__unknown_key(struct conf__ctx *c, const config_setting_t *m,
                       const char *path, const char *best);
bool conf__known_keys(struct conf__ctx *c, const config_setting_t *group,
                      const char *path, const char *const *known);
/* GROUP's member KEY, or NULL after "missing required key" when REQUIRED. */
config_setting_t *conf__member(struct conf__ctx *c, const config_setting_t *group,
                               const char *path, const char *key, bool required);
bool conf__expect(struct conf__ctx *c, const config_setting_t *s,
                  const char *path, int type);
/* A list (or empty array) of groups? Reported when it is not. */
bool conf__group_list(struct conf__ctx *c, const config_setting_t *s,
                      const char *path);
const char *conf__type_name(int type);

enum conf__got conf__string(struct conf__ctx *c, const config_setting_t *group,
                            const char *path, const char *key, bool required,
                            char *out, size_t outsz);
enum conf__got conf__name(struct conf__ctx *c, const config_setting_t *group,
                          const char *path, const char *key, bool required,
                          enum conf__charset cs, char *out);
enum conf__got conf__int(struct conf__ctx *c, const config_setting_t *group,
                         const char *path, const char *key, bool required,
                         long long lo, long long hi, int *out);
enum conf__got conf__bool(struct conf__ctx *c, const config_setting_t *group,
                          const char *path, const char *key, bool required,
                          bool *out);
enum conf__got conf__double(struct conf__ctx *c, const config_setting_t *group,
                            const char *path, const char *key, bool required,
                            double *out);
/* A string that must be one of NAMES (n entries); *OUT gets its index. */
enum conf__got conf__enum(struct conf__ctx *c, const config_setting_t *group,
                          const char *path, const char *key, bool required,
                          const char *const *names, int n, int *out);
bool conf__name_valid(const char *s, enum conf__charset cs);

/* OUT = PATH taken relative to the directory of CONFIG_PATH (an absolute
 * PATH as it is). -1 when it does not fit in OUTSZ. */
int conf__relative_path(char *out, size_t outsz, const char *config_path,
                        const char *path);

/* KEY of GROUP names a file the agent will read (a CA, a certificate, a
 * key, a password): resolved relative to the config file into OUT and
 * checked now, so `facmon check` finds it missing or unreadable before the
 * agent needs it. With CONF_FILE_REQUIRED an absent or empty key is an
 * error; without, both are CONF_ABSENT (OUT ""). A CONF_FILE_SECRET must
 * not be readable by every user either. The file is never opened: what it
 * holds stays out of the loader and out of every message. */
enum { CONF_FILE_REQUIRED = 1, CONF_FILE_SECRET = 2 };
enum conf__got conf__file(struct conf__ctx *c, const config_setting_t *group,
                          const char *path, const char *key, unsigned flags,
                          const char *config_path, char *out, size_t outsz);

/* Reads PATH into LC (0), or reports why not and leaves LC destroyed (-1):
 * a file that cannot be opened is PATH:0 with strerror, a syntax error is
 * libconfig's file, line and text. */
int conf__read_file(struct conf__ctx *c, config_t *lc, const char *path);
/* Loads PROFILE_DIR/PROFILE.cfg's points (and what it says of the hardware
 * into ABOUT unless NULL) with OWNER's diags, files and pool; 0, or -1
 * with the problems in the diags (profile.c). */
int conf__load_profile(const struct conf__ctx *owner, const char *profile_dir,
                       const char *profile, struct fm_point **points, size_t *npoints,
                       struct fm_profile_about *about);

/* Sections (load_sections.c, load_devices.c, load_rules.c). */
void conf__parse_agent(struct conf__state *st, const config_setting_t *root,
                       const char *config_path);
void conf__parse_mqtt(struct conf__state *st, const config_setting_t *root);
void conf__parse_buses(struct conf__state *st, const config_setting_t *root);
void conf__parse_devices(struct conf__state *st, const config_setting_t *root);
void conf__parse_rules(struct conf__state *st, const config_setting_t *root);
void conf__parse_traps(struct conf__state *st, const config_setting_t *root);
void conf__parse_silences(struct conf__state *st, const config_setting_t *root);
void conf__parse_outputs(struct conf__state *st, const config_setting_t *root);
/* The SNMPv3 keys of G (user, security_level, protocols, passphrase files)
 * into S; shared by SNMP devices and trap users. */
void conf__parse_snmp_v3(struct conf__ctx *c, const config_setting_t *g,
                         const char *path, const char *config_path,
                         struct fm_snmp_conf *s);

/* Points, shared by devices and profiles (load_points.c). KIND is the
 * device's (FM_DEVICE_MODBUS, FM_DEVICE_SNMP), or CONF_POINTS_ANY for a
 * profile, whose points tell: SNMP when most of them have an oid. Returns
 * false when any point had a problem; *POINTS holds the ones that parsed. */
#define CONF_POINTS_ANY (-1)
bool conf__parse_points(struct conf__ctx *c, const config_setting_t *list,
                        const char *path, int kind, struct fm_point **points,
                        size_t *npoints);
/* The kind of device a non-empty list of parsed points is for. */
enum fm_device_kind conf__points_kind(const struct fm_point *points, size_t npoints);

/* Cross-checks once every section is parsed (validate.c). */
void conf__validate(struct conf__state *st);

#endif
