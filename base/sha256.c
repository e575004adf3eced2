/* sha256.c - SHA-256 over libmd (see sha256.h). */
#include "base/sha256.h"

#include <sha2.h>
#include <stdio.h>

_Static_assert(sizeof(SHA2_CTX) <= sizeof(((struct sha256 *)0)->ctx),
               "struct sha256 too small for libmd's SHA2_CTX");

static SHA2_CTX *ctx_of(struct sha256 *h)
{
	return (SHA2_CTX *)(void *)h->ctx;
}

void sha256_init(struct sha256 *h)
{
	SHA256Init(ctx_of(h));
}

void sha256_update(struct sha256 *h, const void *data, size_t len)
{
	SHA256Update(ctx_of(h), data, len);
}

void sha256_hex(struct sha256 *h, char out[SHA256_HEX_LEN])
{
	uint8_t md[SHA256_DIGEST_LENGTH];
	SHA256Final(md, ctx_of(h));
	for (size_t i = 0; i < sizeof md; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

void sha256_hex_of(const void *data, size_t len, char out[SHA256_HEX_LEN])
{
	struct sha256 h;
	sha256_init(&h);
	sha256_update(&h, data, len);
	sha256_hex(&h, out);
}

int sha256_file(const char *path, char out[SHA256_HEX_LEN])
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	struct sha256 h;
	sha256_init(&h);
	unsigned char buf[8192];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		sha256_update(&h, buf, n);
	int rc = ferror(f) ? -1 : 0;
	fclose(f);
	if (rc == 0)
		sha256_hex(&h, out);
	return rc;
}
