/* Kernel aggregations (kagg.h) in every built-in program: each record a program makes is
 * handed to every spec of `kagg_specs` before it goes to the ring, or instead. Included
 * by source.bpf.h, after the ring and the scratch buffer it uses. */
#ifndef RINGLUA_KAGG_BPF_H
#define RINGLUA_KAGG_BPF_H

#include "kagg.h"
#include "kagg_key.h"

/* Set before load: whether this run has kernel aggregations at all. Without them every
 * check below is on a constant the verifier drops, and records take the ring as before;
 * with them, records are built in the scratch buffer (source.bpf.h's reserve_event). */
const volatile bool kagg_on = false;
/* Changed by the host while the programs run (a reload): the slots of kagg_specs in use
 * (below this), and whether records still go to the ring after the aggregations took
 * them (the script has an event handler). */
__u32 kagg_slots = 0;
__u32 deliver = 1;
/* Also changed by the host when a script settles: whether records are stamped (ts_ns),
 * which is when the script takes records or an aggregation reads ts_ns. Until then, and
 * without kernel aggregations, they are; `timestamps` off (source.bpf.h) still wins. */
__u32 stamp_records = 1;

/* Whether the kernel aggregations let a record be stamped (source.bpf.h's event_time):
 * one load of stamp_records with them, a constant without. */
static __always_inline bool kagg_stamps(void)
{
	return !kagg_on || stamp_records;
}

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KAGG_SLOTS);
	__type(key, __u32);
	__type(value, struct kagg_spec);
} kagg_specs SEC(".maps");

/* Epochs. The host never writes an entry a program may be writing: the programs count
 * into the entries of the live epoch (kagg_epoch, read once per record); to read them
 * back the host makes the other epoch live, waits until no program still runs with the
 * old one (an RCU grace period), adds the old epoch's entries into kagg_totals, which
 * only it writes, and removes them. A clear removes totals, never a live count. */
__u32 kagg_epoch = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, KAGG_ENTRIES);
	__type(key, struct kagg_key);
	__type(value, struct kagg_value);
} kagg_values SEC(".maps");

/* What the epochs retired, by slot (kagg_key.agg without the epoch): what the host shows.
 * Written by the host alone; the programs never touch it. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KAGG_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct kagg_key);
	__type(value, struct kagg_value);
} kagg_totals SEC(".maps");

/* In front of kagg_values: per CPU, KAGG_CACHE_WAYS entries for each slot of kagg_specs,
 * which the program reaches with an array lookup (inlined by the verifier, no helper
 * call) where kagg_values takes a hash lookup. A key takes the first free entry of its
 * KAGG_CACHE_PROBES and keeps it until the host frees it (a clear, a dropped
 * aggregation): nothing is evicted, so a key's share on a CPU is in that entry, or in
 * kagg_values when its probes were all taken, and the host adds up both. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KAGG_EPOCHS * KAGG_SLOTS * KAGG_CACHE_WAYS);
	__type(key, __u32);
	__type(value, struct kagg_cached);
} kagg_cache SEC(".maps");

#define KAGG_KEY_WORDS (sizeof(struct kagg_key) / 8)
_Static_assert(sizeof(struct kagg_key) % 8 == 0, "a key is read as words");

/* Where a key is built: past its bytes, room for the largest field at the last
 * position, so that every bounded position plus a bounded size stays inside. */
struct kagg_key_room {
	struct kagg_key key;
	__u8 slack[KAGG_KEY_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kagg_key_room);
} kagg_key_room SEC(".maps");

/* Updates a full kagg_values could not take (a new key, or a new bucket of one): the
 * host reports them at exit and in --stats, with those a full kagg_totals could not
 * take when an epoch was retired, which the host alone counts. */
__u64 kagg_lost = 0;
__u64 kagg_totals_lost = 0;

/* Records are read in place, with plain loads: they are built in a scratch buffer (a map
 * value), which the verifier lets a program read at a bounded offset. A field ends
 * within KAGG_RECORD_MAX bytes (the host checks), and whole words are read past it. */
_Static_assert(sizeof(struct stack_scratch) >= KAGG_RECORD_MAX + KAGG_KEY_MAX,
	       "the scratch buffer has room for the words read past a field");

/* The integer field f of rec, sign-extended when it is signed; 0 for no field (count). */
static __always_inline __u64 kagg_value_of(const __u8 *rec, const struct kagg_field *f)
{
	__u32 size = f->size, shift;
	__u64 v;

	if (size == 0 || size > 8)
		return 0;
	v = *(const __u64 *)(rec + (f->offset & (KAGG_RECORD_MAX - 1)));
	shift = 64 - 8 * size;
	v <<= shift;
	return f->is_signed ? (__u64)((__s64)v >> shift) : v >> shift;
}

