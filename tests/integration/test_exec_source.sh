#!/usr/bin/env bash
# The exec source delivers the exec of a program started by the test, with its fields.
. "$(dirname "$0")/lib.sh"

probe=$TMP/rl_exec_probe_$$
cp /bin/true "$probe"
start_ringlua "$SCRIPTS/exec_fields.lua"
"$probe" & child=$!
wait "$child"
sleep 0.3
stop_ringlua
assert_eq "$RC" 0 "exit code after SIGINT"
line=$(grep "filename=$probe " "$TMP/bg.out") || fail "no exec event for $probe"
assert_eq "$(echo "$line" | grep -c "pid=$child ppid=$$ uid=0 ")" 1 "pid, ppid, uid of $line"
assert_eq "$(echo "$line" | grep -c "comm=$(basename "$probe" | cut -c1-15) ")" 1 "comm of $line"
assert_contains "$TMP/bg.err" "events, 0 errors, 0 dropped" "summary"
pass "exec event has pid, ppid, uid, comm and filename"

# The built-in default (no script) prints a header and a line per exec.
start_default() {
  timeout -s KILL 30 "$RINGLUA" > "$TMP/bg.out" 2> "$TMP/bg.err" & BG=$!
  for _ in $(seq 100); do grep -q FILENAME "$TMP/bg.out" 2>/dev/null && return; sleep 0.05; done
  fail "default script printed no header"
}
start_default
sleep 0.2
"$probe"
sleep 0.3
stop_ringlua TERM
assert_eq "$RC" 0 "exit code after SIGTERM"
assert_contains "$TMP/bg.out" "$probe" "default output"
pass "no script runs the built-in execsnoop"
