#!/usr/bin/env bash
# Benchmark: 99 Hz profiles with kernel and user stacks, by ringlua's
# scripts/profile.lua -K -U --folded and by bpftrace 0.17 (Debian's package, installed
# if missing) with `profile:hz:99 { @[kstack, ustack] = count(); }`, each over the same
# load (a busy stack_target and a shell loop making system calls, one per CPU), for S
# seconds, R runs each, interleaved. Reports each tool's own CPU (user + sys, from
# /proc/PID/stat just before SIGINT) per sample, and the wall time from SIGINT to exit:
# resolving and printing the stacks.
#   bench/stacks.sh [--seconds S] [--runs R]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
secs=10
runs=3
while [ $# -gt 0 ]; do
  case $1 in
    --seconds) secs=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) echo "usage: bench/stacks.sh [--seconds S] [--runs R]" >&2; exit 2 ;;
  esac
done
command -v bpftrace > /dev/null || apt-get install -y -q bpftrace > /dev/null
work=$(mktemp -d)
load_pids=()
trap 'kill "${load_pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT
tick=$(getconf CLK_TCK)

# cpu_ticks PID: user + system CPU of PID so far, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# run_tool NAME CMD...: runs the tool for $secs, prints "cpu_s samples exit_s".
run_tool() {
  local name=$1
  shift
  "$@" > "$work/$name.out" 2> "$work/$name.err" &
  local pid=$! t0 t1 ticks
  sleep "$secs"
  ticks=$(cpu_ticks "$pid")
  t0=$(date +%s%N)
  kill -INT "$pid"
  wait "$pid" || true
  t1=$(date +%s%N)
  echo "$ticks $(( (t1 - t0) / 1000000 ))"
}

# Samples in ringlua's folded output (the last field of each line) and in bpftrace's
# map (the value after "]: ").
folded_samples() { awk '{ n += $NF } END { print n + 0 }' "$1"; }
bpftrace_samples() { sed -n 's/^.*\]: \([0-9]*\)$/\1/p' "$1" | awk '{ n += $1 } END { print n + 0 }'; }

"$build/tests/integration/stack_target" spin 100000 & load_pids+=($!)
bash -c 'while :; do cat /proc/self/stat > /dev/null; done' & load_pids+=($!)
sleep 1

echo "tool        run  samples  cpu_ms  us/sample  exit_ms"
for run in $(seq "$runs"); do
  read -r ticks exit_ms < <(run_tool ringlua "$build/src/ringlua" "$root/scripts/profile.lua" -- -K -U --folded)
  n=$(folded_samples "$work/ringlua.out")
  printf "%-11s %3d %8d %7d %10.1f %8d\n" ringlua "$run" "$n" $((ticks * 1000 / tick)) \
    "$(echo "$ticks * 1000000 / $tick / $n" | bc -l)" "$exit_ms"
  read -r ticks exit_ms < <(run_tool bpftrace bpftrace -e 'profile:hz:99 { @[kstack, ustack] = count(); }')
  n=$(bpftrace_samples "$work/bpftrace.out")
  printf "%-11s %3d %8d %7d %10.1f %8d\n" bpftrace "$run" "$n" $((ticks * 1000 / tick)) \
    "$(echo "$ticks * 1000000 / $tick / $n" | bc -l)" "$exit_ms"
done
