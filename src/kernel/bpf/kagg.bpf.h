/* Kernel aggregations (kagg.h) in every built-in program: each record a program makes is
 * handed to every spec of `kagg_specs` before it goes to the ring, or instead. Included
 * by source.bpf.h, after the ring and the scratch buffer it uses. */
#ifndef RINGLUA_KAGG_BPF_H
#define RINGLUA_KAGG_BPF_H

#include "kagg.h"

/* Set before load: whether this run has kernel aggregations at all. Without them every
 * check below is on a constant the verifier drops, and records take the ring as before;
 * with them, records are built in the scratch buffer (source.bpf.h's reserve_event). */
const volatile bool kagg_on = false;
/* Changed by the host while the programs run (a reload): the slots of kagg_specs in use
 * (below this), and whether records still go to the ring after the aggregations took
 * them (the script has an event handler). */
__u32 kagg_slots = 0;
__u32 deliver = 1;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KAGG_SPECS);
	__type(key, __u32);
	__type(value, struct kagg_spec);
} kagg_specs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, KAGG_ENTRIES);
	__type(key, struct kagg_key);
	__type(value, struct kagg_value);
} kagg_values SEC(".maps");

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

/* The integer field f of rec, sign-extended when it is signed; 0 for no field (count). */
static __always_inline __u64 kagg_value_of(const void *rec, const struct kagg_field *f)
{
	__u32 size = f->size, shift;
	__u64 v = 0;

	if (size == 0 || size > 8)
		return 0;
	bpf_probe_read_kernel(&v, size, (const __u8 *)rec + f->offset);
	shift = 64 - 8 * size;
	if (f->is_signed)
		v = (__u64)((__s64)(v << shift) >> shift);
	return v;
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

/* Adds rec to the aggregation in slot, of spec s: its key's fields copied into the key,
 * its value into this CPU's entry (made at the first record of a key; a full map loses
 * the record for this aggregation). */
static __always_inline void kagg_apply(__u32 slot, const struct kagg_spec *s, const void *rec)
{
	struct kagg_value first = {}, *val;
	struct kagg_key_room *room;
	__u32 zero = 0;
	__u64 v;

	room = bpf_map_lookup_elem(&kagg_key_room, &zero);
	if (!room)
		return;
	__builtin_memset(&room->key, 0, sizeof(room->key));
	room->key.agg = slot;
	/* Unrolled: four short steps, which the verifier walks once each. */
#pragma unroll
	for (__u32 j = 0; j < KAGG_PARTS; j++) {
		const struct kagg_field *f = &s->parts[j];
		const __u8 *src = (const __u8 *)rec + f->offset;
		__u32 pos = f->pos & (KAGG_KEY_MAX - 1), size = f->size;

		if (j >= s->nr_parts)
			break;
		if (size > KAGG_KEY_MAX)
			return;
		if (f->text)
			bpf_probe_read_kernel_str(room->key.bytes + pos, size, src);
		else
			bpf_probe_read_kernel(room->key.bytes + pos, size, src);
	}
	v = kagg_value_of(rec, &s->value);
	room->key.bucket = kagg_bucket(s, v);
	val = bpf_map_lookup_elem(&kagg_values, &room->key);
	if (!val) {
		first.min = first.max = v;
		bpf_map_update_elem(&kagg_values, &room->key, &first, BPF_NOEXIST);
		val = bpf_map_lookup_elem(&kagg_values, &room->key);
		if (!val)
			return;
	}
	val->count++;
	val->sum += v;
	if (kagg_less(v, val->min, s->value.is_signed))
		val->min = v;
	if (kagg_less(val->max, v, s->value.is_signed))
		val->max = v;
}

/* Hands rec of probe to the aggregation in slot, if it takes that probe's records. */
static __noinline void kagg_slot(__u32 slot, const void *rec, __u32 probe)
{
	struct kagg_spec *s = bpf_map_lookup_elem(&kagg_specs, &slot);

	if (!s || s->op == KAGG_NONE)
		return;
	if (s->probe != KAGG_ANY_PROBE && s->probe != probe)
		return;
	kagg_apply(slot, s, rec);
}

/* Hands the complete record rec of probe (a tracepoint probe's index, or KAGG_ANY_PROBE)
 * to every aggregation that takes it. Returns whether it still goes to the ring. */
static __always_inline bool kagg_record(const void *rec, __u32 probe)
{
	for (__u32 i = 0; i < KAGG_SPECS && i < kagg_slots; i++)
		kagg_slot(i, rec, probe);
	return deliver;
}

#endif
