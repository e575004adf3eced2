/* test_spb_payload.c - Sparkplug B payloads as outputs/spb_payload.c
 * encodes them, read back with protobuf-c.
 *
 * Table-driven: each point type to its Sparkplug datatype; each value in
 * its datatype's field (two's complement for the signed ones, clamped to
 * the type's range, rounded); a null metric; the NDEATH (bdSeq alone, no
 * seq); which NCMD payloads ask for a rebirth (garbage does not).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "outputs/spb_payload.h"

#define VALUE(x) ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_##x

static SpbPayload *roundtrip(const struct spb_builder *b)
{
	size_t len;
	uint8_t *buf = spb_pack(b, &len);
	assert_non_null(buf);
	SpbPayload *p = org__eclipse__tahu__protobuf__payload__unpack(NULL, len, buf);
	free(buf);
	assert_non_null(p);
	return p;
}

static void point_types(void **state)
{
	(void)state;
	static const struct {
		enum fm_value_type type;
		enum fm_read_kind read;
		int bit;
		double scale;
		enum spb_type want;
	} cases[] = {
		{FM_TYPE_BOOL, FM_READ_DISCRETE, -1, 1, SPB_BOOLEAN},
		{FM_TYPE_UINT16, FM_READ_HOLDING, 3, 1, SPB_BOOLEAN},
		{FM_TYPE_INT16, FM_READ_INPUT, -1, 1, SPB_INT16},
		{FM_TYPE_INT16, FM_READ_INPUT, -1, 0.1, SPB_DOUBLE},
		{FM_TYPE_UINT16, FM_READ_HOLDING, -1, 1, SPB_UINT16},
		{FM_TYPE_INT32, FM_READ_HOLDING, -1, 1, SPB_INT32},
		{FM_TYPE_UINT32, FM_READ_HOLDING, -1, 1, SPB_UINT32},
		{FM_TYPE_INT64, FM_READ_HOLDING, -1, 1, SPB_INT64},
		{FM_TYPE_UINT64, FM_READ_HOLDING, -1, 1, SPB_UINT64},
		{FM_TYPE_FLOAT32, FM_READ_HOLDING, -1, 1, SPB_FLOAT},
		{FM_TYPE_FLOAT32, FM_READ_HOLDING, -1, 10, SPB_FLOAT},
		{FM_TYPE_FLOAT64, FM_READ_HOLDING, -1, 1, SPB_DOUBLE},
	};
	int bad = 0;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct fm_point p = {.type = cases[i].type, .read = cases[i].read,
		                     .bit = cases[i].bit, .scale = cases[i].scale};
		enum spb_type got = spb_point_type(&p);
		if (got != cases[i].want) {
			print_error("case %zu: got datatype %d, want %d\n", i, got, cases[i].want);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static void values_in_their_fields(void **state)
{
	(void)state;
	static const struct {
		enum spb_type type;
		double v;
		int field;
		uint64_t bits; /* int_value / long_value / boolean_value */
		double real;   /* float_value / double_value */
	} cases[] = {
		{SPB_INT16, -5, VALUE(INT_VALUE), 0xFFFFFFFBu, 0},
		{SPB_INT16, 40000, VALUE(INT_VALUE), 32767, 0},
		{SPB_INT8, -200, VALUE(INT_VALUE), 0xFFFFFF80u, 0},
		{SPB_UINT16, 65535, VALUE(INT_VALUE), 65535, 0},
		{SPB_UINT16, -1, VALUE(INT_VALUE), 0, 0},
		{SPB_INT32, -2147483648.0, VALUE(INT_VALUE), 0x80000000u, 0},
		{SPB_UINT32, 4294967295.0, VALUE(INT_VALUE), 0xFFFFFFFFu, 0},
		{SPB_INT32, 2.6, VALUE(INT_VALUE), 3, 0},
		{SPB_INT64, -1, VALUE(LONG_VALUE), UINT64_MAX, 0},
		{SPB_UINT64, 1e12, VALUE(LONG_VALUE), 1000000000000ULL, 0},
		{SPB_FLOAT, 22.5, VALUE(FLOAT_VALUE), 0, 22.5},
		{SPB_DOUBLE, 0.1, VALUE(DOUBLE_VALUE), 0, 0.1},
		{SPB_BOOLEAN, 1, VALUE(BOOLEAN_VALUE), 1, 0},
		{SPB_BOOLEAN, 0, VALUE(BOOLEAN_VALUE), 0, 0},
	};
	size_t n = sizeof cases / sizeof cases[0];
	struct spb_builder b;
	assert_int_equal(spb_begin(&b, n + 1, 1000, 255), 0);
	for (size_t i = 0; i < n; i++)
		spb_set(spb_add(&b, NULL, i + 1, 999, cases[i].type), cases[i].v);
	spb_add(&b, "nothing", 0, 999, SPB_DOUBLE); /* never set: null */
	assert_null(spb_add(&b, "past the end", 0, 999, SPB_DOUBLE));
	SpbPayload *p = roundtrip(&b);
	spb_end(&b);
	assert_int_equal(p->seq, 255);
	assert_int_equal(p->timestamp, 1000);
	assert_int_equal(p->n_metrics, n + 1);
	int bad = 0;
	for (size_t i = 0; i < n; i++) {
		const SpbMetric *m = p->metrics[i];
		uint64_t bits = 0;
		if (m->value_case == VALUE(LONG_VALUE))
			bits = m->long_value;
		else if (m->value_case == VALUE(INT_VALUE))
			bits = m->int_value;
		else if (m->value_case == VALUE(BOOLEAN_VALUE))
			bits = (uint64_t)m->boolean_value;
		double real = m->value_case == VALUE(FLOAT_VALUE)    ? m->float_value
		              : m->value_case == VALUE(DOUBLE_VALUE) ? m->double_value : 0;
		if ((int)m->value_case != cases[i].field || bits != cases[i].bits ||
		    real != cases[i].real || m->is_null || m->alias != i + 1 || m->name ||
		    m->datatype != cases[i].type) {
			print_error("case %zu: got field %d bits %llu real %g null %d alias %llu, "
			            "want field %d bits %llu real %g\n", i, m->value_case,
			            (unsigned long long)bits, real, m->is_null,
			            (unsigned long long)m->alias, cases[i].field,
			            (unsigned long long)cases[i].bits, cases[i].real);
			bad++;
		}
	}
	const SpbMetric *null = p->metrics[n];
	assert_true(null->has_is_null && null->is_null);
	assert_int_equal(null->value_case, ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE__NOT_SET);
	assert_string_equal(null->name, "nothing");
	org__eclipse__tahu__protobuf__payload__free_unpacked(p, NULL);
	assert_int_equal(bad, 0);
}

