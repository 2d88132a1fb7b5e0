#!/usr/bin/env bash
# Benchmark of the observer effect: what tracing every system call entry of a program
# (raw_syscalls:sys_enter) costs that program, per tracer. Workloads:
#   dd    dd if=/dev/zero of=/dev/null bs=1 count=N/2 (N system calls), traced by comm
#   exec  a shell loop that execs /bin/true and reads a file with head, M times, traced by
#         cgroup (it runs in a cgroup of its own)
# Tracers: none; bpftrace (Debian's package, installed if missing) counting in the kernel
# (`@ = count()`) and printing a line per event (`printf`, to a file); libbpf_consumer
# loading ringlua's syscalls source with its defaults (the kernel's wakeup rule) and
# counting in C; ringlua delivering every event to Lua (bench/observer_count.lua), by
# pointer, by pointer without timestamps (ringlua_nots: --no-timestamps) and decoded into
# a table (ringlua_decode); ringlua counting in the kernel (ringlua_kernel,
# bench/observer_kernel_count.lua); the one-liner `t:raw_syscalls:sys_enter { count(comm) }`
# beside bpftrace's `@[comm] = count()` (bt_comm): as ringlua runs it, in the kernel
# (ringlua_program), kept in Lua by a predicate that is always true
# (ringlua_program_lua), and the Lua script one would write for it by hand
# (ringlua_comm_script, bench/observer_comm.lua); and ringlua_base, ringlua of another build
# ($BASE_BUILD, e.g. main's), pointer path, for a before/after in one run. R interleaved
# rounds; medians of the traced program's
# wall and CPU (user + sys) time, as ratios to the untraced run and as time added;
# "added vs count()" is the added wall time over what bpftrace's count() adds in the same
# run. Also the tracer's own CPU, its wakeups (voluntary context switches of all its
# threads) per second of the workload, and events seen and lost.
#   bench/observer.sh [--syscalls N] [--execs M] [--runs R] [--workloads "dd exec"]
#                     [--tracers "none bt_count ..."]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
n=2000000
execs=300
runs=5
workloads="dd exec"
tracers="none bt_count bt_printf libbpf ringlua ringlua_nots ringlua_decode ringlua_kernel"
while [ $# -gt 0 ]; do
  case $1 in
    --syscalls) n=$2; shift 2 ;;
    --execs) execs=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --workloads) workloads=$2; shift 2 ;;
    --tracers) tracers=$2; shift 2 ;;
    *) echo "usage: bench/observer.sh [--syscalls N] [--execs M] [--runs R]" \
         "[--workloads LIST] [--tracers LIST]" >&2; exit 2 ;;
  esac
done
case " $tracers " in *" none "*) ;; *) tracers="none $tracers" ;; esac
command -v bpftrace > /dev/null || apt-get install -y -q bpftrace > /dev/null
work=$(mktemp -d)
cg=$(findmnt -n -t cgroup2 -o TARGET | head -1)/ringlua_observer_$$
mkdir "$cg"
trap 'rm -rf "$work"; rmdir "$cg" 2>/dev/null || true' EXIT
cg_id=$(stat -c %i "$cg")

# The probe's filter and the workload's command, per workload.
# bpftrace 0.17's cgroupid() fails here (EOVERFLOW): the id, as ringlua --cgroup reads it.
declare -A BT_FILTER=([dd]='comm == "dd"' [exec]="cgroup == $cg_id")
declare -A RL_FILTER=([dd]="--comm dd" [exec]="--cgroup $cg")
declare -A C_FILTER=([dd]="dd 0" [exec]="'' $cg_id")

# workload NAME: runs it in the benchmark's cgroup, timed; "wall user sys" to $work/time.
workload() {
  local cmd
  if [ "$1" = dd ]; then
    cmd="dd if=/dev/zero of=/dev/null bs=1 count=$((n / 2)) 2> /dev/null"
  else
    cmd="for i in \$(seq $execs); do /bin/true; head -c1 /etc/passwd; done > /dev/null"
  fi
  sh -c "echo \$\$ > $cg/cgroup.procs; exec /usr/bin/time -f '%e %U %S' -o $work/time sh -c '$cmd'"
}

