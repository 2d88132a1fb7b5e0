#!/usr/bin/env bash
# Hostile and broken scripts: each gets a clear message and a defined exit code, and none
# crashes ringlua. (Load errors and error floods are in test_bad_input.sh and
# test_handler_errors.sh.)
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

EVENTS=100
pin=$(new_pin)

# case NAME CODE STDERR_TEXT STDOUT_TEXT BODY [OPTIONS...]: runs BODY as a script over a
# ring holding EVENTS records and checks the exit code and what was printed.
case_() {
  local name=$1 code=$2 err_text=$3 out_text=$4 body=$5
  shift 5
  printf '%s\n' "$body" > "$TMP/$name.lua"
  produce --pin "$pin" --count $EVENTS
  run_ringlua "$@" --pin "$pin" "$TMP/$name.lua"
  [ "$RC" -lt 128 ] || { cat "$TMP/err" >&2; fail "$name: crashed (exit $RC)"; }
  assert_eq "$RC" "$code" "$name: exit code"
  [ -z "$err_text" ] || assert_contains "$TMP/err" "$err_text" "$name: stderr"
  [ -z "$out_text" ] || assert_contains "$TMP/out" "$out_text" "$name: stdout"
  rm -f "$pin"
  pass "$name -> $code"
}

EXIT_HOOK='on_exit = function() print("on_exit ran") end'

case_ odd_returns 0 "ringlua: $EVENTS events, 0 errors" "" \
  "local n = 0
   return { on_event = function() n = n + 1
     if n % 3 == 0 then return 42 elseif n % 3 == 1 then return {}, 'x' end end }" \
  --count $EVENTS
case_ error_object_not_a_string 0 "(error object is not a string)" "on_exit ran" \
  "return { on_event = function() error({ code = 1 }) end, $EXIT_HOOK }" --count $EVENTS
case_ os_exit_in_handler 3 "" "" \
  "return { on_event = function() pcall(os.exit, 3) end, $EXIT_HOOK }"
