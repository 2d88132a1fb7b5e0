#!/usr/bin/env bash
# The usdt source, on Debian's python3.11 (built with USDT probes): sys.audit calls
# counted by their event name as bpftrace counts them, gc.collect calls counted, the
# argument count and probe index of each record, wildcards, -p and -c's children,
# listing the probes, and probes that cannot be attached refused by name.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3.11
TARGET=$HERE/usdt_target.py
[ -x "$PY" ] || fail "$PY is missing (scripts/setup.sh installs python3.11)"
map_lines() { grep -E '^@' "$1" || true; }

# 1. The program form: sys.audit("ringlua.test", i) 7 times, among Python's own audit
# events, each event name read at the probe (str(e.arg0)); the same counts as bpftrace's.
run_ringlua -c "$PY $TARGET 7 0" -e "usdt:$PY:python:audit { count(str(e.arg0)) }"
assert_eq "$RC" 0 "exit code of the audit program"
map_lines "$TMP/out" | sort > "$TMP/ours"
assert_contains "$TMP/ours" "@[ringlua.test]: 7" "the script's audit events"
if command -v bpftrace > /dev/null; then
  timeout -s KILL 60 bpftrace -e "usdt:$PY:python:audit /pid == cpid/ { @[str(arg0)] = count(); }" \
    -c "$PY $TARGET 7 0" > "$TMP/bt.out" 2> /dev/null || fail "bpftrace failed"
  assert_eq "$(cat "$TMP/ours")" "$(map_lines "$TMP/bt.out" | sort)" "the same as bpftrace's"
fi
pass "usdt:python:audit by str(arg0): 7 of the script's, the rest as bpftrace counts"

# 2. gc.collect: the interpreter collects on its own too (at exit), so the count of a
# run that collects 5 times more than another is 5 more.
gc_starts() {
  run_ringlua -c "$PY $TARGET 0 $1" -e "usdt:$PY:python:gc__start { count() }"
  assert_eq "$RC" 0 "exit code of the gc__start program"
  sed -n "s/^@: //p" "$TMP/out"
}
base=$(gc_starts 0)
more=$(gc_starts 5)
assert_eq "$((more - base))" 5 "gc__start hits of 5 gc.collect() calls"
pass "usdt:python:gc__start: 5 more hits for 5 collections ($base without)"

# 3. A plain script over a list of two probes: each record's probe index, arg_count, a
# string argument (--str arg0), and gc__start's generation (a signed int: -4@...), 2 for
# gc.collect().
run_ringlua -s "usdt:$PY:python:audit,usdt:$PY:python:gc__start" --str arg0 \
  -c "$PY $TARGET 3 2" -e 'on_event = function(p) local e = ringlua.cast(p)
  if e.probe == 1 or ringlua.str(e.str) == "ringlua.test" then
    io.stderr:write(string.format("probe %d args %d %s %s\n", e.probe, e.arg_count,
      e.probe == 0 and ringlua.str(e.str) or tostring(tonumber(e.arg0)), ringlua.str(e.comm)))
  end end'
assert_eq "$RC" 0 "exit code of the list"
assert_eq "$(grep -c '^probe 0 args 2 ringlua.test python3.11$' "$TMP/err")" 3 "audit records"
assert_between "$(grep -c '^probe 1 args 1 2 python3.11$' "$TMP/err")" 2 1000 \
  "collections of generation 2"
assert_eq "$(grep -c '^probe 1 ' "$TMP/err")" "$((base + 2))" "collections"
pass "a list of probes: index, arg_count, --str arg0 and a signed argument"

# 4. Wildcards: python:gc__* is gc__start and gc__done, each once a collection.
run_ringlua -c "$PY $TARGET 0 3" -e "usdt:$PY:python:gc__* { count() }"
assert_eq "$RC" 0 "exit code of python:gc__*"
assert_eq "$(sed -n "s/^@: //p" "$TMP/out")" "$((2 * (base + 3)))" "gc__start and gc__done hits"
pass "wildcards: python:gc__* attaches both probes"

# 5. -p: the probes go on that process; it waits for the file BEGIN makes.
"$PY" "$TARGET" 4 0 "$TMP/go" &
pypid=$!
run_ringlua -p "$pypid" -e "BEGIN { io.open('$TMP/go', 'w'):close() }
  usdt:$PY:python:audit /str(e.arg0) == 'ringlua.test'/ { count(pid) }"
wait "$pypid" || fail "the traced python failed"
assert_eq "$RC" 0 "exit code with -p"
assert_eq "$(map_lines "$TMP/out")" "@[$pypid]: 4" "the process's audit events"
pass "-p: the process's probes"

# 6. -c covers the command's children: two pythons under a shell.
run_ringlua -c "sh -c '$PY $TARGET 2 0; $PY $TARGET 3 0'" \
  -e "usdt:$PY:python:audit /str(e.arg0) == 'ringlua.test'/ { count() }"
assert_eq "$RC" 0 "exit code over a shell's children"
assert_eq "$(map_lines "$TMP/out")" "@: 5" "the children's audit events"
pass "-c: the command's children are probed"

# 7. Listing: the probes of the file, and with -lv each site's arguments.
run_ringlua -l "usdt:$PY:*"
assert_eq "$RC" 0 "exit code of -l usdt:"
assert_matches "$TMP/out" "^usdt:$PY:python:audit\$" "python:audit listed"
assert_matches "$TMP/out" "^usdt:$PY:python:gc__start\$" "python:gc__start listed"
run_ringlua -lv "usdt:$PY:python:gc__start"
assert_eq "$RC" 0 "exit code of -lv usdt:"
assert_eq "$(head -1 "$TMP/out")" "usdt:$PY:python:gc__start" "only the probe asked for"
assert_matches "$TMP/out" '^    arg0: s32 -4@' "gc__start's generation: a signed 4-byte argument"
run_ringlua -l "usdt:$PY:nope_*"
assert_eq "$RC" 1 "exit code of -l matching nothing"
assert_contains "$TMP/err" "no USDT probe of $PY matches" "nothing matched"
pass "-l usdt:PATH:*; -lv with each site's arguments"

# 8. Probes that cannot be attached, each refused in one line.
run_ringlua -s "usdt:$PY:python:no_such_probe" -e 'on_event = function() end'
assert_eq "$RC" 1 "exit code for a missing probe"
assert_contains "$TMP/err" "$PY has no USDT probe python:no_such_probe" "a missing probe named"
assert_eq "$(wc -l < "$TMP/err")" 1 "one line"
run_ringlua -s "usdt:$PY" -e 'on_event = function() end'
assert_eq "$RC" 2 "exit code for a probe without a name"
assert_contains "$TMP/err" "a USDT probe is usdt:PATH:[PROVIDER:]NAME" "a probe without a name"
run_ringlua -e "usdt:$PY:python:audit { count(str(e.arg12)) }"
assert_eq "$RC" 1 "exit code for str() of no argument"
assert_contains "$TMP/err" "str(e.arg0) to str(e.arg11)" "str() of no argument"
run_ringlua -s usdt:libnosuch:a:b -e 'on_event = function() end'
assert_eq "$RC" 1 "exit code for a missing library"
assert_contains "$TMP/err" "libnosuch: no such file, library (ldconfig -p) or program" "a missing library"
pass "unattachable USDT probes refused"