# attached FILE TEXT: waits until the tracer TPID wrote TEXT to FILE; exits if it died.
attached() {
  until grep -q "$2" "$1" 2>/dev/null; do
    kill -0 "$TPID" 2>/dev/null || { cat "$work/err" >&2; exit 1; }
    sleep 0.05
  done
}

# start_tracer TRACER WORKLOAD: starts it in the background (timed into $work/tcpu), waits
# until it is attached; its pid in TPID.
start_tracer() {
  local t=$1 w=$2 TIMEFORMAT="%U %S"
  rm -f "$work/out" "$work/err"
  case $t in
    bt_count|bt_printf|bt_comm)
      local action='@ = count();'
      [ "$t" = bt_printf ] && action='printf("%d %d\n", pid, args->id);'
      [ "$t" = bt_comm ] && action='@[comm] = count();'
      { time bpftrace -o "$work/out" \
          -e "tracepoint:raw_syscalls:sys_enter /${BT_FILTER[$w]}/ { $action }" \
          > /dev/null 2> "$work/err"; } 2> "$work/tcpu" &
      TPID=$!
      attached "$work/out" Attaching ;;
    ringlua_program|ringlua_program_lua|ringlua_comm_script)
      local program='t:raw_syscalls:sys_enter { count(comm) }'
      [ "$t" = ringlua_program_lua ] && program='t:raw_syscalls:sys_enter /true/ { count(comm) }'
      local script=(-e "BEGIN { io.stderr:write('READY\n') } $program")
      [ "$t" = ringlua_comm_script ] && script=("$root/bench/observer_comm.lua")
      { time "$build/src/ringlua" ${RL_FILTER[$w]} "${script[@]}" > "$work/out" \
          2> "$work/err"; } 2> "$work/tcpu" &
      TPID=$!
      attached "$work/err" READY ;;
    libbpf)
      { time eval "$build/bench/libbpf_consumer --syscalls ${C_FILTER[$w]}" > "$work/out" \
          2> "$work/err"; } 2> "$work/tcpu" &
      TPID=$!
      attached "$work/err" READY ;;
    ringlua*)
      local script=$root/bench/observer_count.lua decode=0 bin=$build/src/ringlua
      [ "$t" = ringlua_base ] && bin=$BASE_BUILD/src/ringlua
      [ "$t" = ringlua_decode ] && decode=1
      local stamps=""
      [ "$t" = ringlua_kernel ] && script=$root/bench/observer_kernel_count.lua
      [ "$t" = ringlua_nots ] && stamps=--no-timestamps
      { time RL_BENCH_DECODE=$decode "$bin" ${RL_FILTER[$w]} $stamps "$script" \
          > "$work/out" 2> "$work/err"; } 2> "$work/tcpu" &
      TPID=$!
      attached "$work/err" READY ;;
  esac
}

# The tracer itself: the one child of the timing subshell TPID.
tracer_pid() { cat "/proc/$TPID/task/$TPID/children" | awk '{ print $1 }'; }

# Voluntary context switches of every thread of process $1: how often it slept and woke.
wakeups() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/^voluntary_ctxt/ { s += $2 } END { print s + 0 }'; }

