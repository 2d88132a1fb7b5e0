#!/usr/bin/env bash
# The open source reports each open of a test helper with its flags, mode and result:
# a file it creates, a missing file (-ENOENT), through openat, open and openat2.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
ACTIVITY=${3:?usage: $0 RINGLUA SEQ_PRODUCER RL_ACTIVITY}

path=$TMP/opened
missing=$TMP/missing
start_ringlua "$SCRIPTS/open_fields.lua"
"$ACTIVITY" open "$path" "$missing" > "$TMP/expected" || fail "rl_activity open failed"
stop_ringlua
assert_eq "$RC" 0 "exit code after SIGINT"
assert_contains "$TMP/bg.out" "READY source=open" "ringlua.source in on_init"
assert_matches "$TMP/expected" "ret=-2 comm=rl_activity path=$missing\$" "the helper's missing open"
# Each line the helper printed is an event, field for field.
while read -r expected; do
  assert_contains "$TMP/bg.out" "$expected" "open event"
done < "$TMP/expected"
pass "$(wc -l < "$TMP/expected") opens with flags, mode and fd or -ENOENT"
assert_matches "$TMP/bg.err" '^ringlua: [0-9]+ events, 0 errors, 0 dropped, [0-9.]+ s$' "summary"
