/* The program the stack and uprobe tests trace: functions with known names, callers and
 * arguments, built with frame pointers and without inlining so that user stacks walk
 * through each of them.
 *   stack_target spin SECONDS    outer -> middle -> leaf, busy for SECONDS
 *   stack_target calls N         rl_add3(i, 2*i, 3*i) N times; prints the sums
 *   stack_target mallocs N       N malloc(1000 + i) calls
 *   stack_target name STRING     rl_greet(STRING) once
 *   stack_target stuck SECONDS   busy where a frame-pointer walk repeats one frame */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

__attribute__((noinline)) long rl_leaf(long n)
{
	volatile long x = 0;

	for (long i = 0; i < n; i++)
		x += i;
	return x;
}

__attribute__((noinline)) long rl_middle(long n)
{
	return rl_leaf(n) + 1;
}

__attribute__((noinline)) long rl_outer(long n)
{
	return rl_middle(n) + 1;
}

__attribute__((noinline)) long rl_add3(long a, long b, long c)
{
	return a + b + c;
}

__attribute__((noinline)) size_t rl_greet(const char *name)
{
	return strlen(name);
}

/* Spins n rounds with its frame pointer on a frame that names itself as its caller's,
 * as code without frame pointers (a JIT's) can leave it: a walk by frame pointers from
 * here repeats one frame until its limit. The real frame pointer is back on return. */
__attribute__((noinline)) void rl_stuck_walk(long n)
{
	volatile unsigned long frame[2];

	frame[0] = (unsigned long)frame;		/* the caller's frame: itself */
	frame[1] = (unsigned long)rl_greet + 1;		/* a return address in rl_greet */
	__asm__ volatile("push %%rbp\n\t"
			 "mov %[frame], %%rbp\n"
			 "1:\n\t"
			 "dec %[n]\n\t"
			 "jnz 1b\n\t"
			 "pop %%rbp"
			 : [n] "+r"(n)
			 : [frame] "r"(frame)
			 : "memory", "cc");
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long n = argc > 2 ? atol(argv[2]) : 0;
	long sum = 0;

	if (argc < 3)
		return 2;
	if (!strcmp(argv[1], "spin")) {
		double end = now() + atof(argv[2]);

		while (now() < end)
			sum += rl_outer(1000000);
	} else if (!strcmp(argv[1], "calls")) {
		for (long i = 1; i <= n; i++)
			printf("%ld\n", rl_add3(i, 2 * i, 3 * i));
	} else if (!strcmp(argv[1], "mallocs")) {
		for (long i = 0; i < n; i++) {
			void *volatile p = malloc(1000 + (size_t)i);

			free(p);
		}
	} else if (!strcmp(argv[1], "stuck")) {
		double end = now() + atof(argv[2]);

		while (now() < end)
			rl_stuck_walk(10000000);
	} else if (!strcmp(argv[1], "name")) {
		sum = (long)rl_greet(argv[2]);
	}
	return sum < 0;
}
