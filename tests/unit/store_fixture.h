/* store_fixture.h - a fresh state_dir under $TMPDIR with a real facmon.db,
 * for the store's unit tests: cmocka's setup and teardown, and a reopen as
 * a restart of the agent does it. Include after cmocka.h. */
#ifndef FACMON_TEST_STORE_FIXTURE_H
#define FACMON_TEST_STORE_FIXTURE_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

struct fixture {
	char dir[64];
	char db[96];
	struct fm_store *store;
};

/* Opens F's store; 0, or -1 with the reason printed. */
static inline int store_fixture_open(struct fixture *f)
{
	char err[512];
	if (store_open(f->dir, &f->store, err, sizeof err) < 0) {
		print_error("store_open: %s\n", err);
		return -1;
	}
	return 0;
}

static inline int store_fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	if (!f)
		return -1;
	const char *tmp = getenv("TMPDIR");
	snprintf(f->dir, sizeof f->dir, "%s/facmon-store-XXXXXX",
	         tmp && strlen(tmp) < 32 ? tmp : "/tmp");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->db, sizeof f->db, "%s/facmon.db", f->dir);
	*state = f;
	return store_fixture_open(f);
}

static inline int store_fixture_teardown(void **state)
{
	struct fixture *f = *state;
	store_close(f->store);
	/* the database and whatever the store left beside it (-wal, -shm,
	 * seq.mark, a database moved aside) */
	DIR *d = opendir(f->dir);
	for (struct dirent *de; d && (de = readdir(d));) {
		char path[sizeof f->dir + 256];
		snprintf(path, sizeof path, "%s/%s", f->dir, de->d_name);
		if (de->d_name[0] != '.')
			remove(path);
	}
	if (d)
		closedir(d);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Closes the store and opens it again, as a restart of the agent does. */
static inline void store_fixture_reopen(struct fixture *f)
{
	store_close(f->store);
	f->store = NULL;
	assert_int_equal(store_fixture_open(f), 0);
}

#endif
