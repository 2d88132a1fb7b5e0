#!/usr/bin/env bash
# Modules beside a script in a directory others can write (sticky, as /tmp) are opened
# without blocking and checked on the descriptor before anything is read: a FIFO that
# nobody put at helper.lua fails require() at once with a clear error instead of
# hanging start-up, and a link nobody put there is refused rather than followed (it
# would load whatever root may read as Lua, and show it in the compile error).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
CRAFT=${3:?usage: $0 RINGLUA SEQ_PRODUCER CRAFT_REC}

shared=$TMP/shared
mkdir -m 1777 "$shared"
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$@"; }
# A replay feeds the script: no BPF needed to reach its require().
"$CRAFT" times "$TMP/one.rec" 1
cat > "$shared/main.lua" <<'LUA'
local ok, err = pcall(require, "helper")
print(ok, err)
return { on_event = function() end }
LUA

# run_within MS WHAT: replays into main.lua (killed after 20 s), which must end with
# exit 0 within MS milliseconds.
run_within() {
  local t0 ms
  t0=$(now_ms)
  RC=0
  timeout -s KILL 20 "$RINGLUA" --replay "$TMP/one.rec" "$shared/main.lua" \
    > "$TMP/out" 2> "$TMP/err" || RC=$?
  ms=$(($(now_ms) - t0))
  [ "$RC" -lt 128 ] || fail "$2: killed (exit $RC after $ms ms)"
  assert_eq "$RC" 0 "$2: exit code"
  assert_between "$ms" 0 "$1" "$2: ms start-up took"
}

nobody mkfifo -m 666 "$shared/helper.lua"
run_within 10000 "a FIFO module"
assert_contains "$TMP/out" "false" "require of a FIFO fails"
assert_contains "$TMP/out" "cannot load module $shared/helper.lua: not a regular file" \
  "the FIFO's error"
pass "a FIFO module fails at once: $(cat "$TMP/out")"
rm "$shared/helper.lua"

echo "root's own" > "$TMP/secret"
chmod 600 "$TMP/secret"
nobody ln -s "$TMP/secret" "$shared/helper.lua"
run_within 10000 "a linked module"
assert_contains "$TMP/out" \
  "refusing to load module $shared/helper.lua: it is a symbolic link (--unsafe-perms overrides)" \
  "the link's error"
grep -q "root's own" "$TMP/out" "$TMP/err" && fail "the linked file was read"
pass "a linked module is refused: $(cat "$TMP/out")"
