#!/usr/bin/env bash
# --bpf FILE.bpf.c: the headers it includes by quoted name come from beside it (then from
# ringlua's own include directory), never from the working directory, where another user
# may have planted one; and every header the compile reads passes the rule scripts pass
# (root's or the invoking user's, not writable by group or others), refused in one line.
#   test_bpf_include.sh RINGLUA SEQ_PRODUCER
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

export XDG_CACHE_HOME=$TMP/cache
mkdir -m 700 "$XDG_CACHE_HOME"
SRC=$TMP/src
mkdir -m 755 "$SRC"

# A program with its own header beside it, as published programs keep their event type.
cp "$HERE/../bpf/probe.bpf.c" "$HERE/../bpf/probe.h" "$SRC/"
chmod 644 "$SRC/probe.h" "$SRC/probe.bpf.c"
printf '%s\n' 'return { on_init = function() print("loaded") os.exit(0) end,
                      on_event = function() end }' > "$TMP/loaded.lua"

# A working directory everybody may write into (sticky, like /tmp), where nobody has
# planted headers of the names the program includes.
WORK=$TMP/work
mkdir "$WORK"
chmod 1777 "$WORK"
for h in probe.h vmlinux.h; do
  setpriv --reuid=65534 --regid=65534 --clear-groups \
    sh -c "echo '#error planted $h used' > '$WORK/$h'"
done
[ "$(stat -c %u "$WORK/probe.h")" == 65534 ] || fail "nobody could not plant a header"

# run_in DIR ARGS...: ringlua ARGS with DIR as its working directory.
run_in() {
  local dir=$1
  shift
  RC=0
  (cd "$dir" && timeout -s KILL 60 "$RINGLUA" "$@") > "$TMP/out" 2> "$TMP/err" || RC=$?
}

run_in "$WORK" --bpf "$SRC/probe.bpf.c" "$TMP/loaded.lua"
grep -q planted "$TMP/err" && { cat "$TMP/err" >&2; fail "a header planted in the working directory was compiled"; }
[ "$RC" == 0 ] || cat "$TMP/err" >&2
assert_eq "$RC" 0 "exit code, headers planted in the working directory"
assert_contains "$TMP/out" "loaded" "the program, loaded"
pass "headers planted in the working directory are not used; the source's own header is"

# A header beside the source that group or others could write is refused, naming it.
chmod 666 "$SRC/probe.h"
run_in "$WORK" --bpf "$SRC/probe.bpf.c" "$TMP/loaded.lua"
assert_eq "$RC" 1 "exit code, a header others can write"
assert_contains "$TMP/err" \
  "ringlua: refusing to compile $SRC/probe.bpf.c: it includes $SRC/probe.h: writable by group or others (--unsafe-perms overrides)" \
  "the refusal"
assert_eq "$(grep -c '^ringlua: ' "$TMP/err")" 1 "ringlua's lines about the refused header"
grep -q loaded "$TMP/out" && fail "the program was loaded with a header others can write"
pass "a header beside the source that others can write is refused"

run_in "$WORK" --unsafe-perms --bpf "$SRC/probe.bpf.c" "$TMP/loaded.lua"
assert_eq "$RC" 0 "exit code, --unsafe-perms"
pass "--unsafe-perms takes the header all the same"

# A header of another user's is refused too, even when only they can write it.
chmod 644 "$SRC/probe.h"
chown 65534 "$SRC/probe.h"
run_in "$WORK" --bpf "$SRC/probe.bpf.c" "$TMP/loaded.lua"
assert_eq "$RC" 1 "exit code, another user's header"
assert_contains "$TMP/err" "it includes $SRC/probe.h: owned by a user other than root or the invoking user" \
  "the refusal of another user's header"
chown 0 "$SRC/probe.h"
pass "a header beside the source that another user owns is refused"

# The same source compiled from its own directory still finds its header.
run_in "$SRC" --bpf probe.bpf.c "$TMP/loaded.lua"
assert_eq "$RC" 0 "exit code, run from the source's directory"
pass "a source with its own header beside it compiles"

# The compiler runs with an environment of ringlua's, not the caller's: CPATH, C_INCLUDE_PATH
# and CCC_OVERRIDE_OPTIONS a user's environment leaks into root's (sudo -E) would add
# headers and flags, and PATH another clang or pahole. A source that fails if any did:
{ printf '#ifdef PLANTED_BY_ENV\n#error a flag from the environment was used\n#endif\n'
  printf '#include <planted_by_env.h>\n'; cat "$SRC/probe.bpf.c"; } > "$SRC/env.bpf.c"
