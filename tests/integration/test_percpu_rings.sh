#!/usr/bin/env bash
# --per-cpu-rings: one ring per CPU for a built-in source. A dd pinned on each CPU
# (taskset) gives the same count of reads as a one-ring run, every record once, in order
# per CPU; with --ordered in timestamp order overall. Bad combinations are refused in one
# line.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ "$(nproc)" -ge 2 ] || { echo "skip: needs 2 CPUs"; exit 0; }
DD="dd if=/dev/zero of=/dev/null bs=1 count=20000 status=none"
# When the command ends, ringlua hands out all the rings hold, however loaded the machine.
WORK="taskset -c 0 $DD & taskset -c 1 $DD; wait"

# Runs the syscalls source over WORK with extra options; sets TALLY.
tally() {
  run_ringlua -s syscalls "$@" -c "sh -c '$WORK'" "$SCRIPTS/percpu_order.lua"
  assert_eq "$RC" 0 "exit code with $* ($(cat "$TMP/err"))"
  TALLY=$(grep '^dd_reads=' "$TMP/out") || fail "no tally with $*"
  assert_contains "$TMP/err" " 0 dropped" "no drops with $*"
}

tally
one_ring=$TALLY
read -r one_reads _ <<< "$(tr -c '0-9' ' ' <<< "${one_ring%% *}")"
assert_between "$one_reads" 40000 40100 "dd reads on one ring ($one_ring)"

tally --per-cpu-rings --stats
per_cpu=$TALLY
assert_eq "${per_cpu%% *}" "${one_ring%% *}" "dd reads, per-CPU rings vs one ring"
assert_contains "$TMP/out" "dd_procs=2 twice=0 back_per_pid=0" "per-CPU order ($per_cpu)"
assert_matches "$TMP/err" "stats: events: .*fullest ring .*\(2 per-CPU rings\)" "--stats line"
pass "per-CPU rings: $per_cpu (one ring: $one_ring)"

tally --per-cpu-rings --ordered
assert_eq "${TALLY%% *}" "${one_ring%% *}" "dd reads, ordered vs one ring"
assert_contains "$TMP/out" "twice=0 back_per_pid=0 back_overall=0" "order overall ($TALLY)"
pass "ordered: $TALLY"

# A recording of a per-CPU run is one ring, and replays.
rec=$TMP/percpu.rlrec
run_ringlua -s syscalls --per-cpu-rings --record "$rec" -c "sh -c '$WORK'" \
  "$SCRIPTS/percpu_order.lua"
assert_eq "$RC" 0 "recording exit code ($(cat "$TMP/err"))"
recorded=$(grep '^dd_reads=' "$TMP/out")
run_ringlua --replay "$rec" "$SCRIPTS/percpu_order.lua"
assert_eq "$RC" 0 "replay exit code ($(cat "$TMP/err"))"
assert_eq "$(grep '^dd_reads=' "$TMP/out")" "$recorded" "replayed tally"
pass "a per-CPU recording replays: $recorded"

# Refused, each in one line, before anything loads.
refused() {
  run_ringlua "$@" -e 'return { on_event = function() end }'
  assert_eq "$RC" 2 "exit code of $*"
  assert_eq "$(wc -l < "$TMP/err")" 1 "one line for $* ($(cat "$TMP/err"))"
  assert_contains "$TMP/err" "$EXPECT" "message for $*"
}
EXPECT="give --per-cpu-rings too" refused --ordered
EXPECT="does not go with --pin or --replay" refused --per-cpu-rings --pin /sys/fs/bpf/none
EXPECT="does not go with --pin or --replay" refused --per-cpu-rings --replay "$rec"
EXPECT="--per-cpu-rings is for the built-in sources" refused --per-cpu-rings \
  --bpf "$HERE/../bpf/counts.bpf.c"
pass "bad combinations refused in one line"
