#!/usr/bin/env bash
# --help and --version; on_init gets the script arguments, on_tick follows --interval,
# on_exit runs at the end however it comes (SIGINT, SIGTERM, --count).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

run_ringlua --help
assert_eq "$RC" 0 "--help exit code"
for opt in --source --pid --pin --count --interval --latency --max-errors --verbose --help \
           --version; do
  assert_contains "$TMP/out" "$opt" "--help"
done
assert_matches "$TMP/out" '^  exec +[a-z]' "--help lists the exec source"
assert_matches "$TMP/out" '^  syscalls +[a-z]' "--help lists the syscalls source"
assert_eq "$(wc -c < "$TMP/err")" 0 "--help writes nothing to stderr"
run_ringlua --version
assert_eq "$RC" 0 "--version exit code"
assert_matches "$TMP/out" '^ringlua [0-9]+\.[0-9]+\.[0-9]+$' "--version"
pass "--help and --version"

for sig in INT TERM; do
  start_ringlua --interval 100 "$SCRIPTS/hooks.lua" -- one -x "two words"
  sleep 1
  stop_ringlua "$sig"
  assert_eq "$RC" 0 "exit code after SIG$sig"
  assert_contains "$TMP/bg.out" "args=one,-x,two words" "script arguments"
  assert_contains "$TMP/bg.out" "on_exit" "on_exit after SIG$sig"
  assert_matches "$TMP/bg.err" '^ringlua: [0-9]+ events, 0 errors, 0 dropped, [0-9.]+ s$' "summary"
  ticks=$(sed -n 's/^ticks=//p' "$TMP/bg.out")
  assert_between "$ticks" 5 15 "ticks over ~1 s at 100 ms"
  pass "args reach on_init, $ticks ticks in ~1 s, on_exit and summary on SIG$sig"
done

pin=$(new_pin)
produce --pin "$pin" --count 10
run_ringlua --pin "$pin" --count 10 "$SCRIPTS/hooks.lua"
assert_eq "$RC" 0 "exit code"
assert_contains "$TMP/out" "on_exit" "on_exit after --count"
assert_contains "$TMP/err" "ringlua: 10 events, 0 errors" "summary"
pass "on_exit runs when --count is reached"
