#!/usr/bin/env bash
# -c and -p end when the process does, not at the next tick: with a tick far longer
# than the process lives, ringlua still exits soon after it (a generous bound, far
# under the tick), after draining its events and running on_exit.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# The tick never comes within a test; the bound is far below it and far above what a
# loaded machine takes.
INTERVAL_MS=600000
LIMIT_MS=45000
COUNT_SCRIPT='local n = 0 on_event = function() n = n + 1 end on_exit = function() print("on_exit " .. n) end'

# -c: the command's own exec is an event.
run_ringlua_timed --interval "$INTERVAL_MS" -c 'sleep 0.3' -e "$COUNT_SCRIPT"
assert_eq "$RC" 0 "-c exit code"
assert_matches "$TMP/out" "^on_exit [1-9]" "-c: the command's exec handled, on_exit run"
assert_between "$RUN_MS" 0 "$LIMIT_MS" "-c: ms until ringlua ended with --interval $INTERVAL_MS"
pass "-c 'sleep 0.3' ended ringlua after $RUN_MS ms"

# -p: a process that is not ringlua's child.
sleep 1 &
target=$!
run_ringlua_timed --interval "$INTERVAL_MS" -p "$target" -e "$COUNT_SCRIPT"
assert_eq "$RC" 0 "-p exit code"
assert_contains "$TMP/err" "process $target exited" "-p: the exit noticed"
assert_contains "$TMP/out" "on_exit" "-p: on_exit run"
assert_between "$RUN_MS" 0 "$LIMIT_MS" "-p: ms until ringlua ended with --interval $INTERVAL_MS"
pass "-p of a 1 s process ended ringlua after $RUN_MS ms"

# When the command ends, everything its rings hold is handed out, however long that
# takes; a SIGINT during that drain bounds it as a stop does (50 ms), and what is left
# is reported. A slow handler (50 us a record) faces a ring full of dd's system calls:
# seconds of drain.
start_ringlua -s syscalls -c "dd if=/dev/zero of=/dev/null bs=1 count=300000 status=none" \
  "$SCRIPTS/seq_count.lua" -- spin_us=50
wait_output "exited" "$TMP/bg.err"
stop_ringlua INT
assert_eq "$RC" 0 "exit code after SIGINT in the drain"
assert_matches "$TMP/bg.err" "^ringlua: stopped draining after 50 ms: [0-9]+ bytes of records left in the ring$" \
  "a SIGINT in the drain after the command's end"
assert_eq "$(count_lines "delivered=" "$TMP/bg.out")" 1 "on_exit after the cut drain"
pass "SIGINT in the whole drain after -c's end: bounded, what is left reported"
