/* spb_payload.c - building and reading Sparkplug B payloads (see
 * spb_payload.h). */
#include "outputs/spb_payload.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef Org__Eclipse__Tahu__Protobuf__Payload__PropertySet SpbPropertySet;
typedef Org__Eclipse__Tahu__Protobuf__Payload__PropertyValue SpbPropertyValue;

/* One metric and the property set a birth gives it. */
struct spb_slot {
	SpbMetric metric;
	SpbPropertySet props;
	SpbPropertyValue unit;
	SpbPropertyValue *values[1];
	char *keys[1];
};

int spb_begin(struct spb_builder *b, size_t cap, uint64_t ts_ms, int seq)
{
	*b = (struct spb_builder){0};
	org__eclipse__tahu__protobuf__payload__init(&b->payload);
	b->slots = calloc(cap + 1, sizeof *b->slots);
	b->metrics = calloc(cap + 1, sizeof *b->metrics);
	if (!b->slots || !b->metrics) {
		spb_end(b);
		return -1;
	}
	b->cap = cap;
	b->payload.has_timestamp = true;
	b->payload.timestamp = ts_ms;
	b->payload.has_seq = seq >= 0;
	b->payload.seq = seq >= 0 ? (uint64_t)seq : 0;
	b->payload.metrics = b->metrics;
	return 0;
}

SpbMetric *spb_add(struct spb_builder *b, const char *name, uint64_t alias, uint64_t ts_ms,
                   enum spb_type type)
{
	if (b->payload.n_metrics >= b->cap)
		return NULL;
	SpbMetric *m = &b->slots[b->payload.n_metrics].metric;
	org__eclipse__tahu__protobuf__payload__metric__init(m);
	m->name = (char *)name;
	m->has_alias = alias != 0;
	m->alias = alias;
	m->has_timestamp = true;
	m->timestamp = ts_ms;
	m->has_datatype = true;
	m->datatype = type;
	m->has_is_null = true;
	m->is_null = true;
	b->metrics[b->payload.n_metrics++] = m;
	return m;
}

/* V rounded into [LO, HI]. */
static double clamp(double v, double lo, double hi)
{
	v = isnan(v) ? 0 : round(v);
	return v < lo ? lo : v > hi ? hi : v;
}

/* Integers of up to 32 bits go in int_value, two's complement for the
 * signed ones (the specification's encoding of Int8..Int32). */
static void set_int(SpbMetric *m, double v)
{
	static const struct { double lo, hi; } range[] = {
		[SPB_INT8] = {INT8_MIN, INT8_MAX},    [SPB_INT16] = {INT16_MIN, INT16_MAX},
		[SPB_INT32] = {INT32_MIN, INT32_MAX}, [SPB_UINT8] = {0, UINT8_MAX},
		[SPB_UINT16] = {0, UINT16_MAX},       [SPB_UINT32] = {0, UINT32_MAX},
	};
	double c = clamp(v, range[m->datatype].lo, range[m->datatype].hi);
	m->value_case = ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_INT_VALUE;
	m->int_value = c < 0 ? (uint32_t)(int32_t)c : (uint32_t)c;
}

static void set_long(SpbMetric *m, double v)
{
	m->value_case = ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_LONG_VALUE;
	if (m->datatype == SPB_INT64)
		m->long_value = (uint64_t)(int64_t)clamp(v, -9223372036854775808.0,
		                                         9223372036854774784.0);
	else
		m->long_value = (uint64_t)clamp(v, 0, 18446744073709549568.0);
}

void spb_set(SpbMetric *m, double v)
{
	m->has_is_null = false;
	m->is_null = false;
	switch ((enum spb_type)m->datatype) {
	case SPB_INT64:
	case SPB_UINT64:
		set_long(m, v);
		break;
	case SPB_FLOAT:
		m->value_case = ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_FLOAT_VALUE;
		m->float_value = (float)v;
		break;
	case SPB_DOUBLE:
		m->value_case = ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_DOUBLE_VALUE;
		m->double_value = v;
		break;
	case SPB_BOOLEAN:
		m->value_case = ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_BOOLEAN_VALUE;
		m->boolean_value = v != 0;
		break;
	case SPB_STRING:
		m->has_is_null = true;
		m->is_null = true;
		break;
	default:
		set_int(m, v);
	}
}

