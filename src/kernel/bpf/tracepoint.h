/* Records of the generic tracepoint program: ringlua's common header, then the
 * tracepoint's own fields copied from its raw record, then fixed slots for the strings
 * read at the probe. What each probe copies is its `struct tp_probe` in the config map,
 * indexed by the attach cookie. Fixed-width types only: this header is read by the BPF
 * program, by C, and (preprocessed) by ffi.cdef. */
#ifndef RINGLUA_TRACEPOINT_H
#define RINGLUA_TRACEPOINT_H

#define TP_COMM_LEN 16
#define TP_STRING_LEN 256	/* a string slot: 255 bytes and the NUL */
#define TP_MAX_STRINGS 8	/* string slots a record may have */
#define TP_COPY_MAX 2048	/* raw bytes a probe may copy (tracefs records are smaller) */
#define TP_RECORD_MAX 4096	/* header + copied bytes + string slots fit in this */
#define TP_MAX_PROBES 4096	/* entries of the config map */
#define TP_MAX_SYSCALLS 1024	/* system call numbers the syscall map covers */

/* The attach cookies of raw_syscalls:sys_enter and sys_exit when they serve per-syscall
 * probes (syscalls:sys_enter_NAME, sys_exit_NAME): above every probe index. */
#define TP_COOKIE_SYS_ENTER 0x100000000ULL
#define TP_COOKIE_SYS_EXIT 0x200000000ULL

/* The common header of every tracepoint record. */
struct tp_header {
	__u64 ts_ns;	/* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u32 probe;	/* which probe: its index in ringlua's probe table */
	__u32 pid;	/* the current task's process (tgid) */
	__u32 tid;
	__u32 ppid;	/* its parent process */
	__u32 uid;	/* its real user id */
	__u32 cpu;
	char comm[TP_COMM_LEN];
};

/* How a string slot is filled. */
enum tp_string_kind {
	TP_STRING_USER = 1,	/* the u64 at src is a user pointer to a NUL-terminated string */
	TP_STRING_DATA_LOC = 2,	/* the u32 at src is a __data_loc: offset (low 16 bits) in
				 * the raw record */
	TP_STRING_REL_LOC = 3,	/* a __rel_loc: offset from the end of the u32 at src */
};

struct tp_string {
	__u16 src;	/* where the pointer or location is, in ringlua's record */
	__u16 dst;	/* where its TP_STRING_LEN slot is, in ringlua's record */
	__u16 raw;	/* where the u32 at src was in the raw record (for __rel_loc) */
	__u16 kind;	/* enum tp_string_kind */
};

/* One attached probe: how its records are made. */
struct tp_probe {
	__u32 copy_from;	/* raw bytes [copy_from, copy_from + copy_len) of the */
	__u32 copy_len;		/* tracepoint go right after the header */
	__u32 record_size;	/* bytes of ringlua's record */
	__u32 nr_strings;
	__s32 subject_pid;	/* >= 0: offset in ringlua's record of the s32 pid of the task
				 * the event is about (sched_switch's next_pid): ringlua's own
				 * are left out; -1: none */
	__u32 pad;
	struct tp_string strings[TP_MAX_STRINGS];
};

/* The per-syscall probes of one system call number, served from raw_syscalls: each the
 * probe's index + 1, 0 for none. */
struct tp_syscall {
	__u32 enter;
	__u32 exit;
};

#endif
