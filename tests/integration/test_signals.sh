#!/usr/bin/env bash
# Stop signals: a stop request ends the loop's wait at once, not at the next tick, however
# long --interval is.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# Far longer than any answer to a stop may take on a busy machine, far shorter than a
# tick: a stop seen only at the tick fails.
STOP_LIMIT_MS=5000
LONGEST_INTERVAL=2147483647

pin=$(new_pin)
produce --pin "$pin" --count 0

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
