/* How a kernel aggregation's key takes a record field, one 8-byte word at a time: plain
 * C on fixed-width types, for the BPF programs (kagg.bpf.h) and the unit test that
 * checks it (tests/unit/test_kagg_key.c). Words are little-endian: the field's first
 * byte is a word's low byte. */
#ifndef RINGLUA_KAGG_KEY_H
#define RINGLUA_KAGG_KEY_H

/* A word of the field as the key holds it: w, the field's bytes from some offset on
 * (and whatever follows the field in the record), of which left are still the field's
 * (more than 8: the whole word is). Bytes past the field become zeros. A char array
 * (text) keeps its bytes up to its first NUL, which *ended records for the words after;
 * a full array, without a NUL, is kept whole, as ringlua.str reads it. */
static inline __u64 kagg_key_word(__u64 w, __u32 left, int text, _Bool *ended)
{
	__u64 nul;

	if (left < 8)
		w &= (1ULL << (8 * left)) - 1;
	if (!text)
		return w;
	if (*ended)
		return 0;
	/* The lowest byte of w that is zero has the lowest bit set here; a higher one may
	 * be set wrongly (a borrow), but only above a zero byte. */
	nul = (w - 0x0101010101010101ULL) & ~w & 0x8080808080808080ULL;
	if (!nul)
		return w;
	*ended = 1;
	return w & (((nul & -nul) >> 7) - 1);
}

#endif
