#!/usr/bin/env bash
# Benchmark: ringlua against libbpf's ring_buffer on the same stream of records.
#   bench/run.sh [--events N] [--runs R] [--live-batch B]
# Modes: drain (the ring is filled first, then consumed) and live (the producer runs flat
# out, B records per program run, while the consumer runs). Reports whole-process CPU
# ns/event (user+sys), events delivered and dropped, the median over R interleaved runs,
# and the ratio to libbpf.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
events=4000000
runs=5
live_batch=64   # records per producer run: a few million records/s in live mode
while [ $# -gt 0 ]; do
  case $1 in
    --events) events=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --live-batch) live_batch=$2; shift 2 ;;
    *) echo "usage: bench/run.sh [--events N] [--runs R] [--live-batch B]" >&2; exit 2 ;;
  esac
done

producer=$build/tests/producer/seq_producer
pin=/sys/fs/bpf/ringlua_bench_$$
ring_size=$((256 << 20))   # holds every record of a drain run
work=$(mktemp -d)
trap 'rm -rf "$work"; rm -f "$pin"' EXIT

declare -A CONSUMERS=(
  [libbpf]="$build/bench/libbpf_consumer --pin $pin --count $events"
  [ringlua]="$build/src/ringlua --pin $pin --count $events $root/bench/handler.lua"
  [ringlua_latency0]="$build/src/ringlua --latency 0 --pin $pin --count $events $root/bench/handler.lua"
)
ORDER=(libbpf ringlua ringlua_latency0)

# Runs a consumer command; writes "cpu_seconds events" to $work/result.
timed_consume() {
  local TIMEFORMAT="%U %S" t
  { time $1 > "$work/out" 2>/dev/null; } 2> "$work/time"
  t=$(awk '{ print $1 + $2 }' "$work/time")
  echo "$t $(awk '/^events/ { print $2 }' "$work/out")" > "$work/result"
}

drain_run() {
  "$producer" --pin "$pin" --size "$ring_size" --count "$events" --batch 256 > "$work/prod"
  timed_consume "$1"
}

live_run() {
  "$producer" --pin "$pin" --size $((64 << 20)) --count 0 > /dev/null
  timed_consume "$1" &
  sleep 0.5   # let the consumer map the ring and go to sleep
  "$producer" --pin "$pin" --reuse --count "$events" --batch "$live_batch" > "$work/prod"
  wait
}

median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# One mode: R interleaved rounds of every consumer, then a table row per consumer.
bench_mode() {
  local mode=$1 name round
  for name in "${ORDER[@]}"; do : > "$work/$mode.$name"; done
  for round in $(seq "$runs"); do
    for name in "${ORDER[@]}"; do
      "${mode}_run" "${CONSUMERS[$name]}"
      read -r cpu got < "$work/result"
      echo "$cpu $got $(awk '{ print $4 }' "$work/prod")" >> "$work/$mode.$name"
      rm -f "$pin"
    done
  done
  report "$mode"
}

report() {
  local mode=$1 name base ns
  base=$(awk -v n="$events" '{ print $1 * 1e9 / n }' "$work/$mode.libbpf" | median)
  for name in "${ORDER[@]}"; do
    ns=$(awk -v n="$events" '{ print $1 * 1e9 / n }' "$work/$mode.$name" | median)
    printf "| %s | %s | %.1f | %s | %s | %.2fx |\n" "$mode" "$name" "$ns" \
      "$(awk '{ print $2 }' "$work/$mode.$name" | median)" \
      "$(awk '{ print $3 }' "$work/$mode.$name" | median)" \
      "$(awk -v a="$ns" -v b="$base" 'BEGIN { print a / b }')"
  done
}

echo "events per run: $events, runs: $runs (medians), live producer batch: $live_batch"
echo "| mode | consumer | CPU ns/event | events delivered | dropped | vs libbpf |"
echo "| --- | --- | --- | --- | --- | --- |"
bench_mode drain
bench_mode live
