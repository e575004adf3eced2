/* test_result_queue.c - the queue that hands poll results from the bus
 * workers to the loop, and its eventfd.
 *
 * The loop sleeps in poll() on the eventfd and drains the queue when it
 * wakes, so two things must hold: the eventfd is readable while any result
 * is waiting (even after a partial drain), and no result pushed while the
 * loop drains is left waiting behind an eventfd that was reset. The second
 * is checked with a producer thread pushing while the test drains, as the
 * workers and the loop do, one result at a time so that every push is the
 * last one waiting.
 */
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "collectors/worker.h"

static bool readable(const struct result_queue *q, int timeout_ms)
{
	struct pollfd pfd = {.fd = result_queue_fd(q), .events = POLLIN};
	return poll(&pfd, 1, timeout_ms) == 1 && (pfd.revents & POLLIN);
}

static void push_device(struct result_queue *q, size_t dev)
{
	struct fm_poll_result *r = collector_result_new(dev, 1);
	assert_non_null(r);
	result_queue_push(q, r);
}

static void test_empty_queue_is_not_readable(void **state)
{
	(void)state;
	struct result_queue *q = result_queue_create();
	assert_non_null(q);
	assert_false(readable(q, 0));
	assert_null(result_queue_pop(q));
	assert_false(readable(q, 0));
	result_queue_destroy(q);
}

/* The eventfd stays set until a pop finds the queue empty: a loop that
 * takes one result and goes back to poll() is woken for the next. */
static void test_readable_until_drained(void **state)
{
	(void)state;
	struct result_queue *q = result_queue_create();
	push_device(q, 7);
	push_device(q, 8);
	assert_true(readable(q, 0));
	struct fm_poll_result *r = result_queue_pop(q);
	assert_non_null(r);
	assert_int_equal(r->device, 7);
	poll_result_free(r);
	assert_true(readable(q, 0));
	r = result_queue_pop(q);
	assert_non_null(r);
	assert_int_equal(r->device, 8);
	poll_result_free(r);
	assert_true(readable(q, 0)); /* not reset until a pop finds none */
	assert_null(result_queue_pop(q));
	assert_false(readable(q, 0));
	push_device(q, 9);
	assert_true(readable(q, 0));
	result_queue_destroy(q); /* frees the one still waiting */
}

enum { PUSHED = 20000 };

struct ping_pong {
	struct result_queue *q;
	atomic_size_t taken;
};

/* Pushes result I only once the loop has taken result I - 1, so that each
 * push is the last one waiting and tends to land while the loop is in
 * the middle of finding the queue empty. */
static void *producer(void *arg)
{
	struct ping_pong *pp = arg;
	for (size_t i = 0; i < PUSHED; i++) {
		while (atomic_load(&pp->taken) < i)
			sched_yield();
		struct fm_poll_result *r = collector_result_new(i, 1);
		if (!r)
			abort(); /* cmocka's assertions belong to the test's thread */
		result_queue_push(pp->q, r);
	}
	return NULL;
}

/* Every result arrives, in order, and each wake the loop waits for comes:
 * a push that the eventfd's reset swallowed would leave its result waiting
 * with nothing to wake the loop, and poll() would time out. */
static void test_no_wake_up_lost(void **state)
{
	(void)state;
	struct ping_pong pp = {.q = result_queue_create()};
	atomic_init(&pp.taken, 0);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, producer, &pp), 0);
	size_t got = 0;
	while (got < PUSHED) {
		assert_true(readable(pp.q, 2000));
		struct fm_poll_result *r;
		while ((r = result_queue_pop(pp.q))) {
			assert_int_equal(r->device, got);
			atomic_store(&pp.taken, ++got);
			poll_result_free(r);
		}
	}
	pthread_join(t, NULL);
	assert_null(result_queue_pop(pp.q));
	assert_false(readable(pp.q, 0));
	result_queue_destroy(pp.q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_queue_is_not_readable),
		cmocka_unit_test(test_readable_until_drained),
		cmocka_unit_test(test_no_wake_up_lost),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
