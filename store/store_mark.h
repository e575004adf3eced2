/* store_mark.h - the seq high-water mark beside facmon.db (store_mark.c).
 *
 * Owns: STATE_DIR/seq.mark, the highest seq the agent may have numbered an
 * event with. Only the store (store.c) reads and raises it. Other numbers
 * that must outlive a restart are kept the same way (store_number_*).
 */
#ifndef FACMON_STORE_MARK_H
#define FACMON_STORE_MARK_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

/* The store raises the mark this far ahead of the seq it is about to use. */
#define STORE_MARK_BLOCK 100

/* Reads the mark into MARK: 0 with MARK = 0 when there is none yet; -1
 * with ERR filled when the file cannot be read or holds anything but one
 * decimal number. */
int store_mark_read(const char *state_dir, uint64_t *mark, char *err, size_t errlen);

/* Replaces the mark with MARK durably: seq.mark.new written and synced,
 * renamed over seq.mark, the directory synced. 0, or -1 with ERR filled
 * (seq.mark is then unchanged). */
int store_mark_write(const char *state_dir, uint64_t mark, char *err, size_t errlen);

/* The same for any number kept in file FILE of STATE_DIR (Sparkplug's
 * bdSeq, outputs/sparkplug.c): read (0 when there is none yet), and
 * replaced durably (FILE.new written, synced, renamed, the directory
 * synced). */
int store_number_read(const char *state_dir, const char *file, uint64_t *value, char *err,
                      size_t errlen);
int store_number_write(const char *state_dir, const char *file, uint64_t value, char *err,
                       size_t errlen);

#endif
