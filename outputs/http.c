/* http.c - the HTTP endpoint: /metrics for Prometheus and a live status
 * page for the ops room's wall screen.
 *
 * Owns: outputs.http, a libmicrohttpd server bound to the configured
 * address alone (127.0.0.1:9707 by default), and which document answers
 * which request:
 *   GET /             the status page (http_page.html)
 *   GET /status.json  what the page shows (http_status.c)
 *   GET /metrics      Prometheus's text format (http_metrics.c)
 * anything else is 404, and a method other than GET or HEAD is 405: no
 * endpoint changes anything.
 *
 * DESIGN
 * Every answer reads the engine, which only the loop thread may touch, so
 * the server runs on the loop thread: libmicrohttpd without a thread of
 * its own (MHD_USE_EPOLL, external polling). Its epoll descriptor is the
 * output's fd, readable when any connection or the listening socket is;
 * handle runs MHD_run, which never blocks (every socket is non-blocking),
 * and service runs it again when MHD_get_timeout says a connection is due
 * (its idle timeout), and once a second whatever it says (http_service). An answer is built whole in memory and written as
 * the client takes it, so a slow or stuck client costs memory, not time:
 * at most HTTP_CONNECTIONS at once, each closed after HTTP_IDLE_S without
 * progress. The listening socket is made here, so that a bind that fails
 * says why, and is closed here after the server is quiesced.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "outputs/http.h"
#include "store/store.h"

#define HTTP_CONNECTIONS 32 /* at once; more wait in the listen backlog */
#define HTTP_IDLE_S 10      /* a connection that does nothing this long is closed */
#define HTTP_BACKLOG 16
#define HTTP_RUN_MS 1000    /* MHD_run at least this often (http_service) */

struct http_output {
	struct output_env env;
	struct MHD_Daemon *daemon; /* NULL: not listening (a rebind failed) */
	int listen_fd;
	char host[sizeof ((struct fm_http_conf *)0)->host];
	int port;
	int64_t next_run_ms;       /* the next MHD_run that no descriptor wakes */
};

/* ---- the view the documents are built from ---- */

bool http_point_current(const struct eng_device *d, size_t p, int64_t now_mono)
{
	if (!eng_point_name(d, p)[0] || d->health.state == FM_DEV_DOWN ||
	    d->values[p].status != FM_POINT_OK || !isfinite(d->values[p].value))
		return false;
	int64_t fresh = d->points[p].fresh_mono_ms;
	int stale_after = d->conf->stale_after > 0 ? d->conf->stale_after : 3 * d->conf->interval;
	return fresh != 0 && now_mono - fresh <= (int64_t)stale_after * 1000;
}

long http_outbox_depth(const struct http_view *v)
{
	return v->env->store ? store_outbox_count(v->env->store) : -1;
}

uint64_t http_last_seq(const struct http_view *v)
{
	uint64_t next = v->env->engine->next_seq;
	return next > 0 ? next - 1 : 0;
}

/* ---- answers ---- */

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned status,
                              const char *type, struct MHD_Response *r)
{
	if (!r)
		return MHD_NO; /* out of memory: the connection is closed */
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	enum MHD_Result rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result answer_text(struct MHD_Connection *conn, unsigned status,
                                   const char *text)
{
	return answer(conn, status, "text/plain; charset=utf-8",
	              MHD_create_response_from_buffer(strlen(text), (void *)text,
	                                              MHD_RESPMEM_PERSISTENT));
}

/* TEXT (malloc'd, LEN bytes) is the response's, freed with it. */
static enum MHD_Result answer_owned(struct MHD_Connection *conn, const char *type,
                                    char *text, size_t len)
{
	if (!text)
		return answer_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	struct MHD_Response *r = MHD_create_response_from_buffer(len, text,
	                                                         MHD_RESPMEM_MUST_FREE);
	if (!r)
		free(text);
	return answer(conn, MHD_HTTP_OK, type, r);
}

static enum MHD_Result answer_page(struct MHD_Connection *conn)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		http_page_len, (void *)http_page, MHD_RESPMEM_PERSISTENT);
	/* the page's own script and style, and its own origin: nothing else */
	if (r)
		MHD_add_response_header(r, "Content-Security-Policy",
		                        "default-src 'none'; script-src 'unsafe-inline'; "
		                        "style-src 'unsafe-inline'; connect-src 'self'; "
		                        "img-src 'self' data:; base-uri 'none'; form-action 'none'");
	return answer(conn, MHD_HTTP_OK, "text/html; charset=utf-8", r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)con_cls;
	const struct http_output *h = cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return answer_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		                   "read-only: GET or HEAD\n");
	struct http_view v = {&h->env, clock_mono_ms(), clock_wall_ms()};
	size_t len = 0;
	if (strcmp(url, "/") == 0)
		return answer_page(conn);
	if (strcmp(url, "/metrics") == 0) {
		char *text = http_metrics(&v, &len);
		return answer_owned(conn, "text/plain; version=0.0.4; charset=utf-8", text, len);
	}
	if (strcmp(url, "/status.json") == 0) {
		char *text = http_status_json(&v);
		return answer_owned(conn, "application/json", text, text ? strlen(text) : 0);
	}
	return answer_text(conn, MHD_HTTP_NOT_FOUND,
	                   "not found: / (the status page), /status.json, /metrics\n");
}

/* ---- the server ---- */

__attribute__((format(printf, 2, 0)))
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char line[FM_TEXT_MAX];
	vsnprintf(line, sizeof line, fmt, ap);
	line[strcspn(line, "\r\n")] = '\0';
	log_debug("http: %s", line);
}

