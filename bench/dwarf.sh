#!/usr/bin/env bash
# Benchmark: user stacks by frame pointers (profile.lua -U) against DWARF unwinding
# (profile.lua -U -D, --stacks dwarf), and perf record --call-graph dwarf with perf
# report, on two busy loads, one at a time: dwarf_target spin (-O2 -fomit-frame-pointer,
# main -> rl_mid -> rl_leaf) and a python3.11 loop (Debian's build, no frame pointers).
# Each tool samples only the load's process (-p) at H Hz (999 by default: enough samples
# that the CPU clock's 10 ms ticks measure them) for S seconds, R runs each.
# Reports each tool's CPU (user + sys, from start to exit: /usr/bin/time), per sample;
# the bytes per record (ringlua: a handler that sums the records' lengths; perf: its
# perf.data over its samples); and completeness: the share of samples whose stack
# reaches main (or Py_BytesMain). "none" is profile.lua without stacks: ringlua's start
# (BPF load, LuaJIT) and a sample's least cost, the floor of the other rows. perf's CPU is perf record's plus perf report's (which
# unwinds).
#   bench/dwarf.sh [--seconds S] [--runs R] [--hz H]
# perf is Debian's linux-perf: apt-get install linux-perf.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
secs=10
runs=3
hz=999
while [ $# -gt 0 ]; do
  case $1 in
    --seconds) secs=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --hz) hz=$2; shift 2 ;;
    *) echo "usage: bench/dwarf.sh [--seconds S] [--runs R] [--hz H]" >&2; exit 2 ;;
  esac
done
command -v perf > /dev/null || { echo "bench/dwarf.sh: needs perf: apt-get install linux-perf" >&2; exit 1; }
ringlua=$build/src/ringlua
profile=$root/scripts/profile.lua
work=$(mktemp -d)
load_pid=
trap '[ -z "$load_pid" ] || kill "$load_pid" 2>/dev/null; rm -rf "$work"' EXIT

# cpu_of FILE: the CPU seconds /usr/bin/time wrote ("user sys") into FILE.
cpu_of() { awk '{ print $1 + $2 }' "$1"; }
# folded_share FILE PATTERN: samples in folded stacks, and the percentage whose line
# matches PATTERN.
folded_share() {
  awk -v re="$2" '/^[^ ]+ [0-9]+$/ { all += $NF; if ($1 ~ re) hit += $NF }
    END { printf "%d %d\n", all, all ? 100 * hit / all : 0 }' "$1"
}
# perf_share FILE PATTERN: samples in perf script's output (a blank line after each),
# and the percentage with a frame matching PATTERN.
perf_share() {
  awk -v re="$2" 'NF == 0 { if (in_s) { all++; hit += found } in_s = found = 0; next }
    { in_s = 1; if ($2 ~ re) found = 1 }
    END { if (in_s) { all++; hit += found } printf "%d %d\n", all, all ? 100 * hit / all : 0 }' "$1"
}
row() { # tool load run samples cpu_s bytes complete
  printf "%-8s %-12s %3d %8d %8.0f %10.1f %8.0f %7d%%\n" "$1" "$2" "$3" "$4" \
    "$(echo "$5 * 1000" | bc -l)" "$(echo "$5 * 1000000 / $4" | bc -l)" "$6" "$7"
}

# bench LOAD_NAME MAIN_PATTERN CMD...: every tool on one load.
bench() {
  local name=$1 main=$2 n share cpu bytes
  shift 2
  "$@" > /dev/null 2>&1 &
  load_pid=$!
  sleep 1
  for run in $(seq "$runs"); do
    for mode in none fp dwarf; do
      local opts=(-U --folded) stacks=user
      [ "$mode" != dwarf ] || opts=(-U -D --folded) stacks=dwarf
      [ "$mode" != none ] || opts=() stacks=none
      /usr/bin/time -f "%U %S" -o "$work/time" "$ringlua" -p "$load_pid" --hz "$hz" \
        --duration "$secs" "$profile" -- "${opts[@]}" > "$work/out" 2> "$work/err"
      read -r n share < <(folded_share "$work/out" ";$main(;|$)")
      # Without stacks profile.lua prints a table: its samples are the first row's.
      [ "$mode" != none ] || n=$(awk -v p="$load_pid" '$1 == p { print $3; exit }' "$work/out")
      bytes=$("$ringlua" -p "$load_pid" --hz "$hz" --duration 2 --stacks "$stacks" \
        "$root/bench/record_bytes.lua" 2> /dev/null | awk '{ print $4 }')
      row "$mode" "$name" "$run" "$n" "$(cpu_of "$work/time")" "$bytes" "$share"
    done
    /usr/bin/time -f "%U %S" -o "$work/time" perf record -q --call-graph dwarf -F "$hz" \
      -p "$load_pid" -o "$work/perf.data" -- sleep "$secs" > /dev/null 2>&1
    cpu=$(cpu_of "$work/time")
    /usr/bin/time -f "%U %S" -o "$work/time" perf report -i "$work/perf.data" --stdio \
      > /dev/null 2>&1
    cpu=$(echo "$cpu + $(cpu_of "$work/time")" | bc -l)
    perf script -i "$work/perf.data" -F ip,sym > "$work/script" 2> /dev/null
    read -r n share < <(perf_share "$work/script" "^$main$")
    bytes=$(( $(stat -c %s "$work/perf.data") / (n > 0 ? n : 1) ))
    row perf "$name" "$run" "$n" "$cpu" "$bytes" "$share"
  done
  kill "$load_pid"
  wait "$load_pid" 2> /dev/null || true
  load_pid=
}

echo "tool     load         run  samples   cpu_ms  us/sample  B/record  to_main"
bench "O2 C" main "$build/tests/integration/dwarf_target" spin 100000
bench python3.11 Py_BytesMain /usr/bin/python3.11 "$root/tests/integration/py_busy.py"
