/* feed.h - the stored events, fed to one durable output in seq order.
 *
 * Owns: a durable output's cursor (store/store_cursor.c) and its one
 * event in flight: the next event after the cursor is handed over once
 * the last is done; a failure brings the same event again after a back-off
 * (1 s doubling to a minute), logged without a line per try. An output
 * configured for the first time starts at the newest event: it is told
 * the present by other means (Alertmanager's re-posts), not years of
 * history.
 */
#ifndef FACMON_FEED_H
#define FACMON_FEED_H

#include <stdint.h>

#include "base/log.h"
#include "outputs/output.h"
#include "store/store.h"

struct feed {
	const struct output_ops *ops;
	void *self;
	struct fm_store *store;
	uint64_t cursor;      /* the last event done */
	uint64_t inflight;    /* the event being delivered; 0: none */
	int64_t retry_at_ms;  /* monotonic: not before this */
	int64_t backoff_ms;
	struct complaint complaint;
};

/* Sets F up for output OPS/SELF over STORE: 0, or -1 with ERR. */
int feed_open(struct feed *f, const struct output_ops *ops, void *self,
              struct fm_store *store, char *err, size_t errlen);
/* Moves F on: takes the result of the event in flight, hands over the
 * next. Returns when it next needs to run (INT64_MAX: at the next event). */
int64_t feed_service(struct feed *f, int64_t now_mono);

#endif