/* "127.0.0.1:9707", "[::1]:9707". */
static void address_text(const char *host, int port, char *buf, size_t len)
{
	bool v6 = strchr(host, ':') != NULL;
	snprintf(buf, len, "%s%s%s:%d", v6 ? "[" : "", host, v6 ? "]" : "", port);
}

/* A non-blocking socket listening on HOST:PORT alone; -1 with ERR. */
static int listen_on(const char *host, int port, char *err, size_t errlen)
{
	struct sockaddr_storage ss = {0};
	socklen_t sslen;
	struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		sslen = sizeof *v4;
	} else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		sslen = sizeof *v6;
	} else {
		snprintf(err, errlen, "%s is not a numeric address", host);
		return -1;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int on = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0 ||
	    (ss.ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) < 0) ||
	    bind(fd, (struct sockaddr *)&ss, sslen) < 0 || listen(fd, HTTP_BACKLOG) < 0) {
		int e = errno;
		char where[FM_TEXT_MAX + 16];
		address_text(host, port, where, sizeof where);
		snprintf(err, errlen, "cannot listen on %s: %s", where, strerror(e));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void server_stop(struct http_output *h)
{
	if (h->daemon) {
		MHD_quiesce_daemon(h->daemon); /* the listening socket stays ours */
		MHD_stop_daemon(h->daemon);
	}
	if (h->listen_fd >= 0)
		close(h->listen_fd);
	h->daemon = NULL;
	h->listen_fd = -1;
}

/* Listens on the configured address; 0, or -1 with ERR. */
static int server_start(struct http_output *h, char *err, size_t errlen)
{
	const struct fm_http_conf *c = &h->env.cfg->outputs.http;
	if (lazy_mhd_load(err, errlen) < 0)
		return -1;
	snprintf(h->host, sizeof h->host, "%s", c->host);
	h->port = c->port;
	h->listen_fd = listen_on(h->host, h->port, err, errlen);
	if (h->listen_fd < 0)
		return -1;
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	if (strchr(h->host, ':'))
		flags |= MHD_USE_IPv6;
	h->daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, h,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, (void *)h, /* first: its messages too */
		MHD_OPTION_LISTEN_SOCKET, (MHD_socket)h->listen_fd,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_CONNECTIONS,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_IDLE_S,
		MHD_OPTION_END);
	if (!h->daemon) {
		/* the socket is left alone: whether MHD closed it is not said, and
		 * closing it twice could close another's descriptor */
		snprintf(err, errlen, "libmicrohttpd did not start on port %d", h->port);
		h->listen_fd = -1;
		return -1;
	}
	char where[FM_TEXT_MAX + 16];
	address_text(h->host, h->port, where, sizeof where);
	log_info("http: listening on http://%s/ (the status page; /metrics for Prometheus)",
	         where);
	return 0;
}

/* ---- the output ---- */

static bool http_wanted(const struct fm_config *cfg)
{
	return cfg->outputs.http.enabled;
}

static void *http_create(const struct output_env *env, char *err, size_t errlen)
{
	struct http_output *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	h->env = *env;
	h->listen_fd = -1;
	if (server_start(h, err, errlen) < 0) {
		free(h);
		return NULL;
	}
	return h;
}

static void http_destroy(void *self)
{
	struct http_output *h = self;
	if (!h)
		return;
	server_stop(h);
	free(h);
}

/* A reload: the new engine and config; a new address listens anew. */
static void http_rebind(void *self, const struct output_env *env)
{
	struct http_output *h = self;
	const struct fm_http_conf *c = &env->cfg->outputs.http;
	h->env = *env;
	if (h->daemon && strcmp(c->host, h->host) == 0 && c->port == h->port)
		return;
	server_stop(h);
	char err[FM_TEXT_MAX * 2];
	if (server_start(h, err, sizeof err) < 0)
		log_error("http: %s; not listening until the next reload", err);
}

static int http_fd(void *self)
{
	const struct http_output *h = self;
	if (!h->daemon)
		return -1;
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->daemon,
	                                                       MHD_DAEMON_INFO_EPOLL_FD);
	return info ? info->epoll_fd : -1;
}

static void http_handle(void *self, int64_t now)
{
	(void)now;
	struct http_output *h = self;
	if (h->daemon)
		MHD_run(h->daemon);
}

/* MHD_run when a connection is due, and at least every HTTP_RUN_MS: a
 * server at HTTP_CONNECTIONS stops watching its listening socket, and
 * watches it again only in a run after a connection has gone, which no
 * descriptor would otherwise wake. */
static int64_t http_service(void *self, int64_t now)
{
	struct http_output *h = self;
	if (!h->daemon)
		return INT64_MAX;
	if (now >= h->next_run_ms) {
		MHD_run(h->daemon);
		h->next_run_ms = now + HTTP_RUN_MS;
	}
	MHD_UNSIGNED_LONG_LONG ms;
	if (MHD_get_timeout(h->daemon, &ms) == MHD_YES && ms < HTTP_RUN_MS &&
	    now + (int64_t)ms < h->next_run_ms)
		h->next_run_ms = now + (int64_t)ms;
	return h->next_run_ms;
}

const struct output_ops output_http = {
	.name = "http",
	.wanted = http_wanted,
	.create = http_create,
	.destroy = http_destroy,
	.rebind = http_rebind,
	.fd = http_fd,
	.handle = http_handle,
	.service = http_service,
};
