#!/usr/bin/env bash
# scripts/exitsnoop.lua prints one line per process exit in libbpf-tools' columns: PCOMM,
# PID, PPID, AGE(s), EXIT_CODE (0, code N, or signal N (NAME)); -x only failed exits,
# -t a time column first.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=ready_scripts.sh
. "$(dirname "$0")/ready_scripts.sh"
EXITSNOOP=$READY_SCRIPTS/exitsnoop.lua
HEADER="PCOMM            PID     PPID    AGE(s)  EXIT_CODE"

check_usage "$EXITSNOOP" -q "exitsnoop: unknown option '-q' (see -- --help)"

# exits: a bash that lives 200 ms and exits 3, a bash that exits 0, a sleep killed by
# SIGKILL. Sets exiter, fine, victim.
exits() {
  bash -c 'sleep 0.2; exit 3' & exiter=$!
  wait "$exiter" || true
  bash -c 'exit 0' & fine=$!
  wait "$fine"
  sleep 30 & victim=$!
  wait_comm "$victim" sleep
  kill -KILL "$victim"
  wait "$victim" || true
}

# check_exit PID COMM CODE: the line of PID has these columns exactly, and an age.
check_exit() {
  local line age
  line=$(the_line "^$2 +$1 ")
  age=$(field 4 "$line")
  assert_eq "$line" "$(printf '%-16s %-7d %-7d %-7.2f %s' "$2" "$1" $$ "$age" "$3")" "exit line of $1"
}

start_ringlua_until "$HEADER" "$EXITSNOOP"
exits
stop_ringlua
assert_eq "$RC" 0 "exit code after SIGINT"
assert_eq "$(head -1 "$TMP/bg.out")" "$HEADER" "header"
check_exit "$exiter" bash "code 3"
check_exit "$fine" bash "0"
check_exit "$victim" sleep "signal 9 (SIGKILL)"
age=$(field 4 "$(the_line "^bash +$exiter ")")
[[ "$age" > "0.19" ]] || fail "age of a process that slept 200 ms: $age"
pass "exit code 3, 0 and SIGKILL in columns, age $age s"

start_ringlua_until "TIME     $HEADER" "$EXITSNOOP" -- -x -t
exits
stop_ringlua
assert_eq "$RC" 0 "exit code after SIGINT (-x -t)"
the_line "^[0-9]{2}:[0-9]{2}:[0-9]{2} bash +$exiter +$$ +[0-9.]+ +code 3\$" > /dev/null
the_line "^[0-9]{2}:[0-9]{2}:[0-9]{2} sleep +$victim +$$ +[0-9.]+ +signal 9 \(SIGKILL\)\$" > /dev/null
if grep -E " +0\$" "$TMP/bg.out"; then fail "-x printed a successful exit"; fi
pass "-x: only failed exits; -t: a time column"
