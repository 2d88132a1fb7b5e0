#!/usr/bin/env bash
# Hot reload: the script is rewritten in every save style while a producer streams
# sequence numbers. Every number is handled exactly once, by one generation of the script
# after another; bad saves keep the running script and say why, once; ringlua.state
# survives; editor litter and half-written files do not reload; SIGHUP does; modules
# beside the script are watched; --no-reload leaves saves alone.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
umask 022

EVENTS=400000
RATE=40000 # 10 s of stream, longer than the saves below take
dir=$TMP/scripts
mkdir "$dir"
script=$dir/handler.lua
reload_failed="ringlua: reload failed, the running script goes on:"

# version G: the test script as generation G.
version() { sed "s/^local GEN = 1\$/local GEN = $1/" "$SCRIPTS/reload_gen.lua"; }

# save STYLE G: writes generation G the way editors and tools do.
save() {
  case $1 in
    rename) version "$2" > "$dir/.handler.lua.new" && mv "$dir/.handler.lua.new" "$script" ;;
    rewrite) version "$2" > "$TMP/next" && cat "$TMP/next" > "$script" ;;
    sed) sed -i "s/^local GEN = .*/local GEN = $2/" "$script" ;;
    backup) mv "$script" "$script~" && version "$2" > "$script" ;;
  esac
}

# A ring that holds the whole stream: no event can be dropped, so all must arrive.
pin=$(new_pin)
produce --pin "$pin" --count 0 --size $((32 << 20))
version 1 > "$script"
start_ringlua_until "READY gen=1 reloads=0 total=0" --pin "$pin" "$script"
"$PRODUCER" --pin "$pin" --reuse --count $EVENTS --rate $RATE > "$TMP/prod" &
producer=$!

gen=1
for round in 1 2 3; do
  for style in rename rewrite sed backup; do
    gen=$((gen + 1))
    save $style $gen
    wait_output "READY gen=$gen reloads=$((gen - 1))"
  done
done
pass "12 saves in 4 styles (rename, rewrite in place, sed -i, backup + write) reloaded"

# Bad saves: each is reported once, with file:line, and the running generation goes on.
printf 'local x = = 1\n' > "$script"
wait_output "$reload_failed $script:1: unexpected symbol near '='" "$TMP/bg.err"
printf 'error("broken at the top")\n' > "$script"
wait_output "$reload_failed $script:1: broken at the top" "$TMP/bg.err"
printf 'return { on_init = function() error("broken init") end, on_event = print }\n' > "$script"
wait_output "$reload_failed $script:1: broken init" "$TMP/bg.err"
printf 'return {}\n' > "$script"
wait_output "$reload_failed $script: no on_event(ptr, len) handler" "$TMP/bg.err"
version $((gen + 1)) > "$TMP/next"
chmod 664 "$TMP/next"
mv "$TMP/next" "$script"
wait_output "$reload_failed refusing to load $script: writable by group or others" "$TMP/bg.err"
chmod 644 "$script"
assert_eq "$(count_lines "$reload_failed" "$TMP/bg.err")" 5 "each failed reload reported once"
gen=$((gen + 1))
save rename $gen
wait_output "READY gen=$gen"
pass "syntax, top-level, on_init, missing-handler and permission errors keep the old script"

# A file written in two parts, with a pause, is loaded once, complete.
gen=$((gen + 1))
version $gen > "$TMP/next"
half=$(($(wc -c < "$TMP/next") / 2))
{ head -c $half "$TMP/next"; sleep 0.5; tail -c +$((half + 1)) "$TMP/next"; } > "$script"
wait_output "READY gen=$gen"
assert_eq "$(count_lines "$reload_failed" "$TMP/bg.err")" 5 "no reload of a half-written file"
pass "a half-written file is not loaded until it is complete"

# Editor litter beside the script does not reload it; SIGHUP does. 14 reloads so far:
# 12 saves, the fixed save after the bad ones, the two-part write. ("reloaded" follows
# the new version's on_init, so wait for the line itself.)
reloads=14
for _ in $(seq 100); do
  [ "$(count_lines "ringlua: reloaded" "$TMP/bg.err")" -ge $reloads ] && break
  sleep 0.05
done
assert_eq "$(count_lines "ringlua: reloaded" "$TMP/bg.err")" $reloads "reloads so far"
echo x > "$dir/.handler.lua.swp"
echo x > "$dir/handler.lua~"
echo x > "$dir/#handler.lua#"
sleep 0.5
assert_eq "$(count_lines "ringlua: reloaded" "$TMP/bg.err")" $reloads "reloads after litter"
signal_ringlua HUP
reloads=$((reloads + 1))
wait_output "READY gen=$gen reloads=$reloads"
pass "swap, backup and autosave files do not reload; SIGHUP does"

