/* C++ names demangled as people read them, and names from a file someone else built
 * (too long, malformed, nested deep) shown as they are, never a crash or a hang. */
#include "check.h"
#include "sym/demangle.h"

#include <stdlib.h>
#include <string.h>

static void test_names_demangled(void)
{
	char buf[256];

	CHECK(rl_demangle("_ZN2ns6Worker4spinEi", buf, sizeof(buf)) == 21);
	CHECK(!strcmp(buf, "ns::Worker::spin(int)"));
	CHECK(rl_demangle("_ZN11ringlua_cpp4spinIiEET_S1_i", buf, sizeof(buf)) > 0);
	CHECK(!strcmp(buf, "int ringlua_cpp::spin<int>(int, int)"));
}

static void test_other_names_left(void)
{
	char buf[64] = "untouched";

	CHECK(rl_demangle("main", buf, sizeof(buf)) == -1);
	CHECK(rl_demangle("_Z", buf, sizeof(buf)) == -1);
	CHECK(rl_demangle("_ZZZZ_not_a_name", buf, sizeof(buf)) == -1);
	CHECK(rl_demangle("", buf, sizeof(buf)) == -1);
	CHECK(!strcmp(buf, "untouched"));
}

static void test_cut_to_the_buffer(void)
{
	char buf[8];

	CHECK(rl_demangle("_ZN2ns6Worker4spinEi", buf, sizeof(buf)) == 7);
	CHECK(!strcmp(buf, "ns::Wor"));
}

/* A name at the length bound is not demangled; one nested deep ends in bounded work. */
static void test_hostile_names(void)
{
	size_t n = RL_DEMANGLE_INPUT_MAX;
	char *name = malloc(n + 1), buf[64];

	CHECK(name);
	memset(name, 'A', n);
	memcpy(name, "_ZN", 3);
	name[n] = '\0';
	CHECK(rl_demangle(name, buf, sizeof(buf)) == -1);
	/* Pointer to pointer to ... to int, 600 deep: within the bound, the demangler's own
	 * recursion limit or its result, but no crash. */
	strcpy(name, "_Z1fP");
	for (size_t i = 5; i < 600; i++)
		name[i] = 'P';
	strcpy(name + 600, "i");
	(void)rl_demangle(name, buf, sizeof(buf));
	free(name);
}

int main(void)
{
	RUN(test_names_demangled);
	RUN(test_other_names_left);
	RUN(test_cut_to_the_buffer);
	RUN(test_hostile_names);
	return check_summary();
}
