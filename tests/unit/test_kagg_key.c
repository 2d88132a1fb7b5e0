/* Kernel aggregation keys (src/kernel/bpf/kagg_key.h): a record field taken into a key
 * word by word, as the BPF programs take it, keeps a char array whole when it has no
 * NUL, stops at its first NUL otherwise, and never keeps the record's bytes after it. */
#include <linux/types.h>
#include <string.h>

#include "check.h"
#include "kernel/bpf/kagg_key.h"

#define KEY_MAX 32

/* The key's bytes for the field of size bytes at the start of rec (a record with at
 * least KEY_MAX bytes more), taken as kagg.bpf.h's kagg_copy_field takes it. */
static void take(const char *rec, __u32 size, int text, unsigned char key[KEY_MAX])
{
	_Bool ended = 0;

	memset(key, 0xee, KEY_MAX);
	for (__u32 at = 0; at < KEY_MAX && at < size; at += 8) {
		__u64 w;

		memcpy(&w, rec + at, sizeof(w));
		w = kagg_key_word(w, size - at, text, &ended);
		memcpy(key + at, &w, sizeof(w));
	}
}

static void test_full_char_array_is_kept_whole(void)
{
	unsigned char key[KEY_MAX];
	const char rec[] = "abcdefghijklmnopXYZXYZXYZXYZXYZXYZ";

	take(rec, 16, 1, key);
	CHECK(!memcmp(key, "abcdefghijklmnop", 16));
	CHECK(strnlen((const char *)key, 16) == 16);
}

static void test_full_array_of_odd_size_ends_at_its_size(void)
{
	unsigned char key[KEY_MAX];
	const char rec[] = "abcdefghijklMNOPQRSTUVWXYZabcdefghijkl";

	take(rec, 12, 1, key);
	CHECK(!memcmp(key, "abcdefghijkl\0\0\0\0", 16));
}

static void test_bytes_after_the_nul_become_zeros(void)
{
	unsigned char key[KEY_MAX];
	const char rec[] = "dd\0garbage\0more garbage here and more";
	const unsigned char want[16] = "dd";

	take(rec, 16, 1, key);
	CHECK(!memcmp(key, want, 16));
}

static void test_nul_in_a_later_word_clears_the_words_after(void)
{
	unsigned char key[KEY_MAX];
	const char rec[] = "abcdefghij\0klmnopqrstuvwxyz0123456789abcdef";
	unsigned char want[KEY_MAX] = "abcdefghij";

	take(rec, 32, 1, key);
	CHECK(!memcmp(key, want, KEY_MAX));
}

static void test_high_bytes_before_the_nul_are_kept(void)
{
	unsigned char key[KEY_MAX];
	const char rec[] = "\xc3\xa9\x80\x01z\0\x01\x80tail of the record, long enough";
	const unsigned char want[16] = "\xc3\xa9\x80\x01z";

	take(rec, 16, 1, key);
	CHECK(!memcmp(key, want, 16));
}

static void test_integer_takes_its_size_only(void)
{
	unsigned char key[KEY_MAX];
	const char rec[] = "\x01\x00\x02\x00\xff\xff\xff\xff and more of the record";
	const unsigned char want[8] = { 1, 0, 2, 0, 0, 0, 0, 0 };

	take(rec, 4, 0, key);
	CHECK(!memcmp(key, want, 8));
	take(rec, 8, 0, key);
	CHECK(!memcmp(key, rec, 8));
}

int main(void)
{
	RUN(test_full_char_array_is_kept_whole);
	RUN(test_full_array_of_odd_size_ends_at_its_size);
	RUN(test_bytes_after_the_nul_become_zeros);
	RUN(test_nul_in_a_later_word_clears_the_words_after);
	RUN(test_high_bytes_before_the_nul_are_kept);
	RUN(test_integer_takes_its_size_only);
	return check_summary();
}
