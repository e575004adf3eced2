/* fuzz_tmp.h - scratch files for the fuzz targets that need a path.
 *
 * Owns: one private directory per fuzzing process under $TMPDIR (removed
 * at exit), writing an input into a file there, and emptying a directory
 * again, so that millions of inputs never fill the disk.
 */
#ifndef FACMON_FUZZ_TMP_H
#define FACMON_FUZZ_TMP_H

#include <stddef.h>
#include <stdint.h>

/* The process's scratch directory, made on first use; aborts if it cannot. */
const char *fuzz_tmp_dir(void);
/* Writes DATA (LEN bytes) to PATH, replacing it; aborts on failure. */
void fuzz_tmp_write(const char *path, const uint8_t *data, size_t len);
/* Removes everything inside DIR (one level: the targets make no subdirs). */
void fuzz_tmp_empty(const char *dir);

#endif