void spb_set_string(SpbMetric *m, const char *text)
{
	m->has_is_null = false;
	m->is_null = false;
	m->value_case = ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_STRING_VALUE;
	m->string_value = (char *)text;
}

void spb_set_unit(SpbMetric *m, const char *unit)
{
	struct spb_slot *s = (struct spb_slot *)m; /* the metric is its slot's first member */
	org__eclipse__tahu__protobuf__payload__property_set__init(&s->props);
	org__eclipse__tahu__protobuf__payload__property_value__init(&s->unit);
	s->unit.has_type = true;
	s->unit.type = SPB_STRING;
	s->unit.value_case = ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__PROPERTY_VALUE__VALUE_STRING_VALUE;
	s->unit.string_value = (char *)unit;
	s->keys[0] = "engUnit";
	s->values[0] = &s->unit;
	s->props.n_keys = 1;
	s->props.keys = s->keys;
	s->props.n_values = 1;
	s->props.values = s->values;
	m->properties = &s->props;
}

uint8_t *spb_pack(const struct spb_builder *b, size_t *len)
{
	*len = org__eclipse__tahu__protobuf__payload__get_packed_size(&b->payload);
	uint8_t *buf = malloc(*len ? *len : 1);
	if (buf)
		org__eclipse__tahu__protobuf__payload__pack(&b->payload, buf);
	return buf;
}

void spb_end(struct spb_builder *b)
{
	free(b->slots);
	free(b->metrics);
	*b = (struct spb_builder){0};
}

uint8_t *spb_death(uint64_t bdseq, uint64_t ts_ms, size_t *len)
{
	struct spb_builder b;
	if (spb_begin(&b, 1, ts_ms, -1) < 0)
		return NULL;
	spb_set(spb_add(&b, "bdSeq", 0, ts_ms, SPB_INT64), (double)bdseq);
	uint8_t *buf = spb_pack(&b, len);
	spb_end(&b);
	return buf;
}

enum spb_type spb_point_type(const struct fm_point *p)
{
	static const enum spb_type own[] = {
		[FM_TYPE_BOOL] = SPB_BOOLEAN,   [FM_TYPE_INT16] = SPB_INT16,
		[FM_TYPE_UINT16] = SPB_UINT16,  [FM_TYPE_INT32] = SPB_INT32,
		[FM_TYPE_UINT32] = SPB_UINT32,  [FM_TYPE_FLOAT32] = SPB_FLOAT,
		[FM_TYPE_INT64] = SPB_INT64,    [FM_TYPE_UINT64] = SPB_UINT64,
		[FM_TYPE_FLOAT64] = SPB_DOUBLE,
	};
	if (p->type == FM_TYPE_BOOL || p->read == FM_READ_COIL ||
	    p->read == FM_READ_DISCRETE || p->bit >= 0)
		return SPB_BOOLEAN;
	if (p->scale == 1.0 && p->offset == 0.0)
		return own[p->type];
	return p->type == FM_TYPE_FLOAT32 ? SPB_FLOAT : SPB_DOUBLE;
}

bool spb_wants_rebirth(const void *buf, size_t len)
{
	SpbPayload *p = org__eclipse__tahu__protobuf__payload__unpack(NULL, len, buf);
	bool wants = false;
	for (size_t i = 0; p && i < p->n_metrics; i++) {
		const SpbMetric *m = p->metrics[i];
		if (m->name && strcmp(m->name, SPB_REBIRTH) == 0 &&
		    m->value_case == ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_BOOLEAN_VALUE)
			wants = m->boolean_value;
	}
	if (p)
		org__eclipse__tahu__protobuf__payload__free_unpacked(p, NULL);
	return wants;
}
