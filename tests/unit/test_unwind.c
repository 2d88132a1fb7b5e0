/* The unwinder (rl_sym_unwind) on this very process: its registers and the top of its
 * stack copied as a record would carry them, in code built without frame pointers (this
 * file is), unwound from the CFI of the files it maps; a copy cut short, a malformed
 * one, a process unknown and a budget too small for one unwinder. No root, no BPF. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/types.h>

#include "check.h"
#include "kernel/bpf/stacks.h"
#include "sym/sym.h"

#define COPY_MAX RL_USTACK_BYTES_MAX /* a sanitizer's frames are large */

/* A record's user stack: its header, then room for the copy in its data[] (on the
 * heap, away from the stack it copies). */
struct copy {
	struct rl_ustack *u;
};

static struct copy new_copy(void)
{
	struct copy c = { calloc(1, sizeof(struct rl_ustack) + COPY_MAX) };

	if (!c.u)
		abort();
	return c;
}

/* Where the [stack] mapping of this process ends: the copy never reads past it. */
static uint64_t stack_end(void)
{
	char line[512];
	unsigned long long start, end = 0;
	FILE *f = fopen("/proc/self/maps", "re");

	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "[stack]") && sscanf(line, "%llx-%llx", &start, &end) == 2)
			break;
	if (f)
		fclose(f);
	return end;
}

/* Fills c as capture_ustack (src/kernel/bpf/source.bpf.h) would, here: the registers
 * a walk starts from (the others 0) and want bytes of the stack, up to its end. The copy
 * reads other frames' bytes as the kernel does, byte by byte past a sanitizer (their
 * redzones are stack too). */
__attribute__((noinline, no_sanitize_address)) static void capture(struct copy *c,
								      uint32_t want)
{
	const volatile uint8_t *stack;
	uint64_t ip, sp, bp, end;

	__asm__ volatile("lea 0(%%rip), %0\n\tmov %%rsp, %1\n\tmov %%rbp, %2"
			 : "=r"(ip), "=r"(sp), "=r"(bp));
	memset(c->u, 0, sizeof(*c->u));
	c->u->pid = c->u->tid = (uint32_t)getpid();
	c->u->regs[6] = bp;
	c->u->regs[RL_USTACK_REG_SP] = sp;
	c->u->regs[RL_USTACK_REG_IP] = ip;
	end = stack_end();
	c->u->want = want;
	c->u->size = end - sp < want ? (uint32_t)(end - sp) : want;
	stack = (const volatile uint8_t *)sp;
	for (uint32_t i = 0; i < c->u->size; i++)
		c->u->data[i] = stack[i];
}

/* Three frames above capture, none a tail call (each works after its call). */
__attribute__((noinline)) long rl_c(struct copy *c, uint32_t want)
{
	capture(c, want);
	return (long)c->u->size * 3 + 1;
}

__attribute__((noinline)) long rl_b(struct copy *c, uint32_t want)
{
	return rl_c(c, want) * 5 + 2;
}

__attribute__((noinline)) long rl_a(struct copy *c, uint32_t want)
{
	return rl_b(c, want) * 7 + 3;
}

/* Whether stats (rl_sym_stats' words) has "name=value". */
static int stat_is(struct rl_sym *s, const char *word)
{
	char buf[1024];

	rl_sym_stats(s, buf, sizeof(buf));
	return strstr(buf, word) != NULL;
}

/* The names of frames ips[0..n) in process pid, joined by ';' without offsets. */
static void frame_names(struct rl_sym *s, const uint64_t *ips, int n, char *out, size_t size)
{
	char name[256];

	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		rl_sym_user(s, (uint32_t)getpid(), ips[i], name, sizeof(name));
		name[strcspn(name, "+")] = '\0';
		if (strlen(out) + strlen(name) + 2 < size) {
			strcat(out, name);
			strcat(out, ";");
		}
	}
}

