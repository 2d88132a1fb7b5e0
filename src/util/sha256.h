/* SHA-256 (FIPS 180-4), for naming cached objects by what they were built from. */
#ifndef RINGLUA_SHA256_H
#define RINGLUA_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define RL_SHA256_LEN 32

struct rl_sha256 {
	uint32_t state[8];
	uint64_t total;		/* bytes hashed so far */
	uint8_t block[64];	/* a partial block waiting for more bytes */
};

void rl_sha256_init(struct rl_sha256 *s);
void rl_sha256_update(struct rl_sha256 *s, const void *data, size_t len);
void rl_sha256_final(struct rl_sha256 *s, uint8_t out[RL_SHA256_LEN]);

#endif
