/* store_mark.c - the seq high-water mark, STATE_DIR/seq.mark, and any
 * other number kept durably beside the database (store_number_*).
 *
 * Owns: the one number that outlives facmon.db. No event was ever numbered
 * above it, so an agent whose database is lost, emptied or moved aside as
 * corrupt starts above it, and seq never goes backwards for a consumer that
 * drops duplicates by seq. The store raises it in blocks of
 * STORE_MARK_BLOCK before it uses a seq beyond it, so the file is written
 * (new file, fsync, rename, fsync of the directory) once per block rather
 * than once per event; a lost database costs a gap of less than one block,
 * which the store-reset event explains.
 *
 * The file is one decimal number and a newline. Anything else in it is an
 * error the caller reports; it is never guessed at.
 */
#include "store/store_mark.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/state_dir.h"

#define MARK_FILE "seq.mark"
#define MARK_TEXT_MAX 32

static void number_path(const char *state_dir, const char *file, const char *suffix,
                        char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s%s", state_dir, file, suffix);
}

/* "<digits>\n" and nothing else. */
static int parse_mark(const char *text, uint64_t *mark)
{
	char *end;
	if (text[0] < '0' || text[0] > '9')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno != 0 || strcmp(end, "\n") != 0)
		return -1;
	*mark = v;
	return 0;
}

int store_number_read(const char *state_dir, const char *file, uint64_t *value, char *err,
                      size_t errlen)
{
	char path[FM_TEXT_MAX + FM_NAME_MAX + 16], text[MARK_TEXT_MAX + 1];
	number_path(state_dir, file, "", path, sizeof path);
	*value = 0;
	FILE *f = fopen(path, "r");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	size_t n = fread(text, 1, MARK_TEXT_MAX, f);
	text[n] = '\0';
	bool failed = ferror(f);
	fclose(f);
	if (failed || n == MARK_TEXT_MAX || parse_mark(text, value) < 0) {
		snprintf(err, errlen, "%s: not a number (one decimal number expected)", path);
		return -1;
	}
	return 0;
}

/* Writes TEXT to PATH in STATE_DIR and syncs it. */
static int write_synced(const char *state_dir, const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return -1;
	size_t len = strlen(text);
	int adopted = state_dir_adopt_fd(state_dir, fd);
	if (adopted < 0)
		errno = -adopted;
	int rc = adopted == 0 && write(fd, text, len) == (ssize_t)len && fsync(fd) == 0 ? 0 : -1;
	int saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

static int sync_dir(const char *state_dir)
{
	int fd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	int saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

int store_number_write(const char *state_dir, const char *file, uint64_t value, char *err,
                       size_t errlen)
{
	char path[FM_TEXT_MAX + FM_NAME_MAX + 16], fresh[FM_TEXT_MAX + FM_NAME_MAX + 24],
		text[MARK_TEXT_MAX];
	number_path(state_dir, file, "", path, sizeof path);
	number_path(state_dir, file, ".new", fresh, sizeof fresh);
	snprintf(text, sizeof text, "%" PRIu64 "\n", value);
	if (write_synced(state_dir, fresh, text) < 0) {
		snprintf(err, errlen, "%s: %s", fresh, strerror(errno));
		unlink(fresh);
		return -1;
	}
	if (rename(fresh, path) < 0 || sync_dir(state_dir) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(fresh);
		return -1;
	}
	return 0;
}

int store_mark_read(const char *state_dir, uint64_t *mark, char *err, size_t errlen)
{
	return store_number_read(state_dir, MARK_FILE, mark, err, errlen);
}

int store_mark_write(const char *state_dir, uint64_t mark, char *err, size_t errlen)
{
	return store_number_write(state_dir, MARK_FILE, mark, err, errlen);
}
