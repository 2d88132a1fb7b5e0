/* rl_bpf against the running kernel: optional programs are attached where their
 * tracepoint exists and left out where it does not; a perf event handed to an object
 * without a perf_event program is refused and closed. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>

#include "kernel/bpf_obj.h"
#include "check.h"
#include "optional.skel.h"

#define GETPPID_CALLS 3

static int open_object(struct rl_bpf **b)
{
	size_t size;
	const void *elf = optional__elf_bytes(&size);
	uint32_t tgid = (uint32_t)getpid();
	int err = rl_bpf_open_mem(b, elf, size, "optional");

	return err ? err : rl_bpf_set_global(*b, "test_tgid", &tgid, sizeof(tgid));
}

static void test_optional_programs(void)
{
	struct rl_bpf *b = NULL;
	uint64_t calls = 0, optional_calls = 0;

	CHECK(open_object(&b) == 0);
	CHECK(rl_bpf_load_attach(b) == 0);
	for (int i = 0; i < GETPPID_CALLS; i++)
		syscall(SYS_getppid);
	CHECK(rl_bpf_read_u64(b, "calls", &calls) == 0);
	CHECK(rl_bpf_read_u64(b, "optional_calls", &optional_calls) == 0);
	rl_bpf_close(b);
	CHECK(calls == GETPPID_CALLS);
	CHECK(optional_calls == GETPPID_CALLS);
}

static int open_cpu_clock(void)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.sample_period = 1000000,
	};

	return (int)syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

static void test_perf_event_without_program(void)
{
	struct rl_bpf *b = NULL;
	int fd = open_cpu_clock();

	CHECK(fd >= 0);
	CHECK(open_object(&b) == 0);
	CHECK(rl_bpf_load_attach(b) == 0);
	CHECK(rl_bpf_attach_perf_event(b, fd) == -ENOENT);
	rl_bpf_close(b);
	CHECK(fcntl(fd, F_GETFD) == -1 && errno == EBADF);
}

int main(void)
{
	RUN(test_optional_programs);
	RUN(test_perf_event_without_program);
	return check_summary();
}
