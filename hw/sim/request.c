/* request.c - what happens to a Modbus request, whatever carried it.
 *
 * Owns: the one path every request takes once a transport (tcp.c, rtu.c)
 * has a whole frame: decoding its unit, function, address and count; the
 * counters `stats` reports; the request log (`log`, `requests`); the unit
 * filter (requests for unknown or muted units, and broadcasts, get no
 * answer); and the faults a unit is given on demand through the control
 * port: exception rules and slowness.
 *
 * DESIGN: a slow unit is simulated by holding its reply, not by sleeping.
 * The transport keeps the request in a struct sim_pending and the loop
 * sends the reply when it is due. On TCP only that connection waits (it is
 * not read again until the reply is out, so its answers stay in order);
 * other connections and the control port carry on. On RTU the whole line
 * waits, as with a real slow device: a request for another unit sent
 * meanwhile is read only after the slow reply has gone out. The reply is
 * built when it is sent, from the tables and exception rules of that
 * moment, and not sent at all if the unit was muted meanwhile.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hw/sim/sim.h"

uint64_t sim_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint16_t sim_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* PDU points at the function code, N bytes from there (an RTU frame's
 * CRC included: only a bound, never read as data). */
static void sim_request_decode(const uint8_t *pdu, int n, struct sim_request *r)
{
	r->function = pdu[0];
	r->address = 0;
	r->count = 0;
	switch (pdu[0]) {
	case MODBUS_FC_READ_COILS:
	case MODBUS_FC_READ_DISCRETE_INPUTS:
	case MODBUS_FC_READ_HOLDING_REGISTERS:
	case MODBUS_FC_READ_INPUT_REGISTERS:
	case MODBUS_FC_WRITE_MULTIPLE_COILS:
	case MODBUS_FC_WRITE_MULTIPLE_REGISTERS:
	case MODBUS_FC_WRITE_AND_READ_REGISTERS: /* its read half */
		if (n >= 5) {
			r->address = sim_be16(pdu + 1);
			r->count = sim_be16(pdu + 3);
		}
		break;
	case MODBUS_FC_WRITE_SINGLE_COIL:
	case MODBUS_FC_WRITE_SINGLE_REGISTER:
	case MODBUS_FC_MASK_WRITE_REGISTER:
		if (n >= 3) {
			r->address = sim_be16(pdu + 1);
			r->count = 1;
		}
		break;
	default:
		break;
	}
}

/* ---- the request log --------------------------------------------------- */

int sim_reqlog_start(struct sim_reqlog *log)
{
	if (log->ring == NULL) {
		log->ring = calloc(SIM_REQLOG_MAX, sizeof *log->ring);
		if (log->ring == NULL)
			return -1;
	}
	log->head = 0;
	log->count = 0;
	log->on = true;
	return 0;
}

void sim_reqlog_stop(struct sim_reqlog *log)
{
	log->on = false;
}

static void sim_reqlog_add(struct sim_reqlog *log, const struct sim_request *r)
{
	if (!log->on)
		return;
	log->ring[log->head] = *r;
	log->head = (log->head + 1) % SIM_REQLOG_MAX;
	if (log->count < SIM_REQLOG_MAX)
		log->count++;
}

const struct sim_request *sim_reqlog_get(const struct sim_reqlog *log,
                                         size_t n, size_t i)
{
	return &log->ring[(log->head + SIM_REQLOG_MAX - n + i) % SIM_REQLOG_MAX];
}

void sim_reqlog_free(struct sim_reqlog *log)
{
	free(log->ring);
	memset(log, 0, sizeof *log);
}

/* ---- accepting a request ----------------------------------------------- */

static void sim_log_request(const struct sim_request *r, const char *transport,
                            const char *outcome)
{
	fprintf(stderr, "facmon-sim: modbus %s: unit %d function 0x%02x "
	        "address %u count %u: %s\n", transport, r->unit, r->function,
	        (unsigned)r->address, (unsigned)r->count, outcome);
}

static const char *sim_outcome(const struct sim_request *r,
                               const struct sim_unit *u)
{
	if (r->unit == 0)
		return "broadcast, no answer";
	if (u == NULL)
		return "no such unit, no answer";
	if (u->muted)
		return "muted, no answer";
	return u->slow_ms > 0 ? "answering late (slow)" : "answering";
}

struct sim_unit *sim_request_accept(struct sim *sim, const uint8_t *query,
                                    int hdr, int len, const char *transport)
{
	struct sim_request r = { .t_ms = sim_now_ms(), .unit = query[hdr - 1] };
	struct sim_unit *u = NULL;

	sim_request_decode(query + hdr, len - hdr, &r);
	sim->requests++;
	sim_reqlog_add(&sim->log, &r);
	if (r.unit != 0)
		u = sim_unit_find(sim, r.unit);
	if (u != NULL)
		u->requests++;
	if (sim->verbose)
		sim_log_request(&r, transport, sim_outcome(&r, u));
	return u != NULL && !u->muted ? u : NULL;
}

