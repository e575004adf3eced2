/* store_seed.c - writes the seed database of corpus/fuzz_store.
 *
 * Owns: a small facmon.db made by the real store code, as an agent leaves
 * it after a few minutes: three events (one still in the outbox), a saved
 * alert with its acknowledgement and an operator's silence. Built with the
 * fuzz targets; not run by scripts/fuzz (the seeds are in the repository):
 *   build-fuzz/tests/fuzz/store_seed DIR   # writes DIR/facmon.db
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "store/store.h"

#define SEED_WALL_MS INT64_C(1795000000000) /* 2026-11-18 */

static int seed_event(struct fm_store *s, uint64_t seq, const char *rule,
                      enum fm_alert_state from, enum fm_alert_state to)
{
	char ts[CLOCK_ISO_LEN], payload[512], err[512], *sealed = NULL;
	clock_iso8601(SEED_WALL_MS + (int64_t)seq * 1000, ts, sizeof ts);
	snprintf(payload, sizeof payload,
	         "{\"seq\":%llu,\"ts\":\"%s\",\"type\":\"transition\",\"from\":\"%s\","
	         "\"to\":\"%s\",\"rule\":\"%s\",\"severity\":\"critical\",\"value\":31.5}",
	         (unsigned long long)seq, ts, alert_state_name(from), alert_state_name(to), rule);
	if (store_record_event(s, payload, &sealed, err, sizeof err) < 0) {
		fprintf(stderr, "store_seed: %s\n", err);
		return -1;
	}
	free(sealed);
	return 0;
}

static int seed_state(struct fm_store *s)
{
	char err[512];
	struct eng_alert a = { .name = "room-temp-high", .acked = true,
	                       .acked_by = "tanaka", .ack_comment = "AC tech called",
	                       .acked_wall_ms = SEED_WALL_MS + 4000 };
	a.fsm.state = FM_ALERT_FIRING;
	a.fsm.since_wall_ms = SEED_WALL_MS + 2000;
	struct eng_silence sil = { .id = 1, .match = "rack-a.*", .by = "tanaka",
	                           .why = "AC maintenance", .start_wall_ms = SEED_WALL_MS,
	                           .end_wall_ms = SEED_WALL_MS + 7200 * 1000 };
	uint64_t done[] = { 1, 2 };
	if (store_outbox_done(s, done, 2, err, sizeof err) < 0 ||
	    store_save_alert(s, &a, err, sizeof err) < 0 ||
	    store_save_silence(s, &sil, err, sizeof err) < 0) {
		fprintf(stderr, "store_seed: %s\n", err);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: store_seed DIR\n");
		return 2;
	}
	struct fm_store *s;
	char err[512];
	if (store_open(argv[1], &s, err, sizeof err) < 0) {
		fprintf(stderr, "store_seed: %s\n", err);
		return 1;
	}
	int rc = seed_event(s, 1, "room-temp-high", FM_ALERT_UNKNOWN, FM_ALERT_OK) ||
	         seed_event(s, 2, "room-temp-high", FM_ALERT_OK, FM_ALERT_FIRING) ||
	         seed_event(s, 3, "rack-a.comm", FM_ALERT_OK, FM_ALERT_FIRING) ||
	         seed_state(s);
	store_close(s);
	return rc ? 1 : 0;
}
