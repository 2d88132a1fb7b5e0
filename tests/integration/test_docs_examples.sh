#!/usr/bin/env bash
# Every example of README.md and docs/*.md, run as a reader would run it, from a scratch
# copy of the tree's scripts/ and tests/bpf/ (so paths read as from the top of the tree),
# with this build's ringlua first on the PATH.
#   test_docs_examples.sh RINGLUA SEQ_PRODUCER SOURCE_DIR
#
# What runs:
# - A ```lua block whose first line is a comment `-- ringlua ARGS... FILE.lua` is saved
#   as FILE.lua and run with ARGS; each `-- @name[key]: N` comment in it must match a
#   line of the output (N: any count, since the machine's own activity varies).
# - In a ```sh block, each line that starts with `ringlua ` is a command, run by bash as
#   it is written (a line ending in `\`, or a quote left open, goes on to the next).
#   So is a line that starts with `mkdir ` (a directory the next command writes into).
#   Other lines (bpftrace, curl, comments) are not run.
# - In a bare ``` block (a transcript), each line that starts with `$ ringlua ` is a
#   command, and the lines after it, up to the next `$ ` line, are what it prints: each
#   must match a line of its output (stdout and stderr), with every number standing for
#   any number, runs of spaces for any run of spaces, and `...` for anything.
# Every command must exit 0 within 60 s: give it -c, --count or --duration, or mark it.
# A block may be marked by an HTML comment on the line before it (blank lines between):
#   <!-- docs-test: skip (REASON) -->              not run; the test says so, with REASON
#   <!-- docs-test: interrupt after N s (REASON) -->   each command gets Ctrl-C (SIGINT
#                                                  to its process group) after N s
#   <!-- docs-test: output varies (REASON) -->     run, its shown output not compared
# (interrupt and output varies may go in one comment, separated by `;`).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
SRC=$(realpath "${3:?usage: $0 RINGLUA SEQ_PRODUCER SOURCE_DIR}")
RINGLUA=$(realpath "$RINGLUA")
LIMIT=60

TREE=$TMP/tree
mkdir -p "$TREE/tests" "$TMP/bin" "$TMP/ex"
cp -r "$SRC/scripts" "$TREE/scripts"
cp -r "$SRC/tests/bpf" "$TREE/tests/bpf"
ln -s "$RINGLUA" "$TMP/bin/ringlua"
export PATH=$TMP/bin:$PATH

# Splits the pages' examples into $TMP/ex/N.{meta,cmd,out,lua}: meta is "KIND\tWHERE\tMARK".
cd "$SRC" || fail "cannot enter $SRC"
awk -v dir="$TMP/ex" '
  function start(kind, where) {
    n++; file = sprintf("%s/%03d", dir, n)
    printf "%s\t%s\t%s\n", kind, where, blockmark > (file ".meta"); close(file ".meta")
  }
  function quotes(s) { return gsub(/\047/, "", s) }
  FNR == 1 { inb = 0; mark = ""; cont = 0 }
  !inb && /^ *<!-- docs-test:/ {
    mark = $0; sub(/^ *<!-- docs-test: */, "", mark); sub(/ *-->$/, "", mark); next
  }
  !inb && /^[ \t]*$/ { next }
  !inb && /^ *```/ {
    inb = 1; indent = match($0, /[^ ]/) - 1; lang = substr($0, indent + 4)
    blockmark = mark; mark = ""; first = 1; active = 0; cont = 0; shown = 0; next
  }
  !inb { mark = ""; next }
  inb && /^ *```[ \t]*$/ { inb = 0; active = 0; next }
  {
    line = substr($0, indent + 1)
    if (lang == "lua") {
      if (first && line ~ /^-- ringlua /) {
        start("lua", FILENAME ":" FNR); active = 1
        cmd = line; sub(/^-- /, "", cmd); print cmd > (file ".cmd"); close(file ".cmd")
      }
      first = 0
      if (active) print line >> (file ".lua")
      next
    }
    if (lang != "sh" && lang != "") next
    if (cont) {
      print line >> (file ".cmd"); q += quotes(line)
      cont = line ~ /\\$/ || q % 2; next
    }
    if ((lang == "sh" && line ~ /^(ringlua|mkdir) /) || (lang == "" && line ~ /^\$ ringlua /)) {
      start("sh", FILENAME ":" FNR); sub(/^\$ /, "", line)
      print line > (file ".cmd"); q = quotes(line)
      cont = line ~ /\\$/ || q % 2; shown = (lang == ""); next
    }
    if (line ~ /^\$ /) { shown = 0; next }
    if (shown) print line >> (file ".out")
  }
