#!/usr/bin/env bash
# The syscalls source with -p delivers that process's system calls and no others', and
# stops when that process exits.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# The child waits for a go file, then execs dd, which reads and writes 1 byte 500 times.
go=$TMP/go
bash -c "while [ ! -e $go ]; do sleep 0.01; done; exec dd if=/dev/zero of=/dev/null bs=1 count=500 status=none" &
child=$!
export RL_TARGET_PID=$child
start_ringlua -p "$child" --interval 100 "$SCRIPTS/syscall_count.lua"
touch "$go"
wait "$child"
# ringlua notices the traced process is gone and stops by itself.
RC=0
wait "$BG" || RC=$?
assert_eq "$RC" 0 "exit code"
assert_contains "$TMP/bg.err" "ringlua: process $child exited" "stop message"
assert_contains "$TMP/bg.out" "READY source=syscalls" "ringlua.source in on_init"
tally=$(grep '^mine=' "$TMP/bg.out") || fail "no tally"
read -r mine others reads writes <<< "$(tr -c '0-9' ' ' <<< "$tally")"
assert_eq "$others" 0 "events of other processes ($tally)"
# dd: a read and a write per byte, plus its start-up and the waiting loop before it.
assert_between "$reads" 500 600 "reads ($tally)"
assert_between "$writes" 500 600 "writes ($tally)"
assert_between "$mine" $((reads + writes)) 100000 "all events ($tally)"
pass "syscalls of pid $child only: $tally"

# A traced process that exited but was not yet reaped (a zombie) counts as gone too: its
# parent execs a long sleep and does not reap it, and ringlua must stop while it is a
# zombie still.
bash -c "sleep 0.5 & echo \$! > $TMP/zombie; exec sleep 60" &
parent=$!
wait_for "the zombie-to-be's pid" test -s "$TMP/zombie"
zombie=$(cat "$TMP/zombie")
RC=0
timeout -s KILL 50 "$RINGLUA" -p "$zombie" --interval 100 "$SCRIPTS/syscall_count.lua" \
  > "$TMP/out" 2> "$TMP/err" || RC=$?
assert_eq "$RC" 0 "exit code when the traced process is a zombie"
assert_contains "$TMP/err" "ringlua: process $zombie exited" "stop message"
assert_eq "$(awk '{ print $3 }' "/proc/$zombie/stat" 2> /dev/null)" Z "the process still a zombie"
kill "$parent" 2>/dev/null || true
pass "a zombie counts as exited"

# Timestamps: every record carries one by default; --no-timestamps and the script's
# `timestamps = false` leave ts_ns 0 (the source reads no clock), on built-in sources and
# tracepoints alike; --ordered needs them; the field takes a boolean only.
# stamps ARGS...: "stamped unstamped" counts of dd's system calls.
stamps() {
  "$RINGLUA" "$@" -c "dd if=/dev/zero of=/dev/null bs=1 count=200 status=none" 2> "$TMP/ts.err" \
    > "$TMP/ts.out" || { cat "$TMP/ts.err" >&2; fail "ringlua $* failed"; }
  cat "$TMP/ts.out"
}
count_stamps='local s, u = 0, 0
  on_event = function(p) if ringlua.cast(p).ts_ns ~= 0 then s = s + 1 else u = u + 1 end end
  on_exit = function() print(s, u) end'
read -r stamped unstamped <<< "$(stamps -s syscalls -e "$count_stamps")"
assert_between "$stamped" 400 100000 "stamped records by default"
assert_eq "$unstamped" 0 "records without a timestamp by default"
read -r stamped unstamped <<< "$(stamps -s syscalls --no-timestamps -e "$count_stamps")"
assert_eq "$stamped" 0 "stamped records with --no-timestamps"
assert_between "$unstamped" 400 100000 "records with --no-timestamps"
read -r stamped unstamped <<< "$(stamps -s tp:syscalls:sys_enter_read -e "timestamps = false $count_stamps")"
assert_eq "$stamped" 0 "stamped tracepoint records with timestamps = false"
assert_between "$unstamped" 200 100000 "tracepoint records with timestamps = false"
pass "--no-timestamps and timestamps = false leave ts_ns 0; records are stamped otherwise"

RC=0
"$RINGLUA" -s syscalls --per-cpu-rings --ordered --no-timestamps -e 'on_event = function() end' \
  > "$TMP/out" 2> "$TMP/err" || RC=$?
assert_eq "$RC" 1 "exit code of --ordered with --no-timestamps"
assert_eq "$(wc -l < "$TMP/err")" 1 "one line for --ordered with --no-timestamps"
assert_contains "$TMP/err" "--ordered merges records by their timestamps" "why"
RC=0
"$RINGLUA" -s syscalls -e 'timestamps = "no" on_event = function() end' \
  > "$TMP/out" 2> "$TMP/err" || RC=$?
assert_eq "$RC" 1 "exit code of timestamps = \"no\""
assert_contains "$TMP/err" "timestamps must be true or false, got string" "why"
pass "--ordered without timestamps and a timestamps field of the wrong type are refused"
