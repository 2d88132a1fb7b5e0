#!/usr/bin/env bash
# Benchmark: exact accounting of a paced stream.
#   bench/accounting.sh [--seconds N] [--size BYTES] [--rates "R1 R2 ..."] [--discard-every K]
# For each rate, seq_producer streams R records/s for N seconds into a pinned ring of
# BYTES while ringlua consumes it with a counting handler; the producer discards every
# Kth record it reserves. Then ringlua is stopped (SIGINT: it drains the ring) and each
# record must be delivered, dropped (the ring was full) or discarded:
# produced = delivered + dropped + discarded. Prints one Markdown table row per rate.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
seconds=10
size=$((1 << 20))
rates="10000 100000 1000000"
discard_every=10
while [ $# -gt 0 ]; do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --rates) rates=$2; shift 2 ;;
    --discard-every) discard_every=$2; shift 2 ;;
    *) echo "usage: bench/accounting.sh [--seconds N] [--size BYTES] [--rates \"R ...\"]" \
            "[--discard-every K]" >&2; exit 2 ;;
  esac
done

producer=$build/tests/producer/seq_producer
handler=$root/tests/integration/scripts/seq_count.lua
pin=/sys/fs/bpf/ringlua_accounting_bench_$$
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"; rm -f "$pin"' EXIT

field() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' "$2"; }

echo "| rate/s | seconds | ring | produced | delivered | dropped | discarded | sum | exact |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for rate in $rates; do
  "$producer" --pin "$pin" --count 0 --size "$size" > /dev/null
  "$build/src/ringlua" --pin "$pin" "$handler" > "$work/out" 2> "$work/err" &
  ringlua=$!
  until grep -q READY "$work/out" 2>/dev/null; do sleep 0.05; done
  "$producer" --pin "$pin" --reuse --rate "$rate" --count $((rate * seconds)) \
    --discard-every "$discard_every" > "$work/prod"
  kill -INT "$ringlua"
  wait "$ringlua"
  produced=$(field produced "$work/prod")
  dropped=$(field dropped "$work/prod")
  discarded=$(field discarded "$work/prod")
  delivered=$(sed -n 's/^delivered=\([0-9]*\) .*/\1/p' "$work/out")
  sum=$((delivered + dropped + discarded))
  exact=$([ "$sum" == "$produced" ] && echo yes || echo NO)
  echo "| $rate | $seconds | $((size >> 10)) KiB | $produced | $delivered | $dropped |" \
       "$discarded | $sum | $exact |"
  rm -f "$pin"
done
