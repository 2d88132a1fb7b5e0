#!/usr/bin/env bash
# Benchmark: delivery latency, from each record's submit to its on_event.
#   bench/latency.sh [--seconds N] [--latencies "0.5 5 50"] [--rates "1000 100000 1000000"]
# seq_producer --stamp puts each record's submit time (bpf_ktime_get_ns, CLOCK_MONOTONIC)
# in it and streams R records/s into a 16 MiB pinned ring for N seconds; ringlua reads
# the same clock in on_event (tests/integration/scripts/latency.lua). One line per
# --latency value and rate: p50, p99 and max in microseconds, events handled and dropped.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
seconds=2
latencies="0.5 5 50"
rates="1000 100000 1000000"
while [ $# -gt 0 ]; do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --latencies) latencies=$2; shift 2 ;;
    --rates) rates=$2; shift 2 ;;
    *) echo "usage: bench/latency.sh [--seconds N] [--latencies \"MS...\"]" \
            "[--rates \"R...\"]" >&2; exit 2 ;;
  esac
done

ringlua=$build/src/ringlua
producer=$build/tests/producer/seq_producer
script=$root/tests/integration/scripts/latency.lua
pin=/sys/fs/bpf/ringlua_latency_bench_$$
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"; rm -f "$pin"' EXIT

# started OUT: waits until ringlua's on_init printed READY into OUT.
started() { until grep -q READY "$1" 2>/dev/null; do sleep 0.05; done; }
field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" "$2"; }
# dropped: from the producer's `produced N dropped D discarded K`.
dropped() { awk '{ for (i = 1; i < NF; i++) if ($i == "dropped") print $(i + 1) }' "$1"; }

printf '%-10s %9s %9s %9s %9s %10s %8s\n' latency_ms rate p50_us p99_us max_us handled dropped
for rate in $rates; do
  # One record per program run at low rates, so that each is stamped on its own time.
  batch=$((rate >= 10000 ? 64 : 1))
  for latency in $latencies; do
    "$producer" --pin "$pin" --count 0 --size $((16 << 20)) > /dev/null
    "$ringlua" --pin "$pin" --latency "$latency" "$script" > "$work/out" 2> "$work/err" &
    rl=$!
    started "$work/out"
    "$producer" --pin "$pin" --reuse --stamp --rate "$rate" --batch "$batch" \
      --count $((rate * seconds)) > "$work/prod"
    sleep 0.2 # longer than any --latency here: the last records are handed out
    kill -INT "$rl"
    wait "$rl"
    printf '%-10s %9s %9s %9s %9s %10s %8s\n' "$latency" "$rate" \
      "$(field p50_us "$work/out")" "$(field p99_us "$work/out")" \
      "$(field max_us "$work/out")" "$(field n "$work/out")" "$(dropped "$work/prod")"
    rm -f "$pin"
  done
done
