#!/usr/bin/env bash
# Kernel aggregations (ringlua.agg's kernel = true): kept by the built-in program in a
# map and printed exactly as the same aggregation kept in Lua prints the same records;
# without an event handler no record takes the ring; a reload keeps an unchanged
# aggregation's entries and drops a changed one's; bad declarations are one line each.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

DD="dd if=/dev/zero of=/dev/null bs=1 count=3000"

# The same aggregations in the kernel (@k...) and in Lua (@l...), over the same records.
cat > "$TMP/both.lua" <<'LUA'
local ringlua = require("ringlua")
local agg = require("ringlua.agg")
agg.count("kcomm", { kernel = true, key = { "comm" } })
agg.count("knr", { kernel = true, key = { "comm", "nr" } })
agg.hist("khist", { kernel = true, value = "nr" })
agg.avg("kavg", { kernel = true, key = { "pid" }, value = "nr" })
agg.lhist("klhist", 0, 20, 5, { kernel = true, value = "nr" })
local lcomm, lnr, lhist = agg.count("lcomm"), agg.count("lnr"), agg.hist("lhist")
local lavg, llhist = agg.avg("lavg"), agg.lhist("llhist", 0, 20, 5)
function on_event(ptr)
  local e = ringlua.cast(ptr)
  local comm, nr = ringlua.str(e.comm), tonumber(e.nr)
  lcomm:add(comm)
  lnr:add(lnr:key(comm, nr))
  lhist:record(nr)
  lavg:add(e.pid, nr)
  llhist:record(nr)
end
function on_exit() agg.print_all() end
LUA
run_ringlua -s syscalls -c "$DD" "$TMP/both.lua"
assert_eq "$RC" 0 "exit code of the run with both"
sed -n '/^@k/,/^$/p' "$TMP/out" | sed 's/^@k/@/' > "$TMP/kernel.txt"
sed -n '/^@l/,/^$/p' "$TMP/out" | sed 's/^@l/@/' > "$TMP/lua.txt"
[ -s "$TMP/kernel.txt" ] || { cat "$TMP/out" "$TMP/err" >&2; fail "no kernel aggregation printed"; }
cmp "$TMP/kernel.txt" "$TMP/lua.txt" || { diff "$TMP/kernel.txt" "$TMP/lua.txt" >&2; fail "kernel and Lua aggregations differ"; }
reads=$(sed -n 's/^@knr\[dd, 0\]: //p' "$TMP/out")
assert_between "$reads" 3000 3100 "dd's reads counted in the kernel"
pass "count, tuple keys, hist, avg and lhist in the kernel print as in Lua ($reads reads by dd)"

# Only kernel aggregations: no event handler, and no record in the ring.
cat > "$TMP/only.lua" <<'LUA'
local agg = require("ringlua.agg")
agg.count("calls", { kernel = true, key = { "comm", "nr" } })
function on_exit() agg.print_all() end
LUA
run_ringlua -s syscalls -c "$DD" "$TMP/only.lua"
assert_eq "$RC" 0 "exit code without a handler"
assert_contains "$TMP/err" "ringlua: 0 events, 0 errors" "no record delivered without a handler"
reads=$(sed -n 's/^@calls\[dd, 0\]: //p' "$TMP/out")
writes=$(sed -n 's/^@calls\[dd, 1\]: //p' "$TMP/out")
assert_between "$reads" 3000 3100 "reads counted without the ring"
assert_between "$writes" 3000 3100 "writes counted without the ring"
pass "without a handler the ring carries nothing and the kernel counts $reads reads, $writes writes"

# The same while the whole system makes system calls from before ringlua starts: not one
# record takes the ring between the program's attach and the script's start either.
cat > "$TMP/only_all.lua" <<'LUA'
local agg = require("ringlua.agg")
io.stdout:setvbuf("line")
agg.count("calls", { kernel = true, key = { "comm" } })
function on_init() print("READY") end
function on_exit() agg.print_all() end
LUA
cp /bin/dd "$TMP/kaggbusy"
"$TMP/kaggbusy" if=/dev/zero of=/dev/null bs=1 count=1000000000 2>/dev/null &
busy=$!
for run in 1 2 3; do
  start_ringlua "$TMP/only_all.lua" -s syscalls
  stop_ringlua
  assert_eq "$RC" 0 "exit code without a handler, system-wide (run $run)"
  assert_matches "$TMP/bg.out" '^@calls\[kaggbusy\]: [1-9]' "the busy process counted (run $run)"
  assert_contains "$TMP/bg.err" "ringlua: 0 events, 0 errors" \
    "no record delivered without a handler, system-wide (run $run)"
