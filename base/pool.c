/* pool.c - allocations that live and die together: a list of copies. */
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "base/pool.h"

struct fm_pool_item {
	struct fm_pool_item *next;
	alignas(max_align_t) unsigned char data[];
};

const void *pool_copy(struct fm_pool *pool, const void *data, size_t size)
{
	struct fm_pool_item *it = malloc(sizeof *it + size);
	if (!it)
		return NULL;
	memcpy(it->data, data, size);
	it->next = pool->items;
	pool->items = it;
	return it->data;
}

void pool_free(struct fm_pool *pool)
{
	while (pool->items) {
		struct fm_pool_item *next = pool->items->next;
		free(pool->items);
		pool->items = next;
	}
}
