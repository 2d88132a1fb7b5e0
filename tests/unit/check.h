/* A minimal test harness: CHECK fails the current test and returns from it; RUN runs a
 * test and tallies it; the last line printed is "N passed, N failed". */
#ifndef RINGLUA_CHECK_H
#define RINGLUA_CHECK_H

#include <stdio.h>

static int check_failed, tests_passed, tests_failed;

#define CHECK(cond)                                                                   \
	do {                                                                          \
		if (!(cond)) {                                                        \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, \
				#cond);                                               \
			check_failed = 1;                                             \
			return;                                                       \
		}                                                                     \
	} while (0)

#define RUN(test)                                                                     \
	do {                                                                          \
		check_failed = 0;                                                     \
		test();                                                               \
		if (check_failed)                                                     \
			tests_failed++;                                               \
		else                                                                  \
			tests_passed++;                                               \
		printf("%s %s\n", check_failed ? "FAIL" : "ok  ", #test);           \
	} while (0)

static inline int check_summary(void)
{
	printf("%d passed, %d failed\n", tests_passed, tests_failed);
	return tests_failed ? 1 : 0;
}

#endif
