#!/usr/bin/env bash
# --bpf: the user's own BPF object (compiled on the fly from a .bpf.c and cached, or
# given compiled), its const volatile globals set from --set and from the script, every
# ring consumed with a handler each and its record type from BTF; and every bad input
# one clear line with the documented exit code.
#   test_user_bpf.sh RINGLUA SEQ_PRODUCER TWO_RINGS_OBJ
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

OBJ=${3:?usage: $0 RINGLUA SEQ_PRODUCER TWO_RINGS_OBJ}
BPF_DIR=$HERE/../bpf
export XDG_CACHE_HOME=$TMP/cache
mkdir -m 700 "$XDG_CACHE_HOME"
# Programs run from $TMP, so the tests do not depend on the checkout's permissions.
cp "$BPF_DIR/two_rings.bpf.c" "$BPF_DIR/unattachable.bpf.c" "$BPF_DIR/slow_verify.bpf.c" \
  "$SCRIPTS/two_rings.lua" "$TMP/"
cp "$OBJ" "$TMP/two_rings.bpf.o"
# The object counts only execs of a task of this name.
TRIGGER=$TMP/rl_two_rings
cp /bin/true "$TRIGGER"

# exec_trigger N: runs the trigger N times; its pids, one a line, go to $TMP/pids.
exec_trigger() {
  : > "$TMP/pids"
  for _ in $(seq "$1"); do
    "$TRIGGER" &
    echo $! >> "$TMP/pids"
    wait $!
  done
}

# run_two_rings ARGS...: ringlua ARGS (2 execs: 4 records), until it stops by --count.
run_two_rings() {
  start_ringlua --count 4 "$@"
  exec_trigger 2
  RC=0
  wait "$BG" || RC=$?
  assert_eq "$RC" 0 "exit code of ringlua $*"
}

# A .bpf.c is compiled on the fly; both rings reach their own handler, and the fields
# cast through the BTF types are those the program wrote.
run_two_rings --bpf "$TMP/two_rings.bpf.c" --set comm=rl_two_rings --set magic=0xfedcba9876543210 \
  --set tiny=-128 --set small=65535 --set offset=-2147483648 --set flag=true --set label=abcdefg \
  --set color=BLUE "$TMP/two_rings.lua"
assert_contains "$TMP/bg.err" "ringlua: compiled $TMP/two_rings.bpf.c (" "compile notice"
assert_eq "$(count_lines "alpha " "$TMP/bg.out")" 2 "records of ring alpha"
assert_eq "$(count_lines "beta " "$TMP/bg.out")" 2 "records of ring beta"
for i in 1 2; do
  pid=$(sed -n "${i}p" "$TMP/pids")
  assert_contains "$TMP/bg.out" "alpha len=32 seq=$((i - 1)) pid=$pid offset=-2147483648 comm=rl_two_rings" \
    "alpha record $i"
  assert_contains "$TMP/bg.out" \
    "beta len=32 seq=$((i - 1)) magic=18364758544493064720 tiny=-128 flag=1 small=65535 color=7 label=abcdefg" \
    "beta record $i"
done
pass "a .bpf.c compiled on the fly: two rings, two handlers, BTF types, --set of every kind"

