# shellcheck shell=bash disable=SC2034 # the variables set here are for the tests
# Shared helpers of the integration tests. Each test script is run by ctest as
#   test_x.sh RINGLUA SEQ_PRODUCER
# and sources this file. Everything runs under `timeout`: no test can hang.
set -euo pipefail

RINGLUA=${1:?usage: $0 RINGLUA SEQ_PRODUCER}
PRODUCER=${2:-}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SCRIPTS=$HERE/scripts
TMP=$(mktemp -d /tmp/ringlua_test.XXXXXX)
chmod 755 "$TMP"
PIN_PREFIX=/sys/fs/bpf/ringlua_test_$$

cleanup() {
  rm -f "$PIN_PREFIX"_*
  # A file system a test mounted under $TMP and did not unmount (it failed first).
  awk -v tmp="$TMP/" 'index($2, tmp) == 1 { print $2 }' /proc/mounts |
    xargs -r umount 2> /dev/null || true
  jobs -p | xargs -r kill 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

# new_cgroup: makes a cgroup (v2) of the test's own, its directory in $cg, mounting
# cgroup2 under $TMP if the machine has it nowhere; drop_cgroup removes both again.
new_cgroup() {
  cg_root=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
  if [ -z "$cg_root" ]; then
    cg_root=$TMP/cgroup2
    mkdir "$cg_root"
    mount -t cgroup2 none "$cg_root" || fail "cannot mount cgroup2"
  fi
  cg=$cg_root/ringlua_test_$$
  mkdir "$cg"
}
drop_cgroup() {
  rmdir "$cg"
  [ "$cg_root" != "$TMP/cgroup2" ] || umount "$cg_root"
}

# assert_eq ACTUAL EXPECTED WHAT
assert_eq() { [ "$1" == "$2" ] || fail "$3: expected '$2', got '$1'"; }
# assert_contains FILE TEXT WHAT: FILE contains TEXT (a fixed string).
assert_contains() { grep -qF -- "$2" "$1" || { cat "$1" >&2; fail "$3: '$2' not in $1"; }; }
# assert_matches FILE REGEX WHAT: a line of FILE matches REGEX (extended).
assert_matches() { grep -qE -- "$2" "$1" || { cat "$1" >&2; fail "$3: no line of $1 matches /$2/"; }; }
# assert_between VALUE LOW HIGH WHAT: LOW <= VALUE <= HIGH, all integers.
assert_between() {
  if ! [[ "$1" =~ ^[0-9]+$ ]] || [ "$1" -lt "$2" ] || [ "$1" -gt "$3" ]; then
    fail "$4: expected $2..$3, got '$1'"
  fi
}

# A fresh pin path under /sys/fs/bpf, removed at exit (called as $(new_pin): a subshell,
# so the name comes from a counter file, not a variable).
new_pin() {
  local n
  n=$(($(cat "$TMP/pins" 2>/dev/null || echo 0) + 1))
  echo "$n" > "$TMP/pins"
  echo "${PIN_PREFIX}_$n"
}

# free_port: a loopback TCP port nothing listens on now (for servers the tests start).
free_port() {
  local port
  for _ in $(seq 100); do
    port=$((20000 + RANDOM % 40000))
    (echo > "/dev/tcp/127.0.0.1/$port") 2> /dev/null || { echo "$port"; return 0; }
  done
  fail "no free loopback port"
}

# Runs the test producer (output in $TMP/prod); fails the test if it fails.
produce() {
  [ -x "$PRODUCER" ] || fail "no producer binary: $PRODUCER"
  timeout 60 "$PRODUCER" "$@" > "$TMP/prod" || fail "producer failed: $*"
}

# Runs ringlua in the foreground with a time limit; sets RC, output in $TMP/out, $TMP/err.
run_ringlua() {
  RC=0
  timeout -s KILL 60 "$RINGLUA" "$@" > "$TMP/out" 2> "$TMP/err" || RC=$?
}

# nobody_ringlua: a copy of ringlua and its Lua modules under $TMP/inst that nobody can
# run (the build tree may sit where nobody cannot reach), laid out as an install; prints
# the copy's path.
nobody_ringlua() {
  if [ ! -x "$TMP/inst/bin/ringlua" ]; then
    mkdir -p "$TMP/inst/bin" "$TMP/inst/share/ringlua"
    cp "$RINGLUA" "$TMP/inst/bin/ringlua"
    cp -r "$HERE/../../lua" "$TMP/inst/share/ringlua/"
    # and the modules the build generated, installed beside them
    cp -r "$(dirname "$RINGLUA")/lua/." "$TMP/inst/share/ringlua/lua/"
    chmod -R a+rX "$TMP/inst"
  fi
  echo "$TMP/inst/bin/ringlua"
}

# as_nobody CMD...: runs CMD as nobody (no groups, no capabilities) with a time limit;
# sets RC, output in $TMP/out, $TMP/err.
as_nobody() {
  RC=0
  timeout -s KILL 60 setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
    "$@" > "$TMP/out" 2> "$TMP/err" || RC=$?
}

# start_ringlua_until TEXT ARGS...: starts ringlua ARGS in the background (stdout
# $TMP/bg.out, stderr $TMP/bg.err) and waits until it printed TEXT from on_init, i.e.
# once the ring is open and, for a built-in source, the BPF program attached.
start_ringlua_until() {
  local text=$1
  shift
  # A previous run's output must not count as this one's TEXT.
  rm -f "$TMP/bg.out" "$TMP/bg.err"
  timeout -s KILL 90 "$RINGLUA" "$@" > "$TMP/bg.out" 2> "$TMP/bg.err" &
  BG=$!
  wait_for "ringlua to print $text" started_with "$text"
}
# started_with TEXT: the background ringlua printed TEXT; fails the test if it ended.
started_with() {
  grep -qF -- "$1" "$TMP/bg.out" 2>/dev/null && return 0
  kill -0 "$BG" 2>/dev/null || { cat "$TMP/bg.err" >&2; fail "ringlua exited early"; }
  return 1
}

# start_ringlua ARGS...: the same, for the test scripts, which print READY.
start_ringlua() { start_ringlua_until READY "$@"; }

# Stops the background ringlua with a signal (INT by default), sent to it alone; sets RC.
stop_ringlua() {
  signal_ringlua "${1:-INT}"
  RC=0
  wait "$BG" || RC=$?
}

# wait_output TEXT [FILE]: waits until the background ringlua printed TEXT to FILE
# (default its stdout).
wait_output() {
  local file=${2:-$TMP/bg.out}
  wait_for "'$1' in $file" file_has "$1" "$file"
}
# file_has TEXT FILE: FILE exists and holds TEXT (a fixed string).
file_has() { grep -qF -- "$1" "$2" 2> /dev/null; }

# count_lines TEXT FILE: how many lines of FILE contain TEXT.
count_lines() { grep -cF -- "$1" "$2" || true; }

# How long a test waits for a condition before it fails (seconds): long, since a loaded
# machine or a sanitized build is slow, and a passing test waits only as long as needed.
WAIT_S=30
# wait_for WHAT CMD...: runs CMD until it succeeds, up to WAIT_S; fails saying WHAT it
# waited for (and shows the background ringlua's output).
wait_for() {
  local what=$1 end=$((SECONDS + WAIT_S))
  shift
  until "$@"; do
    if [ "$SECONDS" -ge "$end" ]; then
      cat "$TMP/bg.out" "$TMP/bg.err" >&2 2> /dev/null || true
      fail "waited $WAIT_S s for $what"
    fi
    sleep 0.05
  done
}
# lines_at_least N REGEX FILE: FILE has N or more lines matching REGEX (extended).
lines_at_least() { [ "$(grep -cE -- "$2" "$3" 2> /dev/null || true)" -ge "$1" ]; }
# wait_lines N REGEX [FILE]: waits until FILE (default the background ringlua's stdout)
# has N lines matching REGEX.
wait_lines() {
  local file=${3:-$TMP/bg.out}
  wait_for "$1 lines matching /$2/ in $file" lines_at_least "$1" "$2" "$file"
}
# wait_more_lines N REGEX [FILE]: waits for N more lines matching REGEX than FILE has now.
wait_more_lines() {
  local file=${3:-$TMP/bg.out}
  wait_lines $(($(grep -cE -- "$2" "$file" 2> /dev/null || true) + $1)) "$2" "$file"
}

# signal_ringlua SIG: sends SIG to the background ringlua itself, once. (`timeout`, which
# runs it, passes a signal on to its child and then to its whole process group: twice.)
signal_ringlua() { signal_child "$1" "$BG"; }

# signal_child SIG PID: the same for any program run under `timeout` as PID. (A second
# signal that reaches a sanitized program while its leak check runs at exit can hang it.)
signal_child() {
  local child
  child=$(child_of "$2")
  [ -n "$child" ] || fail "nothing under $2 to signal"
  kill -"$1" $child
}

# wait_child PID: prints the pid of the program run under `timeout` as PID, once it runs.
wait_child() {
  wait_for "a program under $1" child_of_running "$1"
  child_of "$1"
}
child_of_running() { [ -n "$(child_of "$1")" ]; }
# wait_comm PID NAME: until PID runs NAME (a forked shell has exec'd it).
wait_comm() { wait_for "$1 to become $2" comm_is "$1" "$2"; }
comm_is() { [ "$(cat "/proc/$1/comm" 2> /dev/null)" == "$2" ]; }
# signal_taken PID SIG: PID has no SIG pending any more (its handler took it).
signal_taken() {
  local bit mask m
  bit=$(( $(kill -l "$2") - 1 ))
  mask=$(awk '/^(SigPnd|ShdPnd):/ { print $2 }' "/proc/$1/status" 2> /dev/null) || return 0
  for m in $mask; do (( (16#$m >> bit) & 1 )) && return 1; done
  return 0
}
# writing_to_pipe PID: PID sleeps in a write to a full pipe.
writing_to_pipe() { grep -q pipe_write "/proc/$1/wchan" 2> /dev/null; }

# child_of PID: the pid of the program run under `timeout` as PID (empty if none).
child_of() {
  local children
  children=$(cat "/proc/$1/task/$1/children" 2>/dev/null) || true
  echo "${children%% *}"
}

# prod_field NAME: the number after NAME in the producer's last report
# (`produced N dropped D discarded K`, in $TMP/prod).
prod_field() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' "$TMP/prod"; }

# delivered_in FILE: N of the `delivered=N` line scripts/seq_count.lua prints at exit.
delivered_in() { sed -n 's/^delivered=\([0-9]*\) .*/\1/p' "$1"; }

# now_ms: CLOCK_REALTIME in milliseconds, to time an exit against a generous bound.
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# run_ringlua_timed ARGS...: run_ringlua ARGS; the milliseconds it took in RUN_MS.
run_ringlua_timed() {
  local t0
  t0=$(now_ms)
  run_ringlua "$@"
  RUN_MS=$(($(now_ms) - t0))
}
# stop_ringlua_timed SIG: stop_ringlua SIG; the milliseconds until it ended in STOP_MS.
stop_ringlua_timed() {
  local t0
  t0=$(now_ms)
  stop_ringlua "$1"
  STOP_MS=$(($(now_ms) - t0))
}

# check_json FILE WHAT: every line of FILE is one valid JSON value (json_check.lua).
check_json() {
  luajit "$HERE/json_check.lua" < "$1" > "$TMP/check" || { cat "$TMP/check" >&2; fail "$2"; }
}

# summary_dropped FILE: the drop count of ringlua's summary line in FILE.
summary_dropped() {
  sed -n 's/^ringlua: [0-9]* events, [0-9]* errors, \([0-9]*\) dropped, .*/\1/p' "$1"
}
