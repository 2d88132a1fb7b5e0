/* Test object of --bpf: two rings with two record types, fed from one tracepoint, and
 * settings of every kind the loader can set, echoed into the records so a test can see
 * they arrived. Only execs of a task named `comm` count. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define COMM_LEN 16
#define LABEL_LEN 8

enum color { RED = 1, GREEN = 2, BLUE = 7 };

/* Settings, set from --set or the script's `globals` before load. */
const volatile char comm[COMM_LEN] __attribute__((aligned(8))) = {}; /* only execs of
									 * tasks so named */
const volatile __u64 magic = 0;
const volatile __s8 tiny = 0;
const volatile __u16 small = 0;
const volatile __s32 offset = 0;
const volatile bool flag = false;
const volatile char label[LABEL_LEN] = {};
const volatile enum color color = RED;

/* First ring: who exec'd. */
struct alpha_event {
	__u64 seq;
	__u32 pid;
	__s32 offset;
	char comm[COMM_LEN];
};

/* Second ring: the settings as the program saw them. */
struct beta_event {
	__u64 magic;
	__u64 seq;
	__s8 tiny;
	__u8 flag;
	__u16 small;
	enum color color;
	char label[LABEL_LEN];
};

/* Record types reach the object's BTF (and so ringlua's ffi declarations) only when
 * something global refers to them: these unused pointers do. */
struct alpha_event *unused_alpha_event __attribute__((unused));
struct beta_event *unused_beta_event __attribute__((unused));

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} alpha SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} beta SEC(".maps");

__u64 seq = 0;

/* Both names are zero-padded to 16 bytes: two 8-byte words compare them. */
static __always_inline bool wanted(const __u64 task_comm[2])
{
	const volatile __u64 *want = (const volatile __u64 *)comm;

	return want[0] && task_comm[0] == want[0] && task_comm[1] == want[1];
}

SEC("tp/sched/sched_process_exec")
int on_exec(void *ctx)
{
	__u64 task_comm[COMM_LEN / 8];
	struct alpha_event *a;
	struct beta_event *b;
	__u64 n;

	bpf_get_current_comm(task_comm, sizeof(task_comm));
	if (!wanted(task_comm))
		return 0;
	n = __sync_fetch_and_add(&seq, 1);
	/* Reserve, fill and submit one record in each ring. */
	a = bpf_ringbuf_reserve(&alpha, sizeof(*a), 0);
	if (a) {
		a->seq = n;
		a->pid = bpf_get_current_pid_tgid() >> 32;
		a->offset = offset;
		__builtin_memcpy(a->comm, task_comm, COMM_LEN);
		bpf_ringbuf_submit(a, 0);
	}
	b = bpf_ringbuf_reserve(&beta, sizeof(*b), 0);
	if (b) {
		b->magic = magic;
		b->seq = n;
		b->tiny = tiny;
		b->flag = flag;
		b->small = small;
		b->color = color;
		bpf_probe_read_kernel(b->label, LABEL_LEN, (const void *)label);
		bpf_ringbuf_submit(b, 0);
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
