/* SHA-256 (FIPS 180-4) for the API test, which checks binary answers
 * (PNG, WAV, mesh arrays) by digest because the corpora store only
 * "<sha256> <length> <content-type>" for them. One-shot and incremental. */
#ifndef TB_SHA256SUM_H
#define TB_SHA256SUM_H

#include <stddef.h>
#include <stdint.h>

typedef struct tb_sha256 {
	uint32_t h[8];
	uint64_t len; /* bytes hashed so far */
	unsigned char block[64];
	size_t fill; /* bytes waiting in block */
} tb_sha256;

void tb_sha256_init(tb_sha256 *s);
void tb_sha256_update(tb_sha256 *s, const void *data, size_t n);
/* Write the 32-byte digest to out; s must be re-initialised before reuse. */
void tb_sha256_final(unsigned char out[32], tb_sha256 *s);

/* Digest of data as 64 lower-case hex digits plus NUL in out. */
void tb_sha256_hex(char out[65], const void *data, size_t n);

#endif
