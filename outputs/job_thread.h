/* job_thread.h - one thread that does an output's blocking work.
 *
 * Owns: a thread, the queue of jobs the loop gives it (an HTTP request, a
 * child process to run and wait for), and the results it gives back
 * through an eventfd the loop polls, in the order the jobs were given.
 * The loop never blocks on an output: it hands work over and takes
 * results when they are there. A job's argument belongs to the job: it is
 * freed with FREE_ARG once its result is taken, or when the thread stops.
 */
#ifndef FACMON_JOB_THREAD_H
#define FACMON_JOB_THREAD_H

#include <stddef.h>
#include <stdint.h>

#define JOB_WHY_MAX 256

/* Does the work of ARG: 0, or -1 with WHY filled. Runs on the thread. */
typedef int (*job_fn)(void *arg, char *why, size_t len);

struct job_thread;

/* NAME shows in messages ("alertmanager"). NULL with ERR on failure. */
struct job_thread *job_thread_start(const char *name, char *err, size_t errlen);
/* Waits for the job under way (each bounds its own time) and drops the
 * rest. Accepts NULL. */
void job_thread_stop(struct job_thread *t);

/* Queues FN(ARG) under TAG; -1 when the queue holds JOB_QUEUE_MAX
 * already (ARG is then not taken). */
#define JOB_QUEUE_MAX 16
int job_thread_submit(struct job_thread *t, job_fn fn, void *arg, void (*free_arg)(void *),
                      uint64_t tag);
/* The descriptor that is readable when a result waits. */
int job_thread_fd(const struct job_thread *t);
/* The next result: 1 with its TAG, RC and WHY (ARG freed); 0 none yet. */
int job_thread_take(struct job_thread *t, uint64_t *tag, int *rc, char *why, size_t len);
/* Jobs given and not yet taken back. */
size_t job_thread_pending(const struct job_thread *t);

#endif
