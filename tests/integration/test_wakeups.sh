#!/usr/bin/env bash
# The wakeups of the built-in sources (source.bpf.h): records are committed without a
# wakeup, the consumer polls on its own timer while they come, and a producer wakes it
# only once it has said it sleeps for good (8 bounds after its last find).
# - The consumer wakes about once per latency bound (its timer), at a moderate rate too,
#   where it catches up after every drain and the kernel's rule (wake when caught up)
#   would wake it once more per bound: wakeups/s from --stats stay under 1.5 / bound. And
#   at a high rate.
# - The latency bound still holds for the bursts of a process that starts, makes a few
#   dozen system calls and sleeps, with quiet spells shorter and longer than the
#   consumer's polling spell (the first record after a long one is the one only the
#   producer's wakeup of a sleeper brings).
# - With nothing traced, the consumer sleeps: no periodic timer while idle.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

LATENCY_MS=5
MAX_WAKEUPS=$((1500 / LATENCY_MS))  # 1.5 per bound
# wakeups_within TEXT [any_drops]: the wakeups/s line after each --stats interval of
# $TMP/bg.err above 1000 events/s is at most MAX_WAKEUPS; TEXT names the rate. No record
# may be dropped, unless any_drops: a producer that outruns a consumer starved by a
# loaded machine fills the ring, which is no fault of the wakeups.
wakeups_within() {
  awk '/stats: events: / { rate = $4 } /wakeups\/s/ { if (rate > 1000) print rate, $3 }' \
    "$TMP/bg.err" > "$TMP/busy"
  [ -s "$TMP/busy" ] || { cat "$TMP/bg.err" >&2; fail "$1: no interval above 1000 events/s"; }
  while read -r rate wakeups; do
    assert_between "$wakeups" 0 "$MAX_WAKEUPS" \
      "$1: wakeups/s at $rate events/s with --latency $LATENCY_MS"
  done < "$TMP/busy"
  [ "${2:-}" == any_drops ] || assert_eq "$(summary_dropped "$TMP/bg.err")" 0 "$1: records dropped"
  pass "$1: wakeups/s $(awk '{ printf "%s ", $2 }' "$TMP/busy")at" \
    "$(awk '{ printf "%s ", $1 }' "$TMP/busy")events/s (at most $MAX_WAKEUPS)," \
    "$(summary_dropped "$TMP/bg.err") dropped"
}

# Moderate rate: about 10000 system calls a second (50 us sleeps), by a name of its own.
cp "$(command -v perl)" "$TMP/rl_wake_perl"
start_ringlua_until READY --stats --interval 500 --latency "$LATENCY_MS" \
  --comm rl_wake_perl "$SCRIPTS/source_latency.lua"
"$TMP/rl_wake_perl" -e 'select(undef, undef, undef, 0.00005) for 1 .. 20000'
stop_ringlua
assert_eq "$RC" 0 "exit code"
wakeups_within "moderate rate"

# High rate: dd's system calls.
cp "$(command -v dd)" "$TMP/rl_wake_dd"
start_ringlua_until READY --stats --interval 500 --latency "$LATENCY_MS" --comm rl_wake_dd \
  "$SCRIPTS/source_latency.lua"
"$TMP/rl_wake_dd" if=/dev/zero of=/dev/null bs=1 count=1500000 2> /dev/null
# An interval's line after dd's end: the last busy interval is reported.
wait_more_lines 1 'wakeups/s' "$TMP/bg.err"
stop_ringlua
assert_eq "$RC" 0 "exit code"
wakeups_within "high rate" any_drops

# Bursts with quiet spells around the consumer's polling spell (8 bounds: 80 ms here).
BOUND_MS=10
MARGIN_MS=50
cp "$(command -v sleep)" "$TMP/rl_wake_sleep"
start_ringlua --latency "$BOUND_MS" --comm rl_wake_sleep "$SCRIPTS/source_latency.lua"
for quiet in 0.02 0.15 0.05 0.3 0.01 0.12 0.2 0.03 0.5 0.09; do
  "$TMP/rl_wake_sleep" "$quiet"
done
sleep 0.2
stop_ringlua
assert_eq "$RC" 0 "exit code"
assert_matches "$TMP/bg.out" "^source_latency n=[1-9]" "bursts traced"
max_us=$(sed -n 's/^source_latency .* max_us=\([0-9]*\)$/\1/p' "$TMP/bg.out")
assert_between "$max_us" 0 $(((BOUND_MS + MARGIN_MS) * 1000)) \
  "longest delivery (us) with --latency $BOUND_MS, bursts after quiet spells ($(grep -F 'latest:' "$TMP/bg.out"))"
pass "bursts: every record within --latency $BOUND_MS ms (+$MARGIN_MS): longest ${max_us} us"

# Idle: nothing named so runs; a second of --stats intervals.
start_ringlua_until READY --stats --interval 500 --latency 1 --comm rl_wake_none \
  "$SCRIPTS/source_latency.lua"
sleep 2
stop_ringlua
idle=$(sed -n 's/.*stats: \([0-9]*\) wakeups\/s/\1/p' "$TMP/bg.err" | tail -n +2 | sort -n | tail -1)
assert_between "${idle:-missing}" 0 5 "wakeups/s while idle with --latency 1"
pass "idle: at most $idle wakeups/s"
