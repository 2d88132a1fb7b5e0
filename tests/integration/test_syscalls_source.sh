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
# parent execs a 4 s sleep and does not reap it, and ringlua must stop well before that.
bash -c "sleep 0.5 & echo \$! > $TMP/zombie; exec sleep 4" &
parent=$!
for _ in $(seq 100); do [ -s "$TMP/zombie" ] && break; sleep 0.01; done
zombie=$(cat "$TMP/zombie")
RC=0
timeout -s KILL 3 "$RINGLUA" -p "$zombie" --interval 100 "$SCRIPTS/syscall_count.lua" \
  > "$TMP/out" 2> "$TMP/err" || RC=$?
assert_eq "$RC" 0 "exit code when the traced process is a zombie"
assert_contains "$TMP/err" "ringlua: process $zombie exited" "stop message"
kill "$parent" 2>/dev/null || true
pass "a zombie counts as exited"
