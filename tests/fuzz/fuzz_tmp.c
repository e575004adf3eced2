/* fuzz_tmp.c - the fuzz targets' scratch directory (fuzz_tmp.h). */
#include "fuzz_tmp.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char fuzz_dir[4096];

static void fuzz_tmp_remove(void)
{
	fuzz_tmp_empty(fuzz_dir);
	rmdir(fuzz_dir);
}

const char *fuzz_tmp_dir(void)
{
	if (fuzz_dir[0])
		return fuzz_dir;
	const char *tmp = getenv("TMPDIR");
	snprintf(fuzz_dir, sizeof fuzz_dir, "%s/facmon-fuzz.XXXXXX",
	         tmp && tmp[0] ? tmp : "/tmp");
	if (!mkdtemp(fuzz_dir)) {
		perror(fuzz_dir);
		abort();
	}
	atexit(fuzz_tmp_remove);
	return fuzz_dir;
}

void fuzz_tmp_write(const char *path, const uint8_t *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		abort();
	}
}

void fuzz_tmp_empty(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	char path[4096 + 256];
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
}
