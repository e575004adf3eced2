/* am_post.c - alerts posted to Alertmanagers with libcurl (see am_post.h).
 *
 * One easy handle per Alertmanager, all in one multi handle, so that N
 * of them take as long as the slowest, not the sum. No signals (curl runs
 * on a thread), no redirects, http and https only.
 */
#include "outputs/am_post.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define REPLY_KEEP 160 /* bytes of an error reply kept for the log */

struct am_request {
	CURL *h;
	char url[FM_TEXT_MAX + 16];
	char error[CURL_ERROR_SIZE];
	char reply[REPLY_KEEP];
	size_t nreply;
	CURLcode rc;
	bool finished;
};

int am_post_init(char *err, size_t errlen)
{
	if (lazy_curl_load(err, errlen) < 0)
		return -1;
	CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "libcurl: %s", curl_easy_strerror(rc));
		return -1;
	}
	return 0;
}

void am_post_cleanup(void)
{
	curl_global_cleanup();
}

void am_url_shown(const char *url, char *buf, size_t len)
{
	const char *scheme = strstr(url, "://");
	const char *host = scheme ? scheme + 3 : url;
	const char *at = strchr(host, '@');
	const char *slash = strchr(host, '/');
	if (at && (!slash || at < slash))
		snprintf(buf, len, "%.*s%s", (int)(host - url), url, at + 1);
	else
		snprintf(buf, len, "%s", url);
}

/* Keeps the start of the reply, for the message of a refusal. */
static size_t keep_reply(char *data, size_t size, size_t n, void *p)
{
	struct am_request *r = p;
	size_t got = size * n, room = sizeof r->reply - 1 - r->nreply;
	size_t take = got < room ? got : room;
	memcpy(r->reply + r->nreply, data, take);
	r->nreply += take;
	r->reply[r->nreply] = '\0';
	return got;
}

static int request_open(struct am_request *r, const char *url, const char *body,
                        struct curl_slist *headers, int timeout_ms)
{
	size_t n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		n--;
	snprintf(r->url, sizeof r->url, "%.*s/api/v2/alerts", (int)n, url);
	r->h = curl_easy_init();
	if (!r->h)
		return -1;
	curl_easy_setopt(r->h, CURLOPT_URL, r->url);
	curl_easy_setopt(r->h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(r->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(r->h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(r->h, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(r->h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(r->h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(r->h, CURLOPT_USERAGENT, "facmon/" FACMON_VERSION);
	curl_easy_setopt(r->h, CURLOPT_ERRORBUFFER, r->error);
	curl_easy_setopt(r->h, CURLOPT_WRITEFUNCTION, keep_reply);
	curl_easy_setopt(r->h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(r->h, CURLOPT_PRIVATE, r);
	return 0;
}

/* Runs every request of M to its end (each has its own timeout). */
static void run_all(CURLM *m)
{
	int running = 1;
	while (running) {
		if (curl_multi_perform(m, &running) != CURLM_OK)
			break;
		if (running && curl_multi_poll(m, NULL, 0, 1000, NULL) != CURLM_OK)
			break;
	}
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(m, &left))) {
		struct am_request *r = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		if (msg->msg == CURLMSG_DONE && r) {
			r->rc = msg->data.result;
			r->finished = true;
		}
	}
}

/* Whether R was taken; else WHY says why. */
static bool request_taken(const struct am_request *r, const char *url, char *why, size_t len)
{
	char shown[FM_TEXT_MAX];
	am_url_shown(url, shown, sizeof shown);
	long status = 0;
	if (!r->finished) {
		snprintf(why, len, "%.200s: no answer", shown);
		return false;
	}
	if (r->rc != CURLE_OK) {
		snprintf(why, len, "%.200s: %.200s", shown,
		         r->error[0] ? r->error : curl_easy_strerror(r->rc));
		return false;
	}
	curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 200 && status < 300)
		return true;
	size_t line = strcspn(r->reply, "\r\n");
	snprintf(why, len, "%.200s: HTTP %ld%s%.*s", shown, status, line ? ": " : "",
	         (int)(line < 200 ? line : 200), r->reply);
	return false;
}

unsigned am_post(const char (*urls)[FM_TEXT_MAX], size_t n, unsigned targets,
                 const char *body, int timeout_ms, char *why, size_t len)
{
	struct am_request reqs[FM_AM_URLS_MAX] = {0};
	struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
	CURLM *m = curl_multi_init();
	unsigned taken = 0;
	why[0] = '\0';
	if (!headers || !m) {
		snprintf(why, len, "libcurl: out of memory");
		goto cleanup;
	}
	for (size_t i = 0; i < n && i < FM_AM_URLS_MAX; i++)
		if ((targets & (1u << i)) && request_open(&reqs[i], urls[i], body, headers,
		                                       timeout_ms) == 0)
			curl_multi_add_handle(m, reqs[i].h);
	run_all(m);
	for (size_t i = 0; i < n && i < FM_AM_URLS_MAX; i++) {
		if (!(targets & (1u << i)))
			continue;
		char one[512];
		if (reqs[i].h && request_taken(&reqs[i], urls[i], one, sizeof one))
			taken |= 1u << i;
		else if (!why[0])
			snprintf(why, len, "%s", reqs[i].h ? one : "libcurl: out of memory");
	}
cleanup:
	for (size_t i = 0; i < FM_AM_URLS_MAX; i++)
		if (reqs[i].h) {
			curl_multi_remove_handle(m, reqs[i].h);
			curl_easy_cleanup(reqs[i].h);
		}
	curl_multi_cleanup(m);
	curl_slist_free_all(headers);
	return taken;
}
