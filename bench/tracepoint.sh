#!/usr/bin/env bash
# Benchmark: a tracepoint one-liner by ringlua and by bpftrace (Debian's package,
# installed if missing), in one run.
#   1. Start-up: from launch to the first event of tracepoint:syscalls:sys_enter_read
#      (a dd reading all the while), each tool exiting at that event; ringlua also says
#      when the event reached the script, on the same clock as the launch; and the
#      one-liner `t:syscalls:sys_enter_read /comm == "tpbench_dd"/ { exit() }` beside
#      bpftrace's own.
#   2. CPU per event: a histogram of read(2)'s count for a dd of N one-byte reads; the
#      tool's own CPU (user + sys, from `time`, start-up included) and how much more CPU
#      dd took than untraced (the BPF program runs in dd's context), per event; each run
#      each tool in turn, measured the same way, its untraced dd (median of 3) just
#      before it; medians of R runs. ringlua twice: a script that keeps the histogram in
#      Lua, and the one-liner `t:syscalls:sys_enter_read { hist(e.count) }`, which
#      counts in the kernel (ringlua_program).
#      Each tool counts as ready once its probe is attached: ringlua's on_init, bpftrace's
#      BEGIN (which it runs after attaching; -B line, or its output waits in a buffer).
# The dd is a copy named tpbench_dd, so that other dd processes on the machine are not
# traced.
#   bench/tracepoint.sh [--reads N] [--runs R]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
n=500000
runs=3
while [ $# -gt 0 ]; do
  case $1 in
    --reads) n=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) echo "usage: bench/tracepoint.sh [--reads N] [--runs R]" >&2; exit 2 ;;
  esac
done
command -v bpftrace > /dev/null || apt-get install -y -q bpftrace > /dev/null
ringlua=$build/src/ringlua
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
dd=$work/tpbench_dd
cp "$(command -v dd)" "$dd"
now_ns() { date +%s%N; }
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# --- 1. Start-up to the first event.
"$dd" if=/dev/zero of=/dev/null bs=1 2> /dev/null &
reader=$!
# (ringlua.names, in scope, declares clock_gettime and struct timespec.)
first_event='on_event = function() local t = ffi.new("struct timespec") ffi.C.clock_gettime(0, t)
    print(string.format("%d%09d", tonumber(t.tv_sec), tonumber(t.tv_nsec))) os.exit(0) end'
for r in $(seq "$runs"); do
  t0=$(now_ns)
  ev=$("$ringlua" -s tracepoint:syscalls:sys_enter_read --comm tpbench_dd -e "$first_event" 2> /dev/null)
  t1=$(now_ns)
  echo "$(( (ev - t0) / 1000000 )) $(( (t1 - t0) / 1000000 ))" >> "$work/rl_start"
  t0=$(now_ns)
  bpftrace -e 'tracepoint:syscalls:sys_enter_read /comm == "tpbench_dd"/ { exit(); }' > /dev/null 2>&1
  t1=$(now_ns)
  echo "$(( (t1 - t0) / 1000000 ))" >> "$work/bt_start"
  t0=$(now_ns)
  "$ringlua" -e 't:syscalls:sys_enter_read /comm == "tpbench_dd"/ { exit() }' > /dev/null 2>&1
  t1=$(now_ns)
  echo "$(( (t1 - t0) / 1000000 ))" >> "$work/rl_program_start"
done
kill "$reader"
wait "$reader" 2> /dev/null || true
echo "start-up, median of $runs: ringlua first event $(cut -d' ' -f1 "$work/rl_start" | median) ms," \
     "run to the first event and out $(cut -d' ' -f2 "$work/rl_start" | median) ms;" \
     "bpftrace run to the first event and out $(median < "$work/bt_start") ms;" \
     "the one-liner: ringlua $(median < "$work/rl_program_start") ms, bpftrace $(median < "$work/bt_start") ms"