/* Copies field f of rec into the key's bytes at dst, 8 bytes at a time: the whole field
 * (a char array only up to its first NUL, if it has one), zeros up to the next 8-byte
 * boundary. */
static __always_inline void kagg_copy_field(__u8 *dst, const __u8 *rec, const struct kagg_field *f)
{
	const __u8 *src = rec + (f->offset & (KAGG_RECORD_MAX - 1));
	__u32 size = f->size;
	bool ended = false;

#pragma unroll
	for (__u32 i = 0; i < KAGG_KEY_MAX / 8; i++) {
		if (8 * i >= size)
			break;
		*(__u64 *)(dst + 8 * i) = kagg_key_word(*(const __u64 *)(src + 8 * i),
							size - 8 * i, f->text, &ended);
	}
}

/* floor(log2(v)) for v > 0, without a loop. */
static __always_inline __u32 kagg_log2(__u64 v)
{
	__u32 r = (v > 0xffffffffULL) << 5, shift;

	v >>= r;
	shift = (v > 0xffff) << 4;
	v >>= shift;
	r |= shift;
	shift = (v > 0xff) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xf) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	return r | (__u32)(v >> 1);
}

/* The bucket of v, numbered as ringlua.agg numbers them: log2, 0 for negatives, 1 for 0,
 * 2 for 1, then i for [2^(i-2), 2^(i-1)); linear, 0 below lmin, 1.. the steps, the last
 * from lmax on. 0 for the kinds without buckets. */
static __always_inline __u32 kagg_bucket(const struct kagg_spec *s, __u64 v)
{
	bool negative = s->value.is_signed && (__s64)v < 0;
	bool huge = !s->value.is_signed && (__s64)v < 0; /* past every signed bound */

	if (s->op == KAGG_HIST)
		return negative ? 0 : v == 0 ? 1 : kagg_log2(v) + 2;
	if (s->op != KAGG_LHIST || s->lstep <= 0)
		return 0;
	if (!huge && (__s64)v < s->lmin)
		return 0;
	if (huge || (__s64)v >= s->lmax)
		return (__u64)(s->lmax - s->lmin) / (__u64)s->lstep + 1;
	return (__u64)((__s64)v - s->lmin) / (__u64)s->lstep + 1;
}

static __always_inline bool kagg_less(__u64 a, __u64 b, bool is_signed)
{
	return is_signed ? (__s64)a < (__s64)b : a < b;
}

/* A hash of the key's words (a multiplicative one: a few instructions a word), whose top
 * bits pick its first entry in kagg_cache. */
static __always_inline __u32 kagg_cache_hash(const struct kagg_key *key)
{
	const __u64 *w = (const __u64 *)key;
	__u64 h = 0;

#pragma unroll
	for (__u32 i = 0; i < KAGG_KEY_WORDS; i++)
		h = (h ^ w[i]) * 0x9e3779b97f4a7c15ULL;
	return h >> 32;
}

static __always_inline bool kagg_same_key(const struct kagg_key *a, const struct kagg_key *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;
	__u64 diff = 0;

#pragma unroll
	for (__u32 i = 0; i < KAGG_KEY_WORDS; i++)
		diff |= x[i] ^ y[i];
	return !diff;
}

/* This CPU's share of key (whose agg is its slot of its epoch) in kagg_cache: the entry
 * that holds it, or the first free one of its probes, claimed for it with the share of a
 * first value v. NULL when its probes hold other keys. The claim is a compare-and-swap:
 * a program that interrupted this one on the CPU (a perf event's) may claim too. */
static __always_inline struct kagg_value *kagg_cached(const struct kagg_key *key, __u64 v)
{
	__u32 home = kagg_cache_hash(key), at;
	struct kagg_cached *c;

	for (__u32 p = 0; p < KAGG_CACHE_PROBES; p++) {
		at = key->agg * KAGG_CACHE_WAYS + ((home + p) & (KAGG_CACHE_WAYS - 1));
		c = bpf_map_lookup_elem(&kagg_cache, &at);
		if (!c)
			return NULL;
		if (c->state == KAGG_CACHE_HELD) {
			if (kagg_same_key(&c->key, key))
				return &c->value;
			continue;
		}
		if (c->state != KAGG_CACHE_FREE ||
		    __sync_val_compare_and_swap(&c->state, KAGG_CACHE_FREE, KAGG_CACHE_CLAIMING) !=
			    KAGG_CACHE_FREE)
			continue;
		__builtin_memcpy(&c->key, key, sizeof(c->key));
		c->value.count = c->value.sum = 0;
		c->value.min = c->value.max = v;
		/* After the key: the host reads an entry as held only with its key written. */
		c->state = KAGG_CACHE_HELD;
		return &c->value;
	}
	return NULL;
}

