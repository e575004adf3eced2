/* probe_snmp_args.c - `facmon probe snmp`'s options.
 *
 * Owns: the names of SNMP versions, security levels and protocols as the
 * command line takes them (the config's, config/load_devices.c, matched
 * without regard to case), the check of a numeric OID (the config's rule,
 * config/load_points.c: what the collector can encode), the check of a
 * passphrase file (the config loader's: a regular file not readable by
 * every user, and a passphrase net-snmp accepts), the snmp target (and its
 * refusal of Modbus options), and which of snmp's options go together
 * (SNMPv3 options without --version 3, a --level without its passphrase
 * files, OIDs and --profile). The option table is probe_args.c's.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/secret.h"
#include "probe/probe_private.h"

/* ---- values ------------------------------------------------------------ */

static const char *const version_names[] = {
	[FM_SNMP_V1] = "1", [FM_SNMP_V2C] = "2c", [FM_SNMP_V3] = "3",
};
static const char *const level_names[] = {
	[FM_SNMP_NOAUTH] = "noAuthNoPriv", [FM_SNMP_AUTHNOPRIV] = "authNoPriv",
	[FM_SNMP_AUTHPRIV] = "authPriv",
};
static const struct { const char *name; enum fm_snmp_auth value; } auths[] = {
	{"SHA", FM_AUTH_SHA}, {"SHA-224", FM_AUTH_SHA224}, {"SHA-256", FM_AUTH_SHA256},
	{"SHA-384", FM_AUTH_SHA384}, {"SHA-512", FM_AUTH_SHA512}, {"MD5", FM_AUTH_MD5},
};
static const struct { const char *name; enum fm_snmp_priv value; } privs[] = {
	{"AES", FM_PRIV_AES}, {"AES-192", FM_PRIV_AES192}, {"AES-256", FM_PRIV_AES256},
	{"DES", FM_PRIV_DES},
};

const char *probe_snmp_version_name(enum fm_snmp_version v)
{
	return (unsigned)v <= FM_SNMP_V3 ? version_names[v] : "?";
}

const char *probe_snmp_level_name(enum fm_snmp_level l)
{
	return (unsigned)l <= FM_SNMP_AUTHPRIV ? level_names[l] : "?";
}

int probe_parse_snmp_version(const char *s, enum fm_snmp_version *out)
{
	for (int v = FM_SNMP_V1; v <= FM_SNMP_V3; v++)
		if (strcasecmp(s, version_names[v]) == 0) {
			*out = (enum fm_snmp_version)v;
			return 0;
		}
	return -1;
}

int probe_parse_snmp_level(const char *s, enum fm_snmp_level *out)
{
	for (int l = FM_SNMP_NOAUTH; l <= FM_SNMP_AUTHPRIV; l++)
		if (strcasecmp(s, level_names[l]) == 0) {
			*out = (enum fm_snmp_level)l;
			return 0;
		}
	return -1;
}

int probe_parse_snmp_auth(const char *s, enum fm_snmp_auth *out)
{
	for (size_t i = 0; i < sizeof auths / sizeof auths[0]; i++)
		if (strcasecmp(s, auths[i].name) == 0) {
			*out = auths[i].value;
			return 0;
		}
	return -1;
}

