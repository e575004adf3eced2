/* pool.h - allocations that live and die together (pool.c).
 *
 * What a loaded config's points share and never change (the names of an
 * enum's values, a walked column's name OID) is copied once into the pool
 * of whoever owns the points, and every copy of a point borrows it: a
 * device's points copied from its profile share the profile's tables, so
 * a point costs a pointer, not a table. Freed all at once with the owner.
 */
#ifndef FACMON_POOL_H
#define FACMON_POOL_H

#include <stddef.h>

struct fm_pool_item;

struct fm_pool {
	struct fm_pool_item *items; /* NULL: empty; a zeroed pool is ready */
};

/* A copy of SIZE bytes of DATA that lives until pool_free(POOL); NULL when
 * out of memory. */
const void *pool_copy(struct fm_pool *pool, const void *data, size_t size);

/* Frees everything in POOL and leaves it empty. */
void pool_free(struct fm_pool *pool);

#endif