# Every number exactly once, across all generations, and the state kept count.
wait "$producer" || fail "producer failed"
assert_contains "$TMP/prod" "produced $EVENTS dropped 0" "producer"
stop_ringlua INT
assert_eq "$RC" 0 "exit code"
awk -v events=$EVENTS '
  /^RANGE/ {
    split($0, f, /[ =]/)  # RANGE gen G n N first F last L gaps X
    n = f[5]; first = f[7]; last = f[9]; gaps = f[11]
    ranges++
    if (gaps != 0) { print "gaps in generation " f[3]; bad = 1 }
    if (n > 0) {
      if (first != next_seq) { print "generation " f[3] " starts at " first ", not " next_seq; bad = 1 }
      if (last - first + 1 != n) { print "generation " f[3] " handled " n " of " first ".." last; bad = 1 }
      next_seq = last + 1
    }
    total += n
  }
  END {
    if (total != events || next_seq != events) { print "handled " total ", up to " next_seq; bad = 1 }
    print ranges " generations"
    exit bad
  }' "$TMP/bg.out" > "$TMP/ranges" || { cat "$TMP/ranges" "$TMP/bg.out" >&2; fail "exactly once"; }
assert_eq "$(cat "$TMP/ranges")" "$((reloads + 1)) generations" "one range per generation"
assert_contains "$TMP/bg.out" "TOTAL $EVENTS" "ringlua.state.total carried across $reloads reloads"
assert_matches "$TMP/bg.err" "^ringlua: $EVENTS events, 0 errors, $reloads reloads, [0-9.]+ s\$" \
  "summary"
pass "$EVENTS events over $reloads reloads: each handled once, in order; state carried"

# Modules beside the script are loaded through the same checks, and watched.
cat > "$dir/uses_mod.lua" <<'LUA'
local helper = require("helper_mod")
io.stdout:setvbuf("line")
return {
  on_init = function() print("READY mod=" .. helper.version) end,
  on_event = function() end,
}
LUA
echo 'return { version = 1 }' > "$dir/helper_mod.lua"
pin=$(new_pin)
produce --pin "$pin" --count 0
start_ringlua_until "READY mod=1" --pin "$pin" "$dir/uses_mod.lua"
echo 'return { version = 2 }' > "$dir/helper_mod.lua"
wait_output "READY mod=2"
chmod g+w "$dir/helper_mod.lua"
echo 'return { version = 3 }' > "$dir/helper_mod.lua"
wait_output "refusing to load module $dir/helper_mod.lua: writable by group or others" \
  "$TMP/bg.err"
chmod g-w "$dir/helper_mod.lua"
stop_ringlua INT
assert_eq "$RC" 0 "exit code"
pass "a save of a module reloads the script; a group-writable module is refused"

# A save right after the read still reloads: here on_init itself saves version 2 of
# the module the top level read (once), before the loop first polls.
cat > "$dir/saves_mod.lua" <<LUA
local helper = require("helper_mod")
io.stdout:setvbuf("line")
return {
  on_init = function()
    print("READY mod=" .. helper.version)
    if helper.version == 1 then
      local f = assert(io.open("$dir/helper_mod.lua", "w"))
      f:write("return { version = 2 }\n")
      f:close()
    end
  end,
  on_event = function() end,
}
LUA
echo 'return { version = 1 }' > "$dir/helper_mod.lua"
start_ringlua_until "READY mod=1" --pin "$pin" "$dir/saves_mod.lua"
wait_output "READY mod=2"
stop_ringlua INT
assert_eq "$RC" 0 "exit code"
pass "a save between a module's read and the loop's first poll reloads the script"
echo 'return { version = 3 }' > "$dir/helper_mod.lua"

# --no-reload: saves change nothing until SIGHUP asks for a reload.
start_ringlua_until "READY mod=3" --no-reload --pin "$pin" "$dir/uses_mod.lua"
echo 'return { version = 4 }' > "$dir/helper_mod.lua"
sleep 0.5
assert_eq "$(count_lines "READY mod=4" "$TMP/bg.out")" 0 "reloads with --no-reload"
signal_ringlua HUP
wait_output "READY mod=4"
stop_ringlua INT
assert_eq "$RC" 0 "exit code"
assert_matches "$TMP/bg.err" "^ringlua: 0 events, 0 errors, 1 reloads, [0-9.]+ s\$" "summary"
pass "--no-reload ignores saves; SIGHUP still reloads"

# SIGINT during a reload: the new version's slow top level is interrupted, the reload
# fails, and the running version ends the trace as usual (on_exit, exit 0).
cat > "$dir/slow_reload.lua" <<'LUA'
io.stdout:setvbuf("line")
return {
  on_init = function() print("READY v1") end,
  on_event = function() end,
  on_exit = function() print("on_exit of v1") end,
}
LUA
start_ringlua_until "READY v1" --pin "$pin" "$dir/slow_reload.lua"
printf '%s\n' 'io.stderr:write("LOADING v2\n")' 'local t = os.clock() + 5' \
  'while os.clock() < t do end' 'return { on_event = function() end }' > "$dir/next.lua"
