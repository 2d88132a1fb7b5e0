#!/usr/bin/env bash
# --replay calls on_tick where the live run called it: as often, between the same
# records, from the recording's start (not its first record's) to its stop, and with
# --realtime at the recorded pace. A recording of an older ringlua (format 2, no clock
# marks) still ticks every --interval from its first record.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

lines=$SCRIPTS/tick_lines.lua
# The traced command: for each N given, waits (at most 30 s) until the live run printed
# N ticks, then execs /bin/true, the only events recorded (--comm true). So the first
# event comes after two ticks, however loaded the machine is.
cat > "$TMP/work.sh" <<'SH'
out=$1
shift
for n in "$@"; do
  end=$(($(date +%s) + 30))
  until [ "$(grep -c '^tick' "$out")" -ge "$n" ]; do
    [ "$(date +%s)" -lt "$end" ] || exit 1
    sleep 0.02
  done
  /bin/true
done
SH

rec=$TMP/ticks.rec
run_ringlua -s exec --comm true --interval 200 --record "$rec" \
  -c "sh $TMP/work.sh $TMP/out 2 3 3 5" "$lines"
assert_eq "$RC" 0 "exit code of the live run"
cp "$TMP/out" "$TMP/live"
assert_contains "$TMP/live" "events=4 " "events of the live run"
ticks=$(grep -c '^tick' "$TMP/live")
assert_between "$ticks" 5 100 "ticks of the live run"
first_event=$(grep -n '^event 1$' "$TMP/live" | cut -d: -f1)
assert_between "$first_event" 3 100 "line of the first event, after two ticks"

run_ringlua --replay "$rec" --interval 200 "$lines"
assert_eq "$RC" 0 "exit code of the replay"
diff "$TMP/live" "$TMP/out" > "$TMP/diff" || { cat "$TMP/diff" >&2
  fail "the replay's ticks differ from the live run's"; }
pass "a replay ticks $ticks times as live, the first two before the first event"

# --interval does not change the recorded ticks; --realtime replays them at their pace,
# to the recorded stop: at least $ticks intervals of 200 ms.
t0=$(now_ms)
run_ringlua --replay "$rec" --realtime --interval 50 "$lines"
ms=$(($(now_ms) - t0))
assert_eq "$RC" 0 "exit code of the paced replay"
cmp -s "$TMP/live" "$TMP/out" || fail "the paced replay's ticks differ from the live run's"
assert_between "$ms" $((ticks * 200)) 30000 "ms the paced replay took"
pass "--realtime (and --interval 50): the same ticks, in $ms ms"

# A recording of the ringlua before clock marks, of the same command: ticks every
# --interval from its first record, as that ringlua replayed it.
run_ringlua --replay "$HERE/recordings/exec_format2.rec" --interval 200 "$lines"
assert_eq "$RC" 0 "exit code of the format 2 replay"
printf '%s\n' "event 1" "event 2" "event 3" "tick 1" "tick 2" "event 4" \
  "events=4 ticks=2" > "$TMP/expected"
cmp -s "$TMP/expected" "$TMP/out" || { diff "$TMP/expected" "$TMP/out" >&2
  fail "the format 2 recording replays with other ticks"; }
pass "a format 2 recording replays as before: ticks from its first record"
