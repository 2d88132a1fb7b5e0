#!/usr/bin/env bash
# scripts/opensnoop.lua prints one line per open in libbpf-tools' columns: PID, COMM, FD
# (-1 on failure), ERR, PATH; -e adds the flags and mode in octal, -x keeps failed opens
# only, -n NAME commands whose name contains NAME.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=ready_scripts.sh
. "$(dirname "$0")/ready_scripts.sh"
ACTIVITY=${3:?usage: $0 RINGLUA SEQ_PRODUCER RL_ACTIVITY}
OPENSNOOP=$READY_SCRIPTS/opensnoop.lua
HEADER="PID    COMM              FD ERR PATH"
HEADER_E="PID    COMM              FD ERR FLAGS    MODE  PATH"
path=$TMP/opened
missing=$TMP/missing

check_usage "$OPENSNOOP" -n "opensnoop: -n needs a value (NAME) (see -- --help)"

# expected_lines [-e] [-x]: what opensnoop prints for each open the helper reported.
expected_lines() {
  local extended=0 failed=0 pid ret flags mode path fd err
  [ "${1:-}" == -e ] && extended=1
  [ "${2:-}" == -x ] && failed=1
  while read -r line; do
    pid=$(sed 's/^pid=\([0-9]*\) .*/\1/' <<< "$line")
    ret=$(sed 's/.* ret=\(-\?[0-9]*\) .*/\1/' <<< "$line")
    flags=$(sed 's/.* flags=\([0-9]*\) .*/\1/' <<< "$line")
    mode=$(sed 's/.* mode=\([0-9]*\) .*/\1/' <<< "$line")
    path=${line##* path=}
    if [ "$ret" -ge 0 ]; then fd=$ret err=0; else fd=-1 err=$((-ret)); fi
    [ "$failed" == 1 ] && [ "$fd" != -1 ] && continue
    printf '%-6d %-16s %3d %3d ' "$pid" rl_activity "$fd" "$err"
    if [ "$extended" == 1 ]; then
      if [ "$mode" == 0 ] && [ $((flags & 8#100)) == 0 ]; then
        printf '%08o n/a  ' "$flags"
      else
        printf '%08o %04o ' "$flags" "$mode"
      fi
    fi
    printf '%s\n' "$path"
  done < "$TMP/activity"
}

# run_opens ARGS...: opensnoop with ringlua ARGS over the helper's opens.
run_opens() {
  local header=$1
  shift
  rm -f "$path"
  start_ringlua_until "$header" "$@"
  "$ACTIVITY" open "$path" "$missing" > "$TMP/activity" || fail "rl_activity open failed"
  stop_ringlua
  assert_eq "$RC" 0 "exit code after SIGINT ($*)"
  assert_eq "$(head -1 "$TMP/bg.out")" "$header" "header ($*)"
}

# assert_lines FILE: every line of FILE is a line of the output, exactly.
assert_lines() {
  [ -s "$1" ] || fail "no expected lines"
  while IFS= read -r want; do
    grep -qxF -- "$want" "$TMP/bg.out" || { cat "$TMP/bg.out" >&2; fail "no line '$want'"; }
  done < "$1"
}

run_opens "$HEADER" --comm rl_activity "$OPENSNOOP"
expected_lines > "$TMP/want"
assert_matches "$TMP/want" " -1   2 $missing\$" "the helper's missing file"
assert_lines "$TMP/want"
pass "$(wc -l < "$TMP/want") opens of the helper, fd or -1 and errno, in columns"

run_opens "$HEADER_E" --comm rl_activity "$OPENSNOOP" -- -e
expected_lines -e > "$TMP/want"
assert_matches "$TMP/want" " 02001101 0640 $path\$" "flags and mode of the created file"
assert_lines "$TMP/want"
pass "-e: flags and mode in octal, n/a without O_CREAT"

run_opens "$HEADER" --comm rl_activity "$OPENSNOOP" -- -x
expected_lines "" -x > "$TMP/want"
assert_lines "$TMP/want"
if grep -E '^[0-9]+ +rl_activity +[0-9]+ +0 ' "$TMP/bg.out"; then fail "-x printed a successful open"; fi
pass "-x: failed opens only"

# -n filters in Lua: no kernel filter here, and only names containing "_activ" print.
run_opens "$HEADER" "$OPENSNOOP" -- -n _activ
expected_lines > "$TMP/want"
assert_lines "$TMP/want"
if tail -n +2 "$TMP/bg.out" | grep -v '^[0-9]* *rl_activity '; then fail "-n _activ printed another command"; fi
pass "-n: commands whose name contains NAME"
