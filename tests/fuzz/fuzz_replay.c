/* Fuzzing the reader of recordings (--replay): a recording is a file anyone may hand to
 * ringlua. Whatever it holds, reading it must never crash, hang or read past the file;
 * every record handed out must lie inside it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "record/recording.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rl_rec batch[64];
	int fd = memfd_create("recording", MFD_CLOEXEC);
	char path[64];
	struct rl_replay *r = NULL;
	const char *why;
	uint64_t t, sum = 0;
	int n;

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (rl_replay_open(&r, path, &why) == 0) {
		while ((n = rl_replay_next(r, batch, 64, &t, &why)) > 0)
			for (int i = 0; i < n; i++)
				for (uint32_t k = 0; k < batch[i].len; k++)
					sum += batch[i].data[k]; /* every byte must be readable */
		rl_replay_close(r);
	}
	close(fd);
	return (int)(sum & 0); /* keeps the reads */
}
