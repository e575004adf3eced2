/* job_thread.c - an output's worker thread (see job_thread.h).
 *
 * DESIGN
 * Two lists under one mutex: jobs waiting, and jobs done. The thread takes
 * the first waiting job, runs it unlocked, moves it to done and writes the
 * eventfd; the loop reads the eventfd and takes every done job. A job is
 * one small allocation that travels from one list to the other.
 */
#include "outputs/job_thread.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct job {
	job_fn fn;
	void *arg;
	void (*free_arg)(void *);
	uint64_t tag;
	int rc;
	char why[JOB_WHY_MAX];
	struct job *next;
};

struct job_list {
	struct job *head, *tail;
};

struct job_thread {
	char name[32];
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct job_list waiting, done;
	size_t pending; /* given, not yet taken */
	bool stopping;
	int efd;
};

static void list_push(struct job_list *l, struct job *j)
{
	j->next = NULL;
	if (l->tail)
		l->tail->next = j;
	else
		l->head = j;
	l->tail = j;
}

static struct job *list_pop(struct job_list *l)
{
	struct job *j = l->head;
	if (j) {
		l->head = j->next;
		if (!l->head)
			l->tail = NULL;
	}
	return j;
}

static void job_free(struct job *j)
{
	if (j->free_arg)
		j->free_arg(j->arg);
	free(j);
}

static void *run(void *p)
{
	struct job_thread *t = p;
	pthread_mutex_lock(&t->lock);
	for (;;) {
		while (!t->stopping && !t->waiting.head)
			pthread_cond_wait(&t->wake, &t->lock);
		if (t->stopping)
			break;
		struct job *j = list_pop(&t->waiting);
		pthread_mutex_unlock(&t->lock);
		j->why[0] = '\0';
		j->rc = j->fn(j->arg, j->why, sizeof j->why);
		pthread_mutex_lock(&t->lock);
		list_push(&t->done, j);
		uint64_t one = 1;
		if (write(t->efd, &one, sizeof one) < 0 && errno != EAGAIN)
			break;
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

struct job_thread *job_thread_start(const char *name, char *err, size_t errlen)
{
	struct job_thread *t = calloc(1, sizeof *t);
	if (!t) {
		snprintf(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	snprintf(t->name, sizeof t->name, "%s", name);
	t->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->wake, NULL);
	int rc = t->efd < 0 ? errno : pthread_create(&t->thread, NULL, run, t);
	if (rc == 0)
		return t;
	snprintf(err, errlen, "%s: cannot start its thread: %s", name, strerror(rc));
	if (t->efd >= 0)
		close(t->efd);
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->wake);
	free(t);
	return NULL;
}

static void free_list(struct job_list *l)
{
	struct job *j;
	while ((j = list_pop(l)))
		job_free(j);
}

void job_thread_stop(struct job_thread *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	t->stopping = true;
	pthread_cond_signal(&t->wake);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	free_list(&t->waiting);
	free_list(&t->done);
	close(t->efd);
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->wake);
	free(t);
}

int job_thread_submit(struct job_thread *t, job_fn fn, void *arg, void (*free_arg)(void *),
                      uint64_t tag)
{
	if (t->pending >= JOB_QUEUE_MAX)
		return -1;
	struct job *j = calloc(1, sizeof *j);
	if (!j)
		return -1;
	*j = (struct job){.fn = fn, .arg = arg, .free_arg = free_arg, .tag = tag};
	pthread_mutex_lock(&t->lock);
	list_push(&t->waiting, j);
	t->pending++;
	pthread_cond_signal(&t->wake);
	pthread_mutex_unlock(&t->lock);
	return 0;
}

int job_thread_fd(const struct job_thread *t)
{
	return t->efd;
}

int job_thread_take(struct job_thread *t, uint64_t *tag, int *rc, char *why, size_t len)
{
	uint64_t n;
	while (read(t->efd, &n, sizeof n) == (ssize_t)sizeof n)
		; /* the list says how many; the counter only wakes the loop */
	pthread_mutex_lock(&t->lock);
	struct job *j = list_pop(&t->done);
	if (j)
		t->pending--;
	pthread_mutex_unlock(&t->lock);
	if (!j)
		return 0;
	*tag = j->tag;
	*rc = j->rc;
	snprintf(why, len, "%s", j->why);
	job_free(j);
	return 1;
}

size_t job_thread_pending(const struct job_thread *t)
{
	return t->pending;
}
