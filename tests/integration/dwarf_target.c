/* The program the DWARF unwinding tests profile: built -O2 -fomit-frame-pointer as
 * Debian builds its packages, so a frame-pointer walk cannot get past its leaf, while
 * its .eh_frame describes every frame. main -> rl_mid -> rl_leaf.
 *   dwarf_target spin SECONDS   busy in rl_leaf for SECONDS
 *   dwarf_target sys N          N getppid() calls from rl_leaf, then half a second
 *                               alive: a process is read while it lives */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

/* The leaf's work: a busy loop, or a system call a tracepoint sees. */
__attribute__((noinline)) long rl_leaf(long n, int sys)
{
	volatile long x = 0;

	if (sys)
		return syscall(SYS_getppid) + 1; /* no tail call: rl_leaf keeps its frame */
	for (long i = 0; i < n; i++)
		x += i;
	return x;
}

__attribute__((noinline)) long rl_mid(long n, int sys)
{
	/* Work after the call, so the call is no tail call and rl_mid keeps a frame. */
	return rl_leaf(n, sys) * 3 + 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long sum = 0;

	if (argc != 3)
		return 2;
	if (!strcmp(argv[1], "spin")) {
		double end = now() + atof(argv[2]);

		while (now() < end)
			sum += rl_mid(1000000, 0);
	} else if (!strcmp(argv[1], "sys")) {
		for (long i = atol(argv[2]); i > 0; i--)
			sum += rl_mid(0, 1);
		usleep(500000);
	} else {
		return 2;
	}
	return (int)(sum & 1);
}
