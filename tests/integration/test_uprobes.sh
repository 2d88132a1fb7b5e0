#!/usr/bin/env bash
# uprobe and uretprobe sources: each call of a known function with its arguments, each
# return with its value, a string argument, libc's malloc counted as bpftrace counts it,
# and probes that cannot be attached refused by name.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
TARGET=${3:?usage: $0 RINGLUA SEQ_PRODUCER STACK_TARGET}

# 1. Calls: rl_add3(i, 2i, 3i) for i = 1..5.
run_ringlua -s "uprobe:$TARGET:rl_add3" -c "$TARGET calls 5" -e 'on_event = function(p)
  local e = ringlua.cast(p)
  io.stderr:write(string.format("call %d %d %d %s\n", tonumber(e.arg0), tonumber(e.arg1),
                                tonumber(e.arg2), ringlua.str(e.comm)))
end'
assert_eq "$RC" 0 "exit code of the uprobe"
grep '^call ' "$TMP/err" > "$TMP/calls" || true
assert_eq "$(cat "$TMP/calls")" "$(for i in 1 2 3 4 5; do echo "call $i $((2 * i)) $((3 * i)) stack_target"; done)" "each call's arguments"
pass "uprobe: 5 calls with their arguments"

# 2. Returns, and the probe index of each of two probes.
run_ringlua -s "uretprobe:$TARGET:rl_add3,uprobe:$TARGET:rl_add3" -c "$TARGET calls 3" \
  -e 'on_event = function(p) local e = ringlua.cast(p)
  io.stderr:write(string.format("probe %d ret %d\n", e.probe, tonumber(e.ret))) end'
assert_eq "$RC" 0 "exit code of the uretprobe"
assert_eq "$(grep -c '^probe 1 ret 0$' "$TMP/err")" 3 "calls seen by the second probe"
assert_eq "$(grep '^probe 0' "$TMP/err")" "$(printf 'probe 0 ret 6\nprobe 0 ret 12\nprobe 0 ret 18')" "return values"
pass "uretprobe: the return values"

# 3. A string argument.
run_ringlua -s "uprobe:$TARGET:rl_greet" --str arg0 -c "$TARGET name hello-uprobe" \
  -e 'on_event = function(p) io.stderr:write("str=", ringlua.str(ringlua.cast(p).str), "\n") end'
assert_eq "$RC" 0 "exit code with --str"
assert_contains "$TMP/err" "str=hello-uprobe" "arg0 read as a string"
pass "--str arg0"

# 4. libc's malloc, counted by ringlua and by bpftrace over the same program.
if ! command -v bpftrace > /dev/null; then
  # The one test that installs a package: bpftrace, from scripts/setup.sh's list.
  apt-get install -y bpftrace > /dev/null 2>&1 || fail "bpftrace is missing and cannot be installed"
fi
run_ringlua -s uprobe:libc:malloc -c "$TARGET mallocs 1000" \
  -e 'local n = 0 on_event = function() n = n + 1 end on_exit = function() print("n=" .. n) end'
assert_eq "$RC" 0 "exit code of uprobe:libc:malloc"
ours=$(sed -n 's/^n=//p' "$TMP/out")
theirs=$(timeout 120 bpftrace -e 'uprobe:libc:malloc /pid == cpid/ { @n = count(); }' \
           -c "$TARGET mallocs 1000" 2>/dev/null | sed -n 's/^@n: //p')
assert_between "$ours" 1000 100000 "ringlua's malloc count"
assert_eq "$ours" "$theirs" "malloc calls counted by ringlua and by bpftrace"
pass "uprobe:libc:malloc: $ours calls, as bpftrace counts"

# The command's children are probed too (the probes go on every process, the program
# keeps the traced ones): two runs of the target under a shell, each 1000 mallocs.
run_ringlua -s uprobe:libc:malloc -c "sh -c '$TARGET mallocs 1000; $TARGET mallocs 1000'" \
  -e 'local n = {} on_event = function(p) local c = ringlua.str(ringlua.cast(p).comm) n[c] = (n[c] or 0) + 1 end
      on_exit = function() print("target=" .. (n.stack_target or 0)) end'
assert_eq "$RC" 0 "exit code of uprobe:libc:malloc over a shell's children"
assert_between "$(sed -n 's/^target=//p' "$TMP/out")" $((2 * ours)) $((2 * ours)) \
  "mallocs of the command's two children"