# An unchanged file is not compiled again: the cached object is used as it is.
cached=$(ls "$XDG_CACHE_HOME"/ringlua/*.bpf.o)
assert_eq "$(echo "$cached" | wc -l)" 1 "objects in the cache"
inode=$(stat -c %i "$cached")
run_two_rings --bpf "$TMP/two_rings.bpf.c" --set comm=rl_two_rings "$TMP/two_rings.lua"
assert_eq "$(count_lines "compiled" "$TMP/bg.err")" 0 "compile notices on a cache hit"
assert_eq "$(stat -c %i "$cached")" "$inode" "the cached object, untouched"
assert_eq "$(count_lines "beta " "$TMP/bg.out")" 2 "records from the cached object"
pass "an unchanged .bpf.c is not compiled again"

# A header the .bpf.c includes is part of the key: after editing it, the object is
# compiled again (here the header declares a setting, which only the new object has).
mkdir -p "$TMP/inc"
sed 's/^#include "vmlinux.h"$/&\n#include "settings.h"/' "$TMP/two_rings.bpf.c" > "$TMP/inc/two_rings.bpf.c"
echo 'const volatile __u32 first_setting = 0;' > "$TMP/inc/settings.h"
run_two_rings --bpf "$TMP/inc/two_rings.bpf.c" --set comm=rl_two_rings --set first_setting=1 \
  "$TMP/two_rings.lua"
assert_eq "$(count_lines "compiled" "$TMP/bg.err")" 1 "compile notices, first run"
echo 'const volatile __u32 second_setting = 0;' > "$TMP/inc/settings.h"
run_two_rings --bpf "$TMP/inc/two_rings.bpf.c" --set comm=rl_two_rings --set second_setting=2 \
  "$TMP/two_rings.lua"
assert_eq "$(count_lines "compiled" "$TMP/bg.err")" 1 "compile notices after the header changed"
run_two_rings --bpf "$TMP/inc/two_rings.bpf.c" --set comm=rl_two_rings "$TMP/two_rings.lua"
assert_eq "$(count_lines "compiled" "$TMP/bg.err")" 0 "compile notices, header unchanged"
pass "editing a header the .bpf.c includes compiles it again"

# A compiled object, given as it is; the ring without a handler goes to on_event, and
# unset globals keep their defaults.
TWO_RINGS_DEFAULT=1 run_two_rings --bpf "$TMP/two_rings.bpf.o" --set comm=rl_two_rings "$TMP/two_rings.lua"
assert_eq "$(count_lines "alpha " "$TMP/bg.out")" 2 "alpha records of the .bpf.o"
assert_eq "$(count_lines "beta (on_event) " "$TMP/bg.out")" 2 "beta records through on_event"
assert_contains "$TMP/bg.out" "magic=0 tiny=0 flag=0 small=0 color=1 label=" "defaults"
pass "a .bpf.o: on_event takes the ring handlers does not name"

# The script names its object (relative to itself) and sets globals; --set wins.
cat > "$TMP/own.lua" <<LUA
local base = assert(loadfile("$TMP/two_rings.lua"))()
base.bpf = "two_rings.bpf.c"
base.globals = { comm = "rl_two_rings", magic = 42, tiny = 7, flag = true, color = "GREEN",
                 label = "script", small = 9 }
return base
LUA
run_two_rings --set small=10 "$TMP/own.lua"
assert_contains "$TMP/bg.out" "magic=42 tiny=7 flag=1 small=10 color=2 label=script" \
  "globals from the script, --set over them"
pass "bpf and globals fields of the script; --set overrides globals"

# An object the verifier takes long over (about 0.15 s) loads: no signal interrupts the
# load (the verifier gives up with EAGAIN when one is pending).
printf '%s\n' 'return { on_init = function() print("loaded") os.exit(0) end,
                      on_event = function() end }' > "$TMP/loaded.lua"
run_ringlua --bpf "$TMP/slow_verify.bpf.c" "$TMP/loaded.lua"
[ "$RC" == 0 ] || cat "$TMP/err" >&2
assert_eq "$RC" 0 "exit code with an object slow to verify"
assert_contains "$TMP/out" "loaded" "on_init after the slow load"
pass "an object slow to verify loads"

# expect CODE MESSAGE ARGS...: ringlua ARGS exits CODE; the last line of stderr is the
# one ringlua error, with MESSAGE (a compiler's messages, and the notice that it
# compiled, may come before it).
expect() {
  local code=$1 msg=$2
  shift 2
  run_ringlua "$@"
  grep '^ringlua: ' "$TMP/err" | grep -v '^ringlua: compiled ' > "$TMP/mine" || true
  if [ "$RC" != "$code" ]; then
    cat "$TMP/err" >&2
    fail "ringlua $*: exit $RC, expected $code"
  fi
  assert_eq "$(wc -l < "$TMP/mine")" 1 "ringlua's own lines of ringlua $*"
  assert_eq "$(tail -1 "$TMP/err")" "$(cat "$TMP/mine")" "ringlua's line last, of ringlua $*"
  assert_contains "$TMP/mine" "$msg" "error of ringlua $*"
  pass "ringlua $* -> $code: $(cat "$TMP/mine")"
}
# expect_left_out CODE LINE VERDICT ARGS...: ringlua ARGS leaves one program out, saying
# LINE, and ends with exit CODE, its last line VERDICT.
expect_left_out() {
  local code=$1 line=$2 verdict=$3
  shift 3
  run_ringlua "$@"
  if [ "$RC" != "$code" ]; then
    cat "$TMP/err" >&2
    fail "ringlua $*: exit $RC, expected $code"
  fi
  assert_contains "$TMP/err" "$line" "the program left out by ringlua $*"
  assert_eq "$(count_lines "left out program" "$TMP/err")" 1 "programs left out by ringlua $*"
  assert_eq "$(tail -1 "$TMP/err")" "$verdict" "the last line of ringlua $*"
  pass "ringlua $* -> $code: $line"
}
ok_obj=(--bpf "$TMP/two_rings.bpf.o")
lua=$TMP/two_rings.lua

# Bad objects.
echo "not an object" > "$TMP/text.bpf.o"
expect 1 "text.bpf.o: not an ELF file" --bpf "$TMP/text.bpf.o" "$lua"
printf 'int broken( {\n' > "$TMP/syntax.bpf.c"
expect 1 "ringlua: $TMP/syntax.bpf.c: clang failed to compile it" --bpf "$TMP/syntax.bpf.c" "$lua"
assert_contains "$TMP/err" "$TMP/syntax.bpf.c:1:" "clang's own error, naming the file"
# A header that is not there fails already when clang lists what the source includes.
printf '#include "no_such_header.h"\n' > "$TMP/missing_header.bpf.c"
expect 1 "ringlua: $TMP/missing_header.bpf.c: clang failed to compile it" \
  --bpf "$TMP/missing_header.bpf.c" "$lua"
assert_contains "$TMP/err" "'no_such_header.h' file not found" "clang's own error, naming the header"
expect 1 "cannot read BPF program $TMP/missing.bpf.o" --bpf "$TMP/missing.bpf.o" "$lua"
printf 'return { on_event = function() end }\n' > "$TMP/plain.lua"
expect_left_out 1 "unattachable.bpf.c: left out program run_by_hand (syscall): bpf_program__attach: ringlua does not know how to attach this section" \
  "ringlua: unattachable.bpf.c: no program of it attached" --bpf "$TMP/unattachable.bpf.c" "$TMP/plain.lua"
# A section that names no target (bashreadline's SEC("uretprobe")) says how to give one;
# --attach gives it: the lines bash's readline returned, read by the object's program.
cp "$BPF_DIR/readline.bpf.c" "$TMP/"
expect_left_out 1 "readline.bpf.c: left out program printret (uretprobe): bpf_program__attach: its section names no target: name one with --attach PROG=PROBE (uprobe:PATH:FUNCTION, uretprobe:PATH:FUNCTION or usdt:PATH:PROVIDER:NAME)" \
  "ringlua: readline.bpf.c: no program of it attached" --bpf "$TMP/readline.bpf.c" "$TMP/plain.lua"
run_ringlua --bpf "$TMP/readline.bpf.c" --attach printret=uretprobe:/usr/bin/bash:readline \
  -c "sh -c '(sleep 1; echo echo hello; sleep 0.3; echo exit) |
      script -qfc \"bash --norc --noprofile -i\" /dev/null > /dev/null'" \
  -e 'on_event = function(p) print(ringlua.str(ringlua.cast(p).line)) end'
assert_eq "$RC" 0 "exit code with --attach"
assert_eq "$(cat "$TMP/out")" "$(printf 'echo hello\nexit')" "the lines readline returned"
expect 2 "--attach nosuch=uretprobe:/usr/bin/bash:readline: the object has no program nosuch" \
  --bpf "$TMP/readline.bpf.c" --attach nosuch=uretprobe:/usr/bin/bash:readline "$TMP/plain.lua"
expect 2 "--attach printret=kprobe:vfs_read: PROBE is uprobe:PATH:FUNCTION, uretprobe:PATH:FUNCTION or usdt:PATH:PROVIDER:NAME" \
  --bpf "$TMP/readline.bpf.c" --attach printret=kprobe:vfs_read "$TMP/plain.lua"
expect 1 "--attach printret=uretprobe:libnosuch:readline: libnosuch: no such file, library (ldconfig -p) or program" \
  --bpf "$TMP/readline.bpf.c" --attach printret=uretprobe:libnosuch:readline "$TMP/plain.lua"
pass "--attach: a program whose section names no target, attached where the user says"

# Programs of kinds a kernel lacks say so, by name and kind: a kprobe where the kernel
# has no kprobes; an fentry program whose load the kernel refused (no trampoline).
cp "$BPF_DIR/kernel_kinds.bpf.c" "$TMP/"
if [ -e /sys/kernel/tracing/kprobe_events ]; then
  run_ringlua --bpf "$TMP/kernel_kinds.bpf.c" -c /bin/true "$TMP/plain.lua"
  assert_eq "$RC" 0 "a kprobe where the kernel has kprobes"
else
  expect_left_out 1 "kernel_kinds.bpf.c: left out program on_unlink_kprobe (kprobe/do_unlinkat): bpf_program__attach: No such file or directory: this kernel has no kprobes (tracefs has no kprobe_events)" \
    "ringlua: kernel_kinds.bpf.c: no program of it attached" --bpf "$TMP/kernel_kinds.bpf.c" "$TMP/plain.lua"
fi
clang -g -O2 -target bpf -D__TARGET_ARCH_x86 -DFENTRY -I"$(dirname "$RINGLUA")/../bpf" \
  -c "$TMP/kernel_kinds.bpf.c" -o "$TMP/fentry.bpf.o"
run_ringlua --bpf "$TMP/fentry.bpf.o" -c /bin/true "$TMP/plain.lua"
if grep -q "left out program on_unlink_entry" "$TMP/err"; then
  assert_contains "$TMP/err" "left out program on_unlink_entry (fentry/do_unlinkat): bpf_object__load: Operation not permitted: the kernel refused a program attached through a BPF trampoline (fentry, fexit, fmod_ret)" \
    "the fentry program named, with the call, the errno and the trampoline"
fi
if [ -e /sys/kernel/tracing/kprobe_events ]; then
  assert_eq "$RC" 0 "exit code of fentry and kprobe programs where kprobes are"
else
  assert_eq "$RC" 1 "exit code of fentry and kprobe programs without kprobes"
fi
pass "programs of kinds the kernel lacks: named, with what it lacks"
cp "$TMP/two_rings.bpf.o" "$TMP/gw.bpf.o"
chmod g+w "$TMP/gw.bpf.o"
expect 1 "refusing to load $TMP/gw.bpf.o: writable by group or others (--unsafe-perms overrides)" \
  --bpf "$TMP/gw.bpf.o" "$lua"

# Bad globals from the command line: exit 2.
expect 2 "--set nope=1: no global named 'nope' (in .rodata, .data or .bss) in two_rings.bpf.o" \
  "${ok_obj[@]}" --set nope=1 "$lua"
expect 2 "--set tiny=128: does not fit: expected a signed 8-bit integer (-128 to 127)" \
  "${ok_obj[@]}" --set tiny=128 "$lua"
expect 2 "--set small=-1: does not fit: expected an unsigned 16-bit integer (0 to 65535)" \
  "${ok_obj[@]}" --set small=-1 "$lua"
expect 2 "--set magic=1x: wrong type" "${ok_obj[@]}" --set magic=1x "$lua"
expect 2 "--set flag=yes: wrong type: expected true or false" "${ok_obj[@]}" --set flag=yes "$lua"
expect 2 "--set label=eightchr: does not fit: expected a string of at most 7 characters" \
  "${ok_obj[@]}" --set label=eightchr "$lua"
expect 2 "--set color=PURPLE: wrong type: expected one of enum color: RED, GREEN, BLUE" \
  "${ok_obj[@]}" --set color=PURPLE "$lua"
expect 2 "invalid value for --set: 'novalue'" "${ok_obj[@]}" --set novalue "$lua"
expect 2 "--set, --type, --attach, --only, --skip and --ring-bytes are for a BPF object of your own" --set tiny=1 "$TMP/plain.lua"
# A script for the object's rings, run without it: its handlers name no ring of the
# built-in source, which is said at start.
expect 1 ": a built-in source's or --pin's one ring is named events" "$lua"
expect 2 "--uid is for the built-in sources" "${ok_obj[@]}" --uid 0 "$lua"

# Bad globals from the script: exit 1, naming the script.
globals_script() { printf 'local b = assert(loadfile("%s"))()\nb.globals = %s\nreturn b\n' "$lua" "$2" > "$TMP/$1"; echo "$TMP/$1"; }
expect 1 "g1.lua: globals.tiny = 1000: does not fit" "${ok_obj[@]}" "$(globals_script g1.lua '{ tiny = 1000 }')"
expect 1 "g2.lua: globals.label = 5: wrong type: expected a string" "${ok_obj[@]}" "$(globals_script g2.lua '{ label = 5 }')"
expect 1 "g3.lua: globals.small = true: wrong type" "${ok_obj[@]}" "$(globals_script g3.lua '{ small = true }')"
expect 1 "g4.lua: globals.nope = 1: no global named 'nope'" "${ok_obj[@]}" "$(globals_script g4.lua '{ nope = 1 }')"

# --type picks a ring's record type by name. (The script stops itself in on_init, once it
# has printed what it sees.)
cat > "$TMP/types.lua" <<'LUA'
local types = require("ringlua").types
return { on_event = function() end,
         on_init = function() print(tostring(types.alpha), tostring(types.beta)) error("seen") end }
LUA
run_ringlua "${ok_obj[@]}" --type beta=alpha_event "$TMP/types.lua"
assert_eq "$(cat "$TMP/out")" "$(printf 'ctype<const struct alpha_event *>\tctype<const struct alpha_event *>')" \
  "types with --type beta=alpha_event"
pass "--type MAP=STRUCT names a ring's record type"

# Unknown types and rings.
expect 2 "--type alpha=nope: no struct or union 'nope' in the BTF or DWARF of two_rings.bpf.o" \
  "${ok_obj[@]}" --type alpha=nope "$lua"
expect 2 "--type gamma=alpha_event: two_rings.bpf.o has no ring buffer or perf event array map named 'gamma'" \
  "${ok_obj[@]}" --type gamma=alpha_event "$lua"
printf 'return { handlers = { gamma = function() end } }\n' > "$TMP/gamma.lua"
expect 1 "handlers.gamma: the BPF object has no ring buffer map so named" "${ok_obj[@]}" "$TMP/gamma.lua"
printf 'return { handlers = { alpha = function() end } }\n' > "$TMP/half.lua"
expect 1 "no on_event(ptr, len) handler" "${ok_obj[@]}" "$TMP/half.lua"

# trigger_until_done: runs the trigger until the background ringlua (no script to say
# when its programs are attached) reached its --count; sets RC.
trigger_until_done() {
  wait_for "ringlua to reach its --count" triggered_to_end
  RC=0
  wait "$BG" || RC=$?
}
# triggered_to_end: the background ringlua has ended; else one more trigger.
triggered_to_end() { ! kill -0 "$BG" 2> /dev/null || { "$TRIGGER"; false; }; }

# --json with the user's object: every record of both rings, decoded from the object's
# BTF, with its map name.
timeout -s KILL 60 "$RINGLUA" --json --count 4 --bpf "$TMP/two_rings.bpf.o" \
  --set comm=rl_two_rings > "$TMP/json.out" 2> "$TMP/json.err" &
BG=$!
trigger_until_done
assert_eq "$RC" 0 "exit code of --json --bpf"
assert_eq "$(wc -l < "$TMP/json.out")" 4 "records printed"
check_json "$TMP/json.out" "--json --bpf output"
assert_matches "$TMP/json.out" '^\{"map":"alpha",.*"comm":"rl_two_rings"' "an alpha record"
assert_matches "$TMP/json.out" '^\{"map":"beta",' "a beta record"
pass "--json --bpf: both rings' records as JSON, decoded from the object's BTF"

# The decoded table agrees, field by field, with the BTF-typed cast (checked above against
# what the program wrote): enums by name, char arrays as strings, 64-bit values exact.
cat > "$TMP/agree.lua" <<'LUA'
local ffi = require("ffi")
local ringlua = require("ringlua")
io.stdout:setvbuf("line")
local function check(map, fields)
  return function(p)
    local t, e = ringlua.decode(p, map), ffi.cast(ringlua.types[map], p)
    for name, kind in pairs(fields) do
      local want = kind == "str" and ringlua.str(e[name]) or kind == "enum" and
        ({ [1] = "RED", [2] = "GREEN", [7] = "BLUE" })[tonumber(e[name])] or tonumber(e[name])
      if t[name] ~= want then print(map .. " differs in " .. name) return end
    end
    print(map .. " agrees")
  end
end
return { handlers = {
  alpha = check("alpha", { seq = "num", pid = "num", offset = "num", comm = "str" }),
  beta = check("beta", { magic = "num", seq = "num", tiny = "num", flag = "num", small = "num",
                         color = "enum", label = "str" }),
} }
LUA
timeout -s KILL 60 "$RINGLUA" --count 4 --bpf "$TMP/two_rings.bpf.o" --set comm=rl_two_rings \
  --set tiny=-7 --set small=513 --set color=GREEN --set label=xyz --set flag=true \
  "$TMP/agree.lua" > "$TMP/agree.out" 2> "$TMP/agree.err" &
BG=$!
trigger_until_done
assert_eq "$RC" 0 "exit code of the agreement run"
assert_eq "$(count_lines "agrees" "$TMP/agree.out")" 4 "records whose table matches the cast"
pass "ringlua.decode and the BTF-typed cast agree on every field of both record types"
