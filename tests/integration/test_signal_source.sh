#!/usr/bin/env bash
# The signal source reports `kill -USR1` of a known pid, from this shell: delivered to a
# process that takes it, ignored by one that ignores it.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

usr1=$(kill -l USR1)
si_user=0 # si_code of a signal sent by kill(2)

sleep 30 & taker=$!
(trap '' USR1; exec sleep 30) & ignorer=$!
wait_comm "$taker" sleep
wait_comm "$ignorer" sleep
start_ringlua "$SCRIPTS/signal_fields.lua"
kill -USR1 "$taker"
kill -USR1 "$ignorer"
wait "$taker" || true
kill "$ignorer"
stop_ringlua
assert_eq "$RC" 0 "exit code after SIGINT"
assert_contains "$TMP/bg.out" "READY source=signal" "ringlua.source in on_init"
# kill is a shell builtin: this shell sends both.
assert_contains "$TMP/bg.out" \
  "pid=$$ tid=$$ uid=0 comm=bash target_pid=$taker target_comm=sleep sig=$usr1 code=$si_user group=1 result=0" \
  "SIGUSR1 delivered"
assert_contains "$TMP/bg.out" \
  "pid=$$ tid=$$ uid=0 comm=bash target_pid=$ignorer target_comm=sleep sig=$usr1 code=$si_user group=1 result=1" \
  "SIGUSR1 ignored"
pass "kill -USR1: sender, target, signal and result"

# With -p, the signals the process receives or sends are traced, and no others.
sleep 30 & other=$!
sleep 30 & target=$!
wait_comm "$other" sleep
wait_comm "$target" sleep
start_ringlua -p "$target" "$SCRIPTS/signal_fields.lua"
kill -USR1 "$other"
kill -USR1 "$target"
wait "$target" || true
wait "$other" || true
RC=0
wait "$BG" || RC=$? # ringlua stops by itself once the traced process is gone
assert_eq "$RC" 0 "exit code when the traced process exits"
assert_contains "$TMP/bg.out" "target_pid=$target target_comm=sleep sig=$usr1 " "signal to the -p process"
# Dying, it sends its parent (this shell) SIGCHLD.
assert_contains "$TMP/bg.out" "pid=$target tid=$target uid=0 comm=sleep target_pid=$$ target_comm=bash sig=$(kill -l CHLD) " \
  "SIGCHLD from the -p process"
if grep -q "target_pid=$other " "$TMP/bg.out"; then
  cat "$TMP/bg.out" >&2
  fail "-p $target traced a signal sent to $other"
fi
pass "-p traces the signals the process receives and sends, no others"

# ringlua never traces itself: not the signals it sends, nor those sent to it (a SIGPIPE
# it ignores, the SIGINT that stops it). A SIGUSR1 to a sleep marks the end.
sleep 30 & marker=$!
wait_comm "$marker" sleep
start_ringlua "$SCRIPTS/signal_fields.lua"
self=$(child_of "$BG")
kill -PIPE "$self"
kill -USR1 "$marker"
wait "$marker" || true
wait_output "target_pid=$marker "
stop_ringlua
assert_eq "$RC" 0 "exit code after SIGINT"
if grep -E "(pid|target_pid)=$self " "$TMP/bg.out"; then fail "ringlua traced a signal of its own"; fi
pass "signals sent to ringlua are not traced"

# An idle ringlua takes no signals: its watchdog runs only while the script does. A
# second ringlua watches the signals sent to the first for a second.
sleep 30 & sleeper=$!
wait_comm "$sleeper" sleep
timeout -s KILL 60 "$RINGLUA" -p "$sleeper" "$SCRIPTS/signal_fields.lua" > "$TMP/idle.out" \
  2> "$TMP/idle.err" &
idle=$!
wait_output READY "$TMP/idle.out"
idle_pid=$(child_of "$idle")
start_ringlua -p "$idle_pid" "$SCRIPTS/signal_fields.lua"
sleep 1
stop_ringlua
assert_eq "$RC" 0 "exit code of the watcher"
kill "$sleeper"
wait "$sleeper" || true
RC=0
wait "$idle" || RC=$?
assert_eq "$RC" 0 "exit code of the idle ringlua once its process is gone"
if grep "target_pid=$idle_pid " "$TMP/bg.out"; then fail "an idle ringlua was sent signals"; fi
pass "an idle ringlua is sent no signal in a second"
