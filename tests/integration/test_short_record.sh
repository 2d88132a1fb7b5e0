#!/usr/bin/env bash
# A record shorter than its type (8 bytes of a 64 KiB struct, the last thing in its
# recording) is never read past its end: --json and ringlua.json print it as its bytes,
# as for a ring of unknown type, and ringlua.decode says it is short. Replayed by nobody.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
CRAFT=${3:?usage: $0 RINGLUA SEQ_PRODUCER CRAFT_REC}

nobody=$(nobody_ringlua)
"$CRAFT" short "$TMP/short.rec"
chmod a+r "$TMP/short.rec"
bytes='{"map":"events","len":8,"hex":"72696e676c756100"}'

# replay_short WHAT ARGS...: replays the short record as nobody; it must end with exit 0.
replay_short() {
  local what=$1
  shift
  as_nobody "$nobody" --replay "$TMP/short.rec" "$@"
  [ "$RC" -lt 128 ] || fail "$what: killed by signal $((RC - 128))"
  assert_eq "$RC" 0 "$what: exit code"
}

replay_short "--json" --json
assert_eq "$(cat "$TMP/out")" "$bytes" "--json of a short record"
pass "--json prints a short record as its bytes: $(cat "$TMP/out")"

# script NAME CODE: a script nobody may read.
script() { echo "$2" > "$TMP/$1"; chmod a+r "$TMP/$1"; echo "$TMP/$1"; }
replay_short "ringlua.json(p)" "$(script json.lua 'local ringlua = require("ringlua") return { on_event = function(p) print(ringlua.json(p)) end }')"
assert_eq "$(cat "$TMP/out")" "$bytes" "ringlua.json(p) of a short record"
replay_short "ringlua.json(p, len)" \
  "$(script json_len.lua 'local ringlua = require("ringlua") return { on_event = function(p, len) print(ringlua.json(p, len, "events")) end }')"
assert_eq "$(cat "$TMP/out")" "$bytes" "ringlua.json(p, len, map) of a short record"
pass "ringlua.json prints a short record as its bytes, with or without its length"

replay_short "ringlua.decode(p)" \
  "$(script decode.lua 'local ringlua = require("ringlua") return { on_event = function(p) print(pcall(ringlua.decode, p)) end }')"
assert_contains "$TMP/out" "false" "ringlua.decode of a short record fails"
assert_contains "$TMP/out" "a record of 8 bytes is shorter than struct ev (65536 bytes)" \
  "ringlua.decode's error"
pass "ringlua.decode of a short record is an error: $(cat "$TMP/out")"
