/* config_fixture.h - what the config loader's unit tests share: where the
 * test data and the profiles are, loading a file that must load, printing
 * diagnostics, and the secret files' modes. Include after cmocka.h.
 *
 * FACMON_TEST_DATA (tests/) and FACMON_PROFILE_DIR (hw/profiles) come from
 * CTest; when run by hand they are derived from this file's path.
 *
 * Secret files (SNMPv3 passphrases and the MQTT password in
 * tests/configs/secrets/, the TLS client key in tests/configs/tls/) must not
 * be readable by every user, and one of them must be: git keeps no such
 * modes and a checkout follows the umask, so the group setup sets them.
 */
#ifndef FACMON_TEST_CONFIG_FIXTURE_H
#define FACMON_TEST_CONFIG_FIXTURE_H

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/config.h"

/* libconfig 1.5 leaks a string token when a syntax error interrupts the
 * parse (hyperrealm/libconfig#142, fixed after 1.5); not ours to fix. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:strbuf_append\n";
}

static char test_dir[PATH_MAX];    /* tests/ */
static char profile_dir[PATH_MAX]; /* hw/profiles */

/* BUF = A "/" B; paths here are short, but say so if one is not. */
static inline void path_join(char *buf, size_t size, const char *a, const char *b)
{
	int n = snprintf(buf, size, "%s/%s", a, b);
	if (n < 0 || (size_t)n >= size) {
		fprintf(stderr, "path too long: %s/%s\n", a, b);
		abort();
	}
}

static inline void set_str(char *buf, size_t size, const char *s)
{
	if (strlen(s) >= size) {
		fprintf(stderr, "path too long: %s\n", s);
		abort();
	}
	memcpy(buf, s, strlen(s) + 1);
}

static inline void find_dirs(void)
{
	const char *env = getenv("FACMON_TEST_DATA");
	if (env && env[0]) {
		set_str(test_dir, sizeof(test_dir), env);
	} else {
		set_str(test_dir, sizeof(test_dir), __FILE__);
		char *unit = strstr(test_dir, "/unit/");
		if (unit)
			*unit = '\0';
	}
	env = getenv("FACMON_PROFILE_DIR");
	if (env && env[0]) {
		set_str(profile_dir, sizeof(profile_dir), env);
	} else {
		path_join(profile_dir, sizeof(profile_dir), test_dir, "../hw/profiles");
		setenv("FACMON_PROFILE_DIR", profile_dir, 1);
	}
}

static inline void data_path(char *buf, size_t size, const char *rel)
{
	path_join(buf, size, test_dir, rel);
}

static inline void print_diags(const struct fm_diags *d)
{
	for (size_t i = 0; i < d->count; i++)
		print_message("    got %s:%d: %s\n", d->items[i].file, d->items[i].line,
		              d->items[i].message);
}

/* Loads REL (relative to tests/), failing with the diagnostics if it does
 * not load. */
static struct fm_config *load_good(const char *rel)
{
	char path[PATH_MAX];
	data_path(path, sizeof(path), rel);
	struct fm_diags d = { 0 };
	struct fm_config *cfg = config_load(path, &d);
	if (!cfg || d.count)
		print_diags(&d);
	assert_non_null(cfg);
	assert_int_equal(d.count, 0);
	diags_free(&d);
	return cfg;
}

static inline bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}


/* Sets a secret file's mode (NAME under tests/configs/), whatever the
 * checkout's umask made it. */
static inline int set_secret_mode(const char *name, mode_t mode)
{
	char rel[PATH_MAX], path[PATH_MAX];
	path_join(rel, sizeof(rel), "configs", name);
	data_path(path, sizeof(path), rel);
	if (chmod(path, mode) == 0)
		return 0;
	print_error("chmod %o %s: %s\n", (unsigned)mode, path, strerror(errno));
	return -1;
}

static inline int setup_secrets(void **state)
{
	(void)state;
	if (set_secret_mode("secrets/ups.auth", 0600) < 0 ||
	    set_secret_mode("secrets/ups.priv", 0600) < 0 ||
	    set_secret_mode("secrets/mqtt.pass", 0600) < 0 ||
	    set_secret_mode("tls/client.key", 0600) < 0 ||
	    set_secret_mode("secrets/world-readable.auth", 0644) < 0)
		return -1;
	return 0;
}

#endif
