/* The records of union_arms.bpf.c: an op and a union with one arm per op, each of its
 * own layout, as a tool that traces several related calls sends them; and a struct
 * whose union's arms are not named after its enum's enumerators. */
#ifndef UNION_ARMS_H
#define UNION_ARMS_H

enum op { OP_MOUNT, OP_UMOUNT, OP_FSOPEN, OP_SYNC };	/* OP_SYNC has no arm */

enum colour { RED, GREEN };

struct event {
	__u32 seq;
	enum op op;
	union {				/* anonymous: its live arm is a field of the record */
		struct {
			__u64 flags;
			char src[8];
			char dest[8];
		} mount;
		struct {
			__s32 ret;
			char target[12];
		} umount;
		__u32 fsopen;		/* its flags */
	};
	enum colour colour;
	union {				/* arms named after no enumerator: the first arm */
		__u32 word;
		__u8 bytes[4];
	} raw;
};

#endif
