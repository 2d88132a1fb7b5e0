/* The record of args_strings.bpf.c: a char array holding several NUL-ended strings, with
 * the bytes in use and the strings in use beside it, as a tool that sends a command
 * line (argv joined by NULs) keeps it; and a plain string. */
#ifndef ARGS_STRINGS_H
#define ARGS_STRINGS_H

#define LABEL_LEN 16
#define ARGS_LEN 64

struct event {
	__u32 seq;		/* which record of the four */
	__u32 pid;
	__s32 args_count;	/* strings in args */
	__u32 args_size;	/* bytes of args in use; after them, an earlier record's */
	char label[LABEL_LEN];	/* one string; stale text after its NUL */
	char args[ARGS_LEN];	/* last: a record may stop after args_size bytes of it */
};

#endif
