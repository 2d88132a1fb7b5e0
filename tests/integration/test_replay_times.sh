#!/usr/bin/env bash
# --replay follows a recording's times without wrapping them: records stamped at the end
# of the clock replay to their end with the ticks they are due, and a replay that owes
# billions of ticks (a gap of centuries) stops at SIGINT or SIGTERM like a live run.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
CRAFT=${3:?usage: $0 RINGLUA SEQ_PRODUCER CRAFT_REC}

MAX=18446744073709551615 # 2^64 - 1
cat > "$TMP/ticks.lua" <<'EOF'
local events, ticks = 0, 0
return {
  on_event = function() events = events + 1 end,
  on_tick = function()
    ticks = ticks + 1
    if ticks == 1000 then print("LONG") end
  end,
  on_exit = function() print(("events=%d ticks=%d"):format(events, ticks)) end,
}
EOF

# replay_within FILE MS WHAT: replays FILE (killed after 60 s), which must end by itself,
# with exit 0, within MS milliseconds.
replay_within() {
  local t0 ms
  t0=$(now_ms)
  run_ringlua --replay "$1" "$TMP/ticks.lua"
  ms=$(($(now_ms) - t0))
  [ "$RC" -lt 128 ] || fail "$3: killed or crashed (exit $RC after $ms ms)"
  assert_eq "$RC" 0 "$3: exit code"
  assert_between "$ms" 0 "$2" "$3: ms the replay took"
}

# Three records 2 s and 5 ns apart, near the start of the clock, at its end, and from
# time 0: the same two ticks (whole seconds of recorded time) each time.
"$CRAFT" times "$TMP/early.rec" 1000 2000001000 2000001005
replay_within "$TMP/early.rec" 10000 "records at the start of the clock"
assert_contains "$TMP/out" "events=3 ticks=2" "ticks of records at the start of the clock"
"$CRAFT" times "$TMP/late.rec" $((MAX - 2000000005)) $((MAX - 5)) "$MAX"
replay_within "$TMP/late.rec" 10000 "records at the end of the clock"
assert_contains "$TMP/out" "events=3 ticks=2" "ticks of records at the end of the clock"
"$CRAFT" times "$TMP/zero.rec" 0 2000000000 2000000005
replay_within "$TMP/zero.rec" 10000 "records from time 0"
assert_contains "$TMP/out" "events=3 ticks=2" "ticks of records from time 0"
pass "records at the start or the end of the clock replay to their end with the ticks they are due"

# A gap of 2^63 ns owes about 9 billion ticks: a stop signal ends the replay at once,
# through on_exit, with exit 0 as a live run's.
"$CRAFT" times "$TMP/gap.rec" 1 9223372036854775809
for sig in INT TERM; do
  start_ringlua_until LONG --replay "$TMP/gap.rec" "$TMP/ticks.lua"
  stop_ringlua_timed "$sig"
  assert_eq "$RC" 0 "exit code of the long replay after SIG$sig"
  assert_between "$STOP_MS" 0 5000 "ms from SIG$sig to the end of the replay"
  assert_matches "$TMP/bg.out" '^events=1 ticks=[0-9]+$' "on_exit after SIG$sig"
  pass "SIG$sig ends a replay that owes billions of ticks in $STOP_MS ms"
done
