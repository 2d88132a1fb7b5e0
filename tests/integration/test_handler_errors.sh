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

# A stop on the last record of a batch ends the run there: no later batch, in this poll
# or another, and no tick after it. 3000 records wait in the ring: batches of 1024, so
# record 1024 is the last of the first.
pin=$(new_pin)
produce --pin "$pin" --count 3000
run_ringlua --pin "$pin" --max-errors 1 "$SCRIPTS/stop_at.lua" -- error_at=1024
assert_eq "$RC" 1 "exit code with --max-errors 1"
assert_contains "$TMP/out" "handled=1024 late=0" "no event after the error limit"
assert_contains "$TMP/err" "ringlua: 1024 events, 1 errors" "summary"
pin=$(new_pin)
produce --pin "$pin" --count 3000
run_ringlua --pin "$pin" --interval 10 "$SCRIPTS/stop_at.lua" -- exit_at=1024
assert_eq "$RC" 3 "exit code of os.exit(3)"
assert_eq "$(cat "$TMP/out")" "READY
handled=1024 late=0" "nothing handed to the script after os.exit"
pin=$(new_pin)
produce --pin "$pin" --count 3000
run_ringlua --pin "$pin" --handler-timeout 300 "$SCRIPTS/stop_at.lua" -- spin_at=1024
assert_eq "$RC" 1 "exit code after a handler timeout"
assert_contains "$TMP/out" "handled=1024 late=0" "no event after the timeout"
pass "--max-errors, a timeout and os.exit on a batch's last record stop before the next batch"

# The same from a recording: --replay hands out nothing after os.exit either.
rec=$TMP/stop.rec
pin=$(new_pin)
produce --pin "$pin" --count 3000
run_ringlua --pin "$pin" --count 3000 --record "$rec" "$SCRIPTS/stop_at.lua"
assert_eq "$RC" 0 "exit code of the recording run"
run_ringlua --replay "$rec" "$SCRIPTS/stop_at.lua" -- exit_at=1024
assert_eq "$RC" 3 "exit code of os.exit(3) in a replay"
assert_eq "$(cat "$TMP/out")" "READY
handled=1024 late=0" "nothing replayed after os.exit"
pass "--replay stops at os.exit"
