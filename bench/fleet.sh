#!/usr/bin/env bash
# Benchmark: the cost of --metrics (scraped every second) and of --output nats, as CPU
# per event at a paced rate, beside the same script without them.
#   bench/fleet.sh [--seconds N] [--rate R] [--runs K]
# seq_producer streams R records/s for N seconds into a pinned 16 MiB ring; ringlua
# consumes them with --count (so it ends by itself) and its whole-process CPU (user +
# sys: the loop, the HTTP server's and the publisher's threads, libnats's) is divided by
# the events. Variants:
#   agg           tests/integration/scripts/seq_metrics.lua (a labelled count, two
#                 histograms, a sum)
#   agg+metrics   the same with --metrics, curl scraping /metrics every second
#   emit          tests/integration/scripts/seq_emit.lua: ringlua.emit of a table per
#                 event, to stdout (/dev/null)
#   emit+nats     the same with --output to a local nats-server, a subscriber reading
#   emit+jetstream  the same with --output to a JetStream server (nats-server -js, a fresh
#                 store per run under the work directory), into a stream ringlua creates
#                 (?stream=BENCH): every message stored and acknowledged
# Prints one Markdown table row per variant: the median CPU over K runs, and each run's
# count of messages not published (a publisher slower than the rate fills its queue).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
seconds=10
rate=100000
runs=3
while [ $# -gt 0 ]; do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) echo "usage: bench/fleet.sh [--seconds N] [--rate R] [--runs K]" >&2; exit 2 ;;
  esac
done

producer=$build/tests/producer/seq_producer
scripts=$root/tests/integration/scripts
events=$((rate * seconds))
pin=/sys/fs/bpf/ringlua_fleet_bench_$$
mport=19535
nport=14322
jport=14323
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"; rm -f "$pin"' EXIT

nats-server -a 127.0.0.1 -p "$nport" > "$work/nats.log" 2>&1 &
sleep 0.5
"$build/tests/integration/nats_sub" "nats://127.0.0.1:$nport" seq > "$work/sub" &

declare -A VARIANTS=(
  [agg]="$scripts/seq_metrics.lua"
  [agg+metrics]="--metrics 127.0.0.1:$mport $scripts/seq_metrics.lua"
  [emit]="$scripts/seq_emit.lua"
  [emit+nats]="--output nats://127.0.0.1:$nport/seq $scripts/seq_emit.lua"
  [emit+jetstream]="--output nats://127.0.0.1:$jport/seq?stream=BENCH $scripts/seq_emit.lua"
)
ORDER=(agg agg+metrics emit emit+nats emit+jetstream)

# A JetStream server with an empty store (a million messages a run would pile up).
restart_jetstream() {
  [ -z "${JSPID:-}" ] || { kill "$JSPID"; wait "$JSPID" || true; }
  rm -rf "$work/js"
  nats-server -a 127.0.0.1 -p "$jport" -js -sd "$work/js" > "$work/js.log" 2>&1 &
  JSPID=$!
  until (echo > "/dev/tcp/127.0.0.1/$jport") 2> /dev/null; do sleep 0.05; done
}

# One run of a variant: prints "cpu_seconds not_published" of ringlua (0 without --output).
run_variant() {
  local TIMEFORMAT="%U %S" scraper=
  [[ $1 != *stream=* ]] || restart_jetstream
  "$producer" --pin "$pin" --count 0 --size $((16 << 20)) > /dev/null
  # shellcheck disable=SC2086 # the variant's words
  { time "$build/src/ringlua" --pin "$pin" --count "$events" $1 > "$work/out" 2> "$work/err"; } \
    2> "$work/time" &
  local consumer=$!
  until grep -q READY "$work/out" 2>/dev/null; do sleep 0.05; done
  if [[ $1 == *--metrics* ]]; then
    (while sleep 1; do curl -sf "http://127.0.0.1:$mport/metrics" > /dev/null || true; done) &
    scraper=$!
  fi
  "$producer" --pin "$pin" --reuse --rate "$rate" --count "$events" > "$work/prod"
  wait "$consumer"
  [ -z "$scraper" ] || kill "$scraper"
  rm -f "$pin"
  awk -v n="$(sed -n 's/.* \([0-9]*\) not published.*/\1/p' "$work/err")" \
    '{ print $1 + $2, n + 0 }' "$work/time"
}

median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

for name in "${ORDER[@]}"; do : > "$work/$name"; done
for _ in $(seq "$runs"); do
  for name in "${ORDER[@]}"; do run_variant "${VARIANTS[$name]}" >> "$work/$name"; done
done
echo "| variant | rate/s | events | CPU ns/event (median of $runs) | CPU % of a core | not published (per run) |"
echo "| --- | --- | --- | --- | --- | --- |"
for name in "${ORDER[@]}"; do
  cpu=$(cut -d' ' -f1 "$work/$name" | median)
  lost=$(cut -d' ' -f2 "$work/$name" | paste -sd/)
  awk -v n="$name" -v r="$rate" -v e="$events" -v c="$cpu" -v s="$seconds" -v l="$lost" \
    'BEGIN { printf "| %s | %d | %d | %.0f | %.1f | %s |\n", n, r, e, c * 1e9 / e, c * 100 / s, l }'
done
