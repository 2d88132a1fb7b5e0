/* kfunc_protos BTF_FILE: prints, for the end of vmlinux.h, an extern declaration of
 * every kernel function the BTF tags as a kfunc (a DECL_TAG "bpf_kfunc" on a FUNC):
 * `extern struct task_struct *bpf_task_from_pid(s32 pid) __weak __ksym;`.
 *
 * Why: programs written against a newer bpftool's vmlinux.h call kfuncs without
 * declaring them (libbpf-tools' sigsnoop calls bpf_task_from_pid behind
 * bpf_ksym_exists), and Debian's bpftool writes no such declarations. Weak, so that a
 * program loads on a kernel without the function and can test for it. A program that
 * declares its kfuncs itself defines BPF_NO_KFUNC_PROTOTYPES before vmlinux.h, as with
 * a newer bpftool's. Exits 0, or 1 with a line on stderr. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <bpf/btf.h>

#define KFUNC_TAG "bpf_kfunc"

static void print(void *ctx, const char *fmt, va_list args)
{
	vfprintf(ctx, fmt, args);
}

/* The declaration of kfunc f, of prototype proto. */
static int declare(struct btf_dump *d, const struct btf *btf, const struct btf_type *f)
{
	const struct btf_type *proto = btf__type_by_id(btf, f->type);
	const char *name = btf__name_by_offset(btf, f->name_off);
	char no_params[256];
	LIBBPF_OPTS(btf_dump_emit_type_decl_opts, opts, .field_name = name);
	uint32_t id = f->type;

	if (!proto || !btf_is_func_proto(proto) || !name)
		return -EINVAL;
	/* libbpf writes an empty list as `()`, which C reads as unknown parameters. */
	if (!btf_vlen(proto)) {
		snprintf(no_params, sizeof(no_params), "%s(void)", name);
		opts.field_name = no_params;
		id = proto->type;
	}
	printf("extern ");
	if (btf_dump__emit_type_decl(d, id, &opts))
		return -EINVAL;
	printf(" __weak __ksym;\n");
	return 0;
}

int main(int argc, char **argv)
{
	struct btf *btf = argc == 2 ? btf__parse(argv[1], NULL) : NULL;
	int err = btf ? 0 : argc == 2 ? -errno : -EINVAL;
	struct btf_dump *d = btf ? btf_dump__new(btf, print, stdout, NULL) : NULL;

	if (!err && !d)
		err = -errno;

	/* The macros as libbpf's bpf_helpers.h spells them: a second definition of the
	 * same text is no error, whichever header comes first. */
	printf("\n#ifndef BPF_NO_KFUNC_PROTOTYPES\n"
	       "#ifndef __ksym\n#define __ksym __attribute__((section(\".ksyms\")))\n#endif\n"
	       "#ifndef __weak\n#define __weak __attribute__((weak))\n#endif\n");
	for (uint32_t i = 1; !err && i < btf__type_cnt(btf); i++) {
		const struct btf_type *t = btf__type_by_id(btf, i);
		const struct btf_type *f = btf_is_decl_tag(t) ? btf__type_by_id(btf, t->type) : NULL;

		if (f && btf_is_func(f) && btf_decl_tag(t)->component_idx == -1 &&
		    !strcmp(btf__name_by_offset(btf, t->name_off), KFUNC_TAG))
			err = declare(d, btf, f);
	}
	printf("#endif /* BPF_NO_KFUNC_PROTOTYPES */\n");
	if (err)
		fprintf(stderr, "kfunc_protos: %s: %s\n", argc == 2 ? argv[1] : "usage: BTF_FILE",
			strerror(-err));
	btf_dump__free(d);
	btf__free(btf);
	return err ? 1 : 0;
}
