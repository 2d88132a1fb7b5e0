#!/usr/bin/env bash
# scripts/profile.lua counts on-CPU samples by process, split between user space and the
# kernel, and prints the busiest as a table at exit (and at every tick with -i); -n N
# limits the rows.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=ready_scripts.sh
. "$(dirname "$0")/ready_scripts.sh"
ACTIVITY=${3:?usage: $0 RINGLUA SEQ_PRODUCER RL_ACTIVITY}
PROFILE=$READY_SCRIPTS/profile.lua
HEADER="PID     COMM              SAMPLES     USER   KERNEL"
CLOCK='^[0-9]{2}:[0-9]{2}:[0-9]{2}$'

check_usage "$PROFILE" -n0 "profile: -n: '0' is not a whole number from 1 up (see -- --help)"

# The helper spins in user space and in the kernel until killed.
"$ACTIVITY" spin & spin=$!
start_ringlua_until "Sampling on-CPU tasks" -p "$spin" --interval 100 "$PROFILE" -- -i
# Tables come every 100 ms; wait (up to 30 s on a loaded machine) for one in which the
# helper was sampled in both modes.
row="^$spin +rl_activity +[0-9]+ +[1-9][0-9]* +[1-9][0-9]*\$"
wait_until grep -qE "$row" "$TMP/bg.out"
kill "$spin"
wait "$spin" || true
RC=0
wait "$BG" || RC=$? # ringlua stops by itself once the traced process is gone
assert_eq "$RC" 0 "exit code when the traced process exits"
assert_eq "$(head -1 "$TMP/bg.out")" "Sampling on-CPU tasks at 99 Hz; the top 10 at every tick and at exit." "first line"
tables=$(grep -cE "$CLOCK" "$TMP/bg.out")
assert_between "$tables" 2 100000 "tables: at least one tick and the exit"
assert_eq "$(grep -c "^$HEADER\$" "$TMP/bg.out")" "$tables" "a header under each time"
# The table at exit: the time, the header, one row (-p), a blank line.
tac "$TMP/bg.out" | sed -n "1,/^$HEADER\$/p" | tac > "$TMP/last"
assert_eq "$(wc -l < "$TMP/last")" 3 "lines of the last table"
line=$(sed -n 2p "$TMP/last")
samples=$(field 3 "$line") user=$(field 4 "$line") kernel=$(field 5 "$line")
assert_eq "$line" "$(printf '%-7d %-16s %8d %8d %8d' "$spin" rl_activity $((user + kernel)) "$user" "$kernel")" \
  "the helper's row: samples = user + kernel"
assert_between "$user" 1 100000 "user-mode samples"
assert_between "$kernel" 1 100000 "kernel-mode samples"
pass "$samples samples of the helper, $user in user space and $kernel in the kernel; $tables tables"

# System-wide with -n 1: one row per table (the busiest), never the idle task.
"$ACTIVITY" spin & spin=$!
start_ringlua_until "the top 1 at every tick" --interval 100 "$PROFILE" -- -i -n 1
wait_output "$HEADER"
tables_at_least() { [ "$(grep -cE "$CLOCK" "$TMP/bg.out")" -ge "$1" ]; }
wait_until tables_at_least 3
stop_ringlua
kill "$spin"
wait "$spin" || true
assert_eq "$RC" 0 "exit code after SIGINT"
# Each table is its time, the header, at most one row, and a blank line; the one at exit
# has its row.
awk '/^[0-9][0-9]:/ { if (n > 1) bad = 1; n = 0; next } /^[0-9]+ / { n++ } END { exit bad || n > 1 }' \
  "$TMP/bg.out" || { cat "$TMP/bg.out" >&2; fail "a table with more than one row"; }
rows=$(grep -cE '^[0-9]+ +[^ ]+ +[0-9]+ +[0-9]+ +[0-9]+$' "$TMP/bg.out" || true)
assert_between "$rows" 1 "$(grep -cE "$CLOCK" "$TMP/bg.out")" "rows"
tac "$TMP/bg.out" | sed -n "1,/^$HEADER\$/p" | tac > "$TMP/last"
assert_eq "$(wc -l < "$TMP/last")" 3 "lines of the last table"
if grep -E '^0 ' "$TMP/bg.out"; then fail "the idle task was counted without -I"; fi
pass "-n 1: at most one row a table ($rows rows), no idle task"
