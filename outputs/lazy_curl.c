/* lazy_curl.c - libcurl, loaded when outputs.alertmanager first needs it.
 *
 * Owns: the libcurl functions am_post.c calls, defined here as thin
 * stand-ins that call the real ones from libcurl.so.4 loaded at run time
 * (base/dynload.c), so an agent without Alertmanager never maps libcurl
 * and what it pulls in. lazy_curl_load() must have succeeded before any
 * other function here is called (am_post_init does it).
 *
 * curl_easy_setopt is variadic: its third argument's type is given by the
 * option's number (curl's CURLOPTTYPE_* bases), so it is passed on as the
 * type it is, never as a guess.
 */
#define CURL_DISABLE_TYPECHECK /* these are the functions, not curl's macros */
#include <curl/curl.h>
#include <stdarg.h>

#include "base/dynload.h"
#include "outputs/am_post.h"

static void *libcurl;
static struct {
	CURLcode (*global_init)(long);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	void (*easy_cleanup)(CURL *);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	const char *(*easy_strerror)(CURLcode);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_cleanup)(CURLM *);
	CURLMcode (*multi_add_handle)(CURLM *, CURL *);
	CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
	CURLMcode (*multi_perform)(CURLM *, int *);
	CURLMcode (*multi_poll)(CURLM *, struct curl_waitfd[], unsigned, int, int *);
	CURLMsg *(*multi_info_read)(CURLM *, int *);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
} api;

#define SYM(field, name) {name, (void **)&api.field}

int lazy_curl_load(char *err, size_t errlen)
{
	static const struct dynload_sym syms[] = {
		SYM(global_init, "curl_global_init"),
		SYM(global_cleanup, "curl_global_cleanup"),
		SYM(easy_init, "curl_easy_init"),
		SYM(easy_cleanup, "curl_easy_cleanup"),
		SYM(easy_setopt, "curl_easy_setopt"),
		SYM(easy_getinfo, "curl_easy_getinfo"),
		SYM(easy_strerror, "curl_easy_strerror"),
		SYM(multi_init, "curl_multi_init"),
		SYM(multi_cleanup, "curl_multi_cleanup"),
		SYM(multi_add_handle, "curl_multi_add_handle"),
		SYM(multi_remove_handle, "curl_multi_remove_handle"),
		SYM(multi_perform, "curl_multi_perform"),
		SYM(multi_poll, "curl_multi_poll"),
		SYM(multi_info_read, "curl_multi_info_read"),
		SYM(slist_append, "curl_slist_append"),
		SYM(slist_free_all, "curl_slist_free_all"),
	};
	return dynload("libcurl.so.4", "libcurl4", &libcurl, syms, sizeof syms / sizeof syms[0],
	               err, errlen);
}

CURLcode curl_global_init(long flags)
{
	return api.global_init(flags);
}

void curl_global_cleanup(void)
{
	api.global_cleanup();
}

CURL *curl_easy_init(void)
{
	return api.easy_init();
}

void curl_easy_cleanup(CURL *h)
{
	api.easy_cleanup(h);
}

CURLcode curl_easy_setopt(CURL *h, CURLoption option, ...)
{
	va_list ap;
	va_start(ap, option);
	CURLcode rc;
	if (option < CURLOPTTYPE_OBJECTPOINT)
		rc = api.easy_setopt(h, option, va_arg(ap, long));
	else if (option >= CURLOPTTYPE_FUNCTIONPOINT && option < CURLOPTTYPE_OFF_T)
		rc = api.easy_setopt(h, option, va_arg(ap, void (*)(void)));
	else if (option >= CURLOPTTYPE_OFF_T && option < CURLOPTTYPE_BLOB)
		rc = api.easy_setopt(h, option, va_arg(ap, curl_off_t));
	else
		rc = api.easy_setopt(h, option, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

/* Every CURLINFO_* takes a pointer to where the answer goes. */
CURLcode curl_easy_getinfo(CURL *h, CURLINFO info, ...)
{
	va_list ap;
	va_start(ap, info);
	CURLcode rc = api.easy_getinfo(h, info, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

const char *curl_easy_strerror(CURLcode rc)
{
	return api.easy_strerror(rc);
}

CURLM *curl_multi_init(void)
{
	return api.multi_init();
}

CURLMcode curl_multi_cleanup(CURLM *m)
{
	return api.multi_cleanup(m);
}

CURLMcode curl_multi_add_handle(CURLM *m, CURL *h)
{
	return api.multi_add_handle(m, h);
}

CURLMcode curl_multi_remove_handle(CURLM *m, CURL *h)
{
	return api.multi_remove_handle(m, h);
}

CURLMcode curl_multi_perform(CURLM *m, int *running)
{
	return api.multi_perform(m, running);
}

CURLMcode curl_multi_poll(CURLM *m, struct curl_waitfd extra[], unsigned n, int timeout_ms,
                          int *ret)
{
	return api.multi_poll(m, extra, n, timeout_ms, ret);
}

CURLMsg *curl_multi_info_read(CURLM *m, int *left)
{
	return api.multi_info_read(m, left);
}

struct curl_slist *curl_slist_append(struct curl_slist *list, const char *s)
{
	return api.slist_append(list, s);
}

void curl_slist_free_all(struct curl_slist *list)
{
	api.slist_free_all(list);
}
