#!/usr/bin/env bash
# Handler errors are reported with file:line, rate-limited, counted; the stream goes on.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

pin=$(new_pin)
produce --pin "$pin" --count 10000
run_ringlua --pin "$pin" --count 10000 "$SCRIPTS/errors_every_10th.lua"
assert_eq "$RC" 0 "exit code"
assert_contains "$TMP/out" "handled=10000" "every event handled"
assert_contains "$TMP/err" "errors_every_10th.lua:7: event number divisible by ten" "file:line"
assert_contains "$TMP/err" "in function 'check'" "traceback"
assert_contains "$TMP/err" "ringlua: 10000 events, 1000 errors" "summary"
shown=$(grep -c "divisible by ten" "$TMP/err")
assert_between "$shown" 1 3 "times a repeated error is printed"
pass "1000 errors, printed $shown time(s), stream went on"

# Each distinct error is shown: the limit is per message.
pin=$(new_pin)
produce --pin "$pin" --count 10000
run_ringlua --pin "$pin" --count 10000 "$SCRIPTS/errors_every_10th.lua" -- two-kinds
assert_eq "$RC" 0 "exit code"
assert_contains "$TMP/err" "errors_every_10th.lua:7: event number divisible by ten" "first kind"
assert_contains "$TMP/err" "errors_every_10th.lua:8: event number ending in five" "second kind"
assert_contains "$TMP/err" "ringlua: 10000 events, 2000 errors" "summary"
pass "two kinds of error, each shown"

# An error repeating for ~2.5 s is shown about once a second, then with the count of the
# times it was not shown.
pin=$(new_pin)
produce --pin "$pin" --count 0
start_ringlua --pin "$pin" --count 2500 "$SCRIPTS/errors_every_10th.lua"
produce --pin "$pin" --reuse --count 2500 --rate 1000
RC=0
wait "$BG" || RC=$?
assert_eq "$RC" 0 "exit code"
assert_contains "$TMP/bg.err" "ringlua: 2500 events, 250 errors" "summary"
assert_contains "$TMP/bg.err" "more times since it was last shown" "count of hidden errors"
shown=$(grep -c "divisible by ten" "$TMP/bg.err")
assert_between "$shown" 2 4 "times an error over ~2.5 s is printed"
pass "an error over ~2.5 s printed $shown times"

pin=$(new_pin)
produce --pin "$pin" --count 100
run_ringlua --pin "$pin" --max-errors 5 "$SCRIPTS/errors_every_10th.lua"
assert_eq "$RC" 1 "exit code with --max-errors"
assert_contains "$TMP/err" "stopped after 5 handler errors (--max-errors)" "message"
assert_contains "$TMP/out" "handled=50" "stopped at the 5th error"
pass "--max-errors 5 stops at the 5th error"

# on_tick errors are handler errors too.
pin=$(new_pin)
produce --pin "$pin" --count 0
run_ringlua --pin "$pin" --interval 50 --max-errors 3 "$SCRIPTS/tick_errors.lua"
assert_eq "$RC" 1 "exit code with --max-errors"
assert_contains "$TMP/err" "tick_errors.lua:9: tick failed" "file:line"
assert_contains "$TMP/err" "stopped after 3 handler errors (--max-errors)" "message"
assert_contains "$TMP/out" "ticks=3" "ticks"
pass "on_tick errors count towards --max-errors"
