/* snmp_value.c - what one SNMP varbind says about one point.
 *
 * Owns: turning INTEGER, Gauge32, Counter32/64, TimeTicks, Unsigned32 and
 * OCTET STRINGs that hold a number into a point's engineering value
 * (scale/offset applied), and saying why anything else is not a reading:
 * noSuchObject, noSuchInstance, endOfMibView, a wrong type. Also parsing
 * numeric OIDs, so no MIB files are ever needed.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/scale.h"
#include "collectors/snmp_private.h"

int snmpc_parse_oid(const char *text, oid *out, size_t *len)
{
	size_t n = 0;
	const char *s = text[0] == '.' ? text + 1 : text;
	while (*s) {
		char *end;
		errno = 0;
		unsigned long arc = strtoul(s, &end, 10);
		if (end == s || errno || n >= *len || (*end && *end != '.'))
			return -1;
		out[n++] = (oid)arc;
		s = *end ? end + 1 : end;
	}
	*len = n;
	return n >= 2 ? 0 : -1;
}

static const char *type_name(u_char type)
{
	switch (type) {
	case ASN_INTEGER: return "INTEGER";
	case ASN_OCTET_STR: return "OCTET STRING";
	case ASN_OBJECT_ID: return "OBJECT IDENTIFIER";
	case ASN_IPADDRESS: return "IpAddress";
	case ASN_COUNTER: return "Counter32";
	case ASN_GAUGE: return "Gauge32";
	case ASN_TIMETICKS: return "TimeTicks";
	case ASN_OPAQUE: return "Opaque";
	case ASN_COUNTER64: return "Counter64";
	case ASN_NULL: return "NULL";
	case SNMP_NOSUCHOBJECT: return "noSuchObject";
	case SNMP_NOSUCHINSTANCE: return "noSuchInstance";
	case SNMP_ENDOFMIBVIEW: return "endOfMibView";
	}
	return "an unknown type";
}

/* A number written as text ("23.5", " 230 "), as some agents send. */
static int string_number(const netsnmp_variable_list *vb, double *raw)
{
	char buf[64];
	size_t n = vb->val_len < sizeof buf - 1 ? vb->val_len : sizeof buf - 1;
	memcpy(buf, vb->val.string, n);
	buf[n] = '\0';
	char *s = buf, *end;
	while (isspace((unsigned char)*s))
		s++;
	errno = 0;
	*raw = strtod(s, &end);
	while (isspace((unsigned char)*end))
		end++;
	return end == s || *end || errno ? -1 : 0;
}

static int raw_number(const netsnmp_variable_list *vb, double *raw)
{
	switch (vb->type) {
	case ASN_INTEGER:
		*raw = (double)*vb->val.integer;
		return 0;
	case ASN_COUNTER:
	case ASN_GAUGE:
	case ASN_TIMETICKS:
	case ASN_UINTEGER:
		*raw = (double)(unsigned long)*vb->val.integer;
		return 0;
	case ASN_COUNTER64:
		*raw = (double)vb->val.counter64->high * 4294967296.0 +
		       (double)vb->val.counter64->low;
		return 0;
	case ASN_OCTET_STR:
		return string_number(vb, raw);
	}
	return -1;
}

int snmp_value(const struct fm_point *p, const netsnmp_variable_list *vb,
               double *value, char *why, size_t whylen)
{
	double raw;
	if (raw_number(vb, &raw) == 0) {
		*value = point_scale(p, raw);
		return 0;
	}
	if (vb->type == SNMP_NOSUCHOBJECT || vb->type == SNMP_NOSUCHINSTANCE ||
	    vb->type == SNMP_ENDOFMIBVIEW)
		snprintf(why, whylen, "%s: %s", p->oid, type_name(vb->type));
	else if (vb->type == ASN_OCTET_STR)
		snprintf(why, whylen, "%s: wrong type: OCTET STRING \"%.*s\" is not a number",
		         p->oid, (int)(vb->val_len < 40 ? vb->val_len : 40), vb->val.string);
	else
		snprintf(why, whylen, "%s: wrong type: %s is not a number", p->oid,
		         type_name(vb->type));
	return -1;
}
