/* SHA-256 against the FIPS 180-4 examples, and input fed in pieces of every size. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "util/sha256.h"

static void hex(const void *data, size_t len, char out[2 * RL_SHA256_LEN + 1])
{
	struct rl_sha256 s;
	uint8_t digest[RL_SHA256_LEN];

	rl_sha256_init(&s);
	rl_sha256_update(&s, data, len);
	rl_sha256_final(&s, digest);
	for (int i = 0; i < RL_SHA256_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

static void test_known_digests(void)
{
	char out[2 * RL_SHA256_LEN + 1];
	const char *two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

	hex("", 0, out);
	CHECK(!strcmp(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
	hex("abc", 3, out);
	CHECK(!strcmp(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	hex(two_blocks, strlen(two_blocks), out);
	CHECK(!strcmp(out, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
}

/* Split anywhere, the same bytes hash the same. */
static void test_pieces(void)
{
	uint8_t data[300], whole[RL_SHA256_LEN], split[RL_SHA256_LEN];
	struct rl_sha256 s;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	rl_sha256_init(&s);
	rl_sha256_update(&s, data, sizeof(data));
	rl_sha256_final(&s, whole);
	for (size_t cut = 0; cut <= sizeof(data); cut++) {
		rl_sha256_init(&s);
		rl_sha256_update(&s, data, cut);
		rl_sha256_update(&s, data + cut, sizeof(data) - cut);
		rl_sha256_final(&s, split);
		CHECK(memcmp(whole, split, sizeof(whole)) == 0);
	}
}

int main(void)
{
	RUN(test_known_digests);
	RUN(test_pieces);
	printf("%d passed, %d failed\n", tests_passed, tests_failed);
	return tests_failed ? 1 : 0;
}