# stop_tracer TRACER: SIGINT, wait; "events lost" to $work/seen.
stop_tracer() {
  kill -INT "$(tracer_pid)"
  wait "$TPID" || true
  local events lost
  case $1 in
    bt_count) events=$(sed -n 's/^@: \([0-9]*\)/\1/p' "$work/out"); lost=0 ;;
    bt_comm|ringlua_program*|ringlua_comm_script)
      events=$(awk -F': ' '/^@\[/ { n += $2 } END { print n + 0 }' "$work/out")
      lost=$(sed -n 's/.* \([0-9]*\) dropped.*/\1/p' "$work/err" | head -1) ;;
    bt_printf)
      events=$(grep -cE '^[0-9]+ [0-9]+$' "$work/out" || true)
      lost=$(sed -n 's/.*Lost \([0-9]*\) events.*/\1/p' "$work/err" "$work/out" |
             awk '{ n += $1 } END { print n + 0 }') ;;
    libbpf) read -r _ events _ _ _ lost < "$work/out" ;;
    ringlua*)
      events=$(sed -n 's/^events \([0-9]*\).*/\1/p' "$work/err")
      lost=$(sed -n 's/.* \([0-9]*\) dropped.*/\1/p' "$work/err" | head -1) ;;
  esac
  echo "${events:-0} ${lost:-0}" > "$work/seen"
}

# run TRACER WORKLOAD: one measured run; appends a line to $work/W.T:
#   wall cpu tracer_cpu wakeups_per_s events lost
run() {
  local t=$1 w=$2 pid w0 w1 wall user sys
  if [ "$t" = none ]; then
    workload "$w"
    read -r wall user sys < "$work/time"
    echo "$wall $(echo "$user + $sys" | bc) 0 0 0 0" >> "$work/$w.$t"
    return
  fi
  start_tracer "$t" "$w"
  pid=$(tracer_pid)
  sleep 0.3
  w0=$(wakeups "$pid")
  workload "$w"
  w1=$(wakeups "$pid")
  sleep 0.5 # within every tracer's latency: what is left is handed over
  stop_tracer "$t"
  read -r wall user sys < "$work/time"
  read -r events lost < "$work/seen"
  # The last line: bpftrace leaves blank lines on the terminal's stream at exit.
  echo "$wall $(echo "$user + $sys" | bc) $(tail -1 "$work/tcpu" | awk '{ print $1 + $2 }')" \
    "$(echo "($w1 - $w0) / $wall" | bc) $events $lost" >> "$work/$w.$t"
}

median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
col() { awk -v c="$2" '{ print $c }' "$work/$1" | median; }

# ratio_to_count ADDED ADDED_BY_COUNT: their ratio, or "-" when count() added less than
# the 10 ms the clock resolves (a ratio to noise means nothing).
ratio_to_count() {
  if [ -n "$2" ] && [ "$(echo "$2 >= 0.02" | bc -l)" = 1 ]; then
    printf '%.2fx' "$(echo "$1 / $2" | bc -l)"
  else
    echo -
  fi
}

report() {
  local w=$1 t wall0 cpu0 added_bt wall cpu added
  wall0=$(col "$w.none" 1)
  cpu0=$(col "$w.none" 2)
  added_bt=""
  [ -f "$work/$w.bt_count" ] && added_bt=$(echo "$(col "$w.bt_count" 1) - $wall0" | bc -l)
  echo
  echo "workload $w: untraced wall ${wall0} s, CPU ${cpu0} s (medians of $runs)"
  echo "| tracer | wall | CPU | wall added, s | added vs count() | tracer CPU, s | wakeups/s | events | lost |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  for t in $tracers; do
    wall=$(col "$w.$t" 1)
    cpu=$(col "$w.$t" 2)
    added=$(echo "$wall - $wall0" | bc -l)
    printf "| %s | %.2fx | %.2fx | %.2f | %s | %.2f | %.0f | %s | %s |\n" "$t" \
      "$(echo "$wall / $wall0" | bc -l)" "$(echo "$cpu / $cpu0" | bc -l)" "$added" \
      "$(ratio_to_count "$added" "$added_bt")" \
      "$(col "$w.$t" 3)" "$(col "$w.$t" 4)" "$(col "$w.$t" 5)" "$(col "$w.$t" 6)"
  done
}

echo "syscalls (dd): $n, execs: $execs, runs: $runs; load: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$runs"); do
  for w in $workloads; do
    for t in $tracers; do
      run "$t" "$w"
    done
  done
  echo "round $r done; load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
done
for w in $workloads; do report "$w"; done
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