' README.md docs/*.md
cd "$TMP" || fail "cannot enter $TMP"

# pattern LINE: LINE as an extended regex: numbers, runs of spaces and `...` stand free.
pattern() {
  printf '%s' "$1" | sed -E 's/[][\.*^$+?(){}|/]/\\&/g; s/[0-9]+/[0-9]+/g; s/ +/ +/g;
    s/\\\.\\\.\\\./.*/g; s/^/^ */; s/$/ *$/'
}

# run CMD INTERRUPT: CMD through bash in $TREE, as a session of its own; SIGINT to it
# after INTERRUPT seconds (none if empty); output in $TMP/out. Returns its exit status.
run() {
  local cmd=$1 intr=$2 t=0 pid
  (cd "$TREE" && exec setsid bash -c "$cmd" > "$TMP/out" 2>&1 < /dev/null) &
  pid=$!
  while kill -0 "$pid" 2> /dev/null; do
    [ -n "$intr" ] && [ "$t" -eq "$((intr * 10))" ] && kill -INT -- "-$pid" 2> /dev/null
    if [ "$t" -ge "$((LIMIT * 10))" ]; then
      kill -KILL -- "-$pid" 2> /dev/null
      echo "(still running after $LIMIT s)" >> "$TMP/out"
    fi
    sleep 0.1
    t=$((t + 1))
  done
  wait "$pid"
}

# bad WHAT: an example failed; its output is shown, and the others still run.
bad() {
  sed 's/^/  | /' "$TMP/out" >&2
  echo "FAIL: $*" >&2
  failed=$((failed + 1))
}

ran=0
skipped=0
failed=0
for meta in "$TMP"/ex/*.meta; do
  ex=${meta%.meta}
  IFS=$'\t' read -r kind where mark < "$meta"
  # DOCS_ONLY=TEXT runs only the examples whose FILE:LINE contains TEXT (to try one page).
  [[ "$where" == *"${DOCS_ONLY:-}"* ]] || continue
  cmd=$(cat "$ex.cmd")
  if [[ "$mark" == skip* ]]; then
    echo "skip: $where: ${cmd%%$'\n'*}: ${mark#skip }"
    skipped=$((skipped + 1))
    continue
  fi
  intr=$(printf '%s' "$mark" | sed -nE 's/.*interrupt after ([0-9]+) s.*/\1/p')
  if [ "$kind" = lua ]; then
    # Words split as a shell splits them, quotes and all (xargs parses quotes).
    script=$(printf '%s' "$cmd" | xargs printf '%s\n' | tail -1)
    cp "$ex.lua" "$TREE/$script"
    { grep -o -- '-- @[^ ]*\( [^:]*\)\?: [0-9]*' "$ex.lua" || true; } | sed 's/^-- //' > "$ex.out"
  fi
  rc=0
  run "$cmd" "$intr" || rc=$?
  [ "$rc" -eq 0 ] || { bad "$where: '$cmd' exited $rc"; continue; }
  if [ -s "$ex.out" ] && [[ "$mark" != *"output varies"* ]]; then
    missing=$(while IFS= read -r shown; do
      grep -qE -- "$(pattern "$shown")" "$TMP/out" || echo "$shown"
    done < "$ex.out")
    [ -z "$missing" ] || { bad "$where: '$cmd' does not print: $missing"; continue; }
  fi
  ran=$((ran + 1))
  pass "$where: ${cmd%%$'\n'*}"
done
# The README names every package scripts/setup.sh installs, and Getting started says
# what each is for: a package added to the script and not to them fails here.
mapfile -t packages < <(awk '/^PACKAGES/ { on = 1 } on { print } on && /\)/ { on = 0 }' \
  "$SRC/scripts/setup.sh" |
  sed 's/#.*//; s/PACKAGES+\?=(//; s/)//' | tr ' ' '\n' | sed '/^$/d')
assert_between "${#packages[@]}" 10 100 "packages in scripts/setup.sh"
for p in "${packages[@]}"; do
  for page in README.md docs/getting-started.md; do
    grep -qE -- "(^|[ (,])$(printf '%s' "$p" | sed 's/[.+]/\\&/g')([ ,.;)]|$)" "$SRC/$page" ||
      { echo "FAIL: $page does not name the package $p" >&2; failed=$((failed + 1)); }
  done
done

echo "$ran examples run, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] || fail "$failed examples failed"
[ -n "${DOCS_ONLY:-}" ] || assert_between "$ran" 10 1000 "examples run"
