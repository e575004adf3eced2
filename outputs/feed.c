/* feed.c - the stored events, fed to a durable output (see feed.h). */
#include "outputs/feed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS 60000

int feed_open(struct feed *f, const struct output_ops *ops, void *self,
              struct fm_store *store, char *err, size_t errlen)
{
	*f = (struct feed){.ops = ops, .self = self, .store = store,
	                   .backoff_ms = BACKOFF_FIRST_MS};
	int rc = store_cursor_get(store, ops->name, &f->cursor, err, errlen);
	if (rc == 1) { /* first time: from now on */
		f->cursor = store_last_seq(store);
		rc = store_cursor_set(store, ops->name, f->cursor, err, errlen);
	}
	return rc < 0 ? -1 : 0;
}

struct next {
	struct feed *f;
	bool found;
};

static void hand_over(void *ctx, uint64_t seq, const char *document)
{
	struct next *n = ctx;
	n->found = true;
	n->f->inflight = seq;
	n->f->ops->deliver(n->f->self, seq, document);
}

static void done(struct feed *f)
{
	char err[FM_TEXT_MAX * 2];
	f->cursor = f->inflight;
	f->inflight = 0;
	f->backoff_ms = BACKOFF_FIRST_MS;
	complain_recovered(&f->complaint, "%s: delivering events", f->ops->name);
	if (store_cursor_set(f->store, f->ops->name, f->cursor, err, sizeof err) < 0)
		log_warn("%s: %s (it may be sent event %llu again after a restart)",
		         f->ops->name, err, (unsigned long long)f->cursor);
}

static void failed(struct feed *f, const char *why, int64_t now)
{
	complain(&f->complaint, now, "%s: event seq=%llu not delivered: %s (trying again "
	         "in %lld s)", f->ops->name, (unsigned long long)f->inflight, why,
	         (long long)(f->backoff_ms / 1000));
	f->inflight = 0;
	f->retry_at_ms = now + f->backoff_ms;
	f->backoff_ms = f->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : f->backoff_ms * 2;
}

/* The result of the event in flight, if there is one and it is known:
 * true when the feed may go on to the next. */
static bool settle(struct feed *f, int64_t now)
{
	if (!f->inflight)
		return true;
	char why[FM_TEXT_MAX];
	why[0] = '\0';
	enum output_result r = f->ops->delivered(f->self, why, sizeof why);
	if (r == OUTPUT_BUSY)
		return false; /* its descriptor wakes the loop */
	if (r == OUTPUT_DONE)
		done(f);
	else
		failed(f, why[0] ? why : "failed", now);
	return true;
}

/* At most this many events done at once in one turn of the loop (an
 * output that has nothing to do for some types is done at once). */
#define FEED_BURST 64

int64_t feed_service(struct feed *f, int64_t now)
{
	for (int i = 0; i < FEED_BURST; i++) {
		if (!settle(f, now))
			return INT64_MAX;
		if (now < f->retry_at_ms)
			return f->retry_at_ms;
		char err[FM_TEXT_MAX * 2];
		struct next n = {.f = f};
		if (store_events_after(f->store, f->cursor, 1, hand_over, &n, err,
		                       sizeof err) < 0) {
			complain(&f->complaint, now, "%s: %s", f->ops->name, err);
			f->retry_at_ms = now + BACKOFF_FIRST_MS;
			return f->retry_at_ms;
		}
		if (!n.found)
			return INT64_MAX;
	}
	return now; /* more to do: at once, after the rest of the loop */
}
