/* -c's command split as a shell would: commands that do not split are refused with
 * -EINVAL, whatever the stack held before (wordexp leaves its result untouched on most
 * errors); one that splits is forked, held, and ended without running. */
#include "check.h"
#include "app/child.h"

#include <errno.h>
#include <sys/wait.h>

/* Leaves garbage where the next call's locals will be. */
static void __attribute__((noinline)) soil_stack(void)
{
	volatile unsigned char junk[4096];

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = 0xa5;
}

static void test_commands_that_do_not_split(void)
{
	static const char *const bad[] = { "ls $(id)", "ls `id`", "ls \"open", "ls ;",
					   "", "ls | x", "ls $((1+" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rl_child c;

		soil_stack();
		CHECK(rl_child_spawn(&c, bad[i]) == -EINVAL);
		CHECK(c.pid == 0);
		rl_child_end(&c);
	}
}

static void test_a_command_held_and_ended(void)
{
	struct rl_child c;

	soil_stack();
	CHECK(rl_child_spawn(&c, "/bin/echo 'two words' \"and more\"") == 0);
	pid_t pid = c.pid;

	CHECK(pid > 0);
	rl_child_end(&c);
	CHECK(c.pid == 0);
	CHECK(waitpid(pid, NULL, WNOHANG) < 0 && errno == ECHILD); /* reaped */
}

int main(void)
{
	RUN(test_commands_that_do_not_split);
	RUN(test_a_command_held_and_ended);
	return check_summary();
}
