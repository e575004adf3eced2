/* am_post.h - posting alerts to Alertmanagers over HTTP (libcurl).
 *
 * Owns: one POST of a JSON array of alerts to <url>/api/v2/alerts of each
 * of up to FM_AM_URLS_MAX Alertmanagers, all at once (curl's multi
 * interface), each bounded by a timeout. Blocking: called only on the
 * Alertmanager output's job thread, never on the loop.
 */
#ifndef FACMON_AM_POST_H
#define FACMON_AM_POST_H

#include <stddef.h>

#include "config/config.h"

/* Once per process, on the loop thread before any post (and its pair at
 * the end): loads libcurl (lazy_curl.c) and sets it up; 0, or -1 with
 * ERR. */
int am_post_init(char *err, size_t errlen);
void am_post_cleanup(void);

/* Posts BODY to every URL of URLS[0..N) whose bit is set in TARGETS, each
 * within TIMEOUT_MS. Returns the bits of those that took it (HTTP 2xx);
 * WHY says the first that did not, and why. */
unsigned am_post(const char (*urls)[FM_TEXT_MAX], size_t n, unsigned targets,
                 const char *body, int timeout_ms, char *why, size_t len);

/* URL as it may be shown: without a user name and password in it. */
void am_url_shown(const char *url, char *buf, size_t len);

/* lazy_curl.c: loads libcurl.so.4 (once); 0, or -1 with ERR. */
int lazy_curl_load(char *err, size_t errlen);

#endif
