#!/usr/bin/env bash
# Runs the integration tests N times in a build tree (or both) while a load this script
# starts keeps every CPU busy, and says how often each test failed. A test that fails
# here fails on a loaded CI machine too: find its cause, never retry it.
#   tests/stress.sh [-n ROUNDS] [-t build|build-asan|both] [-R REGEX] [--no-load]
# -n: rounds (default 10); -t: the tree (default both, each round the first then the
# second); -R: only the tests whose names match (ctest -R); --no-load: no load.
# The load: a busy loop per CPU, and one loop that starts short processes and opens
# files (what the tests that count a system's activity must stand beside). It is stopped
# when the script ends, however it ends. Logs of failed runs stay in $STRESS_LOGS
# (default /tmp/ringlua_stress). Ends with 'N passed, N failed' over all test runs and
# exits non-zero if any failed.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
rounds=10
trees=(build build-asan)
regex=
load=true
logs=${STRESS_LOGS:-/tmp/ringlua_stress}

usage() { echo "usage: $0 [-n ROUNDS] [-t build|build-asan|both] [-R REGEX] [--no-load]" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    -n) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || usage; rounds=$2; shift 2 ;;
    -t) case ${2:-} in both) trees=(build build-asan) ;; build|build-asan) trees=("$2") ;;
          *) usage ;; esac; shift 2 ;;
    -R) [ -n "${2:-}" ] || usage; regex=$2; shift 2 ;;
    --no-load) load=false; shift ;;
    *) usage ;;
  esac
done
for t in "${trees[@]}"; do
  [ -f "$root/$t/CTestTestfile.cmake" ] || { echo "stress: no $root/$t: run scripts/setup.sh" >&2; exit 2; }
done

load_pids=()
ctest_pid=
# The load, and a round's ctest when the script itself is stopped (TERM reaches it alone).
stop_all() {
  [ -z "$ctest_pid" ] || kill "$ctest_pid" 2> /dev/null || true
  [ ${#load_pids[@]} -eq 0 ] || kill "${load_pids[@]}" 2> /dev/null || true
  wait 2> /dev/null || true
}
trap stop_all EXIT
trap 'exit 130' INT TERM

start_load() {
  local cpu
  for cpu in $(seq "$(nproc)"); do
    ( exec -a stress_spin bash -c 'while :; do :; done' ) &
    load_pids+=($!)
  done
  ( exec -a stress_churn bash -c 'while :; do /bin/true; cat /etc/hostname > /dev/null; done' ) &
  load_pids+=($!)
}

mkdir -p "$logs"
declare -A failures=()
passed=0 failed=0
$load && start_load
echo "stress: $rounds rounds of the integration tests in ${trees[*]}$($load && echo ", every CPU loaded")"
for round in $(seq "$rounds"); do
  for t in "${trees[@]}"; do
    log=$logs/$t.round$round.log
    start=$(date +%s)
    status=0
    ctest --test-dir "$root/$t" -L integration ${regex:+-R "$regex"} --output-on-failure \
      > "$log" 2>&1 &
    ctest_pid=$!
    wait "$ctest_pid" || status=$?
    ctest_pid=
    # ctest's own lines: "N/M Test #K: name ....   Passed  x sec" or "***Failed", "***Timeout".
    ok=$(grep -cE '^ *[0-9]+/[0-9]+ Test +#[0-9]+: .* Passed' "$log" || true)
    bad=$(grep -E '^ *[0-9]+/[0-9]+ Test +#[0-9]+: ' "$log" | grep -v ' Passed' |
          sed -E 's/.*Test +#[0-9]+: ([^ ]+) .*/\1/' || true)
    # A round that ran nothing, or whose ctest failed without naming a test, failed too.
    if [ -z "$bad" ] && { [ "$ok" -eq 0 ] || [ "$status" -ne 0 ]; }; then
      bad="(ctest:exit-$status,$ok-passed)"
    fi
    passed=$((passed + ok))
    for name in $bad; do
      failed=$((failed + 1))
      failures[$t/$name]=$(( ${failures[$t/$name]:-0} + 1 ))
    done
    if [ -n "$bad" ]; then
      echo "stress: round $round, $t: $ok passed, failed:" $bad "(log: $log)"
    else
      rm -f "$log"
      echo "stress: round $round, $t: $ok passed in $(( $(date +%s) - start )) s"
    fi
  done
done
for k in "${!failures[@]}"; do
  echo "stress: $k failed ${failures[$k]} of $rounds"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
