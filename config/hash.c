/* hash.c - which config the agent runs, as one SHA-256.
 *
 * Owns: config_hash: the SHA-256 (OpenSSL's libcrypto) over the bytes of
 * every file the config was read from (the main file, its @include files
 * and the device profiles it names), each preceded by its name, in the
 * order the loader first met them. The heartbeat on R/status carries it,
 * so a dashboard shows which config each gateway runs and an auditor can
 * compare it with the file under change control (`sha256sum` gives the
 * same digest only for a config with no profiles or includes).
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"

static int hash_file(EVP_MD_CTX *ctx, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	EVP_DigestUpdate(ctx, path, strlen(path) + 1);
	unsigned char buf[8192];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		EVP_DigestUpdate(ctx, buf, n);
	int rc = ferror(f) ? -1 : 0;
	fclose(f);
	return rc;
}

int config_hash(const struct fm_config *cfg, char out[CONFIG_HASH_LEN])
{
	out[0] = '\0';
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return -1;
	}
	int rc = 0;
	for (size_t i = 0; i < cfg->nfiles && rc == 0; i++)
		rc = hash_file(ctx, cfg->files[i]);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	if (rc == 0 && EVP_DigestFinal_ex(ctx, md, &len) == 1)
		for (unsigned int i = 0; i < len && 2 * i + 2 < CONFIG_HASH_LEN; i++)
			snprintf(out + 2 * i, 3, "%02x", md[i]);
	else
		rc = -1;
	EVP_MD_CTX_free(ctx);
	return rc;
}
