#!/usr/bin/env bash
# Stop signals: two that come close together are one request to stop (`timeout -s INT`
# sends two: to ringlua, then to its process group), so a slow on_exit runs to its end,
# once, with one summary and exit 0; a second one that comes later interrupts on_exit,
# and the summary still follows. And a stop request ends the loop's wait at once, not at
# the next tick, however long --interval is.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# Far longer than any answer to a stop may take on a busy machine, far shorter than a
# tick: a stop seen only at the tick fails.
STOP_LIMIT_MS=5000
LONGEST_INTERVAL=2147483647
# Stop signals this close together are one request (src/app/signals.c).
SAME_REQUEST_MS=500

# on_exit takes at least `exit_cpu_s` seconds (CPU time: at least as much wall time),
# interpreted so that the watchdog's hook can cut it short, then says it is done; with
# `stuck` it then waits for a second signal, for ever.
cat > "$TMP/slow_exit.lua" <<'LUA'
jit.off()
io.stdout:setvbuf("line")
local exit_cpu_s, stuck = 0.3, false
local function spin(s) local till = os.clock() + s repeat until os.clock() >= till end
return {
  on_init = function(args)
    for _, a in ipairs(args) do
      exit_cpu_s = tonumber(a:match("^exit_cpu_s=(.*)$")) or exit_cpu_s
      stuck = stuck or a == "stuck"
    end
    print("READY")
  end,
  on_event = function() end,
  on_exit = function()
    print("on_exit started")
    spin(exit_cpu_s)
    print("on_exit done")
    while stuck do end
  end,
}
LUA
pin=$(new_pin)
produce --pin "$pin" --count 0

# --- Two SIGINTs close together: the second comes as soon as on_exit has started (looked
# for every 10 ms, to leave the most of the half second to a busy machine).
start_ringlua --pin "$pin" --handler-timeout 0 "$TMP/slow_exit.lua"
t0=$(now_ms)
signal_ringlua INT
for _ in $(seq 1000); do
  grep -qF "on_exit started" "$TMP/bg.out" && break
  sleep 0.01
done
assert_contains "$TMP/bg.out" "on_exit started" "on_exit after the first SIGINT"
gap=$(($(now_ms) - t0))
stop_ringlua INT
assert_between "$gap" 0 $((SAME_REQUEST_MS - 1)) "ms from the first SIGINT to the second"
assert_eq "$RC" 0 "exit code after two SIGINTs close together"
assert_eq "$(count_lines "on_exit done" "$TMP/bg.out")" 1 "on_exit ran to its end, once"
assert_eq "$(count_lines " events, " "$TMP/bg.err")" 1 "one summary"
assert_eq "$(count_lines "interrupted" "$TMP/bg.err")" 0 "nothing interrupted"
pass "two SIGINTs $gap ms apart: on_exit runs to its end once, one summary, exit 0"

# --- The same as `timeout -s INT` sends them, to ringlua and to its process group (its
# 5 s leave time to start on a busy machine).
RC=0
timeout -s INT 5 "$RINGLUA" --pin "$pin" --handler-timeout 0 "$TMP/slow_exit.lua" \
  > "$TMP/out" 2> "$TMP/err" || RC=$?
assert_eq "$RC" 124 "timeout's exit code (it timed ringlua out)"
assert_eq "$(count_lines "on_exit done" "$TMP/out")" 1 "on_exit under timeout -s INT"
assert_eq "$(count_lines " events, " "$TMP/err")" 1 "one summary under timeout -s INT"
pass "timeout -s INT: on_exit runs to its end once, one summary"

# --- A second SIGINT well after the first interrupts a stuck on_exit; the summary
# follows. on_exit says it is done only after 0.7 s, past what counts as close together.
start_ringlua --pin "$pin" --handler-timeout 0 "$TMP/slow_exit.lua" -- exit_cpu_s=0.7 stuck
signal_ringlua INT
wait_output "on_exit done"
t0=$(now_ms)
stop_ringlua INT
ms=$(($(now_ms) - t0))
assert_eq "$RC" 0 "exit code after a second SIGINT interrupted on_exit"
assert_between "$ms" 0 "$STOP_LIMIT_MS" "ms from the second SIGINT to the exit"
assert_contains "$TMP/bg.err" "ringlua: on_exit interrupted: still running after SIGINT" \
  "on_exit interrupted"
assert_matches "$TMP/bg.err" '^ringlua: 0 events, 0 errors, [0-9.]+ s$' "the summary after it"
pass "a later second SIGINT interrupts a stuck on_exit in $ms ms; the summary follows, exit 0"

# --- A stop request ends the wait at once: the longest --interval, SIGINT as soon as
# the script started, many times (a request between the loop's look at its flag and its
# wait was once seen only at the next tick).
cat > "$TMP/ready.lua" <<'LUA'
io.stdout:setvbuf("line")
return { on_init = function() print("READY") end, on_event = function() end }
LUA
slowest=0
for run in $(seq 20); do
  start_ringlua --pin "$pin" --interval "$LONGEST_INTERVAL" "$TMP/ready.lua"
  t0=$(now_ms)
  stop_ringlua INT
  ms=$(($(now_ms) - t0))
  assert_eq "$RC" 0 "exit code after SIGINT (run $run)"
  assert_between "$ms" 0 "$STOP_LIMIT_MS" "ms from SIGINT to exit at --interval $LONGEST_INTERVAL (run $run)"
  [ "$ms" -le "$slowest" ] || slowest=$ms
done
pass "20 stops at --interval $LONGEST_INTERVAL: each exits within $slowest ms"
