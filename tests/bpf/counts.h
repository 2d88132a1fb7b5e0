/* The record of counts.bpf.c, as published programs keep it: in a header shared by the
 * kernel side and user space, used in the program only through a local pointer. */
#ifndef COUNTS_H
#define COUNTS_H

struct count_key {
	__u32 pid;
	__u32 nr;
};

struct event {
	__u32 pid;
	__u32 nr;
	bool watched;
	unsigned int parity : 1;
	unsigned int low_bits : 3;
	char comm[16];
};

#endif
