#!/usr/bin/env bash
# A recording's BTF may nest types as deep as its author likes: a chain of 20,000
# pointers or of 20,000 structs, each holding the next. Replaying one, as a user the
# kernel does not check BTF for (nobody) and as root, is one line and exit 1, never a
# crash; a chain of ordinary depth still replays.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
CRAFT=${3:?usage: $0 RINGLUA SEQ_PRODUCER CRAFT_REC}

nobody=$(nobody_ringlua)
echo 'return { on_event = function() end }' > "$TMP/any.lua"
chmod a+r "$TMP/any.lua"

# expect_refused WHAT FILE: the run just made (RC, $TMP/err) refused FILE in one line.
expect_refused() {
  [ "$RC" -lt 128 ] || fail "$1: crashed (exit $RC)"
  assert_eq "$RC" 1 "$1: exit code"
  assert_eq "$(wc -l < "$TMP/err")" 1 "$1: lines on stderr"
  assert_matches "$TMP/err" "^ringlua: --replay $2: " "$1: message"
}

for kind in deep_pointers deep_structs; do
  "$CRAFT" "$kind" 20000 "$TMP/$kind.rec"
  chmod a+r "$TMP/$kind.rec"
  as_nobody "$nobody" --replay "$TMP/$kind.rec" "$TMP/any.lua"
  expect_refused "$kind as nobody" "$TMP/$kind.rec"
  assert_contains "$TMP/err" "types nest deeper than 256 levels" "$kind as nobody: why"
  pass "$kind, 20000 of them, as nobody -> 1: $(cat "$TMP/err")"
  run_ringlua --replay "$TMP/$kind.rec" "$TMP/any.lua"
  expect_refused "$kind as root" "$TMP/$kind.rec"
  pass "$kind, 20000 of them, as root -> 1: $(cat "$TMP/err")"

  "$CRAFT" "$kind" 8 "$TMP/${kind}_8.rec"
  chmod a+r "$TMP/${kind}_8.rec"
  as_nobody "$nobody" --replay "$TMP/${kind}_8.rec" "$TMP/any.lua"
  assert_eq "$RC" 0 "exit code of $kind, 8 of them"
  pass "$kind, 8 of them, replays"
done
