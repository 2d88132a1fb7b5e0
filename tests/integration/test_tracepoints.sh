#!/usr/bin/env bash
# Tracepoints as sources: probe names and wildcards, typed fields named as the kernel
# names them, system call strings read at the probe, handlers per probe, --json, -l and
# -lv, the filters and self-exclusion, and -c following a command's descendants.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
ACTIVITY=${3:?usage: $0 RINGLUA SEQ_PRODUCER RL_ACTIVITY}
EVENTS=/sys/kernel/tracing/events

# --- -l and -lv: the probes there are, and their fields.
run_ringlua -l 'tracepoint:sched:sched_switch'
assert_eq "$RC" 0 "-l exit code"
assert_eq "$(cat "$TMP/out")" "tracepoint:sched:sched_switch" "-l of one tracepoint"
run_ringlua -lv 'tp:sched:sched_switch'
assert_contains "$TMP/out" "    char prev_comm[16]" "-lv: an array field with its C type"
assert_contains "$TMP/out" "    pid_t next_pid" "-lv: a field with its C type"
run_ringlua -l 'tracepoint:syscalls:sys_enter_open*'
expected=$(cd "$EVENTS/syscalls" && ls -d sys_enter_open* | sed 's/^/tracepoint:syscalls:/')
assert_eq "$(cat "$TMP/out")" "$expected" "-l with a wildcard: the tracepoints of tracefs"
run_ringlua -lv exec
assert_contains "$TMP/out" "    char filename[256]" "-lv: a built-in source's fields"
run_ringlua -l 'nothing:*'
assert_eq "$RC" 1 "-l of nothing: exit code"
assert_contains "$TMP/err" "ringlua: -l: no probe matches 'nothing:*'" "-l of nothing"
pass "-l and -lv list tracepoints, fields and built-in sources"

# --- A wildcard attaches every tracepoint it matches, each once, in order.
run_ringlua -s 'tracepoint:sched:sched_process_*,tp:sched:sched_process_exit' -c true \
  -e 'on_init = function() for _, r in ipairs(ringlua.rings) do print(r) end end
      on_event = function() end'
assert_eq "$RC" 0 "wildcard exit code"
expected=$(cd "$EVENTS/sched" && ls -d sched_process_* | sed 's/^/tracepoint:sched:/')
assert_eq "$(cat "$TMP/out")" "$expected" "the probes a wildcard attached"
pass "a wildcard attaches $(echo "$expected" | wc -l) tracepoints"

# --- read(2)'s count under -c: dd reads its input (fd 0) once a block, 4096 bytes.
run_ringlua -s tracepoint:syscalls:sys_enter_read -c 'dd if=/dev/zero of=/dev/null bs=4k count=1000' \
  -e 'local h = agg.hist("count") local blocks = 0
      on_event = function(p) local e = ringlua.cast(p) h:record(tonumber(e.count))
        if e.fd == 0 and e.count == 4096 then blocks = blocks + 1 end end
      on_exit = function() agg.print_all() print("blocks=" .. blocks) end'
assert_eq "$RC" 0 "read histogram exit code"
assert_contains "$TMP/out" "blocks=1000" "one 4096-byte read of fd 0 per block"
bucket=$(sed -n 's/^\[4K, 8K) *\([0-9]*\) .*/\1/p' "$TMP/out")
assert_between "$bucket" 1000 1100 "the [4K, 8K) bucket of the histogram"
pass "read(2) counts of dd: 1000 blocks of 4096 bytes"

