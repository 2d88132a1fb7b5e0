/* Drops CAP_BPF and CAP_SYS_ADMIN from the effective set: the process is then one the
 * kernel will not check BTF for, as a replay by any user is, while it keeps root's files.
 * Returns 0 or -1. */
#ifndef RINGLUA_TEST_CAPS_H
#define RINGLUA_TEST_CAPS_H

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static inline int drop_bpf_caps(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -1;
	data[CAP_SYS_ADMIN / 32].effective &= ~(1u << (CAP_SYS_ADMIN % 32));
	data[CAP_BPF / 32].effective &= ~(1u << (CAP_BPF % 32));
	return (int)syscall(SYS_capset, &hdr, data);
}

#endif
