/* lazy_mhd.c - libmicrohttpd, loaded when outputs.http first needs it.
 *
 * Owns: the libmicrohttpd functions http.c calls, defined here as thin
 * stand-ins that call the real ones from libmicrohttpd.so.12 loaded at run
 * time (base/dynload.c): Debian's libmicrohttpd brings GnuTLS and its
 * kin, a few MiB of memory no agent without the HTTP endpoint should pay.
 * lazy_mhd_load() must have succeeded before any other function here is
 * called (http.c's server_start does it).
 *
 * The two variadic ones are passed on whole: MHD_start_daemon's option
 * list through MHD_start_daemon_va, and MHD_get_daemon_info with no
 * argument after the type (http.c asks only for the epoll descriptor,
 * which takes none).
 */
#include <stdarg.h>
#include <stdint.h>
#include <sys/socket.h>
#include <microhttpd.h>

#include "base/dynload.h"
#include "outputs/http.h"

static void *libmhd;
static struct {
	struct MHD_Daemon *(*start_daemon_va)(unsigned, uint16_t, MHD_AcceptPolicyCallback,
	                                      void *, MHD_AccessHandlerCallback, void *, va_list);
	MHD_socket (*quiesce_daemon)(struct MHD_Daemon *);
	void (*stop_daemon)(struct MHD_Daemon *);
	const union MHD_DaemonInfo *(*get_daemon_info)(struct MHD_Daemon *,
	                                               enum MHD_DaemonInfoType, ...);
	enum MHD_Result (*get_timeout)(struct MHD_Daemon *, MHD_UNSIGNED_LONG_LONG *);
	enum MHD_Result (*run)(struct MHD_Daemon *);
	enum MHD_Result (*queue_response)(struct MHD_Connection *, unsigned,
	                                  struct MHD_Response *);
	struct MHD_Response *(*create_response_from_buffer)(size_t, void *,
	                                                    enum MHD_ResponseMemoryMode);
	void (*destroy_response)(struct MHD_Response *);
	enum MHD_Result (*add_response_header)(struct MHD_Response *, const char *,
	                                       const char *);
} api;

#define SYM(field, name) {name, (void **)&api.field}

int lazy_mhd_load(char *err, size_t errlen)
{
	static const struct dynload_sym syms[] = {
		SYM(start_daemon_va, "MHD_start_daemon_va"),
		SYM(quiesce_daemon, "MHD_quiesce_daemon"),
		SYM(stop_daemon, "MHD_stop_daemon"),
		SYM(get_daemon_info, "MHD_get_daemon_info"),
		SYM(get_timeout, "MHD_get_timeout"),
		SYM(run, "MHD_run"),
		SYM(queue_response, "MHD_queue_response"),
		SYM(create_response_from_buffer, "MHD_create_response_from_buffer"),
		SYM(destroy_response, "MHD_destroy_response"),
		SYM(add_response_header, "MHD_add_response_header"),
	};
	return dynload("libmicrohttpd.so.12", "libmicrohttpd12", &libmhd, syms,
	               sizeof syms / sizeof syms[0], err, errlen);
}

struct MHD_Daemon *MHD_start_daemon(unsigned int flags, uint16_t port,
                                    MHD_AcceptPolicyCallback apc, void *apc_cls,
                                    MHD_AccessHandlerCallback dh, void *dh_cls, ...)
{
	va_list ap;
	va_start(ap, dh_cls);
	struct MHD_Daemon *d = api.start_daemon_va(flags, port, apc, apc_cls, dh, dh_cls, ap);
	va_end(ap);
	return d;
}

MHD_socket MHD_quiesce_daemon(struct MHD_Daemon *d)
{
	return api.quiesce_daemon(d);
}

void MHD_stop_daemon(struct MHD_Daemon *d)
{
	api.stop_daemon(d);
}

const union MHD_DaemonInfo *MHD_get_daemon_info(struct MHD_Daemon *d,
                                                enum MHD_DaemonInfoType type, ...)
{
	return api.get_daemon_info(d, type);
}

enum MHD_Result MHD_get_timeout(struct MHD_Daemon *d, MHD_UNSIGNED_LONG_LONG *timeout)
{
	return api.get_timeout(d, timeout);
}

enum MHD_Result MHD_run(struct MHD_Daemon *d)
{
	return api.run(d);
}

enum MHD_Result MHD_queue_response(struct MHD_Connection *c, unsigned int status,
                                   struct MHD_Response *r)
{
	return api.queue_response(c, status, r);
}

struct MHD_Response *MHD_create_response_from_buffer(size_t size, void *buffer,
                                                     enum MHD_ResponseMemoryMode mode)
{
	return api.create_response_from_buffer(size, buffer, mode);
}

void MHD_destroy_response(struct MHD_Response *r)
{
	api.destroy_response(r);
}

enum MHD_Result MHD_add_response_header(struct MHD_Response *r, const char *header,
                                        const char *content)
{
	return api.add_response_header(r, header, content);
}
