#include "util/clock.h"

#include <time.h>

uint64_t rl_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t rl_now_us(void)
{
	return rl_now_ns() / 1000;
}

uint64_t rl_now_ms(void)
{
	return rl_now_ns() / 1000000;
}
