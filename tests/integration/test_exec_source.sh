#!/usr/bin/env bash
# The exec source delivers the exec of a program started by the test, with its fields.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

probe=$TMP/rl_exec_probe_$$
comm=$(basename "$probe" | cut -c1-15) # the kernel keeps 15 characters and a NUL
cp /bin/true "$probe"
start_ringlua "$SCRIPTS/exec_fields.lua"
"$probe" & child=$!
wait "$child"
stop_ringlua # at once: the event is in the ring, and ringlua drains it before exiting
assert_eq "$RC" 0 "exit code after SIGINT"
line=$(grep "filename=$probe " "$TMP/bg.out") || fail "no exec event for $probe"
# len: sizeof(struct exec_event), 8 + 4 * 4 + 16 + 256.
assert_eq "$line" "pid=$child ppid=$$ uid=0 comm=$comm filename=$probe len=296" "exec event"
assert_contains "$TMP/bg.out" "READY source=exec" "ringlua.source in on_init"
assert_matches "$TMP/bg.err" '^ringlua: [0-9]+ events, 0 errors, 0 dropped, [0-9.]+ s$' "summary"
pass "exec event has pid, ppid, uid, comm and filename"

# The built-in default (no script) prints a header and a line per exec.
start_ringlua_until FILENAME
"$probe" & child=$!
wait "$child"
stop_ringlua TERM
assert_eq "$RC" 0 "exit code after SIGTERM"
assert_matches "$TMP/bg.out" '^PID +PPID +UID +COMM +FILENAME$' "default header"
assert_matches "$TMP/bg.out" "^$child +$$ +0 +$comm +$probe\$" "default line"
pass "no script runs the built-in execsnoop"
