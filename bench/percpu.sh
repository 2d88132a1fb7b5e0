#!/usr/bin/env bash
# One ring vs per-CPU rings, both CPUs producing: a dd of 1-byte reads and writes pinned
# on each CPU (taskset), every system call a record of the syscalls source, the script
# counting. Prints, per mode and run: records handled, drops, seconds, records/s
# consumed, and dd's system calls/s on each CPU (what the producers managed while
# traced). Usage: bench/percpu.sh RINGLUA [BYTES_PER_DD] [RUNS]
set -euo pipefail
RINGLUA=${1:?usage: $0 RINGLUA [BYTES_PER_DD] [RUNS]}
BYTES=${2:-300000}
RUNS=${3:-3}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
SCRIPT='local n = 0 return { on_event = function() n = n + 1 end }'
DD="dd if=/dev/zero of=/dev/null bs=1 count=$BYTES"

for run in $(seq "$RUNS"); do
  for mode in "one ring" "per-CPU" "per-CPU --ordered"; do
    case $mode in
      "one ring") opts=() ;;
      "per-CPU") opts=(--per-cpu-rings) ;;
      *) opts=(--per-cpu-rings --ordered) ;;
    esac
    "$RINGLUA" -s syscalls "${opts[@]}" -c "sh -c 'taskset -c 0 $DD 2>$OUT/dd0 & taskset -c 1 $DD 2>$OUT/dd1; wait'" \
      -e "$SCRIPT" 2> "$OUT/err" > /dev/null
    summary=$(grep -E '^ringlua: [0-9]+ events' "$OUT/err")
    read -r events _ _ _ dropped _ secs _ <<< "$(sed 's/ringlua: //; s/,//g' <<< "$summary")"
    dd_s0=$(grep -oE '[0-9.]+ s,' "$OUT/dd0" | cut -d' ' -f1)
    dd_s1=$(grep -oE '[0-9.]+ s,' "$OUT/dd1" | cut -d' ' -f1)
    awk -v m="$mode" -v r="$run" -v e="$events" -v d="$dropped" -v s="$secs" \
        -v b="$BYTES" -v s0="$dd_s0" -v s1="$dd_s1" 'BEGIN {
      printf "%-18s run %d: %d records, %d dropped, %.2f s, %.2f M records/s consumed, " \
             "dd %.2f + %.2f M syscalls/s produced\n", m, r, e, d, s, e / s / 1e6,
             2 * b / s0 / 1e6, 2 * b / s1 / 1e6 }'
  done
done
