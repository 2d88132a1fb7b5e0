#!/usr/bin/env bash
# Benchmark: the same trace done by ringlua and by bpftrace (Debian's package, installed
# if missing). A `dd` makes about 2N system calls; each tool prints one formatted line per
# system call entry of processes named dd to a file. Reports each tool's own CPU (user +
# sys, dd not included) per event and the events it lost, over R interleaved runs.
#   bench/vs_bpftrace.sh [--syscalls N] [--runs R]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
n=500000
runs=3
while [ $# -gt 0 ]; do
  case $1 in
    --syscalls) n=$(($2 / 2)); shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) echo "usage: bench/vs_bpftrace.sh [--syscalls N] [--runs R]" >&2; exit 2 ;;
  esac
done
command -v bpftrace > /dev/null || apt-get install -y -q bpftrace > /dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

BPFTRACE_PROG='tracepoint:raw_syscalls:sys_enter /comm == "dd"/ { printf("%d %d\n", pid, args->id); }'

# stop_child PID: SIGINT to the one child of PID (the tool under `time`), and waits.
stop_child() {
  kill -INT "$(cat "/proc/$1/task/$1/children")"
  wait "$1"
}

# run TOOL: starts it (timed), waits until it is attached, runs dd, lets it catch up,
# stops it; writes "cpu_seconds events lost" to $work/result.
run() {
  local tool=$1 TIMEFORMAT="%U %S"
  : > "$work/err"
  if [ "$tool" = bpftrace ]; then
    { time bpftrace -o "$work/out" -e "$BPFTRACE_PROG" 2> "$work/err"; } 2> "$work/time" &
    until grep -q "Attaching" "$work/out" 2>/dev/null; do sleep 0.05; done
  else
    { time "$build/src/ringlua" --comm dd "$root/bench/print_syscalls.lua" > "$work/out" \
        2> "$work/err"; } 2> "$work/time" &
    until grep -q READY "$work/err" 2>/dev/null; do sleep 0.05; done
  fi
  dd if=/dev/zero of=/dev/null bs=1 count="$n" 2> /dev/null
  sleep 1
  stop_child $!
  local events lost
  events=$(grep -cE '^[0-9]+ [0-9]+$' "$work/out" || true)
  if [ "$tool" = bpftrace ]; then
    lost=$(sed -n 's/.*Lost \([0-9]*\) events.*/\1/p' "$work/err" "$work/out" | awk '{ n += $1 } END { print n + 0 }')
  else
    lost=$(sed -n 's/.* \([0-9]*\) dropped.*/\1/p' "$work/err" | head -1)
  fi
  echo "$(awk '{ print $1 + $2 }' "$work/time") $events ${lost:-0}" > "$work/result"
}

for r in $(seq "$runs"); do
  for tool in bpftrace ringlua; do
    run "$tool"
    read -r cpu events lost < "$work/result"
    echo "$tool $cpu $events $lost" >> "$work/all"
    printf 'run %d %-8s %6.2f s CPU  %8d events  %6d lost  %7.0f ns/event\n' "$r" "$tool" \
      "$cpu" "$events" "$lost" "$(echo "$cpu * 1000000000 / ($events + 1)" | bc -l)"
  done
done
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
bt=$(awk '$1 == "bpftrace" { print $2 * 1e9 / $3 }' "$work/all" | median)
rl=$(awk '$1 == "ringlua" { print $2 * 1e9 / $3 }' "$work/all" | median)
echo "median CPU per event: bpftrace $bt ns, ringlua $rl ns: bpftrace/ringlua = $(echo "$bt / $rl" | bc -l | cut -c1-5)x"
