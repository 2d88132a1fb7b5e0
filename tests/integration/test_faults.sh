#!/usr/bin/env bash
# Faults with a defined outcome (docs/library.md, "Faults and limits"): the pinned ring unpinned
# while consumed, the script's directory removed while running, SIGINT while the script
# loads, and two consumers on one pinned ring.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# The pin is removed while ringlua consumes the ring: its fd keeps the ring alive, and
# the producer (which opened the pin before) goes on feeding it.
pin=$(new_pin)
produce --pin "$pin" --count 0
start_ringlua --pin "$pin" --interval 100 "$SCRIPTS/seq_count.lua"
timeout 60 "$PRODUCER" --pin "$pin" --reuse --rate 20000 --count 30000 > "$TMP/prod" &
producer=$!
wait_output "seen=1"
rm "$pin"
[ ! -e "$pin" ] || fail "the pin is still there"
wait "$producer" || fail "producer failed after the unpin"
wait_output "seen=30000"
stop_ringlua INT
assert_eq "$RC" 0 "exit code after the unpin"
assert_contains "$TMP/bg.out" "delivered=30000 out_of_order=0" "records after the unpin"
pass "unpinned while consumed: all 30000 records delivered, exit 0"

# The script's directory is removed: ringlua goes on with the script it has loaded, says
# that saves no longer reload it, and a SIGHUP reload fails and keeps the running one.
pin=$(new_pin)
produce --pin "$pin" --count 0
mkdir "$TMP/gone"
cp "$SCRIPTS/seq_count.lua" "$TMP/gone/"
start_ringlua --pin "$pin" --interval 100 "$TMP/gone/seq_count.lua"
rm -rf "$TMP/gone"
wait_output "saves there no longer reload it" "$TMP/bg.err"
produce --pin "$pin" --reuse --count 1000
wait_output "seen=1000"
signal_ringlua HUP
wait_output "reload failed, the running script goes on" "$TMP/bg.err"
produce --pin "$pin" --reuse --count 1000 --start 1000
wait_output "seen=2000"
stop_ringlua INT
assert_eq "$RC" 0 "exit code after the directory went"
assert_contains "$TMP/bg.out" "delivered=2000 out_of_order=0" "records after the removal"
pass "script directory removed: ringlua runs on and says saves no longer reload"

# SIGINT while the script's top level runs (before on_init): the load is interrupted
# within the watchdog's grace, ringlua exits 1, and neither on_init nor on_exit runs.
pin=$(new_pin)
produce --pin "$pin" --count 0
start_ringlua_until LOADING --pin "$pin" "$SCRIPTS/slow_load.lua"
t0=$(now_ms)
signal_ringlua INT
RC=0
wait "$BG" || RC=$?
ms=$(($(now_ms) - t0))
assert_eq "$RC" 1 "exit code after SIGINT during load"
assert_between "$ms" 0 2000 "ms from SIGINT to exit during load"
assert_contains "$TMP/bg.err" "top level interrupted: still running after SIGINT" "message"
assert_eq "$(count_lines on_ "$TMP/bg.out")" 0 "on_init and on_exit during load"
pass "SIGINT during load: exit 1 in $ms ms, no on_init, no on_exit"

# Two consumers on one pinned ring. The consumer position lives in the map and both move
# it: each remembers where it last put it, so the first to find it moved by the other
# stops on its own with exit 1 and says so; the other consumes on until SIGINT (exit 0),
# unless it found the same. Neither may crash or hang.
pin=$(new_pin)
produce --pin "$pin" --count 0 --size $((1 << 20))
for who in a b; do
  timeout -s KILL 60 "$RINGLUA" --pin "$pin" "$SCRIPTS/seq_count.lua" > "$TMP/$who.out" \
    2> "$TMP/$who.err" &
  eval "pid_$who=\$!"
done
for who in a b; do wait_output READY "$TMP/$who.out"; done
one_stopped() { ! kill -0 "$pid_a" 2> /dev/null || ! kill -0 "$pid_b" 2> /dev/null; }
produce --pin "$pin" --reuse --count 300000
# Wait for what the test needs, not for a time: one consumer has stopped on its own (at
# its next poll after the other moved the position: within an --interval).
wait_for "one consumer to find its position moved by the other" one_stopped
stopped_alone=0
total=0
for who in a b; do
  BG=$(eval "echo \$pid_$who")
  # Still running: stop it. One that is ending by itself as we look needs no signal.
  child=$(cat "/proc/$BG/task/$BG/children" 2>/dev/null) || true
  [ -z "$child" ] || kill -INT "$child" 2>/dev/null || true
  RC=0
  wait "$BG" || RC=$?
  case $RC in
    0) n=$(delivered_in "$TMP/$who.out"); total=$((total + n)) ;;
    1) assert_contains "$TMP/$who.err" "another consumer moved the ring's consumer position" \
         "consumer $who's failure"
       stopped_alone=$((stopped_alone + 1)) ;;
    *) cat "$TMP/$who.err" >&2; fail "consumer $who ended with $RC" ;;
  esac
  pass "second consumer on one ring: $who exited $RC"
done
assert_between "$stopped_alone" 1 2 "consumers that found the position moved"
pass "two consumers on one ring: $stopped_alone found the other's moves and said so; neither" \
     "crashed nor hung ($total records delivered by those that exited 0, of 300000)"
