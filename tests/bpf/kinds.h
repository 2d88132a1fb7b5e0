#ifndef KINDS_H
#define KINDS_H
/* The event of kinds.bpf.c: every kind of type a C program puts in a record. */


enum small_kind { SMALL_A = 1, SMALL_B = 200 } __attribute__((packed));
enum mode { MODE_OFF, MODE_ON = -1 };
enum big { BIG_ONE = 1, BIG_HUGE = 0x100000000ULL };
typedef unsigned int u32_t;
typedef u32_t pid_type;

struct inner { short a; char tag[3]; };

struct event {
	bool ok;
	enum small_kind kind;
	enum mode mode;
	enum big big;
	unsigned int flag : 1;
	unsigned int level : 3;
	int delta : 12;
	pid_type pid;
	union { unsigned int as_u32; unsigned char as_bytes[4]; };
	struct { unsigned short x, y; };
	struct inner inner;
	unsigned __int128 wide;
	struct { char c; unsigned long long v; } __attribute__((packed)) packed;
	unsigned int aligned __attribute__((aligned(16)));
	unsigned short len;
	char data[];
};
#endif
