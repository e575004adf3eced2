/* exec.c - the exec notifier: a command run once per alert transition.
 *
 * Owns: outputs.exec, for what has no network (a GSM modem's SMS script, a
 * signal tower, a NUT-style NOTIFYCMD). For every stored transition event,
 * in seq order, it runs `command` (an absolute path, no shell) with the
 * event in environment variables and its JSON document on stdin, on its
 * own thread, killed after `timeout` seconds. A non-zero exit, a signal or
 * a timeout is a failure: the same event again after a back-off (feed.c),
 * so a modem that is down for an hour still sends every message, in order,
 * once it is back. Events of other types are passed over.
 *
 * The environment is only what is set here (and PATH), never the agent's.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "outputs/job_thread.h"
#include "outputs/output.h"

#define ENV_MAX 16
#define OUTPUT_KEEP 512 /* bytes of the command's output kept for the log */

struct exec_output {
	const struct fm_config *cfg;
	struct job_thread *thread;
	enum output_result state; /* of the event handed over last */
	char why[JOB_WHY_MAX];
};

/* One run: what the thread needs, owned by the job. */
struct exec_run {
	char command[FM_TEXT_MAX];
	int timeout_s;
	char *input;              /* the event's document */
	char *env[ENV_MAX + 1];   /* "NAME=value", NULL-terminated */
	size_t nenv;
};

static void run_free(void *p)
{
	struct exec_run *r = p;
	for (size_t i = 0; i < r->nenv; i++)
		free(r->env[i]);
	free(r->input);
	free(r);
}

static void env_add(struct exec_run *r, const char *name, const char *value)
{
	if (r->nenv >= ENV_MAX || !value)
		return;
	size_t len = strlen(name) + strlen(value) + 2;
	char *kv = malloc(len);
	if (!kv)
		return;
	snprintf(kv, len, "%s=%s", name, value);
	r->env[r->nenv++] = kv;
}

static const char *doc_text(const cJSON *doc, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* FACMON_VALUE: the reading as the event gives it ("35", "up"). */
static void env_value(struct exec_run *r, const cJSON *doc)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, "value");
	char buf[64];
	if (cJSON_IsNumber(v)) {
		snprintf(buf, sizeof buf, "%.15g", v->valuedouble);
		env_add(r, "FACMON_VALUE", buf);
	} else if (cJSON_IsString(v)) {
		env_add(r, "FACMON_VALUE", v->valuestring);
	}
}

/* FACMON_CONTROLS: the control IDs, comma-separated. */
static void env_controls(struct exec_run *r, const cJSON *doc)
{
	char buf[FM_TEXT_MAX] = "";
	size_t used = 0;
	const cJSON *c;
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(doc, "controls")) {
		if (cJSON_IsString(c) && used < sizeof buf) {
			int n = snprintf(buf + used, sizeof buf - used, "%s%s", used ? "," : "",
			                 c->valuestring);
			used += n > 0 ? (size_t)n : 0;
		}
	}
	env_add(r, "FACMON_CONTROLS", buf);
}

