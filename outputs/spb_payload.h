/* spb_payload.h - Sparkplug B payloads (outputs/sparkplug_b.proto) for
 * outputs/sparkplug.c.
 *
 * Owns: the encoding: a payload built metric by metric and packed with
 * protobuf-c, the datatype a point is published as, a value in that
 * datatype's field, and reading a rebirth request out of an NCMD. Pure,
 * no I/O: the strings a payload points to are the caller's until it is
 * packed.
 */
#ifndef FACMON_SPB_PAYLOAD_H
#define FACMON_SPB_PAYLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "outputs/sparkplug_b.pb-c.h"

typedef Org__Eclipse__Tahu__Protobuf__Payload SpbPayload;
typedef Org__Eclipse__Tahu__Protobuf__Payload__Metric SpbMetric;

/* Datatypes (Sparkplug 3.0.0, 6.4.16). */
enum spb_type {
	SPB_INT8 = 1, SPB_INT16, SPB_INT32, SPB_INT64, SPB_UINT8, SPB_UINT16, SPB_UINT32,
	SPB_UINT64, SPB_FLOAT, SPB_DOUBLE, SPB_BOOLEAN, SPB_STRING,
};

/* The metric name a host sends to ask for a rebirth. */
#define SPB_REBIRTH "Node Control/Rebirth"

struct spb_slot;

/* A payload being built, with room for a fixed number of metrics. */
struct spb_builder {
	SpbPayload payload;
	struct spb_slot *slots;
	SpbMetric **metrics;
	size_t cap;
};

/* Starts a payload of up to CAP metrics, sent at TS_MS; SEQ its sequence
 * number, or -1 for none (NDEATH). 0, or -1 when memory ran out. */
int spb_begin(struct spb_builder *b, size_t cap, uint64_t ts_ms, int seq);
/* Adds a metric: NAME (NULL: the alias alone, as DATA messages send it),
 * ALIAS (0: none), read at TS_MS, of TYPE, null until a value is set;
 * NULL when the payload is full. */
SpbMetric *spb_add(struct spb_builder *b, const char *name, uint64_t alias, uint64_t ts_ms,
                   enum spb_type type);
/* V in M's datatype (rounded for an integer type, clamped to its range). */
void spb_set(SpbMetric *m, double v);
void spb_set_string(SpbMetric *m, const char *text);
/* The property "engUnit" of M (a birth's), UNIT the caller's. */
void spb_set_unit(SpbMetric *m, const char *unit);
/* The encoded payload (malloc'd, *LEN bytes), or NULL. */
uint8_t *spb_pack(const struct spb_builder *b, size_t *len);
void spb_end(struct spb_builder *b);

/* The NDEATH payload of session BDSEQ: that one metric, no seq (malloc'd,
 * *LEN bytes), or NULL. */
uint8_t *spb_death(uint64_t bdseq, uint64_t ts_ms, size_t *len);

/* The datatype point P is published as: Boolean for a contact, its own
 * integer type when unscaled, Float or Double otherwise. */
enum spb_type spb_point_type(const struct fm_point *p);

/* Whether the NCMD payload BUF asks for a rebirth ("Node Control/Rebirth"
 * true); false for anything else, a payload that does not decode too. */
bool spb_wants_rebirth(const void *buf, size_t len);

#endif