mv "$dir/next.lua" "$dir/slow_reload.lua"
wait_output "LOADING v2" "$TMP/bg.err"
signal_ringlua INT
RC=0
wait "$BG" || RC=$?
assert_eq "$RC" 0 "exit code after SIGINT during a reload"
assert_contains "$TMP/bg.err" "reload failed, the running script goes on: the script's top level interrupted" \
  "the reload is cut short"
assert_contains "$TMP/bg.out" "on_exit of v1" "the running version's on_exit"
pass "SIGINT during a slow reload: the reload is interrupted, the old version ends the trace"

# A failed reload leaves nothing behind: a new version that runs past --handler-timeout,
# reaches --memory-limit, or calls os.exit in its top level or on_init is refused, and the
# running version goes on handling events and ends the trace (on_exit, exit 0).
cat > "$dir/keeps.lua" <<'LUA'
io.stdout:setvbuf("line")
local n = 0
return {
  on_init = function() print("READY v1") end,
  on_event = function() n = n + 1 end,
  on_exit = function() print("on_exit of v1 n=" .. n) end,
}
LUA
pin=$(new_pin)
produce --pin "$pin" --count 0
start_ringlua_until "READY v1" --pin "$pin" --handler-timeout 300 --memory-limit 32 \
  "$dir/keeps.lua"
failed=0
for body in 'jit.off() while true do end' \
            'local t = {} for i = 1, 1e7 do t[i] = { i } end' \
            'os.exit(5)' \
            'return { on_event = function() end, on_init = function() os.exit(6) end }'; do
  printf '%s\n' "$body" > "$dir/next.lua"
  mv "$dir/next.lua" "$dir/keeps.lua"
  failed=$((failed + 1))
  for _ in $(seq 200); do
    [ "$(count_lines "$reload_failed" "$TMP/bg.err")" -ge $failed ] && break
    kill -0 "$BG" 2>/dev/null || break
    sleep 0.05
  done
  kill -0 "$BG" 2>/dev/null || { cat "$TMP/bg.err" >&2; fail "the run ended after: $body"; }
done
assert_contains "$TMP/bg.err" "$reload_failed the script's top level did not return within 300 ms" \
  "timeout reported"
assert_contains "$TMP/bg.err" "$reload_failed the script's top level: the script's Lua memory reached the limit of 32 MB" \
  "memory limit reported"
assert_contains "$TMP/bg.err" "$reload_failed $dir/keeps.lua called os.exit(5) while starting" \
  "os.exit at the top level reported"
assert_contains "$TMP/bg.err" "$reload_failed $dir/keeps.lua called os.exit(6) while starting" \
  "os.exit in on_init reported"
produce --pin "$pin" --reuse --count 100
stop_ringlua INT
assert_eq "$RC" 0 "exit code after four failed reloads"
assert_contains "$TMP/bg.out" "on_exit of v1 n=100" "the running version handled the events"
assert_matches "$TMP/bg.err" "^ringlua: 100 events, 0 errors, [0-9.]+ s\$" "summary"
pass "a reload that times out, runs out of memory or calls os.exit keeps the running script"

# The source is chosen at start: a new version that asks for another is told that the
# running one stays; one that asks for the running source again is told nothing.
asking() {
  printf 'io.stdout:setvbuf("line")\nreturn { source = "%s", on_event = function() end,\n' "$1"
  printf '  on_init = function() print("READY %s") end }\n' "$2"
}
# reloaded N: waits until ringlua said N times that it reloaded (after any warning).
reloaded() {
  for _ in $(seq 200); do
    [ "$(count_lines "ringlua: reloaded" "$TMP/bg.err")" -ge "$1" ] && return 0
    sleep 0.05
  done
  cat "$TMP/bg.err" >&2
  fail "no reload number $1 within 10 s"
}
asking exit v1 > "$dir/sources.lua"
start_ringlua_until "READY v1" "$dir/sources.lua"
asking exec v2 > "$dir/next.lua" && mv "$dir/next.lua" "$dir/sources.lua"
reloaded 1
asking exit v3 > "$dir/next.lua" && mv "$dir/next.lua" "$dir/sources.lua"
reloaded 2
stop_ringlua INT
assert_eq "$RC" 0 "exit code after the source changed and back"
assert_contains "$TMP/bg.err" "now asks for source 'exec'; the running source 'exit' stays" \
  "another source asked for"
assert_eq "$(count_lines "now asks for source" "$TMP/bg.err")" 1 \
  "warnings when the source asked for is the running one again"
pass "a reload that asks for another source is told the running one stays, and no more"
