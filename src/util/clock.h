/* The one clock ringlua measures with: CLOCK_MONOTONIC, the clock bpf_ktime_get_ns()
 * reads too, so times taken here and in BPF programs compare directly. */
#ifndef RINGLUA_CLOCK_H
#define RINGLUA_CLOCK_H

#include <stdint.h>

/* Now, in nanoseconds, microseconds and milliseconds. */
uint64_t rl_now_ns(void);
uint64_t rl_now_us(void);
uint64_t rl_now_ms(void);

#endif