/* This CPU's share of key in kagg_values, made with the share of a first value v; NULL
 * when the map is full (the update lost, counted in kagg_lost). */
static __always_inline struct kagg_value *kagg_hashed(const struct kagg_key *key, __u64 v)
{
	struct kagg_value first = {}, *val;

	val = bpf_map_lookup_elem(&kagg_values, key);
	if (val)
		return val;
	first.min = first.max = v;
	bpf_map_update_elem(&kagg_values, key, &first, BPF_NOEXIST);
	val = bpf_map_lookup_elem(&kagg_values, key);
	if (!val)
		__sync_fetch_and_add(&kagg_lost, 1);
	return val;
}

/* Adds rec to the aggregation in slot, of spec s, in epoch: its key's fields copied into
 * the key built in room, its value into this CPU's share of the key, in kagg_cache or
 * else in kagg_values (made at the first record of a key; a full map loses the update). */
static __always_inline void kagg_apply(__u32 slot, __u32 epoch, const struct kagg_spec *s,
				       const __u8 *rec, struct kagg_key_room *room)
{
	struct kagg_value *val;
	__u64 v;

	/* Word stores: the fields' copies cover the key from its start, their last word
	 * ends in zeros, and these clear what is left of another spec's longer key. */
#pragma unroll
	for (__u32 i = 0; i < KAGG_KEY_MAX / 8; i++)
		((__u64 *)room->key.bytes)[i] = 0;
	room->key.agg = slot + epoch * KAGG_SLOTS;
	/* Unrolled: four short steps, which the verifier walks once each. */
#pragma unroll
	for (__u32 j = 0; j < KAGG_PARTS; j++) {
		const struct kagg_field *f = &s->parts[j];

		if (j >= s->nr_parts)
			break;
		kagg_copy_field(room->key.bytes + (f->pos & (KAGG_KEY_MAX - 1)), rec, f);
	}
	v = kagg_value_of(rec, &s->value);
	room->key.bucket = kagg_bucket(s, v);
	val = kagg_cached(&room->key, v);
	if (!val)
		val = kagg_hashed(&room->key, v);
	if (!val)
		return;
	val->count++;
	val->sum += v;
	if (kagg_less(v, val->min, s->value.is_signed))
		val->min = v;
	if (kagg_less(val->max, v, s->value.is_signed))
		val->max = v;
}

/* Hands rec of probe to the aggregation in slot, in epoch, if it takes that probe's
 * records. */
static __noinline void kagg_slot(__u32 slot, __u32 epoch, const __u8 *rec, __u32 probe,
				 struct kagg_key_room *room)
{
	struct kagg_spec *s = bpf_map_lookup_elem(&kagg_specs, &slot);

	if (!s || s->op == KAGG_NONE)
		return;
	if (s->probe != KAGG_ANY_PROBE && s->probe != probe)
		return;
	kagg_apply(slot, epoch, s, rec, room);
}

/* A global the host changes while programs run, read once, where it stands in the code
 * (the compiler may not move or repeat the load). */
#define KAGG_LIVE(x) (*(volatile __u32 *)&(x))

/* Hands the complete record rec of probe (a tracepoint probe's index, or KAGG_ANY_PROBE)
 * to every aggregation that takes it. rec is in a scratch buffer of at least
 * KAGG_RECORD_MAX + KAGG_KEY_MAX bytes and starts with its ts_ns. Returns whether it
 * still goes to the ring. */
static __always_inline bool kagg_record(void *rec, __u32 probe)
{
	struct kagg_key_room *room;
	__u64 *ts_ns = rec;
	__u32 zero = 0, slots, to_ring, epoch;

	/* The host turns stamping on before it adds a reader of ts_ns (an aggregation that
	 * reads it, or delivery), and this program read stamp_records when it began the
	 * record: one that began before the host's first write and reads the second here
	 * would hand on a record without its time. So: who takes it first, then whether it
	 * is stamped now; a record for the ring always is. */
	slots = KAGG_LIVE(kagg_slots);
	to_ring = KAGG_LIVE(deliver);
	epoch = KAGG_LIVE(kagg_epoch) & (KAGG_EPOCHS - 1);
	if (timestamps && !*ts_ns && (to_ring || KAGG_LIVE(stamp_records)))
		*ts_ns = bpf_ktime_get_ns();
	room = bpf_map_lookup_elem(&kagg_key_room, &zero);
	if (!room)
		return to_ring;
	for (__u32 i = 0; i < KAGG_SLOTS && i < slots; i++)
		kagg_slot(i, epoch, rec, probe, room);
	return to_ring;
}

#endif