# --- 2. CPU per event of the same histogram.
RL_HIST='local h = agg.hist("count")
  on_event = function(p) h:record(tonumber(ringlua.cast(p).count)) end
  on_exit = function() agg.print_all() end'
BT_HIST='tracepoint:syscalls:sys_enter_read /comm == "tpbench_dd"/ { @count = hist(args->count); }'

# dd_ms: the CPU time (user + sys) of the dd, in ms: the BPF program's time is dd's
# system time, and CPU time does not count the waits for the shared cores that its wall
# time does.
dd_ms() {
  local TIMEFORMAT="%3U %3S"
  { time "$dd" if=/dev/zero of=/dev/null bs=1 count="$n" 2> /dev/null; } 2>&1 |
    awk '{ printf "%d\n", ($1 + $2) * 1000 }'
}

# traced TOOL: the tool's CPU seconds, dd's ms and the one-byte reads the tool's
# histogram counted, with the tool tracing the dd. Both tools print READY once attached.
traced() {
  local TIMEFORMAT="%U %S" ms job tool
  rm -f "$work/out"
  if [ "$1" = bpftrace ]; then
    { time bpftrace -B line -e "BEGIN { printf(\"READY\\n\"); } $BT_HIST" \
        > "$work/out" 2> "$work/err"; } 2> "$work/time" &
  elif [ "$1" = ringlua_program ]; then
    { time "$ringlua" --comm tpbench_dd \
        -e "BEGIN { print('READY') io.stdout:flush() } t:syscalls:sys_enter_read { hist(e.count) }" \
        > "$work/out" 2> "$work/err"; } 2> "$work/time" &
  else
    { time "$ringlua" -s tracepoint:syscalls:sys_enter_read --comm tpbench_dd \
        -e "on_init = function() print('READY') io.stdout:flush() end $RL_HIST" \
        > "$work/out" 2> "$work/err"; } 2> "$work/time" &
  fi
  job=$!
  until grep -q READY "$work/out" 2> /dev/null; do
    kill -0 "$job" 2> /dev/null || { cat "$work/err" >&2; exit 1; }
    sleep 0.05
  done
  tool=$(cat "/proc/$job/task/$job/children")
  ms=$(dd_ms)
  sleep 0.5
  kill -INT "$tool"
  wait "$job"
  echo "$(awk '{ print $1 + $2 }' "$work/time") $ms $(awk '$1 == "[1]" { print $2 }' "$work/out")"
}

per_event() { echo "$1 / $n" | bc -l; }
# untraced_ms: the median of three untraced dds, in ms (one alone varies a lot on the
# shared cores).
untraced_ms() { for _ in 1 2 3; do dd_ms; done | median; }

for r in $(seq "$runs"); do
  for tool in bpftrace ringlua ringlua_program; do
    base=$(untraced_ms)
    read -r cpu ms events < <(traced "$tool")
    cpu_ns=$(per_event "$cpu * 1000000000")
    slowed_ns=$(per_event "($ms - $base) * 1000000")
    printf 'run %d %-8s tool CPU %5.2f s (%4.0f ns/event)  dd CPU %5d ms, untraced %5d ms (%+5.0f ns/event)  reads counted %s\n' \
      "$r" "$tool" "$cpu" "$cpu_ns" "$ms" "$base" "$slowed_ns" "${events:-none}"
    echo "$tool $cpu_ns $slowed_ns $cpu" >> "$work/all"
  done
done
for tool in bpftrace ringlua ringlua_program; do
  printf 'median of %d, %-8s tool CPU %.2f s, %.0f ns/event; dd CPU +%.0f ns/event\n' "$runs" "$tool" \
    "$(awk -v t=$tool '$1 == t { print $4 }' "$work/all" | median)" \
    "$(awk -v t=$tool '$1 == t { print $2 }' "$work/all" | median)" \
    "$(awk -v t=$tool '$1 == t { print $3 }' "$work/all" | median)"
done
