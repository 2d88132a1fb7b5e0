#!/usr/bin/env bash
# The README's runnable Lua examples: every ```lua block whose first line is a comment
# `-- ringlua ARGS... FILE.lua` is saved as FILE.lua and run with ARGS, as a reader would;
# it must exit 0, and each `-- @name[key]: N` comment in it must match a line of the
# output (N: any count, since the machine's own activity varies).
#   test_readme_examples.sh RINGLUA SEQ_PRODUCER README
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
README=${3:?usage: $0 RINGLUA SEQ_PRODUCER README}
RINGLUA=$(realpath "$RINGLUA")

# Splits README's blocks into $TMP/ex.N (the command on its first line).
awk -v dir="$TMP" '
  /^```lua$/ { inblock = 1; first = 1; next }
  /^```$/ { inblock = 0; next }
  inblock && first { first = 0; if ($0 ~ /^-- ringlua /) { n++; file = dir "/ex." n } else file = "" }
  inblock && file != "" { print > file }
' "$README"
ran=0
for ex in "$TMP"/ex.*; do
  [ -e "$ex" ] || continue
  # Words split as a shell splits them, quotes and all (xargs parses quotes).
  mapfile -t cmd < <(head -1 "$ex" | sed 's/^-- ringlua //' | xargs printf '%s\n')
  script=${cmd[-1]}
  cp "$ex" "$TMP/$script"
  (cd "$TMP" && timeout -s KILL 60 "$RINGLUA" "${cmd[@]}" > "$TMP/out" 2> "$TMP/err") ||
    { cat "$TMP/err" >&2; fail "README example '${cmd[*]}' failed"; }
  { grep -o -- '-- @[^ ]*\( [^:]*\)\?: [0-9]*' "$ex" || true; } | sed 's/^-- //; s/: [0-9]*$//' |
    while read -r shown; do
      # The line as shown, any count after it: compared as fixed text.
      grep -q -- "^$(printf '%s' "$shown" | sed 's/[][\.*^$+?(){}|/]/\\&/g'): [0-9]*$" "$TMP/out" ||
        { cat "$TMP/out" >&2; fail "README example '${cmd[*]}' does not print $shown"; }
    done
  ran=$((ran + 1))
  pass "README: ${cmd[*]}"
done
assert_between "$ran" 2 1000 "README examples run"
