#!/usr/bin/env bash
# Benchmark: how long ringlua takes to exit after SIGINT with many tracepoint probes
# (detaching them is the cost), and to start (launch to on_init, probes attached).
#   bench/tp_exit.sh [--runs R] PROBES...   e.g. 'tp:syscalls:sys_enter_*'
# One line per run and probe list; BUILD=DIR picks another build tree.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
ringlua=${BUILD:-$root/build}/src/ringlua
runs=3
if [ "${1:-}" = --runs ]; then runs=$2; shift 2; fi
[ $# -gt 0 ] || { echo "usage: bench/tp_exit.sh [--runs R] PROBES..." >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

for r in $(seq "$runs"); do
  for probes in "$@"; do
    t0=$(now_ms)
    "$ringlua" -s "$probes" -e 'on_init = function() print("READY " .. #ringlua.rings)
        io.stdout:flush() end on_event = function() end' > "$work/out" 2> "$work/err" &
    pid=$!
    until grep -q READY "$work/out"; do
      kill -0 "$pid" 2> /dev/null || { cat "$work/err" >&2; exit 1; }
      sleep 0.01
    done
    t1=$(now_ms)
    kill -INT "$pid"
    wait "$pid"
    t2=$(now_ms)
    echo "run $r $probes: $(cut -d' ' -f2 "$work/out") probes, start $((t1 - t0)) ms, exit $((t2 - t1)) ms"
  done
done
