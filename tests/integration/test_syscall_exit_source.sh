#!/usr/bin/env bash
# The syscall_exit source reports a helper's system calls with their results: a write of
# 777 bytes returns 777, a close of fd -1 returns -EBADF; each with its latency.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
ACTIVITY=${3:?usage: $0 RINGLUA SEQ_PRODUCER RL_ACTIVITY}

start_ringlua "$SCRIPTS/syscall_exit_fields.lua" -- rl_activity
"$ACTIVITY" syscall > "$TMP/expected" || fail "rl_activity syscall failed"
stop_ringlua
assert_eq "$RC" 0 "exit code after SIGINT"
assert_contains "$TMP/bg.out" "READY source=syscall_exit" "ringlua.source in on_init"
assert_matches "$TMP/expected" " ret=777 comm=rl_activity\$" "the helper's write"
assert_matches "$TMP/expected" " ret=-9 comm=rl_activity\$" "the helper's failed close"
while read -r expected; do
  grep -F -- "$expected latency_ns=" "$TMP/bg.out" > "$TMP/line" ||
    { cat "$TMP/bg.out" >&2; fail "no event '$expected'"; }
  latency=$(sed 's/.*latency_ns=//' "$TMP/line")
  assert_between "$latency" 1 10000000000 "latency of '$expected'"
done < "$TMP/expected"
pass "$(wc -l < "$TMP/expected") system calls with their results and latencies"
assert_matches "$TMP/bg.err" '^ringlua: [0-9]+ events, 0 errors, 0 dropped, [0-9.]+ s$' "summary"