# --- sys_enter_openat's filename, read at the probe: exact, 255 bytes, not UTF-8.
long=$TMP/$(printf 'l%.0s' $(seq $((255 - ${#TMP} - 1))))
odd=$TMP/$'caf\xe9-\xff\xfe'
hex() { printf '%s' "$1" | od -An -tx1 -v | tr -d ' \n'; }
cat > "$TMP/opens.lua" <<'LUA'
local ringlua = require("ringlua")
local function hex(s) return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end)) end
return {
  source = "tracepoint:syscalls:sys_enter_openat",
  on_event = function(p)
    local e = ringlua.cast(p)
    print("open " .. hex(ringlua.str(e.filename)) .. " comm=" .. ringlua.str(e.comm))
  end,
}
LUA
for path in "$long" "$odd"; do
  run_ringlua -c "$ACTIVITY open '$path' '$TMP/missing'" "$TMP/opens.lua"
  assert_eq "$RC" 0 "openat exit code"
  assert_contains "$TMP/out" "open $(hex "$path") comm=rl_activity" "the path opened (${#path} bytes)"
  assert_contains "$TMP/out" "open $(hex "$TMP/missing") comm=rl_activity" "the missing path"
done
assert_eq "${#long}" 255 "the long path's length"
pass "openat filenames exact: 255 bytes, and bytes that are not UTF-8"

# --- Several probes, a handler per probe (by name or pattern), on_event for the rest.
cat > "$TMP/probes.lua" <<'LUA'
local ringlua = require("ringlua")
local function show(tag) return function(p) print(tag, ringlua.probe(p), ringlua.cast(p).probe) end end
return {
  source = { "tp:syscalls:sys_enter_openat", "tracepoint:syscalls:sys_exit_openat",
             "tracepoint:syscalls:sys_enter_close" },
  handlers = { ["tracepoint:syscalls:sys_exit_openat"] = show("exit"),
               ["tracepoint:syscalls:sys_enter_o*"] = show("enter") },
  on_event = show("default"),
}
LUA
run_ringlua -c 'cat /etc/hostname' "$TMP/probes.lua"
assert_eq "$RC" 0 "per-probe handlers exit code"
assert_contains "$TMP/out" "$(printf 'enter\ttracepoint:syscalls:sys_enter_openat\t0')" "a pattern's handler"
assert_contains "$TMP/out" "$(printf 'exit\ttracepoint:syscalls:sys_exit_openat\t1')" "a name's handler"
assert_contains "$TMP/out" "$(printf 'default\ttracepoint:syscalls:sys_enter_close\t2')" "on_event for the rest"
assert_eq "$(grep -c 'default.*openat' "$TMP/out" || true)" 0 "probes with a handler never reach on_event"
pass "a script's probe list, with handlers by probe name and pattern"

# --- --json: every event a line, fields and strings as the kernel names them.
run_ringlua --json -s 'tp:syscalls:sys_enter_openat,tp:syscalls:sys_exit_openat' -c 'head -c0 /etc/hostname'
assert_eq "$RC" 0 "--json exit code"
check_json "$TMP/out" "--json lines of tracepoints"
assert_matches "$TMP/out" '^\{"map":"tracepoint:syscalls:sys_enter_openat","ts_ns":[0-9]+,"probe":0,"pid":[0-9]+,.*"comm":"head",.*"filename":"/etc/hostname"\}$' "an entry with its path"
assert_matches "$TMP/out" '^\{"map":"tracepoint:syscalls:sys_exit_openat",.*"ret":[0-9]+\}$' "an exit with its result"
pass "--json of tracepoint events parses, field for field"

# --- sched_switch: prev is the current task; ringlua's own switches are left out.
cat > "$TMP/switch.lua" <<'LUA'
local ffi = require("ffi")
local ringlua = require("ringlua")
ffi.cdef("int getpid(void);")
local me, own, n, mismatched = ffi.C.getpid(), 0, 0, 0
return {
  source = "tracepoint:sched:sched_switch",
  on_event = function(p)
    local e = ringlua.cast(p)
    n = n + 1
    if e.prev_pid == me or e.next_pid == me or e.pid == me then own = own + 1 end
    if e.prev_pid ~= e.tid or ringlua.str(e.prev_comm) ~= ringlua.str(e.comm) then
      mismatched = mismatched + 1
    end
    if e.prev_pid > 0 and n <= 200 then print("task " .. e.prev_pid .. " " .. ringlua.str(e.prev_comm)) end
  end,
  on_exit = function() print("own=" .. own .. " mismatched=" .. mismatched .. " n=" .. n) end,
}
LUA
# An idle machine switches tasks rarely: a shell that sleeps in a loop makes switches
# enough (and names a task that stays alive).
(while :; do sleep 0.001; done) &
switcher=$!
run_ringlua --count 2000 "$TMP/switch.lua"
kill "$switcher" 2>/dev/null || true
wait "$switcher" 2>/dev/null || true
assert_eq "$RC" 0 "sched_switch exit code"
assert_contains "$TMP/out" "own=0 mismatched=0 n=2000" "no switch of ringlua's; prev is the current task"
checked=0 renamed=0
while read -r _ tid comm; do
  # The task named was alive at the switch; one still alive has that name now, unless
  # it has exec'd since (a shell's child becoming `head`): those are counted, and must
  # stay the few.
  [ -r "/proc/$tid/comm" ] || continue
  now=$(cat "/proc/$tid/comm" 2>/dev/null) || continue
  if [[ "$now" == "$comm"* ]]; then checked=$((checked + 1)); else renamed=$((renamed + 1)); fi
done < <(grep '^task ' "$TMP/out" | sort -u)
[ "$checked" -gt 0 ] || fail "no task of the switches is still alive to check"
[ "$renamed" -le "$checked" ] || fail "$renamed tasks bear another name than their switch's, $checked the same"
pass "sched_switch names tasks that exist ($checked checked, $renamed renamed since), none of ringlua's"

# --- Filters in the kernel: --comm on a tracepoint.
start_ringlua_until READY -s tp:syscalls:sys_enter_openat --comm rl_activity \
  -e 'on_init = function() print("READY") io.stdout:flush() end
      on_event = function(p) print("comm=" .. ringlua.str(ringlua.cast(p).comm)) io.stdout:flush() end'
"$ACTIVITY" open "$TMP/opened" "$TMP/missing" > /dev/null
cat /etc/hostname > /dev/null
wait_output "comm=rl_activity"
stop_ringlua
assert_eq "$(grep -vc '^comm=rl_activity$' "$TMP/bg.out" || true)" 1 "only rl_activity's opens (and READY)"
pass "--comm filters tracepoint events in the kernel"

# --- -c follows the command's descendants, for tracepoints and built-in sources.
nested="sh -c 'sh -c \"cat /etc/hostname; true\"; true'"
run_ringlua -s tp:syscalls:sys_enter_openat -c "$nested" \
  -e 'on_event = function(p) local e = ringlua.cast(p)
        if ringlua.str(e.filename) == "/etc/hostname" then print("grandchild " .. ringlua.str(e.comm) .. " " .. e.pid .. " " .. e.ppid) end end'
assert_matches "$TMP/out" '^grandchild cat [0-9]+ [0-9]+$' "a grandchild's open, by tracepoint"
run_ringlua -s open -c "$nested" \
  -e 'on_event = function(p) local e = ringlua.cast(p) print("open " .. ringlua.str(e.comm) .. " " .. ringlua.str(e.path)) end'
assert_contains "$TMP/out" "open cat /etc/hostname" "a grandchild's open, by the built-in open source"
pass "-c follows the command's children's children"

# --- -p PID --follow: the processes a running process starts from then on.
# It starts its child once told, after ringlua is ready.
mkfifo "$TMP/go_follow"
sh -c 'read -r _ < "$0"; sh -c "cat /etc/hostname; true"' "$TMP/go_follow" > /dev/null &
target=$!
start_ringlua_until READY -s open -p "$target" --follow \
  -e 'on_init = function() print("READY") io.stdout:flush() end
      on_event = function(p) local e = ringlua.cast(p) print("open " .. ringlua.str(e.comm) .. " " .. ringlua.str(e.path)) io.stdout:flush() end'
echo go > "$TMP/go_follow"
wait_output "open cat /etc/hostname"
stop_ringlua
pass "-p PID --follow sees what the process starts"

# --- Every system call's entry: served from raw_syscalls, the fields each call's own
# tracepoint has; exit within a few seconds (attached one by one, it took 15 s).
start_ringlua_until READY -s 'tp:syscalls:sys_enter_*,tp:syscalls:sys_exit_close' --comm rl_activity \
  -e 'on_init = function() print("READY " .. #ringlua.rings) io.stdout:flush() end
      handlers = {
        ["tp:syscalls:sys_enter_write"] = function(p) local e = ringlua.cast(p)
          print(string.format("write nr=%d count=%d", e.__syscall_nr, tonumber(e.count))) end,
        ["tp:syscalls:sys_enter_close"] = function(p) local e = ringlua.cast(p)
          print(string.format("close nr=%d fd=%d", e.__syscall_nr, tonumber(ffi.cast("int", e.fd)))) end,
        ["tp:syscalls:sys_exit_close"] = function(p) local e = ringlua.cast(p)
          print(string.format("close ret=%d", tonumber(e.ret))) io.stdout:flush() end,
      }
      on_event = function() end'
probes=$(ls -d "$EVENTS"/syscalls/sys_enter_* | wc -l)
assert_eq "$(head -1 "$TMP/bg.out")" "READY $((probes + 1))" "a probe for every sys_enter_* and sys_exit_close"
"$ACTIVITY" syscall > /dev/null
wait_output "close ret=-9"
t0=$(now_ms)
stop_ringlua
took=$(( $(now_ms) - t0 ))
assert_eq "$RC" 0 "sys_enter_* exit code"
assert_contains "$TMP/bg.out" "write nr=1 count=777" "sys_enter_write's count"
assert_contains "$TMP/bg.out" "close nr=3 fd=-1" "sys_enter_close's fd"
assert_between "$took" 0 5000 "ms from SIGINT to exit with $probes probes"
pass "tp:syscalls:sys_enter_* sees write and close with their fields, exits in $took ms"

# --- Bad probe names: one line; on the command line a usage error (2), as an unknown -s
# source is; as the script's `source`, a failure (1), as an unknown source there is.
run_ringlua -s tracepoint:nosuch:thing -e 'on_event = function() end'
assert_eq "$RC" 2 "no such tracepoint: exit code"
assert_eq "$(cat "$TMP/err")" "ringlua: tracepoint:nosuch:thing: no such tracepoint" "no such tracepoint"
run_ringlua -s tp:nosuch:x,tp:sched:sched_switch -e 'on_event = function() end'
assert_eq "$RC" 2 "no such tracepoint in a list: exit code"
assert_eq "$(cat "$TMP/err")" "ringlua: tp:nosuch:x: no such tracepoint" "no such tracepoint in a list"
run_ringlua -s tracepoint:sched -e 'on_event = function() end'
assert_eq "$RC" 2 "a malformed probe name: exit code"
assert_contains "$TMP/err" "not a probe name (tracepoint:CATEGORY:NAME)" "a malformed probe name"
run_ringlua -e 'source = "tp:nosuch:thing" on_event = function() end'
assert_eq "$RC" 1 "no such tracepoint as the script's source: exit code"
assert_eq "$(cat "$TMP/err")" "ringlua: tp:nosuch:thing: no such tracepoint" \
  "no such tracepoint as the script's source"
run_ringlua -s tp:sched:sched_switch -e 'handlers = { ["tp:sched:nope"] = print } on_event = print'
assert_eq "$RC" 1 "a handler for no probe: exit code"
assert_contains "$TMP/err" 'handlers["tp:sched:nope"]: no probe so named' "a handler for no probe"
run_ringlua --follow -s open -e 'on_event = print'
assert_eq "$RC" 2 "--follow without -p: exit code"
pass "bad probe names and handlers are one line and a non-zero exit"

# --- --record and --replay: the probes and their types come back from the recording.
json='on_event = function(p) print(ringlua.probe(p) .. " " .. ringlua.json(p)) end'
run_ringlua --record "$TMP/tp.rec" -s 'tp:syscalls:sys_enter_openat,tp:syscalls:sys_exit_openat' \
  -c 'head -c0 /etc/hostname' -e "$json"
assert_eq "$RC" 0 "--record exit code"
cp "$TMP/out" "$TMP/live"
run_ringlua --replay "$TMP/tp.rec" -e "$json"
assert_eq "$RC" 0 "--replay exit code"
assert_eq "$(cat "$TMP/out")" "$(cat "$TMP/live")" "replayed output"
pass "a recording of tracepoints replays probe for probe"