done
kill "$busy"
wait "$busy" 2>/dev/null || true
pass "without a handler no record takes the ring from the attach on, under a busy process"

# A tracepoint's own fields as key and value, checked against Lua again.
cat > "$TMP/tp.lua" <<'LUA'
local ringlua = require("ringlua")
local agg = require("ringlua.agg")
agg.count("kfd", { kernel = true, key = { "comm", "fd" } })
agg.hist("ksize", { kernel = true, value = "count" })
local lfd, lsize = agg.count("lfd"), agg.hist("lsize")
function on_event(ptr)
  local e = ringlua.cast(ptr)
  lfd:add(lfd:key(ringlua.str(e.comm), tonumber(e.fd)))
  lsize:record(tonumber(e.count))
end
function on_exit() agg.print_all() end
LUA
run_ringlua -s tp:syscalls:sys_enter_read -c "$DD" "$TMP/tp.lua"
assert_eq "$RC" 0 "exit code of the tracepoint run"
sed -n '/^@k/,/^$/p' "$TMP/out" | sed 's/^@k/@/' > "$TMP/kernel.txt"
sed -n '/^@l/,/^$/p' "$TMP/out" | sed 's/^@l/@/' > "$TMP/lua.txt"
cmp "$TMP/kernel.txt" "$TMP/lua.txt" || { diff "$TMP/kernel.txt" "$TMP/lua.txt" >&2; fail "tracepoint: kernel and Lua differ"; }
assert_contains "$TMP/out" "@kfd[dd, 0]: 3000" "dd's 3000 reads of fd 0"
pass "tracepoint fields (fd, count) as key and value, as in Lua"

# A full map: more distinct keys (every record's own timestamp) than its 16384 entries.
# Each update it could not take is counted, said at exit and in --stats, and the kept
# counts and the lost ones add up to every record the handler saw.
cat > "$TMP/lost.lua" <<'LUA'
local agg = require("ringlua.agg")
agg.count("kept", { kernel = true, key = { "ts_ns" } })
local records = 0
function on_event() records = records + 1 end
function on_exit() print("records " .. records) agg.print_all() end
LUA
run_ringlua --stats --interval 100 -s syscalls -c "dd if=/dev/zero of=/dev/null bs=1 count=10000" "$TMP/lost.lua"
assert_eq "$RC" 0 "exit code of the run with a full map"
records=$(sed -n 's/^records //p' "$TMP/out")
keys=$(grep -c '^@kept\[' "$TMP/out")
kept=$(awk -F': ' '/^@kept\[/ { n += $2 } END { print n + 0 }' "$TMP/out")
lost=$(sed -n 's/^ringlua: kernel aggregations: \([0-9]*\) updates lost: the map holds 16384 keys$/\1/p' "$TMP/err")
[ -n "$lost" ] || { cat "$TMP/err" >&2; fail "no line on the lost updates at exit"; }
# What the programs count goes into the totals at each read-back (every tick here),
# which hold 16384 keys.
assert_eq "$keys" 16384 "keys kept by full totals"
# A record the ring had no room for (a loaded machine) was aggregated all the same.
dropped=$(sed -n 's/^ringlua: [0-9]* events, [0-9]* errors, \([0-9]*\) dropped.*/\1/p' "$TMP/err")
assert_eq "$((kept + lost))" "$((records + dropped))" "kept and lost updates against the records and drops"
assert_matches "$TMP/err" "^ringlua: stats: kernel aggregations: [0-9]+ updates lost in all: the map holds 16384 keys$" \
  "--stats' line on lost updates"
pass "a full map: $kept kept, $lost lost of $records records, said at exit and in --stats"

