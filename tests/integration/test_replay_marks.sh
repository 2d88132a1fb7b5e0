#!/usr/bin/env bash
# The clock marks of a recording (format 3) are read as hostile input: on_tick exactly
# at its tick marks, whatever --interval says; a mark out of order, with bytes, or at
# a time before the last entry's is one line and exit 1; a time at the end of the clock
# replays at once, and with --realtime waits until a stop signal.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
CRAFT=${3:?usage: $0 RINGLUA SEQ_PRODUCER CRAFT_REC}

MAX=18446744073709551615 # 2^64 - 1
S=1000000000             # 1 s in ns
lines=$SCRIPTS/tick_lines.lua

# Ticks at the marks only: none from --interval (1 s: records 1 s and 5 s after the
# start would owe 4 ticks between them), none after the stop.
"$CRAFT" marks "$TMP/ok.rec" start:0 record:$S tick:$((5 * S)) record:$((5 * S)) \
  tick:$((5 * S)) stop:$((9 * S))
run_ringlua --replay "$TMP/ok.rec" --interval 1000 "$lines"
assert_eq "$RC" 0 "exit code of a well-formed recording"
printf '%s\n' "event 1" "tick 1" "event 2" "tick 2" "events=2 ticks=2" > "$TMP/expected"
cmp -s "$TMP/expected" "$TMP/out" || { diff "$TMP/expected" "$TMP/out" >&2
  fail "the ticks are not the recorded ones"; }
pass "on_tick at the tick marks, and only there"

# expect_bad WHAT MESSAGE ENTRY...: a recording of ENTRY... is refused in one line.
expect_bad() {
  local what=$1 msg=$2
  shift 2
  rm -f "$TMP/bad.rec"
  "$CRAFT" marks "$TMP/bad.rec" "$@"
  run_ringlua --replay "$TMP/bad.rec" "$lines"
  [ "$RC" -lt 128 ] || fail "$what: crashed (exit $RC)"
  assert_eq "$RC" 1 "$what: exit code"
  assert_contains "$TMP/err" "ringlua: --replay $TMP/bad.rec: $msg" "$what: message"
  pass "$what -> 1: $(grep -- --replay "$TMP/err")"
}
expect_bad "a mark with bytes" "a clock mark with bytes in it" start:0 tick_bytes:5
expect_bad "a record before the start" "its first entry is not its start mark" \
  record:0 start:0
expect_bad "no start mark" "its first entry is not its start mark" tick:5 stop:6
expect_bad "two start marks" "it has a second start mark" start:0 record:1 start:2
expect_bad "an entry after the stop" "it goes on after its stop mark" start:0 stop:5 record:6
expect_bad "a record back in time" "its times go backwards" start:10 record:5
expect_bad "a tick back in time" "its times go backwards" start:0 tick:$MAX tick:0
expect_bad "a stop back in time" "its times go backwards" start:$MAX stop:0
# A format 2 recording has no marks: a mark in one is a record of a ring it lacks.
"$CRAFT" marks "$TMP/old.rec" start:0 record:5
printf '\002' | dd of="$TMP/old.rec" bs=1 seek=7 conv=notrunc status=none
run_ringlua --replay "$TMP/old.rec" "$lines"
assert_eq "$RC" 1 "exit code of a mark in a format 2 recording"
assert_contains "$TMP/err" "record of a ring it does not have" "a mark in a format 2 recording"
pass "a mark in a format 2 recording -> 1"

# Times at the end of the clock: one tick, at once.
"$CRAFT" marks "$TMP/late.rec" start:0 record:0 tick:$MAX stop:$MAX
t0=$(now_ms)
run_ringlua --replay "$TMP/late.rec" "$lines"
ms=$(($(now_ms) - t0))
assert_eq "$RC" 0 "exit code of marks at the end of the clock"
assert_contains "$TMP/out" "events=1 ticks=1" "ticks of marks at the end of the clock"
assert_between "$ms" 0 10000 "ms the replay of marks at the end of the clock took"
pass "marks at the end of the clock replay in $ms ms"

# With --realtime the tick is centuries away: a stop signal ends the wait at once,
# through on_exit, with exit 0.
for sig in INT TERM; do
  start_ringlua_until "event 1" --replay "$TMP/late.rec" --realtime "$lines"
  stop_ringlua_timed "$sig"
  assert_eq "$RC" 0 "exit code of the paced replay after SIG$sig"
  assert_between "$STOP_MS" 0 5000 "ms from SIG$sig to the end of the paced replay"
  assert_contains "$TMP/bg.out" "events=1 ticks=0" "on_exit after SIG$sig"
  pass "SIG$sig ends a --realtime wait of centuries in $STOP_MS ms"
done
