/* Test object of rl_bpf: programs on getppid's tracepoint, one of them optional, and an
 * optional program on a tracepoint no kernel has. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

const volatile __u32 test_tgid = 0; /* counts only this process's calls */
__u64 calls = 0;
__u64 optional_calls = 0;

static __always_inline void count(__u64 *counter)
{
	if (bpf_get_current_pid_tgid() >> 32 == test_tgid)
		__sync_fetch_and_add(counter, 1);
}

SEC("tp/syscalls/sys_enter_getppid")
int on_getppid(void *ctx)
{
	count(&calls);
	return 0;
}

/* Optional, and present: loaded and attached like the one above. */
SEC("?tp/syscalls/sys_enter_getppid")
int on_getppid_optional(void *ctx)
{
	count(&optional_calls);
	return 0;
}

/* Optional, and missing everywhere: left out, and the object still loads. */
SEC("?tp/syscalls/sys_enter_no_such_call")
int on_missing(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
