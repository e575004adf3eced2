/* hash.c - which config the agent runs, as one SHA-256.
 *
 * Owns: config_hash: the SHA-256 (base/sha256.c) over the bytes of
 * every file the config was read from (the main file, its @include files
 * and the device profiles it names), each preceded by its name, in the
 * order the loader first met them. The heartbeat on R/status carries it,
 * so a dashboard shows which config each gateway runs and an auditor can
 * compare it with the file under change control (`sha256sum` gives the
 * same digest only for a config with no profiles or includes).
 */
#include <stdio.h>
#include <string.h>

#include "base/sha256.h"
#include "config/config.h"

static int hash_file(struct sha256 *h, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	sha256_update(h, path, strlen(path) + 1);
	unsigned char buf[8192];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		sha256_update(h, buf, n);
	int rc = ferror(f) ? -1 : 0;
	fclose(f);
	return rc;
}

int config_hash(const struct fm_config *cfg, char out[CONFIG_HASH_LEN])
{
	_Static_assert(CONFIG_HASH_LEN >= SHA256_HEX_LEN, "CONFIG_HASH_LEN");
	out[0] = '\0';
	struct sha256 h;
	sha256_init(&h);
	int rc = 0;
	for (size_t i = 0; i < cfg->nfiles && rc == 0; i++)
		rc = hash_file(&h, cfg->files[i]);
	char hex[SHA256_HEX_LEN];
	sha256_hex(&h, hex);
	if (rc == 0)
		memcpy(out, hex, SHA256_HEX_LEN);
	return rc;
}
