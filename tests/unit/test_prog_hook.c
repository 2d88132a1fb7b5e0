/* The rule that makes programs alternatives: the hook their section names, and the
 * order of kinds among them. */
#include <string.h>

#include "check.h"
#include "kernel/prog_hook.h"

/* Whether sections a and b name the same hook. */
static int same_hook(const char *a, const char *b)
{
	char ka[128], kb[128];

	return rl_prog_hook(a, ka, sizeof(ka)) >= 0 && rl_prog_hook(b, kb, sizeof(kb)) >= 0 &&
	       !strcmp(ka, kb);
}

static void a_function_entry_through_fentry_or_kprobe_is_one_hook(void)
{
	char key[128];

	CHECK(rl_prog_hook("fentry/do_unlinkat", key, sizeof(key)) == 0);
	CHECK(!strcmp(key, "entry:do_unlinkat"));
	CHECK(rl_prog_hook("kprobe/do_unlinkat", key, sizeof(key)) == 5);
	CHECK(same_hook("fentry.s/do_unlinkat", "kprobe/do_unlinkat"));
	CHECK(same_hook("fexit/vfs_read", "kretprobe/vfs_read"));
	CHECK(!same_hook("fentry/vfs_read", "fexit/vfs_read"));
	CHECK(!same_hook("fentry/vfs_read", "kprobe/vfs_write"));
}

static void a_tracepoint_through_any_kind_is_one_hook(void)
{
	char key[128];

	CHECK(rl_prog_hook("tp_btf/sched_switch", key, sizeof(key)) == 1);
	CHECK(!strcmp(key, "event:sched_switch"));
	CHECK(rl_prog_hook("raw_tp/sched_switch", key, sizeof(key)) == 2);
	CHECK(rl_prog_hook("tracepoint/sched/sched_switch", key, sizeof(key)) == 3);
	CHECK(!strcmp(key, "event:sched_switch"));
	CHECK(same_hook("raw_tracepoint/sched_switch", "tp/sched/sched_switch"));
	CHECK(same_hook("raw_tp.w/sched_switch", "tp_btf/sched_switch"));
	CHECK(!same_hook("raw_tp/sys_enter", "tracepoint/syscalls/sys_enter_kill"));
}

static void a_system_call_by_name_is_its_tracepoint(void)
{
	char key[128];

	CHECK(rl_prog_hook("ksyscall/kill", key, sizeof(key)) == 4);
	CHECK(!strcmp(key, "event:sys_enter_kill"));
	CHECK(same_hook("kretsyscall/kill", "tracepoint/syscalls/sys_exit_kill"));
}

static void sections_of_no_such_hook_have_none(void)
{
	char key[8] = "x";

	CHECK(rl_prog_hook("uprobe/bin/bash:readline", key, sizeof(key)) == -1 && !key[0]);
	CHECK(rl_prog_hook("kprobe/vfs_read+0x10", key, sizeof(key)) == -1);
	CHECK(rl_prog_hook("kprobe.multi/vfs_*", key, sizeof(key)) == -1);
	CHECK(rl_prog_hook("tracepoint", key, sizeof(key)) == -1);
	CHECK(rl_prog_hook("tp/syscalls", key, sizeof(key)) == -1);
	CHECK(rl_prog_hook("fentry/", key, sizeof(key)) == -1);
	CHECK(rl_prog_hook("perf_event", key, sizeof(key)) == -1);
	CHECK(rl_prog_hook("tp_btf/a_tracepoint_too_long_for_key", key, sizeof(key)) == -1);
	CHECK(!key[0]);
}

static void a_kind_is_a_whole_word(void)
{
	static const char *const kinds[] = { "kprobe" };

	CHECK(rl_section_kind("kprobe/x", kinds, 1));
	CHECK(rl_section_kind("kprobe.multi/x", kinds, 1));
	CHECK(rl_section_kind("kprobe", kinds, 1));
	CHECK(!rl_section_kind("kprobes/x", kinds, 1));
}

int main(void)
{
	RUN(a_function_entry_through_fentry_or_kprobe_is_one_hook);
	RUN(a_tracepoint_through_any_kind_is_one_hook);
	RUN(a_system_call_by_name_is_its_tracepoint);
	RUN(sections_of_no_such_hook_have_none);
	RUN(a_kind_is_a_whole_word);
	return check_summary();
}
