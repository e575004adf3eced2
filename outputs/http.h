/* http.h - the parts of the HTTP endpoint (outputs.http), shared by its
 * files; not an API.
 *
 * Owns: the view a request is answered from, and the documents built from
 * it: /metrics in Prometheus's text format (http_metrics.c), /status.json
 * for the live status page (http_status.c), and the page itself
 * (http_page.html, compiled in). The server and its loop integration are
 * http.c's. Everything here runs on the loop thread, inside MHD_run, and
 * only reads the agent's state: no endpoint changes anything.
 */
#ifndef FACMON_HTTP_H
#define FACMON_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alerting/engine.h"
#include "outputs/output.h"

/* What one request sees: the agent's state (ENV) at NOW. */
struct http_view {
	const struct output_env *env;
	int64_t now_mono;
	int64_t now_wall;
};

/* Whether point P of D holds a value that is current: it has a name (a
 * slot of a walked column holds a row), its device is not down, its last
 * read succeeded and gave a number (not NaN or infinite), and it is no
 * older than the device's stale_after. What is not current is never shown
 * or exported as a value. */
bool http_point_current(const struct eng_device *d, size_t p, int64_t now_mono);

/* Events stored and not yet acknowledged by the broker; -1: unknown. */
long http_outbox_depth(const struct http_view *v);

/* The seq of the last event the agent numbered; 0: none yet. */
uint64_t http_last_seq(const struct http_view *v);

/* /metrics: malloc'd text (LEN bytes), or NULL when memory ran out. */
char *http_metrics(const struct http_view *v, size_t *len);

/* /status.json: a malloc'd JSON document, or NULL when memory ran out. */
char *http_status_json(const struct http_view *v);

/* The status page (http_page.html), generated into the build tree. */
extern const char http_page[];
extern const size_t http_page_len;

/* lazy_mhd.c: loads libmicrohttpd.so.12 (once); 0, or -1 with ERR. */
int lazy_mhd_load(char *err, size_t errlen);

#endif
