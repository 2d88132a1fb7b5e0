#!/usr/bin/env bash
# Benchmark: what a USDT probe costs the traced program, ringlua against bpftrace, on
# python3.11's python:audit (Debian's build has it): N sys.audit() calls, each a probe
# hit, timed by Python itself (time.process_time around the loop: its user and system
# CPU, where the uprobe trap and the BPF program run), untraced, under ringlua's one-liner
# `usdt:PY:python:audit { count() }` and under bpftrace's `@ = count()` of the same probe,
# each in turn, R runs; medians. The added time per hit is the traced run's time per
# call less the untraced run's (each tool's untraced run just before it).
#   bench/usdt.sh [--hits N] [--runs R]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
py=/usr/bin/python3.11
n=200000
runs=5
while [ $# -gt 0 ]; do
  case $1 in
    --hits) n=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) echo "usage: bench/usdt.sh [--hits N] [--runs R]" >&2; exit 2 ;;
  esac
done
command -v bpftrace > /dev/null || apt-get install -y -q bpftrace > /dev/null
ringlua=$build/src/ringlua
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# Prints "ns=T": the CPU nanoseconds per sys.audit() call of n calls.
cat > "$work/audits.py" <<'PY'
import sys, time
n = int(sys.argv[1])
t = time.process_time_ns()
for i in range(n):
    sys.audit("bench", i)
print("ns=%.1f" % ((time.process_time_ns() - t) / n))
PY
per_call() { sed -n 's/^ns=//p'; }
untraced() { "$py" "$work/audits.py" "$n" | per_call; }

for r in $(seq "$runs"); do
  base=$(untraced)
  traced=$("$ringlua" -c "$py $work/audits.py $n" \
             -e "usdt:$py:python:audit { count() }" 2> /dev/null | per_call)
  echo "$traced - $base" | bc >> "$work/rl"
  base=$(untraced)
  traced=$(bpftrace -e "usdt:$py:python:audit /pid == cpid/ { @ = count(); }" \
             -c "$py $work/audits.py $n" 2> /dev/null | per_call)
  echo "$traced - $base" | bc >> "$work/bt"
  echo "$base" >> "$work/base"
done
echo "python:audit, $n hits, median of $runs: untraced $(median < "$work/base") ns a call;" \
     "added per hit: ringlua $(median < "$work/rl") ns, bpftrace $(median < "$work/bt") ns"
