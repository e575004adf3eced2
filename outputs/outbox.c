/* outbox.c - the outbox between the store and the broker (see outbox.h). */
#include "outputs/outbox.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/log.h"

struct inflight {
	int mid;
	uint64_t seq;
};

struct fm_outbox {
	struct fm_store *store;
	struct fm_mqtt *mqtt;
	struct inflight inflight[OUTBOX_WINDOW];
	size_t ninflight;
	uint64_t cursor;   /* the last seq sent in this session */
	uint64_t *acked;   /* PUBACKed, not yet marked in the store */
	size_t nacked, acked_cap;
	size_t pending;    /* stored, not yet acknowledged */
	bool sending;      /* inside send_more: no re-entry from a PUBACK */
};

static void on_puback(void *ctx, int mid);

struct fm_outbox *outbox_create(struct fm_store *store, struct fm_mqtt *mqtt)
{
	struct fm_outbox *o = calloc(1, sizeof *o);
	if (!o)
		return NULL;
	o->store = store;
	o->mqtt = mqtt;
	long n = store_outbox_count(store);
	o->pending = n > 0 ? (size_t)n : 0;
	if (n > 0)
		log_info("outbox: %ld event%s from before the restart wait for the broker", n,
		         n == 1 ? "" : "s");
	mqtt_set_puback_handler(mqtt, on_puback, o);
	return o;
}

void outbox_destroy(struct fm_outbox *o)
{
	if (!o)
		return;
	outbox_flush(o);
	mqtt_set_puback_handler(o->mqtt, NULL, NULL);
	free(o->acked);
	free(o);
}

/* Sends one stored event; false when the connection cannot take it. */
static bool send_one(struct fm_outbox *o, uint64_t seq, const char *payload)
{
	int mid;
	if (mqtt_send_event(o->mqtt, payload, &mid) < 0)
		return false;
	o->inflight[o->ninflight++] = (struct inflight){.mid = mid, .seq = seq};
	o->cursor = seq;
	return true;
}

struct batch {
	struct fm_outbox *o;
	bool stopped;
};

static void send_row(void *ctx, uint64_t seq, const char *payload)
{
	struct batch *b = ctx;
	if (!b->stopped && !send_one(b->o, seq, payload))
		b->stopped = true;
}

/* Sends what the window allows, in seq order, from after the cursor. */
static void send_more(struct fm_outbox *o)
{
	if (o->sending || !mqtt_connected(o->mqtt))
		return;
	o->sending = true;
	char err[FM_TEXT_MAX * 2];
	for (;;) {
		size_t room = OUTBOX_WINDOW - o->ninflight;
		struct batch b = {.o = o};
		int n = room ? store_outbox_next(o->store, o->cursor, room, send_row, &b, err,
		                                 sizeof err)
		             : 0;
		if (n < 0)
			log_error("%s", err);
		if (n <= 0 || b.stopped || (size_t)n < room)
			break;
	}
	o->sending = false;
}

void outbox_added(struct fm_outbox *o, uint64_t seq)
{
	(void)seq;
	o->pending++;
	send_more(o);
}

void outbox_session_started(struct fm_outbox *o)
{
	outbox_flush(o);
	o->ninflight = 0; /* what was in flight is sent again */
	o->cursor = 0;
	if (o->pending)
		log_info("outbox: sending %zu waiting event%s", o->pending,
		         o->pending == 1 ? "" : "s");
	send_more(o);
}

static void on_puback(void *ctx, int mid)
{
	struct fm_outbox *o = ctx;
	for (size_t i = 0; i < o->ninflight; i++) {
		if (o->inflight[i].mid != mid)
			continue;
		if (o->nacked == o->acked_cap) {
			size_t cap = o->acked_cap ? 2 * o->acked_cap : OUTBOX_WINDOW;
			uint64_t *more = realloc(o->acked, cap * sizeof *more);
			if (!more)
				return; /* sent again after the next connection */
			o->acked = more;
			o->acked_cap = cap;
		}
		o->acked[o->nacked++] = o->inflight[i].seq;
		o->inflight[i] = o->inflight[--o->ninflight];
		o->pending -= o->pending > 0;
		send_more(o);
		return;
	}
	/* not one of ours (a status message), or from before a reconnect */
}

void outbox_flush(struct fm_outbox *o)
{
	char err[FM_TEXT_MAX * 2];
	if (o->nacked == 0)
		return;
	if (store_outbox_done(o->store, o->acked, o->nacked, err, sizeof err) < 0)
		log_error("%s (those events will be sent again)", err);
	o->nacked = 0;
}

size_t outbox_pending(const struct fm_outbox *o)
{
	return o->pending;
}