int probe_parse_snmp_priv(const char *s, enum fm_snmp_priv *out)
{
	for (size_t i = 0; i < sizeof privs / sizeof privs[0]; i++)
		if (strcasecmp(s, privs[i].name) == 0) {
			*out = privs[i].value;
			return 0;
		}
	return -1;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int probe_check_oid(const char *text, char *err, size_t errlen)
{
	const char *s = text[0] == '.' ? text + 1 : text;
	size_t arcs = 0;
	if (s[0] == '\0' || strspn(s, "0123456789.") != strlen(s)) {
		if (isalpha((unsigned char)s[0]) || strchr(s, ':'))
			return fail(err, errlen, "'%s' is not a numeric OID: facmon reads no MIB "
			            "files, so give the number (`snmptranslate -On %s` prints it "
			            "where the MIB is installed)", text, text);
		return fail(err, errlen, "'%s' is not a numeric OID: want numbers separated "
		            "by dots, e.g. 1.3.6.1.2.1.1.3.0", text);
	}
	for (const char *p = s;;) {
		char *end;
		if (*p < '0' || *p > '9')
			return fail(err, errlen, "'%s' is not a numeric OID: it has an empty arc "
			            "(two dots in a row, or a dot at the end)", text);
		errno = 0;
		unsigned long long v = strtoull(p, &end, 10);
		if (errno == ERANGE || v > 4294967295ULL)
			return fail(err, errlen, "'%s': each arc of an OID is at most 4294967295",
			            text);
		if (arcs++ == 0 && v > 2)
			return fail(err, errlen, "'%s': an OID starts with 0, 1 or 2 (1.3.6.1... "
			            "for almost everything)", text);
		p = end;
		if (*p == '\0')
			break;
		p++; /* the dot */
	}
	if (arcs < 2)
		return fail(err, errlen, "'%s': an OID has at least two arcs, e.g. "
		            "1.3.6.1.2.1.1.3.0", text);
	if (strlen(s) >= FM_OID_MAX)
		return fail(err, errlen, "'%s': too long (at most %d characters)", text,
		            FM_OID_MAX - 1);
	return 0;
}

int probe_check_secret_file(const char *opt, const char *path, char *err, size_t errlen)
{
	char why[128];
	if (file_check(path, true, why, sizeof why) < 0)
		return fail(err, errlen, "--%s %s%s", opt, path, why);
	char line[256] = "";
	int rc = secret_read(path, line, sizeof line);
	if (rc < 0)
		return fail(err, errlen, "--%s %s: cannot read: %s", opt, path, strerror(-rc));
	size_t len = strlen(line);
	memset(line, 0, sizeof line);
	if (len < 8)
		return fail(err, errlen, "--%s %s: the passphrase (the file's first line) "
		            "has %zu character%s; SNMPv3 wants at least 8", opt, path, len,
		            len == 1 ? "" : "s");
	return 0;
}

/* ---- options ----------------------------------------------------------- */

/* ARG into OUT (OUTSZ bytes with the NUL); never empty. */
static int opt_text(struct probe_cli *c, const char *opt, const char *arg,
                    char *out, size_t outsz)
{
	if (arg[0] == '\0')
		return probe_cli_error(c, "--%s must not be empty", opt);
	if (strlen(arg) >= outsz)
		return probe_cli_error(c, "--%s: too long (at most %zu characters)", opt,
		                       outsz - 1);
	memcpy(out, arg, strlen(arg) + 1);
	return 0;
}

static int opt_snmp_enum(struct probe_cli *c, int opt, const char *arg)
{
	struct fm_snmp_conf *s = &c->o.snmp;
	switch (opt) {
	case OPT_VERSION:
		c->given |= G_VERSION;
		if (probe_parse_snmp_version(arg, &s->version) != 0)
			return probe_cli_error(c, "--version %s: want 1, 2c or 3%s", arg,
			                       strcmp(arg, "2") == 0 ? " (SNMPv2 is 2c)" : "");
		return 0;
	case OPT_LEVEL:
		c->given |= G_LEVEL;
		if (probe_parse_snmp_level(arg, &s->level) != 0)
			return probe_cli_error(c, "--level %s: want noAuthNoPriv, authNoPriv or "
			                       "authPriv", arg);
		return 0;
	case OPT_AUTH_PROTOCOL:
		c->given |= G_AUTH_PROTOCOL;
		if (probe_parse_snmp_auth(arg, &s->auth) != 0)
			return probe_cli_error(c, "--auth-protocol %s: want SHA, SHA-224, SHA-256, "
			                       "SHA-384, SHA-512 or MD5", arg);
		return 0;
	case OPT_PRIV_PROTOCOL:
		c->given |= G_PRIV_PROTOCOL;
		if (probe_parse_snmp_priv(arg, &s->priv) != 0)
			return probe_cli_error(c, "--priv-protocol %s: want AES, AES-192, "
			                       "AES-256 or DES", arg);
		return 0;
	default:
		return -2;
	}
}

int probe_snmp_opt(struct probe_cli *c, int opt, const char *name, const char *arg)
{
	struct fm_snmp_conf *s = &c->o.snmp;
	long v;
	if (opt < OPT_VERSION || opt > OPT_RETRIES)
		return -2;
	if (!c->snmp_opt)
		c->snmp_opt = name;
	switch (opt) {
	case OPT_COMMUNITY:
		c->given |= G_COMMUNITY;
		return opt_text(c, name, arg, s->community, sizeof s->community);
	case OPT_USER:
		c->given |= G_USER;
		return opt_text(c, name, arg, s->user, sizeof s->user);
	case OPT_AUTH_FILE:
		c->given |= G_AUTH_FILE;
		c->auth_file = arg;
		return opt_text(c, name, arg, s->auth_passphrase_file,
		                sizeof s->auth_passphrase_file);
	case OPT_PRIV_FILE:
		c->given |= G_PRIV_FILE;
		c->priv_file = arg;
		return opt_text(c, name, arg, s->priv_passphrase_file,
		                sizeof s->priv_passphrase_file);
	case OPT_RETRIES:
		c->given |= G_RETRIES;
		if (probe_parse_long(arg, 0, 10, &v) != 0)
			return probe_cli_error(c, "--retries %s: want 0..10 (tries after the "
			                       "first)", arg);
		s->retries = (int)v;
		return 0;
	default:
		return opt_snmp_enum(c, opt, arg);
	}
}

/* ---- where ------------------------------------------------------------- */

/* "1.3.6.1.2.1.1.3.0" where the agent's address belongs: digits and dots,
 * but not the four numbers of an IPv4 address. */
static bool looks_like_oid(const char *s)
{
	size_t dots = 0;
	if (strspn(s, "0123456789.") != strlen(s))
		return false;
	for (const char *p = s; *p; p++)
		dots += *p == '.';
	return s[0] == '.' || dots > 3;
}

int probe_snmp_target(struct probe_cli *c)
{
	struct probe_opts *o = &c->o;
	o->bus.type = FM_BUS_SNMP;
	snprintf(o->bus.name, sizeof o->bus.name, "%s", FM_SNMP_BUS_NAME);
	if (!c->target)
		return probe_cli_error(c, "snmp needs the agent's address: facmon probe snmp "
		                       "HOST[:PORT] OID... (or --profile NAME)");
	if (looks_like_oid(c->target))
		return probe_cli_error(c, "'%s' looks like an OID; give the agent's address "
		                       "first: facmon probe snmp HOST[:PORT] OID...", c->target);
	if (c->given & G_SERIAL)
		return probe_cli_error(c, "--%s is a serial setting of Modbus RTU; snmp reads OIDs",
		                       c->serial_opt);
	const char *clash = probe_first_given(c->given, G_MODBUS_ONLY);
	if (clash)
		return probe_cli_error(c, "%s is a Modbus option; snmp reads OIDs: facmon probe "
		                       "snmp HOST[:PORT] OID... (or --profile NAME)", clash);
	if (probe_host_port(c, c->target, PROBE_SNMP_PORT) != 0)
		return -1;
	snprintf(o->snmp.host, sizeof o->snmp.host, "%s", o->bus.host);
	o->snmp.port = o->bus.port;
	return 0;
}

/* ---- which options go together ----------------------------------------- */

static int check_secret(struct probe_cli *c, const char *opt, const char *path)
{
	return probe_check_secret_file(opt, path, c->err, sizeof c->err);
}

static int check_v3(struct probe_cli *c)
{
	struct fm_snmp_conf *s = &c->o.snmp;
	const char *level = probe_snmp_level_name(s->level);
	if (c->given & G_COMMUNITY)
		return probe_cli_error(c, "--community is for --version 1 and 2c; SNMPv3 "
		                       "authenticates with --user and --level (and "
		                       "passphrase files)");
	if (!(c->given & G_USER))
		return probe_cli_error(c, "--version 3 needs --user: the SNMPv3 user configured "
		                       "on the agent");
	if (s->level == FM_SNMP_NOAUTH && (c->given & (G_AUTH_PROTOCOL | G_AUTH_FILE)))
		return probe_cli_error(c, "--%s is not used with --level noAuthNoPriv (no "
		                       "authentication); leave it out or raise --level",
		                       c->given & G_AUTH_PROTOCOL ? "auth-protocol"
		                                                   : "auth-passphrase-file");
	if (s->level != FM_SNMP_AUTHPRIV && (c->given & (G_PRIV_PROTOCOL | G_PRIV_FILE)))
		return probe_cli_error(c, "--%s is not used with --level %s (no encryption); leave "
		                       "it out or use --level authPriv",
		                       c->given & G_PRIV_PROTOCOL ? "priv-protocol"
		                                                   : "priv-passphrase-file",
		                       level);
	if (s->level == FM_SNMP_NOAUTH) {
		s->auth = FM_AUTH_NONE;
		s->priv = FM_PRIV_NONE;
		return 0;
	}
	if (!c->auth_file)
		return probe_cli_error(c, "--level %s%s needs --auth-passphrase-file FILE (the "
		                       "passphrase on its first line, chmod 600)", level,
		                       c->given & G_LEVEL ? "" : " (the default)");
	if (check_secret(c, "auth-passphrase-file", c->auth_file) != 0)
		return -1;
	if (s->level == FM_SNMP_AUTHNOPRIV) {
		s->priv = FM_PRIV_NONE;
		return 0;
	}
	if (!c->priv_file)
		return probe_cli_error(c, "--level authPriv%s needs --priv-passphrase-file FILE "
		                       "(the passphrase on its first line, chmod 600)",
		                       c->given & G_LEVEL ? "" : " (the default)");
	return check_secret(c, "priv-passphrase-file", c->priv_file);
}

int probe_snmp_check(struct probe_cli *c)
{
	struct probe_opts *o = &c->o;
	if (o->snmp.version == FM_SNMP_V3) {
		if (check_v3(c) != 0)
			return -1;
	} else if (c->given & G_SNMP_V3) {
		return probe_cli_error(c, "%s is an SNMPv3 option; add --version 3 (this probe "
		                       "speaks version %s, with --community)",
		                       probe_first_given(c->given, G_SNMP_V3),
		                       probe_snmp_version_name(o->snmp.version));
	}
	o->snmp.timeout_ms = o->bus.timeout_ms;
	if (o->mode == PROBE_MODE_PROFILE && c->nrest > 0)
		return probe_cli_error(c, "'%s': give OIDs or --profile, not both", c->rest[0]);
	if (o->mode != PROBE_MODE_PROFILE && c->nrest == 0)
		return probe_cli_error(c, "say what to read: numeric OIDs (facmon probe snmp %s "
		                       "1.3.6.1.2.1.1.3.0) or --profile NAME", c->target);
	for (size_t i = 0; i < c->nrest; i++)
		if (probe_check_oid(c->rest[i], c->err, sizeof c->err) != 0)
			return -1;
	o->oids = c->rest;
	o->noids = c->nrest;
	return 0;
}
