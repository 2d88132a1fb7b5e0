/* Event of the built-in `tcp` source: one per TCP connection a process initiates
 * (connect(2)) or takes (accept(2), accept4(2)). Fixed-width types only: this header is read by the BPF
 * program, by C, and (preprocessed) by ffi.cdef. */
#ifndef RINGLUA_TCP_H
#define RINGLUA_TCP_H

#define TCP_COMM_LEN 16
#define TCP_ADDR_LEN 16

/* ffi.cdef keeps enums, so scripts compare with ffi.C.TCP_EVENT_CONNECT. */
enum tcp_event_direction {
	TCP_EVENT_CONNECT = 1,	/* connect(2) returned 0 or -EINPROGRESS */
	TCP_EVENT_ACCEPT = 2,	/* accept(2) returned an established connection */
};

struct tcp_event {
	__u64 ts_ns;			/* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u8 saddr[TCP_ADDR_LEN];	/* local address; IPv4 in the first 4 bytes */
	__u8 daddr[TCP_ADDR_LEN];	/* remote address; IPv4 in the first 4 bytes */
	__u32 pid;			/* process id (tgid) */
	__u32 tid;
	__u32 uid;
	__u16 sport;			/* local port, host byte order */
	__u16 dport;			/* remote port, host byte order */
	__u16 family;			/* AF_INET or AF_INET6 */
	__u8 direction;			/* enum tcp_event_direction */
	__u8 reserved;
	char comm[TCP_COMM_LEN];
};

#endif
