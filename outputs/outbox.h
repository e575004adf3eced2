/* outbox.h - delivering events at least once, in seq order, across broker
 * outages and restarts of the agent.
 *
 * Owns: the policy between the store's outbox (events stored but not yet
 * acknowledged, store/store_outbox.c) and the broker connection. An
 * event is stored first, then sent when connected; it leaves the outbox
 * only when the broker's PUBACK for it has come. While the broker is away
 * nothing is sent and nothing piles up in memory: the events wait on disk.
 * On every new connection the outbox is sent again from its oldest event,
 * in seq order, at most OUTBOX_WINDOW in flight; an event the broker had
 * received but not acknowledged before a cut may arrive twice (QoS 1), so
 * consumers drop duplicates by seq.
 *
 * PUBACKs are recorded in memory and written to the store in one
 * transaction per outbox_flush() (once a second), sparing the SD card a
 * sync per acknowledgement; a crash before the flush sends those again.
 */
#ifndef FACMON_OUTBOX_H
#define FACMON_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "outputs/mqtt.h"
#include "store/store.h"

#define OUTBOX_WINDOW 64 /* events sent and not yet acknowledged, at most */

struct fm_outbox;

/* The outbox of STORE, sent over MQTT (which must outlive it); NULL when
 * out of memory. Registers itself for MQTT's PUBACKs. */
struct fm_outbox *outbox_create(struct fm_store *store, struct fm_mqtt *mqtt);
void outbox_destroy(struct fm_outbox *o);

/* Event SEQ has just been stored: send it (and whatever waits before it). */
void outbox_added(struct fm_outbox *o, uint64_t seq);
/* A new connection: send the whole outbox again, oldest first. */
void outbox_session_started(struct fm_outbox *o);
/* Writes the acknowledgements received since the last flush. */
void outbox_flush(struct fm_outbox *o);

/* Events stored and not yet acknowledged by the broker. */
size_t outbox_pending(const struct fm_outbox *o);

#endif
