/* A simulated BPF ring buffer in the kernel's exact layout, for testing the consumer
 * without a kernel: a memfd holding the consumer page, the producer page and the data,
 * with the data pages mapped twice back to back. The producer side follows
 * kernel/bpf/ringbuf.c: reserve sets the busy bit, commit clears it and wakes the
 * consumer (an eventfd) if it had caught up with the record. */
#ifndef RINGLUA_SIM_RING_H
#define RINGLUA_SIM_RING_H

#include <stddef.h>
#include <stdint.h>

#include "ring/ring.h"

#define SIM_NO_WAKEUP 1		/* BPF_RB_NO_WAKEUP */
#define SIM_FORCE_WAKEUP 2	/* BPF_RB_FORCE_WAKEUP */

struct sim_ring {
	struct rl_ring_mem mem;	/* what the consumer is given */
	int wake_fd;		/* eventfd written on each wakeup */
	uint64_t wakeups;
	uint64_t *producer_pos;	/* writable views of what the consumer sees read-only */
	uint8_t *data;
	void *base;
	size_t base_len;
	int memfd;
};

/* A ring of size bytes (a power of two, a multiple of the page size). NULL on failure. */
struct sim_ring *sim_ring_new(size_t size);
void sim_ring_free(struct sim_ring *s);

/* Reserves len bytes; returns the payload (busy until committed) or NULL when full. */
void *sim_reserve(struct sim_ring *s, uint32_t len);
void sim_commit(struct sim_ring *s, void *payload, int flags);
void sim_discard(struct sim_ring *s, void *payload, int flags);

/* Reserve, copy, commit. Returns 0, or -1 when the ring is full. */
int sim_emit(struct sim_ring *s, const void *data, uint32_t len, int flags);

/* Clocks for the tests' hang and spin bounds: CLOCK_MONOTONIC seconds, and the CPU
 * seconds (user + system) of RUSAGE_SELF or RUSAGE_THREAD. */
double sim_now_s(void);
double sim_cpu_s(int who);

/* Raw access for corruption tests. */
uint32_t *sim_header_at(struct sim_ring *s, uint64_t pos);
void sim_set_positions(struct sim_ring *s, uint64_t consumer, uint64_t producer);

#endif
