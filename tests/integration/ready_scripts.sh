# shellcheck shell=bash
# What the tests of the ready scripts (scripts/*.lua) share, on top of lib.sh:
#   . "$(dirname "$0")/lib.sh"; . "$(dirname "$0")/ready_scripts.sh"
READY_SCRIPTS=$HERE/../../scripts

# check_usage SCRIPT BAD_ARG MESSAGE: `-- --help` prints the script's usage with the
# kernel-side filters and exits 0; `-- BAD_ARG` prints MESSAGE alone on stderr, exits 2.
check_usage() {
  run_ringlua "$1" -- --help
  assert_eq "$RC" 0 "exit code of --help"
  assert_contains "$TMP/out" "usage: ringlua [-p PID] [--uid USER] [--comm NAME] scripts/$(basename "$1") [-- OPTIONS]" "usage line"
  assert_contains "$TMP/out" "Filters in the kernel are ringlua's own options" "kernel-side filters in --help"
  run_ringlua "$1" -- "$2"
  assert_eq "$RC" 2 "exit code of a bad argument '$2'"
  assert_eq "$(cat "$TMP/err")" "$3" "the one line of a bad argument '$2'"
  pass "$(basename "$1"): --help, and a bad argument is one line and exit 2"
}

# the_line REGEX [FILE]: the one line of FILE (default the background ringlua's stdout)
# that matches REGEX (extended); fails unless there is exactly one.
the_line() {
  local file=${2:-$TMP/bg.out} n
  n=$(grep -cE -- "$1" "$file" || true)
  [ "$n" == 1 ] || { cat "$file" >&2; fail "$n lines of $file match /$1/, not 1"; }
  grep -E -- "$1" "$file"
}

# field N LINE: the Nth whitespace-separated field of LINE.
field() { awk -v n="$1" '{ print $n }' <<< "$2"; }

# wait_until COMMAND...: runs COMMAND every 50 ms until it succeeds, for up to 30 s (a
# loaded machine samples slowly); what follows asserts on the outcome.
wait_until() {
  for _ in $(seq 600); do
    "$@" && return 0
    sleep 0.05
  done
  return 0
}
