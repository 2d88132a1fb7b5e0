#!/usr/bin/env bash
# Benchmark: a tracepoint one-liner by ringlua and by bpftrace (Debian's package,
# installed if missing), in one run.
#   1. Start-up: from launch to the first event of tracepoint:syscalls:sys_enter_read
#      (a dd reading all the while), each tool exiting at that event; ringlua also says
#      when the event reached the script, on the same clock as the launch.
#   2. CPU per event: a histogram of read(2)'s count for a dd of N one-byte reads; the
#      tool's own CPU (user + sys) and how much longer dd took than untraced (the BPF
#      program runs in dd's context), per event, median of R runs.
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
now_ns() { date +%s%N; }
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# --- 1. Start-up to the first event.
dd if=/dev/zero of=/dev/null bs=1 2> /dev/null &
reader=$!
# (ringlua.names, in scope, declares clock_gettime and struct timespec.)
first_event='on_event = function() local t = ffi.new("struct timespec") ffi.C.clock_gettime(0, t)
    print(string.format("%d%09d", tonumber(t.tv_sec), tonumber(t.tv_nsec))) os.exit(0) end'
for r in $(seq "$runs"); do
  t0=$(now_ns)
  ev=$("$ringlua" -s tracepoint:syscalls:sys_enter_read --comm dd -e "$first_event" 2> /dev/null)
  t1=$(now_ns)
  echo "$(( (ev - t0) / 1000000 )) $(( (t1 - t0) / 1000000 ))" >> "$work/rl_start"
  t0=$(now_ns)
  bpftrace -e 'tracepoint:syscalls:sys_enter_read /comm == "dd"/ { exit(); }' > /dev/null 2>&1
  t1=$(now_ns)
  echo "$(( (t1 - t0) / 1000000 ))" >> "$work/bt_start"
done
kill "$reader"
wait "$reader" 2> /dev/null || true
echo "start-up, median of $runs: ringlua first event $(cut -d' ' -f1 "$work/rl_start" | median) ms," \
     "run to the first event and out $(cut -d' ' -f2 "$work/rl_start" | median) ms;" \
     "bpftrace run to the first event and out $(median < "$work/bt_start") ms"

# --- 2. CPU per event of the same histogram.
RL_HIST='local h = agg.hist("count")
  on_event = function(p) h:record(tonumber(ringlua.cast(p).count)) end
  on_exit = function() agg.print_all() end'
BT_HIST='tracepoint:syscalls:sys_enter_read /comm == "dd"/ { @count = hist(args->count); }'

# dd_ms: the wall time of the dd, in ms.
dd_ms() {
  local t0 t1
  t0=$(now_ns)
  dd if=/dev/zero of=/dev/null bs=1 count="$n" 2> /dev/null
  t1=$(now_ns)
  echo $(( (t1 - t0) / 1000000 ))
}

# traced TOOL: the tool's CPU seconds and dd's ms, with the tool tracing the dd.
traced() {
  local TIMEFORMAT="%U %S" ms
  : > "$work/out"
  if [ "$1" = bpftrace ]; then
    { time bpftrace -o "$work/out" -e "$BT_HIST" 2> "$work/err"; } 2> "$work/time" &
    until grep -q Attaching "$work/out" "$work/err" 2> /dev/null; do sleep 0.05; done
  else
    { time "$ringlua" -s tracepoint:syscalls:sys_enter_read --comm dd \
        -e "on_init = function() io.stderr:write('READY\n') end $RL_HIST" \
        > "$work/out" 2> "$work/err"; } 2> "$work/time" &
    until grep -q READY "$work/err" 2> /dev/null; do sleep 0.05; done
  fi
  local job=$!
  ms=$(dd_ms)
  sleep 0.5
  kill -INT "$(cat "/proc/$job/task/$job/children")"
  wait "$job"
  echo "$(awk '{ print $1 + $2 }' "$work/time") $ms"
}

for r in $(seq "$runs"); do
  base=$(dd_ms)
  for tool in bpftrace ringlua; do
    traced "$tool" > "$work/res"
    read -r cpu ms < "$work/res"
    printf 'run %d %-8s tool CPU %5.2f s (%4.0f ns/event)  dd %5d ms, untraced %5d ms (+%4.0f ns/event)\n' \
      "$r" "$tool" "$cpu" "$(echo "$cpu * 1000000000 / $n" | bc -l)" "$ms" "$base" \
      "$(echo "($ms - $base) * 1000000 / $n" | bc -l)"
    echo "$tool $(echo "$cpu * 1000000000 / $n" | bc -l) $(echo "($ms - $base) * 1000000 / $n" | bc -l)" >> "$work/all"
  done
done
for tool in bpftrace ringlua; do
  echo "median per event, $tool: tool CPU $(awk -v t=$tool '$1 == t { print $2 }' "$work/all" | median | cut -c1-6) ns," \
       "dd slowed by $(awk -v t=$tool '$1 == t { print $3 }' "$work/all" | median | cut -c1-6) ns"
done
