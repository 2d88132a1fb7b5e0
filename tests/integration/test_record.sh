#!/usr/bin/env bash
# --record writes every handled event and what decodes it; --replay runs a script on the
# recording without root and without BPF, and gives the same output as the live run.
# Broken recordings are one clear line and exit 1.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

rec=$TMP/trace.rec
run_ringlua --record "$rec" -c "dd if=/dev/zero of=/dev/null bs=1 count=200" "$SCRIPTS/syscall_lines.lua"
assert_eq "$RC" 0 "exit code of the recording run"
cp "$TMP/out" "$TMP/live"
live_events=$(grep -c '^[0-9]' "$TMP/live")
assert_between "$live_events" 400 100000 "events seen live"
run_ringlua --replay "$rec" "$SCRIPTS/syscall_lines.lua"
assert_eq "$RC" 0 "exit code of the replay"
cmp "$TMP/live" "$TMP/out" || fail "the replay's output differs from the live run's"
assert_contains "$TMP/err" "ringlua: replayed $live_events events, 0 errors" "replay summary"
pass "record -> replay: the same $live_events lines (source=syscalls) as live"

# No root needed: nobody replays it (a copy of ringlua and its modules that nobody can
# reach), at the recorded pace too.
mkdir -p "$TMP/inst/bin" "$TMP/inst/share/ringlua"
cp "$RINGLUA" "$TMP/inst/bin/ringlua"
cp -r "$HERE/../../lua" "$TMP/inst/share/ringlua/"
cp "$SCRIPTS/syscall_lines.lua" "$TMP/lines.lua"
chmod -R a+rX "$TMP/inst" "$TMP/lines.lua" "$rec"
RC=0
timeout 60 setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
  "$TMP/inst/bin/ringlua" --replay "$rec" --realtime "$TMP/lines.lua" > "$TMP/out" 2> "$TMP/err" || RC=$?
assert_eq "$RC" 0 "exit code of the replay as nobody"
cmp "$TMP/live" "$TMP/out" || fail "the replay as nobody differs"
pass "nobody replays it (--realtime) with the same output"

# Broken recordings: one line, exit 1, never a crash.
expect_bad() {
  local what=$1 msg=$2
  run_ringlua --replay "$TMP/bad.rec" "$SCRIPTS/syscall_lines.lua"
  [ "$RC" -lt 128 ] || fail "$what: crashed (exit $RC)"
  assert_eq "$RC" 1 "$what: exit code"
  assert_contains "$TMP/err" "ringlua: --replay $TMP/bad.rec: $msg" "$what: message"
  pass "$what -> 1: $(head -1 "$TMP/err")"
}
head -c 100 /dev/urandom > "$TMP/bad.rec"
expect_bad "random bytes" "not a ringlua recording"
head -c 20 "$rec" > "$TMP/bad.rec"
expect_bad "a cut header" "its header is corrupt or truncated"
size=$(wc -c < "$rec")
head -c $((size - 30)) "$rec" > "$TMP/bad.rec"
expect_bad "a cut record" "truncated or corrupt record"
: > "$TMP/bad.rec"
expect_bad "an empty file" "too short to be a recording"
run_ringlua --replay "$TMP/missing.rec" "$SCRIPTS/syscall_lines.lua"
assert_eq "$RC" 1 "exit code of a missing recording"
assert_contains "$TMP/err" "No such file or directory" "missing recording"
run_ringlua --replay "$rec" -p 1 "$SCRIPTS/syscall_lines.lua"
assert_eq "$RC" 2 "exit code of --replay with -p"
pass "a missing recording -> 1; --replay with -p -> 2"