/* Not inlined into main: its frame is one the walk must find. */
__attribute__((noinline)) static void unwinds_its_own_stack(void)
{
	struct copy c = new_copy();
	struct rl_sym *s;
	uint64_t ips[RL_STACK_MAX];
	char names[4096];
	int cut = -1, n;

	CHECK(rl_sym_open(&s) == 0);
	rl_a(&c, COPY_MAX);
	n = rl_sym_unwind(s, c.u, sizeof(*c.u) + c.u->size, ips, RL_STACK_MAX, &cut);
	frame_names(s, ips, n, names, sizeof(names));
	rl_sym_close(s);
	printf("  %d frames: %s\n", n, names);
	CHECK(strstr(names, "capture;rl_c;rl_b;rl_a;unwinds_its_own_stack;main;") == names);
	CHECK(strlen(names) > 7 && !strcmp(names + strlen(names) - 7, "_start;"));
	CHECK(cut == 0);
	free(c.u);
}

static void a_short_copy_is_cut(void)
{
	struct copy c = new_copy();
	struct rl_sym *s;
	uint64_t ips[RL_STACK_MAX];
	int cut = 0, n;

	CHECK(rl_sym_open(&s) == 0);
	rl_a(&c, 64); /* all of it copied as asked, and far from the stack's top */
	n = rl_sym_unwind(s, c.u, sizeof(*c.u) + c.u->size, ips, RL_STACK_MAX, &cut);
	CHECK(n >= 1 && n < 5);
	CHECK(cut == 1);
	CHECK(stat_is(s, "unwind_cut_copy=1 "));
	rl_sym_close(s);
	free(c.u);
}

static void a_malformed_copy_is_refused(void)
{
	struct copy c = new_copy();
	struct rl_sym *s;
	uint64_t ips[4];
	int cut;

	CHECK(rl_sym_open(&s) == 0);
	rl_a(&c, 256);
	CHECK(rl_sym_unwind(s, c.u, sizeof(*c.u) - 1, ips, 4, &cut) == -EINVAL);
	CHECK(rl_sym_unwind(s, c.u, sizeof(*c.u) + c.u->size - 1, ips, 4, &cut) == -EINVAL);
	CHECK(rl_sym_unwind(s, c.u, sizeof(*c.u) + c.u->size, ips, 0, &cut) == -EINVAL);
	CHECK(stat_is(s, "unwinds=0 "));
	rl_sym_close(s);
	free(c.u);
}

static void an_unknown_process_gives_where_it_was(void)
{
	struct copy c = new_copy();
	struct rl_sym *s;
	uint64_t ips[4];
	int cut = 0;

	CHECK(rl_sym_open(&s) == 0);
	rl_a(&c, 256);
	c.u->pid = c.u->tid = 0x7ffffff0; /* above pid_max's limit: no such process */
	CHECK(rl_sym_unwind(s, c.u, sizeof(*c.u) + c.u->size, ips, 4, &cut) == 1);
	CHECK(ips[0] == c.u->regs[RL_USTACK_REG_IP]);
	CHECK(cut == 1);
	rl_sym_close(s);
	free(c.u);
}

static void an_unwinder_over_budget_is_not_kept(void)
{
	struct copy c = new_copy();
	struct rl_sym *s;
	uint64_t ips[RL_STACK_MAX];
	int cut = 0;

	CHECK(rl_sym_open(&s) == 0);
	rl_sym_set_unwind_mem(s, 1);
	rl_a(&c, COPY_MAX);
	CHECK(rl_sym_unwind(s, c.u, sizeof(*c.u) + c.u->size, ips, RL_STACK_MAX, &cut) == 1);
	CHECK(cut == 1);
	CHECK(stat_is(s, "unwind_bytes=0 "));
	CHECK(stat_is(s, "unwinders_closed=1 "));
	rl_sym_close(s);
	free(c.u);
}

int main(void)
{
	RUN(unwinds_its_own_stack);
	RUN(a_short_copy_is_cut);
	RUN(a_malformed_copy_is_refused);
	RUN(an_unknown_process_gives_where_it_was);
	RUN(an_unwinder_over_budget_is_not_kept);
	return check_summary();
}
