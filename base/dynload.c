/* dynload.c - loading a shared library on demand (see dynload.h). */
#include "base/dynload.h"

#include <dlfcn.h>
#include <stdio.h>

int dynload(const char *soname, const char *package, void **handle,
            const struct dynload_sym *syms, size_t n, char *err, size_t errlen)
{
	if (*handle)
		return 0;
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(err, errlen, "cannot load %s (%s): install the %s package", soname,
		         dlerror(), package);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		*syms[i].slot = dlsym(h, syms[i].name);
		if (!*syms[i].slot) {
			snprintf(err, errlen, "%s has no %s: too old a version of %s", soname,
			         syms[i].name, package);
			dlclose(h);
			return -1;
		}
	}
	*handle = h;
	return 0;
}
