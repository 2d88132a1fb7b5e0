#include "sim_ring.h"

#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define BUSY_BIT (1u << 31)
#define DISCARD_BIT (1u << 30)
#define HDR_SZ 8

static size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* Maps len bytes of the memfd at offset over addr, replacing the reservation there. */
static int map_at(struct sim_ring *s, void *addr, size_t len, off_t offset)
{
	void *p = mmap(addr, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, s->memfd,
		       offset);

	return p == MAP_FAILED ? -1 : 0;
}

static int map_layout(struct sim_ring *s, size_t size)
{
	size_t page = page_size();
	uint8_t *b;

	s->base_len = 2 * page + 2 * size;
	s->base = mmap(NULL, s->base_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s->base == MAP_FAILED)
		return -1;
	b = s->base;
	if (map_at(s, b, 2 * page + size, 0) ||
	    map_at(s, b + 2 * page + size, size, (off_t)(2 * page)))
		return -1;
	s->producer_pos = (uint64_t *)(b + page);
	s->data = b + 2 * page;
	s->mem = (struct rl_ring_mem){ .consumer_pos = (uint64_t *)b,
				       .producer_pos = s->producer_pos,
				       .data = s->data, .size = size };
	return 0;
}

struct sim_ring *sim_ring_new(size_t size)
{
	struct sim_ring *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->base = MAP_FAILED;
	s->memfd = memfd_create("sim_ring", MFD_CLOEXEC);
	s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->memfd < 0 || s->wake_fd < 0 ||
	    ftruncate(s->memfd, (off_t)(2 * page_size() + size)) || map_layout(s, size)) {
		sim_ring_free(s);
		return NULL;
	}
	return s;
}

void sim_ring_free(struct sim_ring *s)
{
	if (!s)
		return;
	if (s->base != MAP_FAILED)
		munmap(s->base, s->base_len);
	if (s->memfd >= 0)
		close(s->memfd);
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	free(s);
}

uint32_t *sim_header_at(struct sim_ring *s, uint64_t pos)
{
	return (uint32_t *)(s->data + (pos & (s->mem.size - 1)));
}

void sim_set_positions(struct sim_ring *s, uint64_t consumer, uint64_t producer)
{
	__atomic_store_n(s->mem.consumer_pos, consumer, __ATOMIC_SEQ_CST);
	__atomic_store_n(s->producer_pos, producer, __ATOMIC_SEQ_CST);
}

void *sim_reserve(struct sim_ring *s, uint32_t len)
{
	uint64_t cons = __atomic_load_n(s->mem.consumer_pos, __ATOMIC_ACQUIRE);
	uint64_t prod = *s->producer_pos;
	uint64_t rec = ((uint64_t)len + HDR_SZ + 7) & ~7ull;
	uint32_t *hdr;

	if (prod + rec - cons > s->mem.size)
		return NULL;
	hdr = sim_header_at(s, prod);
	hdr[0] = len | BUSY_BIT;
	hdr[1] = 0; /* pg_off: the kernel's way back to the ring; unused by consumers */
	__atomic_store_n(s->producer_pos, prod + rec, __ATOMIC_RELEASE);
	return (uint8_t *)hdr + HDR_SZ;
}

/* Like the kernel: publish the header with a full barrier, then wake the consumer if it
 * had caught up with this record. */
static void finish(struct sim_ring *s, void *payload, uint32_t extra, int flags)
{
	uint32_t *hdr = (uint32_t *)((uint8_t *)payload - HDR_SZ);
	uint64_t rec_pos = (uint64_t)((uint8_t *)hdr - s->data);
	uint32_t len = (hdr[0] & ~BUSY_BIT) | extra;
	uint64_t cons;

	__atomic_exchange_n(hdr, len, __ATOMIC_SEQ_CST);
	cons = __atomic_load_n(s->mem.consumer_pos, __ATOMIC_ACQUIRE) & (s->mem.size - 1);
	if ((flags & SIM_FORCE_WAKEUP) || (cons == rec_pos && !(flags & SIM_NO_WAKEUP))) {
		uint64_t one = 1;

		__atomic_fetch_add(&s->wakeups, 1, __ATOMIC_RELAXED);
		if (write(s->wake_fd, &one, sizeof(one)) != sizeof(one))
			abort();
	}
}

void sim_commit(struct sim_ring *s, void *payload, int flags)
{
	finish(s, payload, 0, flags);
}

void sim_discard(struct sim_ring *s, void *payload, int flags)
{
	finish(s, payload, DISCARD_BIT, flags);
}

int sim_emit(struct sim_ring *s, const void *data, uint32_t len, int flags)
{
	void *p = sim_reserve(s, len);

	if (!p)
		return -1;
	memcpy(p, data, len);
	sim_commit(s, p, flags);
	return 0;
}

double sim_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double sim_cpu_s(int who)
{
	struct rusage ru;

	getrusage(who, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}
