#!/usr/bin/env bash
# The exit source delivers the exits of processes started by the test: one that exits
# with a status, one killed by a signal, with how long each lived; a thread's exit is not
# one.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
ACTIVITY=${3:?usage: $0 RINGLUA SEQ_PRODUCER RL_ACTIVITY}

start_ringlua "$SCRIPTS/exit_fields.lua"
# A shell that lives about 200 ms, then exits with status 3.
bash -c 'sleep 0.2; exit 3' & exiter=$!
wait "$exiter" || true
# A sleep killed by SIGKILL.
sleep 30 & victim=$!
# Killed once it is sleep, not the shell forked to become it.
wait_comm "$victim" sleep
kill -KILL "$victim"
wait "$victim" || true
# A process whose second thread exits first.
"$ACTIVITY" thread > "$TMP/threaded" || fail "rl_activity thread failed"
stop_ringlua # the events are in the ring; ringlua drains it before exiting
assert_eq "$RC" 0 "exit code after SIGINT"
assert_contains "$TMP/bg.out" "READY source=exit" "ringlua.source in on_init"

grep "^pid=$exiter " "$TMP/bg.out" > "$TMP/line" || fail "no exit event for $exiter"
line=$(cat "$TMP/line")
# len: sizeof(struct exit_event), 2 * 8 + 7 * 4 + 16, padded to 8.
assert_matches "$TMP/line" \
  "^pid=$exiter ppid=$$ uid=0 code=768 status=3 signal=0 core=0 comm=bash lifetime_ms=[0-9]+ len=64\$" \
  "exit event of a status-3 exit"
lifetime=${line#*lifetime_ms=}
lifetime=${lifetime%% *}
assert_between "$lifetime" 200 60000 "lifetime of a process that slept 200 ms"
pass "exit with status 3: $line"

grep "^pid=$victim " "$TMP/bg.out" > "$TMP/line" || fail "no exit event for $victim"
line=$(cat "$TMP/line")
assert_matches "$TMP/line" \
  "^pid=$victim ppid=$$ uid=0 code=9 status=0 signal=9 core=0 comm=sleep " \
  "exit event of a SIGKILL"
pass "killed by SIGKILL: $line"

threaded=$(sed 's/pid=//' "$TMP/threaded")
assert_eq "$(grep -c "^pid=$threaded .* comm=rl_activity " "$TMP/bg.out")" 1 "exits of a 2-thread process"
pass "a thread's exit is not a process exit"
assert_matches "$TMP/bg.err" '^ringlua: [0-9]+ events, 0 errors, 0 dropped, [0-9.]+ s$' "summary"