static void a_unit_is_the_engunit_property(void **state)
{
	(void)state;
	struct spb_builder b;
	assert_int_equal(spb_begin(&b, 1, 1, 0), 0);
	SpbMetric *m = spb_add(&b, "temperature", 10, 1, SPB_DOUBLE);
	spb_set(m, 22.5);
	spb_set_unit(m, "degC");
	SpbPayload *p = roundtrip(&b);
	spb_end(&b);
	const SpbMetric *got = p->metrics[0];
	assert_non_null(got->properties);
	assert_int_equal(got->properties->n_keys, 1);
	assert_string_equal(got->properties->keys[0], "engUnit");
	assert_int_equal(got->properties->values[0]->type, SPB_STRING);
	assert_string_equal(got->properties->values[0]->string_value, "degC");
	org__eclipse__tahu__protobuf__payload__free_unpacked(p, NULL);
}

static void the_death_carries_bdseq_alone(void **state)
{
	(void)state;
	size_t len;
	uint8_t *buf = spb_death(255, 42, &len);
	assert_non_null(buf);
	SpbPayload *p = org__eclipse__tahu__protobuf__payload__unpack(NULL, len, buf);
	free(buf);
	assert_non_null(p);
	assert_false(p->has_seq);
	assert_int_equal(p->n_metrics, 1);
	assert_string_equal(p->metrics[0]->name, "bdSeq");
	assert_int_equal(p->metrics[0]->datatype, SPB_INT64);
	assert_int_equal(p->metrics[0]->long_value, 255);
	org__eclipse__tahu__protobuf__payload__free_unpacked(p, NULL);
}

static uint8_t *ncmd(const char *name, bool value, size_t *len)
{
	struct spb_builder b;
	assert_int_equal(spb_begin(&b, 1, 1, -1), 0);
	spb_set(spb_add(&b, name, 0, 1, SPB_BOOLEAN), value);
	uint8_t *buf = spb_pack(&b, len);
	spb_end(&b);
	return buf;
}

static void rebirth_requests(void **state)
{
	(void)state;
	size_t len;
	uint8_t *yes = ncmd(SPB_REBIRTH, true, &len);
	assert_true(spb_wants_rebirth(yes, len));
	free(yes);
	uint8_t *no = ncmd(SPB_REBIRTH, false, &len);
	assert_false(spb_wants_rebirth(no, len));
	free(no);
	uint8_t *other = ncmd("Node Control/Reboot", true, &len);
	assert_false(spb_wants_rebirth(other, len));
	free(other);
	static const uint8_t garbage[] = {0xff, 0xff, 0xff, 0x12, 0x02};
	assert_false(spb_wants_rebirth(garbage, sizeof garbage));
	assert_false(spb_wants_rebirth("", 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(point_types),
		cmocka_unit_test(values_in_their_fields),
		cmocka_unit_test(a_unit_is_the_engunit_property),
		cmocka_unit_test(the_death_carries_bdseq_alone),
		cmocka_unit_test(rebirth_requests),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
