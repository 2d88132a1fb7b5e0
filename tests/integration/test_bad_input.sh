#!/usr/bin/env bash
# Bad input: a clear one-line error and the documented exit code, never a crash.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# expect CODE MESSAGE ARGS...: ringlua ARGS exits CODE with MESSAGE on stderr, in one
# line that starts `ringlua: `.
expect() {
  local code=$1 msg=$2
  shift 2
  run_ringlua "$@"
  [ "$RC" -lt 128 ] || fail "ringlua $* crashed (exit $RC)"
  assert_eq "$RC" "$code" "exit code of ringlua $*"
  assert_contains "$TMP/err" "$msg" "error of ringlua $*"
  assert_eq "$(wc -l < "$TMP/err")" 1 "lines of the error of ringlua $*"
  assert_matches "$TMP/err" '^ringlua: ' "prefix of the error of ringlua $*"
  pass "ringlua $* -> $code: $(head -1 "$TMP/err")"
}

script() { printf '%s\n' "$2" > "$TMP/$1"; echo "$TMP/$1"; }
ok=$(script ok.lua 'return { on_event = function() end }')

expect 2 "unknown option: --bogus" --bogus "$ok"
expect 2 "missing value for option: --count" "$ok" --count
expect 2 "invalid value for --count: 'abc'" --count abc "$ok"
expect 2 "invalid value for --pid: '0'" -p 0 "$ok"
expect 2 "invalid value for --latency: '-1'" --latency -1 "$ok"
expect 2 "unknown source 'nope'" -s nope "$ok"
expect 2 "--stack-bytes takes 64 to 16384 bytes, a multiple of 64: '99999'" \
  --stack-bytes 99999 "$ok"
expect 2 "--stack-bytes takes 64 to 16384 bytes, a multiple of 64: '100'" --stack-bytes 100 "$ok"
expect 2 "invalid value for --unwind-mem: '0'" --unwind-mem 0 "$ok"
expect 2 "they do not go with --pin or --replay" --stack-bytes 4096 --pin /sys/fs/bpf/x "$ok"
# Option conflicts that argv alone decides are usage errors before anything is loaded:
# the .bpf.c does not compile, and no compiler message comes before the one line.
expect 2 "--realtime paces a replay: it goes with --replay FILE" --realtime "$ok"
expect 2 "unexpected argument '$ok': one SCRIPT only (script arguments go after --)" "$ok" "$ok"
expect 2 "unexpected argument 'x': -e gives the script" -e 'on_event = print' x
expect 2 "--uid is for the built-in sources" --bpf "$(script broken.bpf.c 'not C at all')" --uid 0 "$ok"
# An object's pid global holds one process: -p's, never the processes it starts.
expect 2 "--follow is for the built-in sources" --bpf "$TMP/broken.bpf.c" -p $$ --follow "$ok"
expect 2 "invalid value for --uid: 'no_such_user_rl'" --uid no_such_user_rl "$ok"
expect 2 "--cgroup /tmp: not in a cgroup v2 file system" --cgroup /tmp "$ok"
mkdir "$TMP/v1"
if mount -t cgroup -o none,name=ringlua_test cgroup "$TMP/v1" 2>/dev/null; then
  RC=0
  ( expect 2 "--cgroup $TMP/v1: a cgroup v1 directory; only cgroup v2 ids can be filtered" \
      --cgroup "$TMP/v1" "$ok" ) || RC=$?
  umount "$TMP/v1"
  [ "$RC" -eq 0 ] || exit "$RC"
else
  pass "a cgroup v1 hierarchy cannot be mounted here: its --cgroup message is not tested"
fi
expect 1 "cannot read script $TMP/missing.lua" "$TMP/missing.lua"
expect 1 "syntax.lua:2:" "$(script syntax.lua $'local x = 1\nlocal = 2')"
expect 1 "no on_event(ptr, len) handler" "$(script noevent.lua 'return { on_init = function() end }')"
expect 1 "toplevel.lua:1: broken at load" "$(script toplevel.lua 'error("broken at load")')"
expect 1 "init.lua:1: broken in init" \
  "$(script init.lua 'return { on_event = function() end, on_init = function() error("broken in init") end }')"
expect 1 "unknown source 'nope'" "$(script badsrc.lua 'return { source = "nope", on_event = function() end }')"
expect 1 "notfn.lua: on_event must be a function, got number" "$(script notfn.lua 'return { on_event = 42 }')"
luajit -b "$ok" "$TMP/bytecode.lua"
expect 1 "bytecode.lua: precompiled bytecode is refused" "$TMP/bytecode.lua"
expect 1 "--pin $TMP/nothing: no such pinned map" --pin "$TMP/nothing" "$ok"
expect 1 "--pin /etc/passwd: not a BPF object pinned in bpffs" --pin /etc/passwd "$ok"
expect 1 "-p 999999999: no such process" -p 999999999 "$ok"