# A reload: @same keeps its entries, @changed goes from nr to pid keys without a stale
# entry, records still skip the ring. Then a reload whose on_init fails after it
# declared @changed by nr again and an @extra: the running script goes on with its own
# aggregations, entries and all, and the candidate's leave the program.
cp /usr/bin/dd "$TMP/kaggdd"
gen() {
  local key=$1
  cat <<LUA
local agg = require("ringlua.agg")
agg.count("same", { kernel = true, key = { "comm" } })
agg.count("changed", { kernel = true, key = { "$key" } })
function on_init() print("READY $key") end
function on_tick() print("TICK") agg.print_all() print("END") end
LUA
}
gen nr > "$TMP/gen.lua"
start_ringlua_until "READY nr" -s syscalls --comm kaggdd --interval 100 "$TMP/gen.lua"
"$TMP/kaggdd" if=/dev/zero of=/dev/null bs=1 count=1000 2>/dev/null
wait_output "@changed[0]: 100"
# A whole tick begun after dd's end: the match may be of one printed while dd ran.
wait_more_lines 2 '^END$'
first=$(grep '^@same\[kaggdd\]' "$TMP/bg.out" | tail -1 | sed 's/.*: //')
gen pid > "$TMP/gen.lua.new" && mv "$TMP/gen.lua.new" "$TMP/gen.lua"
wait_output "READY pid"
"$TMP/kaggdd" if=/dev/zero of=/dev/null bs=1 count=1000 2>/dev/null &
second_pid=$!
wait "$second_pid"
wait_output "@changed[$second_pid]: "
cat > "$TMP/gen.lua.new" <<'LUA'
local agg = require("ringlua.agg")
agg.count("same", { kernel = true, key = { "comm" } })
agg.count("changed", { kernel = true, key = { "nr" } })
agg.count("extra", { kernel = true, key = { "nr" } })
function on_init() error("on_init fails") end
LUA
mv "$TMP/gen.lua.new" "$TMP/gen.lua"
wait_output "reload failed, the running script goes on" "$TMP/bg.err"
"$TMP/kaggdd" if=/dev/zero of=/dev/null bs=1 count=1000 2>/dev/null &
third_pid=$!
wait "$third_pid"
wait_output "@changed[$third_pid]: "
wait_more_lines 2 '^END$'
stop_ringlua
assert_eq "$RC" 0 "exit code after the reloads"
last=$(awk '/^TICK/ { block = "" } { block = block $0 "\n" } END { printf "%s", block }' "$TMP/bg.out")
echo "$last" > "$TMP/last"
total=$(sed -n 's/^@same\[kaggdd\]: //p' "$TMP/last")
assert_between "$total" $((first + 4000)) $((first + 4400)) "@same kept its entries across the reloads (from $first; its values at each tick: $(grep "^@same" "$TMP/bg.out" | sed "s/.*: //" | uniq | tr "\n" " "))"
assert_eq "$(grep -c '^@changed' "$TMP/last")" 2 "@changed has only the pids of the runs after the reload"
assert_contains "$TMP/last" "@changed[$second_pid]: " "@changed kept its entries across the failed reload"
assert_contains "$TMP/bg.err" "ringlua: 0 events" "no record in the ring after the reloads"
pass "reload: @same went on from $first to $total, @changed restarted by pid and kept it past a failed reload"

