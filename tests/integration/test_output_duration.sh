#!/usr/bin/env bash
# --duration SECONDS stops a trace as a SIGINT does (on_exit, the summary, exit 0);
# ringlua.stop() does the same from the script; -o FILE sends what the script prints
# to FILE, opened safely as root.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# --duration: the loop ends on time, with on_exit and the summary, and ends -c's command
# (a dd that would copy forever: the events come from it, not from whatever else the
# machine does, which on a quiet one may be nothing for a second).
run_ringlua_timed -s syscalls --duration 1 -c "dd if=/dev/zero of=/dev/null bs=1" -e 'local n = 0
  on_event = function() n = n + 1 end
  on_exit = function() print("on_exit", n > 0) end'
assert_eq "$RC" 0 "exit code after --duration"
assert_eq "$(cat "$TMP/out")" "$(printf 'on_exit\ttrue')" "on_exit ran"
assert_matches "$TMP/err" '^ringlua: [0-9]+ events, 0 errors, .* (0\.9|1\.[0-9])[0-9] s$' "the summary"
assert_between "$RUN_MS" 900 10000 "milliseconds until the exit"
pass "--duration 1 stops after a second: on_exit, summary, exit 0 ($RUN_MS ms)"

# Fractions are taken; nonsense and --replay are usage errors.
run_ringlua --duration 0.2 -e 'on_event = function() end'
assert_eq "$RC" 0 "exit code after --duration 0.2"
for bad in 0 -1 abc 1e12; do
  run_ringlua --duration "$bad" -e 'on_event = print'
  assert_eq "$RC" 2 "exit code of --duration $bad"
  assert_contains "$TMP/err" "invalid value for --duration" "message for $bad"
done
run_ringlua --duration 1 --replay /nonexistent -e 'on_event = print'
assert_eq "$RC" 2 "exit code of --duration with --replay"
assert_contains "$TMP/err" "--duration bounds a live trace" "message"
pass "--duration takes fractions; bad values and --replay are usage errors"

# -o: the script's prints (top level, on_exit) go to the file; -c's command keeps stdout.
run_ringlua -o "$TMP/o.txt" -c '/bin/echo from the command' -e 'print("top level")
  on_event = function() end
  on_exit = function() io.write("on_exit\n") end'
assert_eq "$RC" 0 "exit code with -o"
assert_eq "$(cat "$TMP/o.txt")" "$(printf 'top level\non_exit')" "the file"
assert_eq "$(cat "$TMP/out")" "from the command" "stdout: the command's"
assert_eq "$(stat -c %a "$TMP/o.txt")" 644 "a new file's mode"
pass "-o FILE: the script's output in FILE, the command's on stdout"

# An existing regular file of root's is truncated; --output-file is -o.
printf 'old contents, longer than the new ones\n' > "$TMP/o.txt"
run_ringlua --output-file "$TMP/o.txt" --duration 0.2 -e 'print("new") on_event = function() end'
assert_eq "$RC" 0 "exit code over an existing file"
assert_eq "$(cat "$TMP/o.txt")" "new" "truncated, then written"
pass "-o truncates an existing file of root's"

# Refused, exit 1, nothing written: a symbolic link (even to a file of root's), a file of
# another user, a second hard link, a directory.
ln -s "$TMP/o.txt" "$TMP/link"
touch "$TMP/nobodys"
chown 65534:65534 "$TMP/nobodys"
ln "$TMP/o.txt" "$TMP/hard"
mkdir "$TMP/dir"
for target in link:"it is a symbolic link" nobodys:"owned by a user other than root" \
    hard:"it has more than one hard link" dir:"Is a directory"; do
  run_ringlua -o "$TMP/${target%%:*}" -e 'print("no") on_event = print'
  assert_eq "$RC" 1 "exit code of -o ${target%%:*}"
  assert_eq "$(wc -l < "$TMP/err")" 1 "one line for ${target%%:*}"
  assert_contains "$TMP/err" "ringlua: -o $TMP/${target%%:*}: ${target#*:}" "message"
done
assert_eq "$(cat "$TMP/o.txt")" "new" "the linked file untouched"
assert_eq "$(stat -c %s "$TMP/nobodys")" 0 "the other user's file untouched"
pass "-o refuses links, others' files, hard links and directories"

# ringlua.stop() from a handler: no further record, then on_exit and the summary, exit 0
# (os.exit skips on_exit).
run_ringlua -s syscalls -c "dd if=/dev/zero of=/dev/null bs=1" -e 'local n = 0
  on_event = function() n = n + 1 if n == 100 then ringlua.stop() end end
  on_exit = function() print("on_exit", n) end'
assert_eq "$RC" 0 "exit code after ringlua.stop()"
assert_eq "$(cat "$TMP/out")" "$(printf 'on_exit\t100')" "no record after the stop"
assert_matches "$TMP/err" '^ringlua: 100 events, 0 errors' "the summary"
run_ringlua --interval 100 -e 'on_event = function() end
  on_tick = function() ringlua.stop() end
  on_exit = function() error("from on_exit") end'
assert_eq "$RC" 1 "exit code of an on_exit that fails after ringlua.stop()"
assert_contains "$TMP/err" "from on_exit" "its error is reported"
pass "ringlua.stop() ends the run as SIGINT does"