# Scripts others could have written are refused (ringlua runs them as root).
refuse() { expect 1 "refusing to load $1: $2 (--unsafe-perms overrides)" "$1"; }
gw=$(script gw.lua 'return { on_event = function() end }')
chmod g+w "$gw"
refuse "$gw" "writable by group or others"
linked=$(script linked.lua 'return { on_event = function() end }')
ln "$linked" "$TMP/linked2.lua"
refuse "$linked" "it has more than one hard link"
theirs=$(script theirs.lua 'return { on_event = function() end }')
chown 65534 "$theirs"
refuse "$theirs" "owned by a user other than root or the invoking user"
mkdir -m 777 "$TMP/open"
cp "$ok" "$TMP/open/in_open_dir.lua"
refuse "$TMP/open/in_open_dir.lua" "a directory above it is writable by someone else"
expect 1 "cannot read script $TMP/open: not a regular file" "$TMP/open"
expect 1 "cannot read script $TMP/open: not a regular file" --unsafe-perms "$TMP/open"
pin=$(new_pin)
produce --pin "$pin" --count 1
run_ringlua --unsafe-perms --pin "$pin" --count 1 "$gw"
assert_eq "$RC" 0 "--unsafe-perms loads a group-writable script"
pass "--unsafe-perms overrides the ownership checks"

# An error in on_exit fails the run; the summary still follows it.
pin=$(new_pin)
produce --pin "$pin" --count 1
run_ringlua --pin "$pin" --count 1 \
  "$(script exit.lua 'return { on_event = function() end, on_exit = function() error("broken in exit") end }')"
assert_eq "$RC" 1 "exit code of an on_exit error"
assert_eq "$(head -1 "$TMP/err")" "ringlua: $TMP/exit.lua:1: broken in exit" "on_exit error"
assert_matches "$TMP/err" '^ringlua: 1 events, 0 errors, [0-9.]+ s$' "summary after an on_exit error"
pass "on_exit error -> 1: $(head -1 "$TMP/err")"

array=$(new_pin)
bpftool map create "$array" type array key 4 value 4 entries 1 name rl_not_ring
expect 1 "$array is not a BPF ring buffer map" --pin "$array" "$ok"

# Not root: an unprivileged user cannot use BPF. (A copy of the binary: the build tree
# may sit where that user cannot reach.)
inst=$(nobody_ringlua)
chmod 644 "$ok"
RC=0
timeout 30 setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
  "$inst" "$ok" > "$TMP/out" 2> "$TMP/err" || RC=$?
assert_eq "$RC" 1 "exit code as nobody"
assert_eq "$(cat "$TMP/err")" "ringlua: needs root (CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN) to use BPF" \
  "error as nobody"
pass "unprivileged user -> 1: $(head -1 "$TMP/err")"

# ringlua's own modules load without a check each, so where they are is checked: a copy of
# the binary outside its build tree takes no modules from where the build kept them, and
# an install whose modules someone else could have written is refused.
mkdir -m 755 "$TMP/alone"
cp "$RINGLUA" "$TMP/alone/ringlua"
run_ringlua_at() { RC=0; timeout -s KILL 60 "$@" > "$TMP/out" 2> "$TMP/err" || RC=$?; }
run_ringlua_at "$TMP/alone/ringlua" -c true -e 'on_event = function() end'
assert_eq "$RC" 1 "exit code of a copy without its modules"
assert_eq "$(cat "$TMP/err")" "ringlua: cannot find ringlua's lua/ directory" "a copy without its modules"
pass "a copy of the binary outside its build tree does not load the build's modules"
mods=$TMP/inst/share/ringlua/lua/ringlua
chmod o+w "$mods/agg.lua"
run_ringlua_at "$inst" -c true -e 'on_event = function() end'
assert_eq "$RC" 1 "exit code with a module others can write"
assert_eq "$(cat "$TMP/err")" \
  "ringlua: refusing to load ringlua's modules: $mods/agg.lua: writable by group or others (--unsafe-perms overrides)" \
  "a module others can write"
run_ringlua_at "$inst" --unsafe-perms -c true -e 'on_event = function() end'
assert_eq "$RC" 0 "exit code with --unsafe-perms"
chmod o-w "$mods/agg.lua"
mv "$mods/names.lua" "$TMP/names.lua"
ln -s "$TMP/names.lua" "$mods/names.lua"
run_ringlua_at "$inst" -c true -e 'on_event = function() end'
assert_eq "$RC" 1 "exit code with a module that is a link"
assert_contains "$TMP/err" "$mods/names.lua: not a regular file" "a module that is a link"
rm "$mods/names.lua"
mv "$TMP/names.lua" "$mods/names.lua"
chmod g+w "$mods"
run_ringlua_at "$inst" -c true -e 'on_event = function() end'
assert_eq "$RC" 1 "exit code with a modules directory the group can write"
assert_contains "$TMP/err" "$mods: writable by someone other than root or the invoking user" \
  "a modules directory the group can write"
chmod g-w "$mods"
run_ringlua_at "$inst" -c true -e 'on_event = function() end'
assert_eq "$RC" 0 "exit code of the install as it was"
pass "ringlua's own modules that someone else could have written are refused, naming one"