/* ---- faults and the reply ---------------------------------------------- */

/* The table a function reads, if it reads one. */
static bool sim_function_reads(uint8_t function, enum fm_read_kind *kind)
{
	switch (function) {
	case MODBUS_FC_READ_COILS:
		*kind = FM_READ_COIL;
		return true;
	case MODBUS_FC_READ_DISCRETE_INPUTS:
		*kind = FM_READ_DISCRETE;
		return true;
	case MODBUS_FC_READ_HOLDING_REGISTERS:
	case MODBUS_FC_WRITE_AND_READ_REGISTERS:
		*kind = FM_READ_HOLDING;
		return true;
	case MODBUS_FC_READ_INPUT_REGISTERS:
		*kind = FM_READ_INPUT;
		return true;
	default:
		return false;
	}
}

/* The exception code of the first rule whose address R reads, else -1.
 * Code 0 is sent too: it is not a valid code, and a client must say so. */
static int sim_exception_for(const struct sim_unit *u,
                             const struct sim_request *r)
{
	enum fm_read_kind kind;

	if (!sim_function_reads(r->function, &kind))
		return -1;
	for (size_t i = 0; i < u->nexceptions; i++) {
		const struct sim_exception *e = &u->exceptions[i];
		if (e->kind == kind && e->address >= r->address &&
		    (long)e->address < (long)r->address + r->count)
			return e->code;
	}
	return -1;
}

static void sim_reply(struct sim *sim, modbus_t *ctx, struct sim_unit *u,
                      const uint8_t *query, int len)
{
	int hdr = modbus_get_header_length(ctx);
	struct sim_request r = { .unit = query[hdr - 1] };

	sim_request_decode(query + hdr, len - hdr, &r);
	int code = sim_exception_for(u, &r);
	if (code >= 0 && sim->verbose)
		fprintf(stderr, "facmon-sim: unit %d function 0x%02x address %u "
		        "count %u: exception %d\n", u->id, r.function,
		        (unsigned)r.address, (unsigned)r.count, code);
	/* A failed send means the client left; its next read says so. */
	if (code >= 0)
		(void)modbus_reply_exception(ctx, query, (unsigned)code);
	else
		(void)modbus_reply(ctx, query, len, u->map);
}

void sim_request_answer(struct sim *sim, modbus_t *ctx, struct sim_unit *u,
                        const uint8_t *query, int len,
                        struct sim_pending *pending)
{
	if (u->slow_ms == 0 || len > (int)sizeof pending->query) {
		sim_reply(sim, ctx, u, query, len);
		return;
	}
	pending->active = true;
	pending->due_ms = sim_now_ms() + u->slow_ms;
	pending->len = len;
	memcpy(pending->query, query, (size_t)len);
}

void sim_pending_fire(struct sim *sim, modbus_t *ctx,
                      struct sim_pending *pending)
{
	int hdr = modbus_get_header_length(ctx);
	struct sim_unit *u = sim_unit_find(sim, pending->query[hdr - 1]);

	pending->active = false;
	if (u != NULL && !u->muted)
		sim_reply(sim, ctx, u, pending->query, pending->len);
}

int sim_exception_add(struct sim_unit *u, enum fm_read_kind kind,
                      long address, long code, char *err, size_t errlen)
{
	if (address < 0 || address > 65535) {
		snprintf(err, errlen, "address %ld out of range 0..65535", address);
		return -1;
	}
	/* 0 and the unassigned 9 are for testing clients; libmodbus sends up to 11 */
	if (code < 0 || code > MODBUS_EXCEPTION_GATEWAY_TARGET) {
		snprintf(err, errlen, "exception code %ld out of range 0..11", code);
		return -1;
	}
	for (size_t i = 0; i < u->nexceptions; i++) {
		struct sim_exception *e = &u->exceptions[i];
		if (e->kind == kind && e->address == address) {
			e->code = (uint8_t)code; /* the same address: a new code */
			return 0;
		}
	}
	if (u->nexceptions == SIM_EXCEPTIONS_MAX) {
		snprintf(err, errlen, "unit %d has %d exceptions already (the "
		         "most), clear them first", u->id, SIM_EXCEPTIONS_MAX);
		return -1;
	}
	u->exceptions[u->nexceptions++] = (struct sim_exception){
		.kind = kind, .address = (uint16_t)address, .code = (uint8_t)code,
	};
	return 0;
}

void sim_exception_clear(struct sim_unit *u)
{
	u->nexceptions = 0;
}
