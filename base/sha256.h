/* sha256.h - SHA-256 digests, in lower-case hex.
 *
 * Owns: the one hash facmon uses: for the config it runs (config/hash.c)
 * and for the chain over its stored events (store/). On libmd, Debian's
 * small message-digest library, not OpenSSL: a digest needs no crypto
 * provider loaded into the agent.
 */
#ifndef FACMON_SHA256_H
#define FACMON_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_HEX_LEN 65 /* 64 hex digits and the NUL */

struct sha256 {
	/* libmd's SHA2_CTX, kept opaque so that callers need not see sha2.h */
	_Alignas(8) unsigned char ctx[256];
};

void sha256_init(struct sha256 *h);
void sha256_update(struct sha256 *h, const void *data, size_t len);
/* The digest of everything given so far, as hex into OUT. */
void sha256_hex(struct sha256 *h, char out[SHA256_HEX_LEN]);

/* The digest of LEN bytes at DATA, as hex. */
void sha256_hex_of(const void *data, size_t len, char out[SHA256_HEX_LEN]);

/* The digest of the file at PATH: 0, or -1 with errno set. */
int sha256_file(const char *path, char out[SHA256_HEX_LEN]);

#endif