static struct exec_run *run_for(const struct exec_output *x, uint64_t seq, const cJSON *doc,
                                const char *document)
{
	struct exec_run *r = calloc(1, sizeof *r);
	if (!r || !(r->input = strdup(document))) {
		free(r);
		return NULL;
	}
	snprintf(r->command, sizeof r->command, "%s", x->cfg->outputs.exec.command);
	r->timeout_s = x->cfg->outputs.exec.timeout;
	char seqtext[24];
	snprintf(seqtext, sizeof seqtext, "%llu", (unsigned long long)seq);
	env_add(r, "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	env_add(r, "FACMON_SEQ", seqtext);
	env_add(r, "FACMON_TS", doc_text(doc, "ts"));
	env_add(r, "FACMON_SITE", x->cfg->agent.site);
	env_add(r, "FACMON_GATEWAY", x->cfg->agent.name);
	env_add(r, "FACMON_RULE", doc_text(doc, "rule"));
	env_add(r, "FACMON_FROM", doc_text(doc, "from"));
	env_add(r, "FACMON_TO", doc_text(doc, "to"));
	env_add(r, "FACMON_SEVERITY", doc_text(doc, "severity"));
	env_add(r, "FACMON_POINT", doc_text(doc, "point"));
	env_value(r, doc);
	env_controls(r, doc);
	return r;
}

/* ---- on the thread ---- */

/* Writes all of TEXT to FD, and closes it (EPIPE: the command did not read
 * it all, which is its business). */
static void feed_stdin(int fd, const char *text)
{
	size_t len = strlen(text), done = 0;
	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	close(fd);
}

/* Waits for PID, reading its output from OUT (kept in KEEP), at most
 * TIMEOUT_S; then SIGKILL. Its wait status, or -1 when it was killed. */
static int wait_child(pid_t pid, int out, int timeout_s, char *keep, size_t len)
{
	int64_t deadline = clock_mono_ms() + (int64_t)timeout_s * 1000;
	size_t used = 0;
	int status;
	while (waitpid(pid, &status, WNOHANG) == 0) {
		int64_t left = deadline - clock_mono_ms();
		if (left <= 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		struct pollfd p = {.fd = out, .events = POLLIN};
		if (out >= 0 && poll(&p, 1, left < 100 ? (int)left : 100) > 0) {
			char buf[256];
			ssize_t n = read(out, buf, sizeof buf);
			if (n > 0 && used + 1 < len) {
				size_t take = (size_t)n < len - 1 - used ? (size_t)n : len - 1 - used;
				memcpy(keep + used, buf, take);
				used += take;
			} else if (n == 0) {
				close(out);
				out = -1;
			}
		} else if (out < 0) {
			struct timespec ts = {0, 50 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
	}
	if (out >= 0)
		close(out);
	keep[used] = '\0';
	return status;
}

static void first_line(const char *text, char *out, size_t len)
{
	size_t n = strcspn(text, "\r\n");
	snprintf(out, len, "%.*s", (int)(n < len ? n : len - 1), text);
}

static int run_command(void *arg, char *why, size_t len)
{
	struct exec_run *r = arg;
	int in[2], out[2];
	if (pipe2(in, O_CLOEXEC) < 0)
		return snprintf(why, len, "pipe: %s", strerror(errno)), -1;
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return snprintf(why, len, "pipe: %s", strerror(errno)), -1;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, out[1], 2);
	char *argv[] = {r->command, NULL};
	pid_t pid;
	int rc = posix_spawn(&pid, r->command, &fa, NULL, argv, r->env);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(out[1]);
	if (rc != 0) {
		close(in[1]);
		close(out[0]);
		return snprintf(why, len, "%s: %s", r->command, strerror(rc)), -1;
	}
	feed_stdin(in[1], r->input);
	char said[OUTPUT_KEEP], line[160];
	int status = wait_child(pid, out[0], r->timeout_s, said, sizeof said);
	first_line(said, line, sizeof line);
	if (status == -1)
		snprintf(why, len, "%s: still running after %d s; killed", r->command, r->timeout_s);
	else if (WIFSIGNALED(status))
		snprintf(why, len, "%s: killed by signal %d%s%s", r->command, WTERMSIG(status),
		         line[0] ? ": " : "", line);
	else if (WEXITSTATUS(status) != 0)
		snprintf(why, len, "%s: exit status %d%s%s", r->command, WEXITSTATUS(status),
		         line[0] ? ": " : "", line);
	else
		return 0;
	return -1;
}

/* ---- on the loop ---- */

static bool exec_wanted(const struct fm_config *cfg)
{
	return cfg->outputs.exec.command[0] != '\0';
}

static void *exec_create(const struct output_env *env, char *err, size_t errlen)
{
	struct exec_output *x = calloc(1, sizeof *x);
	if (!x)
		return NULL;
	x->cfg = env->cfg;
	x->state = OUTPUT_DONE;
	x->thread = job_thread_start("exec", err, errlen);
	if (!x->thread) {
		free(x);
		return NULL;
	}
	return x;
}

static void exec_destroy(void *self)
{
	struct exec_output *x = self;
	job_thread_stop(x->thread);
	free(x);
}

static void exec_rebind(void *self, const struct output_env *env)
{
	((struct exec_output *)self)->cfg = env->cfg;
}

static void exec_deliver(void *self, uint64_t seq, const char *document)
{
	struct exec_output *x = self;
	cJSON *doc = cJSON_Parse(document);
	const char *type = doc_text(doc, "type");
	x->why[0] = '\0';
	if (!type || strcmp(type, "transition") != 0) {
		x->state = OUTPUT_DONE; /* not a transition: nothing to run */
	} else {
		struct exec_run *r = run_for(x, seq, doc, document);
		x->state = r && job_thread_submit(x->thread, run_command, r, run_free, seq) == 0
		               ? OUTPUT_BUSY : OUTPUT_FAILED;
		if (x->state == OUTPUT_FAILED) {
			snprintf(x->why, sizeof x->why, "out of memory");
			if (r)
				run_free(r);
		}
	}
	cJSON_Delete(doc);
}

static enum output_result exec_delivered(void *self, char *why, size_t len)
{
	struct exec_output *x = self;
	snprintf(why, len, "%s", x->why);
	return x->state;
}

static int exec_fd(void *self)
{
	return job_thread_fd(((struct exec_output *)self)->thread);
}

static void exec_handle(void *self, int64_t now)
{
	(void)now;
	struct exec_output *x = self;
	uint64_t seq;
	int rc;
	while (job_thread_take(x->thread, &seq, &rc, x->why, sizeof x->why) == 1) {
		x->state = rc == 0 ? OUTPUT_DONE : OUTPUT_FAILED;
		if (rc == 0)
			log_debug("exec: event seq=%llu: done", (unsigned long long)seq);
	}
}

const struct output_ops output_exec = {
	.name = "exec",
	.wanted = exec_wanted,
	.create = exec_create,
	.destroy = exec_destroy,
	.rebind = exec_rebind,
	.deliver = exec_deliver,
	.delivered = exec_delivered,
	.fd = exec_fd,
	.handle = exec_handle,
};
