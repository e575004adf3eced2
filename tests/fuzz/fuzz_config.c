/* fuzz_config.c - libFuzzer target: the config loader on any file.
 *
 * Owns: feeding one input to config_load() as the main config file, then,
 * when it loads, to what the agent does with a loaded config first (its
 * hash, its lookups, each device's read plan), and freeing it all. Profiles
 * resolve against hw/profiles (FACMON_PROFILE_DIR), and `profile_dir =
 * "profiles"` against tests/configs/good/profiles (linked next to the
 * input), so the seeds' devices load their real points. Every input must either load or give at least
 * one diagnostic, each with a file and a non-empty message.
 *
 * Inputs that contain "include" are skipped: an @include names any file
 * on the machine (/dev/zero, /dev/stdin), which tests the machine, not us.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "collectors/modbus_plan.h"
#include "config/config.h"
#include "fuzz_tmp.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_cfg_path[4200];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("FACMON_PROFILE_DIR", FUZZ_PROFILE_DIR, 1);
	char link[4200];
	snprintf(link, sizeof link, "%s/profiles", fuzz_tmp_dir());
	if (symlink(FUZZ_TEST_PROFILE_DIR, link) != 0) {
		perror(link);
		abort();
	}
	snprintf(fuzz_cfg_path, sizeof fuzz_cfg_path, "%s/fuzz.cfg", fuzz_tmp_dir());
	return 0;
}

static bool fuzz_mentions_include(const uint8_t *data, size_t size)
{
	static const char word[] = "include";
	size_t n = sizeof word - 1;
	for (size_t i = 0; i + n <= size; i++)
		if (strncasecmp((const char *)data + i, word, n) == 0)
			return true;
	return false;
}

/* What the agent does with a config that loaded, short of connecting. */
static void fuzz_use_config(const struct fm_config *cfg)
{
	char hash[CONFIG_HASH_LEN];
	config_hash(cfg, hash);
	for (size_t i = 0; i < cfg->ndevices; i++) {
		const struct fm_device *d = &cfg->devices[i];
		if (config_find_device(cfg, d->name) == NULL)
			abort(); /* a loaded device must be found by its name */
		if (d->kind != FM_DEVICE_MODBUS)
			continue;
		struct mb_limits l = mb_limits_for(d);
		struct mb_plan plan;
		if (mb_plan_build(d->points, d->npoints, &l, &plan) == 0)
			mb_plan_free(&plan);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (fuzz_mentions_include(data, size))
		return -1; /* not added to the corpus */
	fuzz_tmp_write(fuzz_cfg_path, data, size);

	struct fm_diags diags = { 0 };
	struct fm_config *cfg = config_load(fuzz_cfg_path, &diags);
	if (cfg) {
		fuzz_use_config(cfg);
		config_free(cfg);
	} else if (diags.count == 0) {
		abort(); /* refused without saying why */
	}
	for (size_t i = 0; i < diags.count; i++)
		if (!diags.items[i].file[0] || !diags.items[i].message[0])
			abort();
	diags_free(&diags);
	return 0;
}
