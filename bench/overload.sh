#!/usr/bin/env bash
# Benchmark: a producer faster than the handler, for a long time.
#   bench/overload.sh [--seconds N] [--rate R] [--spin-us U] [--size BYTES]
# seq_producer streams R records/s into a pinned ring of BYTES; ringlua consumes it with
# a handler that spends U microseconds of CPU per event, so it falls behind and the
# producer drops. ringlua's resident memory (VmRSS) is sampled every second for N
# seconds. Then ringlua gets SIGINT while the producer still runs, and the time until it
# has exited (drained, on_exit run) is measured. Last, the producer is stopped and what it
# left in the ring is counted by a second ringlua, so that
# produced = delivered + leftover + dropped can be checked exactly.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
seconds=60
rate=200000
spin_us=20
size=$((16 << 20))
while [ $# -gt 0 ]; do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --spin-us) spin_us=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    *) echo "usage: bench/overload.sh [--seconds N] [--rate R] [--spin-us U]" \
            "[--size BYTES]" >&2; exit 2 ;;
  esac
done

producer=$build/tests/producer/seq_producer
handler=$root/tests/integration/scripts/seq_count.lua
pin=/sys/fs/bpf/ringlua_overload_bench_$$
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"; rm -f "$pin"' EXIT

now() { date +%s.%N; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
# started OUT: waits until ringlua's on_init printed READY into OUT.
started() { until grep -q READY "$1" 2>/dev/null; do sleep 0.05; done; }

"$producer" --pin "$pin" --count 0 --size "$size" > /dev/null
"$build/src/ringlua" --pin "$pin" "$handler" -- "spin_us=$spin_us" > "$work/out" \
  2> "$work/err" &
ringlua=$!
started "$work/out"
"$producer" --pin "$pin" --reuse --rate "$rate" --count $((rate * (seconds + 3600))) \
  > "$work/prod" &
producer_pid=$!

# RSS every second while overloaded.
for _ in $(seq "$seconds"); do
  sleep 1
  rss_kb "$ringlua" >> "$work/rss"
done

# SIGINT with the producer still running: how long until ringlua is gone.
t0=$(now)
kill -INT "$ringlua"
rc=0
wait "$ringlua" || rc=$?
exit_s=$(echo "$(now) - $t0" | bc)
kill -INT "$producer_pid"
wait "$producer_pid"

# What the producer left in the ring after ringlua exited.
"$build/src/ringlua" --pin "$pin" "$handler" > "$work/out2" 2> "$work/err2" &
drainer=$!
started "$work/out2"
sleep 1
kill -INT "$drainer"
wait "$drainer"

field() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' "$2"; }
delivered=$(sed -n 's/^delivered=\([0-9]*\) .*/\1/p' "$work/out")
leftover=$(sed -n 's/^delivered=\([0-9]*\) .*/\1/p' "$work/out2")
produced=$(field produced "$work/prod")
dropped=$(field dropped "$work/prod")
echo "overload: $rate records/s for ${seconds} s, handler $spin_us us/event, ring $((size >> 10)) KiB"
echo "VmRSS: first $(head -1 "$work/rss") kB, last $(tail -1 "$work/rss") kB," \
     "max $(sort -n "$work/rss" | tail -1) kB ($(wc -l < "$work/rss") samples)"
echo "SIGINT to exit: ${exit_s} s, exit code $rc, on_exit ran: $(grep -c '^delivered=' "$work/out")"
echo "produced $produced = delivered $delivered + leftover $leftover + dropped $dropped:" \
     "$([ "$((delivered + leftover + dropped))" == "$produced" ] && echo exact || echo NO)"
echo "ringlua: $(tail -1 "$work/err")"
