#!/usr/bin/env bash
# Benchmark: hot reload under a steady event stream.
#   bench/reload.sh [--reloads N] [--rate R]
# A producer streams R records/s into a pinned ring while ringlua consumes it and the
# handler is saved N times. Reports save-to-live latency (the write to the first event
# handled by the new handler) p50/p95/max, the time each reload held up the event loop
# (build and swap, as ringlua reports it), and events produced vs handled.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
reloads=200
rate=100000
while [ $# -gt 0 ]; do
  case $1 in
    --reloads) reloads=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    *) echo "usage: bench/reload.sh [--reloads N] [--rate R]" >&2; exit 2 ;;
  esac
done

producer=$build/tests/producer/seq_producer
pin=/sys/fs/bpf/ringlua_reload_bench_$$
work=$(mktemp -d)
chmod 755 "$work"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"; rm -f "$pin"' EXIT
umask 022

# A stream long enough for every reload (about 30 ms each), in a ring that holds it all.
events=$((rate * (reloads / 20 + 10)))
"$producer" --pin "$pin" --count 0 --size $((256 << 20)) > /dev/null
sed 's/^local GEN = .*/local GEN = 0/' "$root/bench/reload_handler.lua" > "$work/handler.lua"
"$build/src/ringlua" --pin "$pin" "$work/handler.lua" > "$work/out" 2> "$work/err" &
ringlua=$!
sleep 0.5
"$producer" --pin "$pin" --reuse --count "$events" --rate "$rate" > "$work/prod" &
producer_pid=$!
sleep 0.5

luajit "$root/bench/reload_driver.lua" "$root/bench/reload_handler.lua" "$work/handler.lua" \
  "$work/out" "$reloads" > "$work/latency"
wait "$producer_pid"
sleep 0.5
kill -INT "$ringlua"
wait "$ringlua"

percentiles() {
  sort -g | awk '{ a[NR] = $1 } END {
    printf "p50 %.1f ms, p95 %.1f ms, max %.1f ms (n=%d)\n",
      a[int(NR * 0.50 + 0.5)], a[int(NR * 0.95 + 0.5)], a[NR], NR }'
}
echo "stream: $rate records/s, $reloads reloads"
echo "save to live: $(percentiles < "$work/latency")"
echo "loop held up by a reload: $(sed -n 's/^ringlua: reloaded .* (\([0-9.]*\) ms)$/\1/p' \
  "$work/err" | percentiles)"
handled=$(awk '/^HANDLED/ { n += $3 } END { print n }' "$work/out")
echo "events: $(cat "$work/prod"); handled $handled"
grep -v '^ringlua: reloaded' "$work/err" || true