pass "uprobe under -c: the command's children are probed"

# 5. Probes that cannot be attached.
run_ringlua -s "uprobe:$TARGET:no_such_function" -c "$TARGET calls 1" -e 'on_event = function() end'
assert_eq "$RC" 1 "exit code for a missing function"
assert_contains "$TMP/err" "has no function no_such_function" "a missing function named"
run_ringlua -s "uprobe:libnosuch:f" -e 'on_event = function() end'
assert_eq "$RC" 1 "exit code for a missing library"
assert_contains "$TMP/err" "libnosuch: no such file, library (ldconfig -p) or program" "a missing library"
run_ringlua -l "uprobe:libnosuch:f*"
assert_eq "$RC" 1 "exit code of -l for a missing library"
assert_eq "$(cat "$TMP/err")" "ringlua: -l uprobe:libnosuch:f*: libnosuch: no such file, library (ldconfig -p) or program (\$PATH)" "-l of a missing library: one line"
run_ringlua -s "uprobe:$TARGET" -e 'on_event = function() end'
assert_eq "$RC" 2 "exit code for a uprobe without a function"
assert_contains "$TMP/err" "a uprobe is uprobe:PATH:FUNCTION" "a uprobe without a function"
pass "unattachable uprobes refused"

# 6. -l lists a binary's functions as probes, and a library's by its name.
run_ringlua -l "uprobe:$TARGET:rl_*"
assert_eq "$RC" 0 "exit code of -l"
assert_eq "$(cat "$TMP/out")" "$(for f in rl_add3 rl_greet rl_leaf rl_middle rl_outer rl_stuck_walk; do echo "uprobe:$TARGET:$f"; done)" "the target's functions"
run_ringlua -l "uprobe:libc:malloc"
assert_matches "$TMP/out" '^uprobe:/.*/libc\.so\.6:malloc$' "libc's malloc, by the library's name"
run_ringlua -l "uprobe:$TARGET:no_such_*"
assert_eq "$RC" 1 "exit code of -l matching nothing"
assert_contains "$TMP/err" "no function of $TARGET matches" "-l matching nothing"
run_ringlua -lv "uretprobe:libc:malloc"
assert_eq "$RC" 0 "exit code of -lv"
assert_eq "$(sed -n '2p;/ret$/p;$p' "$TMP/out")" "$(printf '    __u64 ts_ns\n    __s64 ret\n    char str[256]')" \
  "-lv: the record's fields under the probe"
pass "-l uprobe:PATH:GLOB; -lv with the record's fields"

# A function's name is the file's to say: control characters in it are printed as \xNN,
# never as a line of their own or an escape sequence for the terminal.
printf 'int victim(int x) { return x + 1; }\n' > "$TMP/victim.c"
clang -shared -fPIC -o "$TMP/victim.so" "$TMP/victim.c"
objcopy --redefine-sym "victim=$(printf 'ev\033[31mil\nuprobe:/x:forged')" "$TMP/victim.so" "$TMP/evil.so"
run_ringlua -l "uprobe:$TMP/evil.so:ev*"
assert_eq "$RC" 0 "exit code of -l over a name with control characters"
assert_eq "$(cat "$TMP/out")" "uprobe:$TMP/evil.so:ev\x1b[31mil\x0auprobe:/x:forged" \
  "-l: control characters escaped"
pass "-l escapes control characters in a file's function names"

# Without root: sources and uprobes are listed; tracepoints, from root's tracefs, are not,
# and -l says so.
as_nobody "$(nobody_ringlua)" -l 'sys*'
assert_eq "$RC" 0 "exit code of -l as nobody"
assert_eq "$(cat "$TMP/out")" "$(printf 'syscalls\nsyscall_exit')" "the sources as nobody"
# (Unless this machine's tracefs lets others read it.)
[ ! -s "$TMP/err" ] || assert_eq "$(cat "$TMP/err")" \
  "ringlua: -l: tracepoints not listed: tracefs is readable by root only" "the note as nobody"
as_nobody "$(nobody_ringlua)" -l "uprobe:libc:malloc"
assert_eq "$RC" 0 "exit code of -l uprobe: as nobody"
assert_matches "$TMP/out" '^uprobe:/.*/libc\.so\.6:malloc$' "libc's malloc as nobody"
pass "-l as nobody: sources and uprobes, and a note for tracepoints"
