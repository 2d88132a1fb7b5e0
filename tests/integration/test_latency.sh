#!/usr/bin/env bash
# The latency bound: at a low rate (each event handed out alone or with a few others),
# every event reaches on_event within --latency of its submit, plus a margin for
# scheduling on a busy machine. The bound is larger than the watchdog's signal period,
# so a wait that a signal cuts short (and starts over) shows up as events that wait for
# the tick instead. bench/latency.sh measures the same at high rates.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

LATENCY_MS=100
MARGIN_MS=50
RATE=200
EVENTS=400

pin=$(new_pin)
produce --pin "$pin" --count 0
start_ringlua --pin "$pin" --latency "$LATENCY_MS" --count "$EVENTS" "$SCRIPTS/latency.lua"
produce --pin "$pin" --reuse --stamp --rate "$RATE" --batch 1 --count "$EVENTS"
RC=0
wait "$BG" || RC=$?
assert_eq "$RC" 0 "exit code"
assert_contains "$TMP/bg.out" "latency n=$EVENTS " "every event measured"
max_us=$(sed -n 's/^latency .* max_us=\([0-9]*\)$/\1/p' "$TMP/bg.out")
assert_between "$max_us" 0 $(((LATENCY_MS + MARGIN_MS) * 1000)) \
  "longest delivery (us) with --latency $LATENCY_MS at $RATE events/s"
pass "every event within --latency $LATENCY_MS ms (+$MARGIN_MS): longest ${max_us} us"