assert_eq "$(wc -c < "$TMP/out")" 0 "no on_exit after os.exit"
assert_eq "$(wc -c < "$TMP/err")" 0 "no summary after os.exit"
case_ os_exit_at_top_level 4 "" "" "os.exit(4)"
case_ stale_pointer 0 "ringlua: $EVENTS events, 0 errors" "read 40 stale bytes" \
  "local ffi = require('ffi')
   local kept
   return { on_event = function(p) kept = kept or p end,
            on_exit = function() print('read ' .. #ffi.string(kept, 40) .. ' stale bytes') end }" \
  --count $EVENTS
case_ unbounded_memory 1 "on_event: the script's Lua memory reached the limit of 32 MB (--memory-limit)" \
  "on_exit ran" \
  "local t = {}
   return { on_event = function() for i = 1, 1e7 do t[i] = { i } end end, $EXIT_HOOK }" \
  --memory-limit 32
# Strings: interning one may grow LuaJIT's string table by megabytes at once, also in
# the host's own calls between the script's; the limit holds only while the script runs,
# so the error is reported and on_exit runs (this once ended in a LuaJIT PANIC).
for mb in 32 128; do
  run_ringlua --memory-limit $mb -c /bin/true -e "on_event = function() local t = {}
    for i = 1, 1e8 do t[i] = tostring(i) end end $EXIT_HOOK"
  assert_eq "$RC" 1 "exit code of strings past --memory-limit $mb"
  assert_contains "$TMP/err" "on_event: the script's Lua memory reached the limit of $mb MB" \
    "message at $mb MB"
  assert_contains "$TMP/out" "on_exit ran" "on_exit at $mb MB"
  assert_contains "$TMP/err" "ringlua: 1 events, 1 errors" "summary at $mb MB"
  pass "strings past --memory-limit $mb -> 1, reported, on_exit ran"
done
# A memory error the script catches (as LuaJIT's compiler does) does not use up the room
# left for the report and on_exit.
case_ memory_error_caught 1 "on_event: the script's Lua memory reached the limit of 32 MB (--memory-limit)" \
  "on_exit ran" \
  "local t = {}
   local function fill() for i = #t + 1, 1e8 do t[i] = tostring(i) end end
   return { on_event = function() pcall(fill) fill() end, $EXIT_HOOK }" \
  --memory-limit 32
case_ endless_loop_interpreted 1 "on_event did not return within 300 ms (--handler-timeout)" \
  "on_exit ran" \
  "return { on_event = function() jit.off(); while true do end end, $EXIT_HOOK }" \
  --handler-timeout 300
case_ endless_loop_compiled 1 "on_event is stuck in compiled code, which cannot be interrupted" "" \
  "return { on_event = function() local x = 0 while true do x = x + 1 end end, $EXIT_HOOK }" \
  --handler-timeout 300
# The hook that stops a call can be taken away under the watchdog: LuaJIT's own updates
# of its hook state race with the signal that sets it, and a script can clear it. Here
# a finalizer (which runs with hooks off, and takes all the time until then) removes it
# once; the next check sets it again, and it stops the loop.
case_ stop_hook_removed 1 "on_event did not return within 300 ms (--handler-timeout)" \
  "on_exit ran, hook removed: true" \
  "local removed = false
   local function spin() if removed then return end
     local t = os.clock() while os.clock() - t < 0.2 do end
     if debug.gethook() then debug.sethook() removed = true end end
   return { on_event = function() jit.off()
       while true do local u = newproxy(true) getmetatable(u).__gc = spin collectgarbage() end end,
     on_exit = function() print('on_exit ran, hook removed: ' .. tostring(removed)) end }" \
  --handler-timeout 300
case_ endless_on_init 1 "on_init did not return within 300 ms (--handler-timeout)" "" \
  "return { on_event = function() end, on_init = function() jit.off(); while true do end end }" \
  --handler-timeout 300
case_ endless_top_level 1 "the script's top level did not return within 300 ms" "" \
  "jit.off(); while true do end" --handler-timeout 300
case_ missing_module 1 "module 'no_such_module' not found" "" \
  "local m = require('no_such_module') return { on_event = print }"
# handlers by map name on a built-in source or --pin: its one ring is "events".
case_ handlers_events_on_pin 0 "ringlua: $EVENTS events, 0 errors" "handled $EVENTS" \
  "local n = 0
   return { handlers = { events = function() n = n + 1 end },
            on_exit = function() print('handled ' .. n) end }" --count $EVENTS
case_ handlers_other_map_on_pin 1 \
  "handlers.exec: a built-in source's or --pin's one ring is named events" "" \
  "return { handlers = { exec = function() end } }"
printf '%s\n' "local n = 0
return { handlers = { events = function() n = n + 1 end },
         on_exit = function() print('handled ' .. n) end }" > "$TMP/by_map.lua"
run_ringlua -s syscalls -c "dd if=/dev/zero of=/dev/null bs=1 count=200" "$TMP/by_map.lua"
assert_eq "$RC" 0 "handlers.events on a built-in source: exit code"
assert_matches "$TMP/err" "^ringlua: [1-9][0-9]* events, 0 errors" "handlers.events on a built-in source"
assert_matches "$TMP/out" "^handled [1-9][0-9]*$" "handlers.events handed the events"
pass "handlers.events on a built-in source"

# Modules found through LUA_PATH or the current directory pass the permission rule too:
# one in a directory anyone can write is refused; from the current directory none loads.
mkdir -p "$TMP/open_dir" "$TMP/cwd"
chmod 777 "$TMP/open_dir"
echo 'return { hi = "from LUA_PATH" }' > "$TMP/open_dir/planted.lua"
echo 'return { hi = "from the cwd" }' > "$TMP/cwd/planted.lua"
chmod 644 "$TMP/open_dir/planted.lua" "$TMP/cwd/planted.lua"
LUA_PATH="$TMP/open_dir/?.lua;;" case_ lua_path_module 1 \
  "refusing to load module $TMP/open_dir/planted.lua: a directory above it is writable by someone else" "" \
  "local m = require('planted') print(m.hi) return { on_event = print }" --count $EVENTS
chmod 755 "$TMP/open_dir"
LUA_PATH="$TMP/open_dir/?.lua;;" case_ lua_path_module_checked 0 "" "from LUA_PATH" \
  "local m = require('planted') print(m.hi) return { on_event = function() end }" --count 1
(cd "$TMP/cwd" && LUA_PATH="./?.lua;?.lua;;" case_ cwd_module 1 \
  "module 'planted' not found" "" "local m = require('planted') return { on_event = print }" \
  --count $EVENTS)

# --handler-timeout times each record of a batch, not the batch: 100 records that take
# 10 ms of CPU each (one batch, 1 s) are no timeout at 300 ms.
case_ slow_records_fast_enough 0 "ringlua: $EVENTS events, 0 errors" "on_exit ran" \
  "return { on_event = function() local till = os.clock() + 0.01 repeat until os.clock() >= till end,
            $EXIT_HOOK }" --count $EVENTS --handler-timeout 300

# It counts CPU time: a handler blocked writing to a pipe nobody reads for 2 s is not
# stuck, and all its output arrives.
printf '%s\n' "local line = string.rep('x', 65535)
return { on_event = function() print(line) end }" > "$TMP/writer.lua"
produce --pin "$pin" --count 10
# The reader starts reading 2 s after ringlua blocked on the full pipe.
( timeout -s KILL 60 "$RINGLUA" --pin "$pin" --count 10 --handler-timeout 300 "$TMP/writer.lua" \
    2> "$TMP/err" &
  echo $! > "$TMP/timeout_pid"
  RC=0
  wait $! || RC=$?
  echo $RC > "$TMP/rc" ) |
  { wait_for "ringlua's pid" test -s "$TMP/timeout_pid"
    wait_for "ringlua to block on the full pipe" writing_to_pipe \
      "$(wait_child "$(cat "$TMP/timeout_pid")")"
    sleep 2
    wc -l > "$TMP/out"; }
[ "$(cat "$TMP/rc")" == 0 ] || cat "$TMP/err" >&2
assert_eq "$(cat "$TMP/rc")" 0 "exit code after 2 s blocked on output"
assert_eq "$(cat "$TMP/out")" 10 "lines written"
assert_contains "$TMP/err" "ringlua: 10 events, 0 errors" "summary"
rm -f "$pin"
pass "a handler blocked 2 s on its output is no timeout at 300 ms"

# SIGINT while a slow handler works through a batch: answered within the check period,
# on_exit runs, exit 0.
printf '%s\n' "local ffi = require('ffi')
ffi.cdef 'int usleep(unsigned int usec);'
io.stdout:setvbuf('line')
local busy = false
return { on_init = function() print('READY') end,
         on_event = function()
           if not busy then busy = true print('BUSY') end
           ffi.C.usleep(20000)
         end, $EXIT_HOOK }" > "$TMP/slow.lua"
produce --pin "$pin" --count 0
start_ringlua --pin "$pin" "$TMP/slow.lua"
produce --pin "$pin" --reuse --count 1000
wait_output BUSY
signal_ringlua INT
RC=0
wait "$BG" || RC=$?
assert_eq "$RC" 0 "exit code after SIGINT in a slow handler"
assert_contains "$TMP/bg.err" "on_event interrupted: still running after SIGINT" "message"
assert_contains "$TMP/bg.out" "on_exit ran" "on_exit after the interruption"
rm -f "$pin"
pass "SIGINT interrupts a slow batch (1000 records x 20 ms), on_exit runs"

# SIGINT while a handler is blocked writing to a pipe nobody reads: the write is ended
# and the handler interrupted, which is no failure of the output: on_exit's line arrives
# once the pipe is read; exit 0.
printf '%s\n' "local line = string.rep('x', 65535)
return { on_event = function() print(line) end, $EXIT_HOOK }" > "$TMP/blocked.lua"
produce --pin "$pin" --count 10
# The reader reads once the handler was interrupted.
( timeout -s KILL 60 "$RINGLUA" --pin "$pin" "$TMP/blocked.lua" 2> "$TMP/err" &
  wait_for "ringlua to block on the full pipe" writing_to_pipe "$(wait_child $!)"
  signal_child INT $!
  wait_output "on_event interrupted" "$TMP/err"
  touch "$TMP/read_now"
  RC=0
  wait $! || RC=$?
  echo $RC > "$TMP/rc" ) | { wait_for "the handler to be interrupted" test -e "$TMP/read_now"
                              cat > "$TMP/out"; }
assert_eq "$(cat "$TMP/rc")" 0 "exit code after SIGINT in a blocked write"
assert_contains "$TMP/err" "on_event interrupted: still running after SIGINT" "message"
assert_contains "$TMP/out" "on_exit ran" "on_exit after the interruption"
rm -f "$pin"
pass "SIGINT interrupts a handler blocked on its output, on_exit runs"

# stdout closed by its reader: ringlua stops cleanly instead of writing into the void.
produce --pin "$pin" --count 0
printf '%s\n' "io.stdout:setvbuf('line')
return { on_event = function(p, n) print('event', n) end }" > "$TMP/printer.lua"
( timeout -s KILL 60 "$RINGLUA" --pin "$pin" "$TMP/printer.lua" 2> "$TMP/err"
  echo $? > "$TMP/rc" ) | head -1 > "$TMP/out" &
reader=$!
produce --pin "$pin" --reuse --count 1000 --rate 1000
wait $reader
assert_eq "$(cat "$TMP/rc")" 0 "exit code with a closed stdout"
assert_matches "$TMP/out" "^event.40$" "the line head read"
assert_contains "$TMP/err" "the reader of standard output went away; stopping" "message"
pass "ringlua ... | head -1 exits 0"
