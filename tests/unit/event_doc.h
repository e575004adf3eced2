/* event_doc.h - an alert transition's event document, as the agent's
 * outputs build one, stored the way they store it: for the tests of the
 * store, the outbox and the chain, which need real documents (the store
 * reads an event's columns off it). Include after cmocka.h. */
#ifndef FACMON_TEST_EVENT_DOC_H
#define FACMON_TEST_EVENT_DOC_H

#include <stdio.h>
#include <stdlib.h>

#include "base/clock.h"
#include "store/store.h"

/* The document of RULE going FROM -> TO as event SEQ at WALL_MS. */
static inline void event_doc(char *buf, size_t len, uint64_t seq, int64_t wall_ms,
                             const char *rule, const char *from, const char *to)
{
	char ts[CLOCK_ISO_LEN];
	clock_iso8601(wall_ms, ts, sizeof ts);
	snprintf(buf, len,
	         "{\"seq\":%llu,\"ts\":\"%s\",\"type\":\"transition\",\"from\":\"%s\","
	         "\"to\":\"%s\",\"rule\":\"%s\",\"severity\":\"critical\",\"point\":"
	         "\"rack-a.temperature\",\"value\":31.5,\"controls\":[\"設46\"]}",
	         (unsigned long long)seq, ts, from, to, rule);
}

/* Stores that event as the outputs do (failing the test if it cannot). */
static inline void event_record(struct fm_store *s, uint64_t seq, int64_t wall_ms,
                                const char *rule, const char *from, const char *to)
{
	char doc[512], err[512], *sealed = NULL;
	event_doc(doc, sizeof doc, seq, wall_ms, rule, from, to);
	if (store_record_event(s, doc, &sealed, err, sizeof err) < 0)
		fail_msg("store_record_event: %s", err);
	free(sealed);
}

#endif
