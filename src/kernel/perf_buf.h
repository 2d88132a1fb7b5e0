/* Perf buffers (BPF_MAP_TYPE_PERF_EVENT_ARRAY) of a user's object, read through libbpf's
 * perf_buffer and handed out in batches with the ring consumer's contract (rl_batch_fn,
 * struct rl_rec), so that the script sees their records as it sees a ring's.
 *
 * Unlike a ring's records, a sample is copied: libbpf hands each one to a callback and
 * moves its read position past it as soon as the callback returns, so a pointer into
 * its buffer is dead before a batch could be built. The samples of one pass over one
 * CPU's buffer are copied into an arena and handed out from there: one copy per sample,
 * one batch callback per pass (or per batch_cap records). */
#ifndef RINGLUA_PERF_BUF_H
#define RINGLUA_PERF_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ring/ring.h"

/* Pages per CPU when the command line names none: 256 KiB with 4 KiB pages. */
#define RL_PERF_DEFAULT_PAGES 64

struct rl_perf_opts {
	size_t pages;		/* each CPU's buffer, in pages: a power of two */
	size_t batch_cap;	/* the most records one callback sees */
	rl_batch_fn fn;		/* called with the records of one map, in order per CPU */
	void *ctx;
};

struct rl_perf;

/* Returns 0 and a reader with no maps in *out, or -errno (-EINVAL: pages not a power
 * of two). */
int rl_perf_open(struct rl_perf **out, const struct rl_perf_opts *opts);

/* Opens a buffer per CPU on the perf event array map_fd (not taken over) and reads it;
 * its records carry ring (their index in the caller's ring table). Returns an fd that
 * is readable while samples wait (for rl_consumer_add_wake_fd; the reader's), or -errno:
 * -EINVAL when map_fd is not a perf event array. */
int rl_perf_add_map(struct rl_perf *p, int map_fd, uint32_t ring);

/* Without sleeping: hands what waits to the callback, first the records a callback
 * stopped short of, then what each CPU's buffer holds, one pass over each. A callback
 * that takes fewer than offered ends the call; the rest are offered first next time.
 * Returns the number of records taken, or -errno (a callback's error, or libbpf's). */
int rl_perf_poll(struct rl_perf *p);

/* Whether records wait that no wakeup will announce: copied out but not taken, or
 * buffers a stopped call did not get to. Then the caller must not sleep before the next
 * rl_perf_poll. */
bool rl_perf_busy(const struct rl_perf *p);

/* Samples the kernel could not write (a CPU's buffer was full), in all: read from each
 * CPU's event, so losses at the end of a burst count too (kernels before 6.0: the lost
 * records read so far, which the kernel writes only before a later sample). */
uint64_t rl_perf_lost(const struct rl_perf *p);

/* How many maps it reads; 0 for NULL. */
size_t rl_perf_nr_maps(const struct rl_perf *p);

/* Closes the buffers and frees. Accepts NULL. */
void rl_perf_close(struct rl_perf *p);

#endif