mkdir -m 755 "$TMP/envinc" "$TMP/envbin"
echo '#error a header from the environment was used' > "$TMP/envinc/planted_by_env.h"
echo '/* ringlua'"'"'s own, if any, would be here */' > "$SRC/planted_by_env.h"
printf '#!/bin/sh\ntouch %s/tool_from_path\nexit 1\n' "$TMP" > "$TMP/envbin/clang"
cp "$TMP/envbin/clang" "$TMP/envbin/pahole"
chmod 755 "$TMP/envbin/clang" "$TMP/envbin/pahole"
chmod 644 "$SRC/env.bpf.c" "$SRC/planted_by_env.h"
RC=0
(cd "$SRC" && CCC_OVERRIDE_OPTIONS='+-DPLANTED_BY_ENV' CPATH=$TMP/envinc C_INCLUDE_PATH=$TMP/envinc \
  PATH=$TMP/envbin:$PATH timeout -s KILL 60 "$RINGLUA" --bpf env.bpf.c "$TMP/loaded.lua") \
  > "$TMP/out" 2> "$TMP/err" || RC=$?
grep -q "from the environment" "$TMP/err" && { cat "$TMP/err" >&2; fail "the compile took a header or a flag from the environment"; }
[ ! -e "$TMP/tool_from_path" ] || fail "a program from the caller's PATH was run"
assert_eq "$RC" 0 "exit code with CPATH, C_INCLUDE_PATH, CCC_OVERRIDE_OPTIONS and PATH planted"
assert_contains "$TMP/out" "loaded" "the program, loaded"
pass "the compiler takes no header, flag or program from the caller's environment"

# Compiled as the tools' Makefiles compile them: libbpf's <bpf/usdt.bpf.h> (whose
# <asm/errno.h> is in Debian's multiarch directory), BPF_URETPROBE and bpf_ksym_exists
# (newer libbpf's, given where the installed one lacks them), and a vmlinux.h beside the
# source before ringlua's.
mkdir -m 755 "$TMP/tools"
cat > "$TMP/tools/tool.bpf.c" <<'BPF'
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>
#ifndef VMLINUX_BESIDE_THE_SOURCE
#error ringlua's vmlinux.h was used, not the one beside the source
#endif
extern int no_such_kernel_symbol __ksym __weak;
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 4096); } events SEC(".maps");
struct event { int has_symbol; };
SEC("tp/syscalls/sys_enter_getppid")
int on_getppid(void *ctx)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e)
		return 0;
	e->has_symbol = bpf_ksym_exists(&no_such_kernel_symbol);
	bpf_ringbuf_submit(e, 0);
	return 0;
}
SEC("uretprobe/libc.so.6:getppid")
int BPF_URETPROBE(true_returns, int ret)
{
	return 0;
}
char LICENSE[] SEC("license") = "GPL";
BPF
{ echo '#define VMLINUX_BESIDE_THE_SOURCE 1'; cat "$(dirname "$RINGLUA")/../bpf/vmlinux.h"; } > "$TMP/tools/vmlinux.h"
chmod 644 "$TMP/tools/tool.bpf.c" "$TMP/tools/vmlinux.h"
run_in "$TMP/tools" --bpf tool.bpf.c -c "perl -e 'syscall(110)'" \
  -e 'on_event = function(p) print("has_symbol", ringlua.cast(p).has_symbol) end'
assert_eq "$RC" 0 "exit code of a tool-style source"
assert_contains "$TMP/out" "has_symbol	0" "bpf_ksym_exists of a symbol the kernel lacks"
pass "usdt.bpf.h, BPF_URETPROBE, bpf_ksym_exists and a vmlinux.h beside the source"

# A kfunc the source calls without declaring it, as sources written against a newer
# bpftool's vmlinux.h do (libbpf-tools' sigsnoop): ringlua's vmlinux.h declares the
# kernel's kfuncs (cmake/kfunc_protos.c), weak, so bpf_ksym_exists can test for them.
mkdir -m 755 "$TMP/kfunc"
cat > "$TMP/kfunc/kfunc.bpf.c" <<'BPF'
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 4096); } events SEC(".maps");
struct event { int found; char comm[16]; };
SEC("tp/syscalls/sys_enter_getppid")
int on_getppid(void *ctx)
{
	struct event *e;
	struct task_struct *task;

	if (!bpf_ksym_exists(bpf_task_from_pid))
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	/* This process's task, found by its pid, read and released. */
	task = bpf_task_from_pid(bpf_get_current_pid_tgid() >> 32);
	e->found = task != NULL;
	if (task) {
		bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), task->comm);
		bpf_task_release(task);
	}
	bpf_ringbuf_submit(e, 0);
	return 0;
}
char LICENSE[] SEC("license") = "GPL";
BPF
chmod 644 "$TMP/kfunc/kfunc.bpf.c"
run_in "$TMP/kfunc" --bpf kfunc.bpf.c -c "perl -e 'syscall(110)'" \
  -e 'on_event = function(p) local e = ringlua.cast(p) print("found", e.found, ringlua.str(e.comm)) end'
[ "$RC" == 0 ] || cat "$TMP/err" >&2
assert_eq "$RC" 0 "exit code of a source that calls kfuncs it does not declare"
assert_contains "$TMP/out" "found	1	perl" "bpf_task_from_pid's task of the calling process"
pass "kfuncs declared by ringlua's vmlinux.h: bpf_task_from_pid, bpf_task_release"
