/* probe_snmp_args.c - the values of `facmon probe snmp`'s options.
 *
 * Owns: the names of SNMP versions, security levels and protocols as the
 * command line takes them (the config's, config/load_devices.c, matched
 * without regard to case), the check of a numeric OID (the config's rule,
 * config/load_points.c: what the collector can encode), and the check of
 * a passphrase file (the config loader's: a regular file not readable by
 * every user, and a passphrase net-snmp accepts). Which options go
 * together is probe_args.c's.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/probe_private.h"

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
	struct stat sb;
	if (access(path, R_OK) != 0 || stat(path, &sb) != 0)
		return fail(err, errlen, "--%s %s: cannot read: %s", opt, path, strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return fail(err, errlen, "--%s %s: not a regular file", opt, path);
	if (sb.st_mode & S_IROTH)
		return fail(err, errlen, "--%s %s: the file is readable by every user; "
		            "chmod 600 it (it holds a secret)", opt, path);
	char line[256] = "";
	FILE *f = fopen(path, "r");
	if (!f)
		return fail(err, errlen, "--%s %s: cannot read: %s", opt, path, strerror(errno));
	if (!fgets(line, sizeof line, f))
		line[0] = '\0';
	fclose(f);
	size_t len = strcspn(line, "\r\n");
	memset(line, 0, sizeof line);
	if (len < 8)
		return fail(err, errlen, "--%s %s: the passphrase (the file's first line) "
		            "has %zu character%s; SNMPv3 wants at least 8", opt, path, len,
		            len == 1 ? "" : "s");
	return 0;
}
