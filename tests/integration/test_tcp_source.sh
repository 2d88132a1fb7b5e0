#!/usr/bin/env bash
# The tcp source reports a helper's connect to a loopback listener and its accept, with
# the helper's pid and both ends, over IPv4 and (where the kernel has it) IPv6.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
ACTIVITY=${3:?usage: $0 RINGLUA SEQ_PRODUCER RL_ACTIVITY}

start_ringlua "$SCRIPTS/tcp_fields.lua"
"$ACTIVITY" tcp 4 > "$TMP/expected" || fail "rl_activity tcp 4 failed"
v6=0
"$ACTIVITY" tcp 6 >> "$TMP/expected" || v6=$?
stop_ringlua
assert_eq "$RC" 0 "exit code after SIGINT"
assert_contains "$TMP/bg.out" "READY source=tcp" "ringlua.source in on_init"
assert_matches "$TMP/expected" "^dir=connect .* family=2 saddr=127.0.0.1 daddr=127.0.0.1 " "the helper's connect"
assert_matches "$TMP/expected" "^dir=accept .* family=2 saddr=127.0.0.1 daddr=127.0.0.1 " "the helper's accept"
while read -r expected; do
  assert_contains "$TMP/bg.out" "$expected" "tcp event"
done < "$TMP/expected"
case $v6 in
  0) pass "connect and accept over IPv4 and IPv6, both ends and the helper's pid" ;;
  77) pass "connect and accept over IPv4 (no IPv6 loopback on this machine)" ;;
  *) fail "rl_activity tcp 6 failed" ;;
esac
assert_matches "$TMP/bg.err" '^ringlua: [0-9]+ events, 0 errors, 0 dropped, [0-9.]+ s$' "summary"
