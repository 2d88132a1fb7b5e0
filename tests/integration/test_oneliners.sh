#!/usr/bin/env bash
# -e CODE runs a script given on the command line; -c CMD starts a command, traces only
# it from its first instruction (its exec included), and stops when it ends.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# The command's own exec, and nothing else: the filter is set before it runs.
run_ringlua -c "/bin/true" -e \
  'on_event = function(p) local e = ringlua.cast(p) print(ringlua.str(e.filename)) end'
assert_eq "$RC" 0 "exit code"
assert_eq "$(cat "$TMP/out")" "/bin/true" "events of -c /bin/true"
assert_matches "$TMP/err" '^ringlua: process [0-9]+ exited$' "stops when the command ends"
pass "-c traces the command's exec and stops when it ends"

# Every system call of the command, and only its own (those before its exec still carry
# the name of ringlua, which forked it).
run_ringlua -s syscalls -c "dd if=/dev/zero of=/dev/null bs=1 count=500" -e '
  local n, others = 0, 0
  on_event = function(p)
    local comm = ringlua.str(ringlua.cast(p).comm)
    if comm == "dd" then n = n + 1 elseif comm ~= "ringlua" then others = others + 1 end
  end
  on_exit = function() print(("dd=%d others=%d"):format(n, others)) end'
assert_eq "$RC" 0 "exit code"
dd_calls=$(sed -n 's/^dd=\([0-9]*\) others=0$/\1/p' "$TMP/out")
assert_between "$dd_calls" 1000 5000 "dd's system calls (and no one else's)"
pass "-c -s syscalls: $dd_calls system calls, all dd's"

# Script arguments after --; ffi and ringlua in scope.
run_ringlua -e 'on_init = function(a) print(#a, a[1], a[2], type(ffi.cast), ringlua.source) os.exit(0) end
on_event = print' -- first "second arg"
assert_eq "$RC" 0 "exit code"
assert_eq "$(cat "$TMP/out")" "$(printf '2\tfirst\tsecond arg\tfunction\texec')" "on_init args"
pass "-e gets script arguments; ffi and ringlua are in scope"

# Errors: one line each.
run_ringlua -e 'x = = 1'
assert_eq "$RC" 1 "exit code of a syntax error"
assert_eq "$(cat "$TMP/err")" "ringlua: -e:1: unexpected symbol near '='" "syntax error"
run_ringlua -e 'return {}'
assert_eq "$RC" 1 "exit code without on_event"
assert_contains "$TMP/err" "ringlua: -e: no on_event(ptr, len) handler" "no handler"
run_ringlua -c 'ls $(id)' -e 'on_event = print'
assert_eq "$RC" 1 "exit code of a command that does not split"
assert_eq "$(wc -l < "$TMP/err")" 1 "one line"
assert_contains "$TMP/err" "ringlua: -c ls \$(id): not a command" "message"
run_ringlua -c true -p 1 -e 'on_event = print'
assert_eq "$RC" 2 "exit code of -c with -p"
assert_contains "$TMP/err" "-c traces the command it starts" "message"
pass "-e and -c errors are one line with the documented exit code"

# What a one-liner prints into a pipe or a file reaches it while the trace runs, within
# an interval (stdout is block-buffered there; the loop flushes it at every tick).
pin=$(new_pin)
produce --pin "$pin" --count 3
rm -f "$TMP/bg.out"
timeout -s KILL 60 "$RINGLUA" --pin "$pin" --interval 200 -e 'on_event = function() print("got one") end' \
  > "$TMP/bg.out" 2> "$TMP/bg.err" &
BG=$!
wait_output "got one"
kill -0 "$BG" 2>/dev/null || fail "ringlua ended before its output was checked"
stop_ringlua INT
assert_eq "$RC" 0 "exit code"
assert_eq "$(count_lines "got one" "$TMP/bg.out")" 3 "each event's line, once"
pass "a one-liner's output arrives while the trace runs"
