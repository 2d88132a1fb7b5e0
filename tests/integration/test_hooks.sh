#!/usr/bin/env bash
# on_init gets the script arguments, on_tick follows --interval, on_exit runs at the end.
. "$(dirname "$0")/lib.sh"

run_ringlua --help
assert_eq "$RC" 0 "--help exit code"
for word in --pin --count --interval --latency --max-errors exec syscalls; do
  assert_contains "$TMP/out" "$word" "--help"
done
run_ringlua --version
assert_contains "$TMP/out" "ringlua " "--version"
pass "--help and --version"

start_ringlua --interval 100 "$SCRIPTS/hooks.lua" -- one -x "two words"
sleep 1
stop_ringlua
assert_eq "$RC" 0 "exit code"
assert_contains "$TMP/bg.out" "args=one,-x,two words" "script arguments"
assert_contains "$TMP/bg.out" "on_exit" "on_exit after SIGINT"
ticks=$(sed -n 's/^ticks=//p' "$TMP/bg.out")
[ "$ticks" -ge 5 ] && [ "$ticks" -le 15 ] || fail "ticks over ~1 s at 100 ms: $ticks"
pass "args reach on_init, $ticks ticks in ~1 s, on_exit on SIGINT"

pin=$(new_pin)
produce --pin "$pin" --count 10
run_ringlua --pin "$pin" --count 10 "$SCRIPTS/hooks.lua"
assert_eq "$RC" 0 "exit code"
assert_contains "$TMP/out" "on_exit" "on_exit after --count"
assert_contains "$TMP/err" "ringlua: 10 events, 0 errors" "summary"
pass "on_exit runs when --count is reached"
