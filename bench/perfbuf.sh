#!/usr/bin/env bash
# Benchmark: CPU per event, perf buffer against ring buffer, for the same program
# (bench/perfbuf.bpf.c, switched by --set use_ring) and the same handler: a command
# makes N getppid calls, each one record; ringlua's own CPU (user + sys, at exit) over
# the events it handled, and how long the command's calls took (the BPF program and its
# output run in the command's context), median of R runs.
#   bench/perfbuf.sh [--calls N] [--runs R]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
n=1000000
runs=3
while [ $# -gt 0 ]; do
  case $1 in
    --calls) n=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) echo "usage: bench/perfbuf.sh [--calls N] [--runs R]" >&2; exit 2 ;;
  esac
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 700 "$work"
export XDG_CACHE_HOME=$work/cache
mkdir -m 700 "$XDG_CACHE_HOME"
cp "$root/bench/perfbuf.bpf.c" "$root/bench/perfbuf_handler.lua" "$work/"
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
# The command times its own calls.
cmd="perl -MTime::HiRes=time -e '\$t = time; syscall(110) for 1..$n; printf STDERR \"calls=%.3f\\n\", time - \$t'"

for path in ring perf; do
  use_ring=false
  if [ "$path" = ring ]; then use_ring=true; fi
  for r in $(seq "$runs"); do
    "$build/src/ringlua" --bpf "$work/perfbuf.bpf.c" --set use_ring=$use_ring \
      --type perf_events=event --type ring_events=event -c "$cmd" \
      "$work/perfbuf_handler.lua" > /dev/null 2> "$work/err" || { cat "$work/err" >&2; exit 1; }
    events=$(sed -n 's/^bench: events=\([0-9]*\) .*/\1/p' "$work/err")
    cpu=$(sed -n 's/^bench: .* cpu=\([0-9.]*\)$/\1/p' "$work/err")
    calls=$(sed -n 's/^calls=\([0-9.]*\)$/\1/p' "$work/err")
    lost=$(sed -n 's/^ringlua: [0-9]* events, [0-9]* errors, \([0-9]*\) dropped.*/\1/p' "$work/err")
    echo "$(awk -v c="$cpu" -v e="$events" 'BEGIN { printf "%.0f", c * 1e9 / e }')" \
         "$(awk -v c="$calls" 'BEGIN { printf "%.0f", c * 1e9 / '"$n"' }')" \
         "$events" "${lost:-0}" >> "$work/$path"
  done
  echo "$path: ringlua CPU $(cut -d' ' -f1 "$work/$path" | median) ns/event," \
       "the command $(cut -d' ' -f2 "$work/$path" | median) ns/call;" \
       "events handled $(cut -d' ' -f3 "$work/$path" | median) of $n," \
       "lost $(cut -d' ' -f4 "$work/$path" | median) (median of $runs)"
done
