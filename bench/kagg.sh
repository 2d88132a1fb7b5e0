#!/usr/bin/env bash
# Benchmark: counting system calls by comm in the kernel, as bpftrace's maps do.
#   dd if=/dev/zero of=/dev/null bs=1 count=N (2N system calls) untraced; under bpftrace
#   `tracepoint:raw_syscalls:sys_enter /comm == "dd"/ { @[comm] = count(); }`; under
#   ringlua with a kernel count by comm (--comm dd -s syscalls, no event handler: the
#   ring carries nothing); under ringlua with the same count kept in Lua (every record
#   through the ring). Interleaved rounds (each round every mode once, in turn); medians
#   of dd's wall and CPU (user + sys) time, and the ratio of each tracer's added dd CPU
#   to bpftrace's.
#   Then the BPF program's own time per event from the kernel's BPF statistics
#   (kernel.bpf_stats_enabled=1 for that part, set back after), in interleaved rounds
#   too: ringlua's kernel count, ringlua's records to the Lua handler, bpftrace's
#   `@[comm] = count()` and its `@ = count()`; medians of the ns per run.
#   With BASE=DIR (another build tree, e.g. of an earlier commit), the statistics also
#   take that build's kernel count, as mode `base`, in the same rounds.
#   bench/kagg.sh [--count N] [--runs R] [--stats-only]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
n=1000000
runs=5
stats_only=false
while [ $# -gt 0 ]; do
  case $1 in
    --count) n=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --stats-only) stats_only=true; shift ;;
    *) echo "usage: bench/kagg.sh [--count N] [--runs R] [--stats-only]" >&2; exit 2 ;;
  esac
done
command -v bpftrace > /dev/null || apt-get install -y -q bpftrace > /dev/null
ringlua=$build/src/ringlua
work=$(mktemp -d)
stats_before=$(sysctl -n kernel.bpf_stats_enabled)
trap 'sysctl -q kernel.bpf_stats_enabled="$stats_before"; kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

cat > "$work/kernel.lua" <<'LUA'
local agg = require("ringlua.agg")
agg.count("", { kernel = true, key = { "comm" } })
function on_init() print("READY") io.stdout:flush() end
function on_exit() agg.print_all() end
LUA
cat > "$work/lua.lua" <<'LUA'
local ringlua = require("ringlua")
local agg = require("ringlua.agg")
local calls = agg.count("")
local str, cast = ringlua.str, ringlua.cast
function on_init() print("READY") io.stdout:flush() end
function on_event(p) calls:add(str(cast(p).comm)) end
function on_exit() agg.print_all() end
LUA
BT='tracepoint:raw_syscalls:sys_enter /comm == "dd"/ { @[comm] = count(); }'
BT1='tracepoint:raw_syscalls:sys_enter /comm == "dd"/ { @ = count(); }'

# start MODE: the tracer of MODE in the background, once it is attached (bpftrace's
# BEGIN, ringlua's on_init); its pid in $tracer.
start() {
  rm -f "$work/out"
  case $1 in
    bpftrace) bpftrace -B line -e "BEGIN { printf(\"READY\\n\"); } $BT" > "$work/out" 2> "$work/err" & ;;
    bpftrace1) bpftrace -B line -e "BEGIN { printf(\"READY\\n\"); } $BT1" > "$work/out" 2> "$work/err" & ;;
    kernel) "$ringlua" --comm dd -s syscalls "$work/kernel.lua" > "$work/out" 2> "$work/err" & ;;
    base) "$BASE/src/ringlua" --comm dd -s syscalls "$work/kernel.lua" > "$work/out" 2> "$work/err" & ;;
    lua) "$ringlua" --comm dd -s syscalls "$work/lua.lua" > "$work/out" 2> "$work/err" & ;;
  esac
  tracer=$!
  until grep -q READY "$work/out" 2> /dev/null; do
    kill -0 "$tracer" 2> /dev/null || { cat "$work/err" >&2; exit 1; }
    sleep 0.05
  done
}
stop() {
  kill -INT "$tracer"
  wait "$tracer" || true
}
# dd_run: dd's wall and CPU (user + sys) time in ms.
dd_run() {
  local TIMEFORMAT="%3R %3U %3S"
  { time dd if=/dev/zero of=/dev/null bs=1 count="$n" 2> /dev/null; } 2>&1 |
    awk '{ printf "%d %d\n", $1 * 1000, ($2 + $3) * 1000 }'
}

if ! $stats_only; then
modes=${MODES:-"none bpftrace kernel lua"}
for r in $(seq "$runs"); do
  for mode in $modes; do
    rm -f "$work/out"
    [ "$mode" = none ] || start "$mode"
    read -r wall cpu < <(dd_run)
    [ "$mode" = none ] || stop
    counted=$( { grep -F '@[dd]: ' "$work/out" 2> /dev/null || true; } | sed 's/.*: //' | head -1)
    printf 'run %d %-8s dd wall %5d ms  CPU %5d ms  counted %s\n' "$r" "$mode" "$wall" "$cpu" "${counted:--}"
    echo "$mode $wall $cpu" >> "$work/all"
  done
done
col() { awk -v m="$1" -v c="$2" '$1 == m { print $c }' "$work/all" | median; }
base_cpu=$(col none 3)
bt_added=$(( $(col bpftrace 3) - base_cpu ))
echo "medians of $runs rounds, dd of $n one-byte copies ($((2 * n)) system calls):"
for mode in $modes; do
  cpu=$(col "$mode" 3)
  ratio=$(echo "($cpu - $base_cpu) / $bt_added" | bc -l)
  printf '  %-8s dd wall %5d ms  CPU %5d ms  added CPU %5d ms (%.0f ns/call)  added/bpftrace %.2f\n' \
    "$mode" "$(col "$mode" 2)" "$cpu" $((cpu - base_cpu)) \
    "$(echo "($cpu - $base_cpu) * 1000000 / (2 * $n)" | bc -l)" "$ratio"
done
fi

# The BPF program's own run time per event, from the kernel's statistics: the programs
# that appeared with the tracer and attach to sys_enter (ringlua's on_sys_enter).
sysctl -q kernel.bpf_stats_enabled=1
prog_ids() { bpftool -j prog show | python3 -c 'import json,sys
for p in json.load(sys.stdin):
  if "sys_enter" in p.get("name", ""): print(p["id"])' | sort; }
stat_modes=${STAT_MODES:-"${BASE:+base }kernel lua bpftrace bpftrace1"}
for r in $(seq "$runs"); do
  for mode in $stat_modes; do
    prog_ids > "$work/before"
    start "$mode"
    prog_ids > "$work/after"
    dd_run > /dev/null
    for id in $(comm -13 "$work/before" "$work/after"); do
      bpftool -j prog show id "$id" | python3 -c 'import json,sys
p = json.load(sys.stdin)
cnt, ns = p.get("run_cnt", 0), p.get("run_time_ns", 0)
if cnt: print("%s %s %d %.1f" % (sys.argv[1], p["name"], cnt, ns / cnt))' "$mode"
    done >> "$work/stats"
    stop
    tail -1 "$work/stats" | awk -v r="$r" '{ printf "stats run %d %-9s program %s: %d runs, %.0f ns/run\n", r, $1, $2, $3, $4 }'
  done
done
echo "BPF statistics, medians of $runs rounds, dd of $n one-byte copies:"
for mode in $stat_modes; do
  printf '  %-9s %s ns/run\n' "$mode" "$(awk -v m="$mode" '$1 == m { print $4 }' "$work/stats" | median)"
done
