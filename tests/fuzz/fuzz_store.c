/* fuzz_store.c - libFuzzer target: opening a corrupt facmon.db.
 *
 * Owns: putting the input in place of STATE_DIR/facmon.db and doing what
 * the agent and `facmon history` do with it: the read-only open and a
 * listing, then store_open() (which may move the file aside and start a
 * new database) and every read path the agent takes at start (last seq,
 * saved alerts, silences, the outbox), then close. Each input gets an
 * empty state_dir, emptied again after, so the moved-aside copies never
 * pile up. Checks: opening either fails with a reason or succeeds, and an
 * opened store answers its reads.
 *
 * Run it with -close_fd_mask=2 (scripts/fuzz does): the store logs every
 * database it moves aside on stderr, once per input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"
#include "fuzz_tmp.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_state[4200], fuzz_db[4300];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(fuzz_state, sizeof fuzz_state, "%s/state", fuzz_tmp_dir());
	snprintf(fuzz_db, sizeof fuzz_db, "%s/facmon.db", fuzz_state);
	return 0;
}

static int fuzz_row(void *ctx, const struct store_row *row)
{
	(void)ctx;
	(void)row;
	return 0;
}

static void fuzz_alert(void *ctx, const char *name, const char *state,
                       int64_t since_wall, const char *acked_by,
                       const char *ack_comment, int64_t acked_wall)
{
	(void)ctx, (void)name, (void)state, (void)since_wall;
	(void)acked_by, (void)ack_comment, (void)acked_wall;
}

static void fuzz_silence(void *ctx, const struct eng_silence *sil)
{
	(void)ctx;
	(void)sil;
}

static void fuzz_outbox(void *ctx, uint64_t seq, const char *payload)
{
	(void)ctx;
	(void)seq;
	(void)payload;
}

static void fuzz_opened(int rc, const char *err)
{
	if (rc < 0 && !err[0])
		abort(); /* failed without a reason */
}

static void fuzz_reader(void)
{
	struct fm_store *s;
	char err[512] = "";
	int rc = store_open_readonly(fuzz_state, &s, err, sizeof err);
	fuzz_opened(rc, err);
	if (rc < 0)
		return;
	store_last_seq(s);
	struct store_query all = {0}, rooms = {.rule = "room-*", .type = "transition"};
	store_history(s, &all, fuzz_row, NULL, err, sizeof err);
	store_history(s, &rooms, fuzz_row, NULL, err, sizeof err);
	struct store_verdict v;
	store_verify(s, &v, err, sizeof err);
	store_close(s);
}

static void fuzz_agent(void)
{
	struct fm_store *s;
	char err[512] = "";
	int rc = store_open(fuzz_state, &s, err, sizeof err);
	fuzz_opened(rc, err);
	if (rc < 0)
		return;
	store_last_seq(s);
	store_last_silence_id(s);
	store_load_alerts(s, fuzz_alert, NULL, err, sizeof err);
	store_load_silences(s, 0, fuzz_silence, NULL, err, sizeof err);
	store_outbox_count(s);
	store_outbox_next(s, 0, 64, fuzz_outbox, NULL, err, sizeof err);
	store_close(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (mkdir(fuzz_state, 0700) != 0) {
		perror(fuzz_state);
		abort();
	}
	fuzz_tmp_write(fuzz_db, data, size);
	fuzz_reader();
	fuzz_agent();
	fuzz_tmp_empty(fuzz_state);
	rmdir(fuzz_state);
	return 0;
}
