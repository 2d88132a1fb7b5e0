/* The record of probe.bpf.c: in a header beside it, as published programs keep it. The
 * compile tests include it by quoted name. */
struct probe_event {
	__u32 pid;
};
