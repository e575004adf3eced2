/* dynload.h - a shared library loaded when it is first needed.
 *
 * Owns: dlopen and dlsym for the libraries only an optional part of the
 * agent uses (libcurl for Alertmanager, libmicrohttpd for the HTTP
 * endpoint). Linked in, such a library and everything it pulls in
 * (gnutls, Kerberos, LDAP, ...) cost every agent a few MiB of memory at
 * start, used or not; loaded on demand, only the agents that turn the
 * output on pay for it.
 */
#ifndef FACMON_DYNLOAD_H
#define FACMON_DYNLOAD_H

#include <stddef.h>

/* One function to find: its NAME, and where its address goes. */
struct dynload_sym {
	const char *name;
	void **slot;
};

/* Loads SONAME ("libcurl.so.4") once, into *HANDLE, and fills every slot
 * of SYMS (N of them): 0, or -1 with ERR saying what is missing (and which
 * package brings it: PACKAGE). Call it from one thread. */
int dynload(const char *soname, const char *package, void **handle,
            const struct dynload_sym *syms, size_t n, char *err, size_t errlen);

#endif
