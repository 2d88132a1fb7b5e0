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
  t0=$(now_ms)
  start_ringlua --interval 100 "$SCRIPTS/hooks.lua" -- one -x "two words"
  wait_lines 5 '^tick [0-9]+$'
  stop_ringlua "$sig"
  ms=$(($(now_ms) - t0))
  assert_eq "$RC" 0 "exit code after SIG$sig"
  assert_contains "$TMP/bg.out" "args=one,-x,two words" "script arguments"
  assert_contains "$TMP/bg.out" "on_exit" "on_exit after SIG$sig"
  assert_matches "$TMP/bg.err" '^ringlua: [0-9]+ events, 0 errors, 0 dropped, [0-9.]+ s$' "summary"
  ticks=$(sed -n 's/^ticks=//p' "$TMP/bg.out")
  assert_eq "$ticks" "$(grep -cE '^tick [0-9]+$' "$TMP/bg.out")" "ticks counted against ticks printed"
  # A loaded machine may tick late, never early: at most one tick per 100 ms gone by.
  assert_between "$ticks" 5 $((ms / 100 + 1)) "ticks at 100 ms over $ms ms"
  pass "args reach on_init, $ticks ticks in $ms ms, on_exit and summary on SIG$sig"
done

pin=$(new_pin)
produce --pin "$pin" --count 10
run_ringlua --pin "$pin" --count 10 "$SCRIPTS/hooks.lua"
assert_eq "$RC" 0 "exit code"
assert_contains "$TMP/out" "on_exit" "on_exit after --count"
assert_contains "$TMP/err" "ringlua: 10 events, 0 errors" "summary"
pass "on_exit runs when --count is reached"

# A SIGHUP or SIGINT while the script's print waits on a full pipe costs no output: the
# write goes on once the reader reads, then the reload or the stop follows (for SIGINT,
# the handler is cut short after its write: no record after, on_exit, exit 0).
cat > "$TMP/flood.lua" <<'LUA'
local ringlua = require("ringlua")
local st = ringlua.state
local pad = string.rep("x", 90)
st.n = st.n or 0
return {
  on_init = function() io.stderr:write("READY\n") end,
  on_event = function() st.n = st.n + 1; print(st.n .. " " .. pad) end,
  on_exit = function() print("END") end,
}
LUA
mkfifo "$TMP/fifo"
for sig in HUP INT; do
  rm -f "$TMP/go" "$TMP/read"
  # The reader holds the pipe open but reads only once told: the pipe fills up.
  ( exec 3< "$TMP/fifo"; while [ ! -e "$TMP/go" ]; do sleep 0.05; done; cat <&3 > "$TMP/read" ) &
  reader=$!
  pin=$(new_pin)
  produce --pin "$pin" --count 0
  timeout -s KILL 60 "$RINGLUA" --pin "$pin" --handler-timeout 0 "$TMP/flood.lua" \
    > "$TMP/fifo" 2> "$TMP/bg.err" &
  BG=$!
  wait_output READY "$TMP/bg.err"
  produce --pin "$pin" --reuse --count 2000 # 190 KB of lines: far more than a pipe holds
  wait_for "SIG$sig: ringlua to wait on the full pipe" writing_to_pipe "$(child_of "$BG")"
  signal_ringlua "$sig"
  wait_for "SIG$sig: ringlua to take the signal while blocked" signal_taken "$(child_of "$BG")" "$sig"
  touch "$TMP/go"
  if [ "$sig" == HUP ]; then
    wait_output "ringlua: reloaded" "$TMP/bg.err"
    wait_output READY "$TMP/bg.err"
    signal_ringlua INT
  fi
  RC=0
  wait "$BG" || RC=$?
  wait "$reader"
  assert_eq "$RC" 0 "exit code after SIG$sig during a blocked write"
  # Lines 1..k, each whole and in order, then on_exit's END: nothing lost on the way.
  awk -v pad="$(printf 'x%.0s' $(seq 90))" '
    $0 == "END" { ended = 1; next }
    ended || $0 != (NR " " pad) { print "line " NR ": " substr($0, 1, 20); bad = 1; exit }
    END { if (!ended) { print "no END after " NR " lines"; bad = 1 } exit bad }' \
    "$TMP/read" > "$TMP/check" || { cat "$TMP/check" "$TMP/bg.err" >&2; fail "SIG$sig: output lost"; }
  [ "$sig" == INT ] || assert_eq "$(grep -c x "$TMP/read")" 2000 "every line after SIGHUP"
  pass "SIG$sig while print waits on a full pipe: $(grep -c x "$TMP/read") lines, none lost, on_exit"
done
