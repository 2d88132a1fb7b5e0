#!/usr/bin/env bash
# Handler errors are reported with file:line, rate-limited, counted; the stream goes on.
. "$(dirname "$0")/lib.sh"

pin=$(new_pin)
produce --pin "$pin" --count 10000
run_ringlua --pin "$pin" --count 10000 "$SCRIPTS/errors_every_10th.lua"
assert_eq "$RC" 0 "exit code"
assert_contains "$TMP/out" "handled=10000" "every event handled"
assert_contains "$TMP/err" "errors_every_10th.lua:5: event number divisible by ten" "file:line"
assert_contains "$TMP/err" "in function 'check'" "traceback"
assert_contains "$TMP/err" "ringlua: 10000 events, 1000 errors" "summary"
shown=$(grep -c "divisible by ten" "$TMP/err")
[ "$shown" -le 3 ] || fail "error printed $shown times: not rate-limited"
pass "1000 errors, printed $shown time(s), stream went on"

produce --pin "$pin" --reuse --count 100
run_ringlua --pin "$pin" --max-errors 5 "$SCRIPTS/errors_every_10th.lua"
assert_eq "$RC" 1 "exit code with --max-errors"
assert_contains "$TMP/err" "stopped after 5 handler errors (--max-errors)" "message"
assert_contains "$TMP/out" "handled=50" "stopped at the 5th error"
pass "--max-errors 5 stops at the 5th error"
