/* When a producer wakes the consumer because a ring is filling (source.bpf.h's
 * wakeups): plain C on fixed-width types, for the BPF programs and the unit test that
 * plays producers against it (tests/unit/test_fill_wake.c). */
#ifndef RINGLUA_FILL_WAKE_H
#define RINGLUA_FILL_WAKE_H

/* Whether the producer that just committed a record to a ring holding pending bytes of
 * records (its own and those reserved but not committed included), at least fill, is
 * the one to wake the consumer, whose position is cons: the first to see the ring so
 * since the consumer last moved is. A record's own crossing of fill is not enough:
 * producers on other CPUs reserve between one's reservation and its commit, and then
 * none of them sees its record cross. *mark holds cons + 1 of the last wakeup (never 0
 * after one); shared: producers on other CPUs race for it (the one ring of all CPUs),
 * else this CPU's alone writes it (its own ring). */
static inline _Bool rl_fill_wake(__u64 pending, __u64 fill, __u64 cons, __u64 *mark,
				 _Bool shared)
{
	__u64 seen = *mark;

	if (pending < fill || seen == cons + 1)
		return 0;
	if (!shared) {
		*mark = cons + 1;
		return 1;
	}
	return __sync_val_compare_and_swap(mark, seen, cons + 1) == seen;
}

#endif
