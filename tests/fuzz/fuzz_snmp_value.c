/* fuzz_snmp_value.c - libFuzzer target: SNMP varbinds to point values.
 *
 * Owns: building one varbind of any type an agent may answer with (the
 * numeric types, OCTET STRINGs of any length and content, the exceptions,
 * types that are no number) through net-snmp's own snmp_set_var_typed_value,
 * and handing it to snmp_value() for a point with a plain or a fuzzed scale;
 * also parsing the input's tail as a numeric OID, as the config's oid keys
 * are. Checks: a value is returned or a reason is, never neither; a parsed
 * OID has at least two arcs and fits its buffer.
 *
 * Input: type selector, scale selector (1 byte each), value length (1
 * byte), the value's bytes, then the OID text.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/snmp_private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const u_char fuzz_types[] = {
	ASN_INTEGER, ASN_OCTET_STR, ASN_COUNTER, ASN_GAUGE, ASN_TIMETICKS,
	ASN_UINTEGER, ASN_COUNTER64, ASN_OBJECT_ID, ASN_IPADDRESS, ASN_OPAQUE,
	ASN_NULL, SNMP_NOSUCHOBJECT, SNMP_NOSUCHINSTANCE, SNMP_ENDOFMIBVIEW,
};
#define FUZZ_NTYPES (sizeof fuzz_types / sizeof fuzz_types[0])

static const double fuzz_scales[] = { 1, 0.1, 0.01, 10, 1e300, -1e-300 };
#define FUZZ_NSCALES (sizeof fuzz_scales / sizeof fuzz_scales[0])

/* The bytes net-snmp's parser would have stored for TYPE: a long for the
 * 32-bit types, a struct counter64, else the value as received. */
static size_t fuzz_value_len(u_char type, size_t have)
{
	switch (type) {
	case ASN_INTEGER: case ASN_COUNTER: case ASN_GAUGE: case ASN_TIMETICKS:
	case ASN_UINTEGER:
		return sizeof(long);
	case ASN_COUNTER64:
		return sizeof(struct counter64);
	case ASN_OBJECT_ID:
		return have / sizeof(oid) * sizeof(oid);
	}
	return have;
}

static void fuzz_varbind(u_char type, const uint8_t *val, size_t len,
                         const struct fm_point *p)
{
	uint8_t buf[256] = { 0 };
	memcpy(buf, val, len);
	size_t n = fuzz_value_len(type, len);
	netsnmp_variable_list vb;
	memset(&vb, 0, sizeof vb);
	if (snmp_set_var_typed_value(&vb, type, buf, n) != 0)
		return;
	double value = NAN;
	char why[FM_TEXT_MAX] = "";
	if (snmp_value(p, &vb, &value, why, sizeof why) != 0 && !why[0])
		abort(); /* refused without a reason */
	snmp_free_var_internals(&vb);
}

static void fuzz_oid(const uint8_t *data, size_t size)
{
	char text[FM_OID_MAX * 2];
	size_t n = size < sizeof text - 1 ? size : sizeof text - 1;
	memcpy(text, data, n);
	text[n] = '\0';
	oid arcs[MAX_OID_LEN];
	size_t len = MAX_OID_LEN;
	if (snmpc_parse_oid(text, arcs, &len) == 0 && (len < 2 || len > MAX_OID_LEN))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return -1;
	struct fm_point p = { .oid = "1.3.6.1.2.1.33.1.2.4.0", .bit = -1,
	                      .type = FM_TYPE_INT64 };
	u_char type = fuzz_types[data[0] % FUZZ_NTYPES];
	p.scale = fuzz_scales[data[1] % FUZZ_NSCALES];
	p.offset = data[1] >= 128 ? -273.15 : 0;
	size_t len = data[2];
	data += 3;
	size -= 3;
	if (len > size)
		len = size;
	fuzz_varbind(type, data, len, &p);
	fuzz_oid(data + len, size - len);
	return 0;
}