# Stamping: records are stamped (ts_ns) only while the script takes them or one of its
# aggregations reads ts_ns, as the program's global stamp_records says, and a reload
# moves it both ways: a handler added sees only stamped records, an aggregation of
# ts_ns added sees real times; back to a bare count, no clock again; and a script
# without kernel aggregations gets its records, stamped.
# stamp_records: the global in the background ringlua's program (its .data map).
stamp_records() {
  local ringlua id
  ringlua=$(cat "/proc/$BG/task/$BG/children" | awk '{ print $1 }')
  for id in $(sed -n 's/^map_id:\s*//p' /proc/"$ringlua"/fdinfo/* 2>/dev/null | sort -u); do
    bpftool -j map show id "$id" | grep -q '"name":"[^"]*\.data"' || continue
    bpftool -j map dump id "$id" | python3 -c 'import json,sys
for g in json.load(sys.stdin)[0]["formatted"]["value"][".data"]:
    if "stamp_records" in g: print(g["stamp_records"])'
  done
}
stamps() {
  local version=$1 body=$2
  cat > "$TMP/ts.lua.new" <<LUA
local ringlua = require("ringlua")
local agg = require("ringlua.agg")
agg.count("calls", { kernel = true, key = { "comm" } })
function on_tick() print("TICK $version") end
$body
LUA
  mv "$TMP/ts.lua.new" "$TMP/ts.lua"
}
cp /usr/bin/dd "$TMP/kaggts"
stamps bare ""
start_ringlua_until "TICK bare" -s syscalls --comm kaggts --interval 100 "$TMP/ts.lua"
# handler_took NAME N: the last "TICK NAME n records ..." line counts N records or more.
handler_took() {
  [ "$(grep "^TICK $1" "$TMP/bg.out" | tail -1 | awk '{ print $3 }')" -ge "$2" ] 2> /dev/null
}
# dd_to_handler NAME WHAT: runs a dd of 1000 bytes and checks that the handler whose ticks
# say "TICK NAME n records u unstamped" got its 2000-odd records, every one stamped.
dd_to_handler() {
  local line
  "$TMP/kaggts" if=/dev/zero of=/dev/null bs=1 count=1000 2>/dev/null
  wait_for "the handler's tick to count dd's records $2" handler_took "$1" 2000
  line=$(grep "^TICK $1" "$TMP/bg.out" | tail -1)
  assert_between "$(echo "$line" | awk '{ print $3 }')" 2000 2200 "records of dd $2"
  assert_eq "$(echo "$line" | awk '{ print $5 }')" 0 "unstamped records $2"
}
assert_eq "$(stamp_records)" 0 "stamp_records with a kernel count alone"
stamps handler 'local records, unstamped = 0, 0
function on_event(ptr)
  records = records + 1
  if ringlua.cast(ptr).ts_ns == 0 then unstamped = unstamped + 1 end
end
function on_tick() print("TICK handler " .. records .. " records " .. unstamped .. " unstamped") end'
wait_output "TICK handler"
assert_eq "$(stamp_records)" 1 "stamp_records once a reload added a handler"
dd_to_handler handler "to the handler"
stamps first 'local first = agg.min("first", { kernel = true, value = "ts_ns" })
function on_tick() print("TICK first " .. (first:get() or "none")) end'
wait_output "TICK first"
assert_eq "$(stamp_records)" 1 "stamp_records with an aggregation of ts_ns and no handler"
before=$(python3 -c 'import time; print(time.monotonic_ns())')
"$TMP/kaggts" if=/dev/zero of=/dev/null bs=1 count=1000 2>/dev/null
wait_lines 1 '^TICK first [0-9]'
first=$(sed -n 's/^TICK first \([0-9]*\)$/\1/p' "$TMP/bg.out" | tail -1)
[ -n "$first" ] || { cat "$TMP/bg.out" >&2; fail "no @first after dd"; }
[ "$first" -ge "$before" ] || fail "@first is no time of dd's run: $first, before it $before"
stamps bare_again ""
wait_output "TICK bare_again"
assert_eq "$(stamp_records)" 0 "stamp_records after a reload back to the count alone"
# A reload that takes every kernel aggregation away leaves a handler: records again.
cat > "$TMP/ts.lua.new" <<'LUA'
local ringlua = require("ringlua")
local records, unstamped = 0, 0
function on_event(ptr)
  records = records + 1
  if ringlua.cast(ptr).ts_ns == 0 then unstamped = unstamped + 1 end
end
function on_tick() print("TICK plain " .. records .. " records " .. unstamped .. " unstamped") end
LUA
mv "$TMP/ts.lua.new" "$TMP/ts.lua"
wait_output "TICK plain"
assert_eq "$(stamp_records)" 1 "stamp_records without kernel aggregations"
dd_to_handler plain "once no kernel aggregation is left"
stop_ringlua
assert_eq "$RC" 0 "exit code after the stamping reloads"
pass "stamped only for a handler or an aggregation of ts_ns, across reloads (@first at $first ns)"

# Print, then clear, in on_tick: what the programs count while on_tick runs is kept for
# the next tick (the read-back retires an epoch; clear forgets only what it brought), so
# the ticks' counts add up to every record, as an aggregation in Lua does. Here on_tick
# works 20 ms each time while a burst of getpid calls goes on.
cat > "$TMP/tick_clear.lua" <<'LUA'
local ringlua = require("ringlua")
local agg = require("ringlua.agg")
local k = agg.count("k", { kernel = true, key = { "comm", "nr" } })
local seen, summed = 0, 0
function on_event(p)
  local e = ringlua.cast(p)
  if e.nr == 39 and ringlua.str(e.comm) == "perl" then seen = seen + 1 end
end
local function take() summed = summed + (k:get(k:key("perl", 39)) or 0) end
function on_tick()
  take()
  local t = os.clock() while os.clock() - t < 0.02 do end
  k:clear()
end
function on_exit() take() print("kernel " .. summed .. " lua " .. seen) end
LUA
run_ringlua -s syscalls --interval 50 \
  -c "perl -e 'for (1..40) { syscall(39) for 1..1000; select(undef, undef, undef, 0.02) }'" \
  "$TMP/tick_clear.lua"
assert_eq "$RC" 0 "exit code of print-then-clear"
line=$(grep '^kernel ' "$TMP/out") || { cat "$TMP/err" >&2; fail "no totals printed"; }
dropped=$(sed -n 's/^ringlua: [0-9]* events, [0-9]* errors, \([0-9]*\) dropped.*/\1/p' "$TMP/err")
kernel=$(echo "$line" | awk '{ print $2 }')
lua=$(echo "$line" | awk '{ print $4 }')
assert_between "$kernel" 40000 40100 "getpid calls counted in the kernel over the ticks"
assert_eq "$kernel" "$((lua + dropped))" "the kernel's ticks against the records the script saw"
pass "print then clear in on_tick loses nothing: $kernel calls over the ticks, as in Lua"

# A record handed on while the host turns stamping on carries its time. The host writes
# stamp_records before deliver (or a new aggregation's slot), and a program that read
# the old stamp_records as it began a record sees the new reader only later: it stamps
# the record then. Here stamp_records stays 0 under a script that takes records (bpf_global
# writes it), which is what such a program sees.
cat > "$TMP/stamped.lua" <<'LUA'
local ringlua = require("ringlua")
local agg = require("ringlua.agg")
agg.count("calls", { kernel = true, key = { "comm" } })
local n, unstamped = 0, 0
function on_init() print("READY") io.stdout:flush() end
function on_event(p)
  local e = ringlua.cast(p)
  if ringlua.str(e.comm) == "dd" then
    n = n + 1
    if e.ts_ns == 0 then unstamped = unstamped + 1 end
  end
end
function on_exit() print("dd records " .. n .. ", unstamped " .. unstamped) end
LUA
start_ringlua -s syscalls -c "sh -c 'until [ -e $TMP/go ]; do sleep 0.01; done; exec $DD'" \
  "$TMP/stamped.lua"
"$3" "$(child_of "$BG")" stamp_records 0 || fail "could not write stamp_records"
touch "$TMP/go"
RC=0
wait "$BG" || RC=$?
assert_eq "$RC" 0 "exit code with stamp_records 0"
line=$(grep '^dd records' "$TMP/bg.out") || { cat "$TMP/bg.err" >&2; fail "no count printed"; }
assert_between "$(echo "$line" | awk '{ print $3 }' | tr -d ,)" 6000 6300 "dd's system calls handed on"
assert_eq "$(echo "$line" | awk '{ print $5 }')" 0 "dd's records without ts_ns"
pass "records a program began before stamping was on are stamped when handed on"

# Bad declarations: one line on stderr, exit non-zero.
bad() {
  local what=$1 expect=$2
  shift 2
  printf '%s\n' "local agg = require('ringlua.agg')" "$what" "function on_exit() end" > "$TMP/bad.lua"
  run_ringlua "$@" "$TMP/bad.lua"
  [ "$RC" -ne 0 ] || fail "$what: exit code 0"
  assert_contains "$TMP/err" "$expect" "$what"
  # (--bpf's object is compiled first, and says so)
  assert_eq "$(grep -vc '^ringlua: compiled ' "$TMP/err")" 1 "$what: one line"
}
bad 'agg.count("x", { kernel = true, key = { "nope" } })' \
    "agg: @x: field 'nope' of struct syscall_event: no such field" -s syscalls -c true
bad 'agg.count("x", { kernel = true, key = { "saddr" } })' \
    "agg: @x: field 'saddr' of struct tcp_event: of a type that is no integer or char array" -s tcp -c true
bad 'agg.count("x", { kernel = true, key = { "pid", "tid", "nr", "comm", "ts_ns" } })' \
    "agg: @x: kernel = true takes key = a list of 0 to 4 record fields" -s syscalls -c true
bad 'agg.count("x", { kernel = true, key = { "path" } })' \
    "agg: @x: the key is too long: its fields take more than 32 bytes" -s open -c true
bad 'for i = 1, 9 do agg.count("x" .. i, { kernel = true }) end' \
    "agg: @x9: at most 8 kernel aggregations" -s syscalls -c true
bad 'agg.sum("x", { kernel = true, key = { "comm" } })' \
    'agg: @x: kernel = true sum needs value = "field"' -s syscalls -c true
bad 'agg.count("x", { kernel = true, key = { "count" } })' \
    "agg: @x: field 'count' of struct tp_syscalls__sys_enter_close: no such field" \
    -s tp:syscalls:sys_enter_read,tp:syscalls:sys_enter_close -c true
echo 'function on_event() end' > "$TMP/none.lua"
run_ringlua --record "$TMP/r.rec" -s syscalls -c true "$TMP/none.lua"
assert_eq "$RC" 0 "exit code of the recording"
bad 'agg.count("x", { kernel = true })' "kernel = true needs a built-in source or tracepoints" \
    --replay "$TMP/r.rec"
cp "$HERE/../bpf/two_rings.bpf.c" "$TMP/"
bad 'agg.count("x", { kernel = true })' "kernel = true needs a built-in source or tracepoints" \
    --bpf "$TMP/two_rings.bpf.c" --set comm=nothing
pass "bad kernel aggregations: one line each, exit non-zero"
