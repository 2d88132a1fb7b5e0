#!/usr/bin/env bash
# scripts/killsnoop.lua prints one line per signal sent: TIME, PID and COMM of the sender,
# SIG by name, TPID, RESULT; -x only the signals that were not delivered.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=ready_scripts.sh
. "$(dirname "$0")/ready_scripts.sh"
KILLSNOOP=$READY_SCRIPTS/killsnoop.lua
HEADER="TIME     PID     COMM             SIG         TPID    RESULT"
TIME='[0-9]{2}:[0-9]{2}:[0-9]{2}'

check_usage "$KILLSNOOP" --failed=1 "killsnoop: --failed takes no value (see -- --help)"

# signals: this shell sends SIGUSR1 to a sleep that takes it and to one that ignores it.
signals() {
  sleep 30 & taker=$!
  (trap '' USR1; exec sleep 30) & ignorer=$!
  wait_comm "$taker" sleep
  wait_comm "$ignorer" sleep
  kill -USR1 "$taker"
  kill -USR1 "$ignorer"
  wait "$taker" || true
  kill "$ignorer"
  wait "$ignorer" || true
}

# check_signal PID SIG RESULT: the one line of this shell sending SIG to PID, exactly.
check_signal() {
  local line
  line=$(the_line "^$TIME $$ +bash +$2 +$1 ")
  assert_eq "$line" "$(printf '%-8s %-7d %-16s %-11s %-7d %s' "${line%% *}" $$ bash "$2" "$1" "$3")" \
    "line of $2 to $1"
}

start_ringlua_until "$HEADER" "$KILLSNOOP"
signals
stop_ringlua
assert_eq "$RC" 0 "exit code after SIGINT"
assert_eq "$(head -1 "$TMP/bg.out")" "$HEADER" "header"
check_signal "$taker" SIGUSR1 delivered
check_signal "$ignorer" SIGUSR1 ignored
check_signal "$ignorer" SIGTERM delivered
pass "SIGUSR1 delivered and ignored, SIGTERM delivered, in columns"

start_ringlua_until "$HEADER" "$KILLSNOOP" -- -x
signals
stop_ringlua
assert_eq "$RC" 0 "exit code after SIGINT (-x)"
check_signal "$ignorer" SIGUSR1 ignored
if grep -E " delivered\$" "$TMP/bg.out"; then fail "-x printed a delivered signal"; fi
pass "-x: only signals not delivered"
