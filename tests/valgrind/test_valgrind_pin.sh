#!/usr/bin/env bash
# ringlua under valgrind's memcheck: a pinned ring drained, then a live stream with the
# consumer sleeping in epoll between records, stopped by --count and by SIGINT. Any
# memory error or definite leak makes valgrind exit 99 and fails the test.
#   test_valgrind_pin.sh RINGLUA SEQ_PRODUCER VALGRIND
# shellcheck source=../integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"

VALGRIND=${3:?usage: $0 RINGLUA SEQ_PRODUCER VALGRIND}
SCRIPTS=$HERE/../integration/scripts
VG_LOG=$TMP/valgrind.log

# The helpers of lib.sh run $RINGLUA: make it ringlua under valgrind. The report goes to
# its own file, so ringlua's stdout and stderr are checked as in any other test.
wrapper=$TMP/ringlua_under_valgrind
printf '#!/bin/sh\nexec %q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --log-file=%q %q "$@"\n' \
  "$VALGRIND" "$VG_LOG" "$RINGLUA" > "$wrapper"
chmod 755 "$wrapper"
RINGLUA=$wrapper

# expect_clean WHAT: the last run exited 0 and valgrind reported no error.
expect_clean() {
  [ "$RC" != 99 ] || { cat "$VG_LOG" >&2; fail "$1: valgrind found errors"; }
  assert_eq "$RC" 0 "$1: exit code"
  assert_contains "$VG_LOG" "ERROR SUMMARY: 0 errors" "$1: valgrind's summary"
}

pin=$(new_pin)
produce --pin "$pin" --count 20000
run_ringlua --pin "$pin" --count 20000 "$SCRIPTS/seq_check.lua"
expect_clean "drained ring"
assert_contains "$TMP/out" "n=20000 first=0 last=19999 gaps=0 bad=0" "drained ring"
pass "20000 records drained under valgrind, no memory errors or leaks"

pin=$(new_pin)
produce --pin "$pin" --count 0 --size $((16 << 20))
start_ringlua --pin "$pin" --count 20000 --interval 50 "$SCRIPTS/seq_check.lua"
produce --pin "$pin" --reuse --count 20000
RC=0
wait "$BG" || RC=$?
expect_clean "live stream"
assert_contains "$TMP/bg.out" "n=20000 first=0 last=19999 gaps=0 bad=0" "live stream"
pass "20000 records live under valgrind, no memory errors or leaks"

pin=$(new_pin)
produce --pin "$pin" --count 0
start_ringlua --pin "$pin" --interval 50 "$SCRIPTS/seq_check.lua"
produce --pin "$pin" --reuse --count 1000
stop_ringlua INT
expect_clean "stopped by SIGINT"
assert_contains "$TMP/bg.out" "n=" "on_exit after SIGINT"
pass "stopped by SIGINT under valgrind, no memory errors or leaks"
