#!/usr/bin/env bash
# The symbolizer's budgets (src/sym/sym.h) against what nobody can make: a program whose
# 20000 functions share one 16000-byte name (each name copied once cost 320 MB), one
# whose string table claims 80 MiB, a process with 60000 mappings whose stack frames are
# in none of them (each such frame read all of its maps again), and more processes and
# more addresses than the caches keep.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
HOSTILE=${3:?usage: $0 RINGLUA SEQ_PRODUCER SYM_HOSTILE}
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all)

# A script that profiles the command's user stacks, names each frame as it comes (the
# process still runs: it spins until ringlua ends it) and stops after 5 frames of the
# hostile functions; it prints how many frames named them, one of those names, what the
# symbolizer holds, and how much ringlua's peak RSS grew.
cat > "$TMP/profile_names.lua" <<'LUA'
local ringlua = require("ringlua")
local names = require("ringlua.names")
local hostile, seen, hwm_start = 0, {}, nil
local function hwm_kb()
  for line in io.lines("/proc/self/status") do
    local kb = line:match("^VmHWM:%s+(%d+)")
    if kb then return tonumber(kb) end
  end
end
return {
  source = "profile", stacks = "user",
  on_init = function() hwm_start = hwm_kb() end,
  on_event = function(ptr, len)
    local e = ringlua.cast(ptr)
    local _, _, u, nu = ringlua.stacks(ptr, len)
    for i = 0, nu - 1 do
      local name = names.usym(e.pid, u[i])
      if name:find("^AAAAAAAA") or name:find("^%[hostile%+") then
        hostile = hostile + 1
        seen[#seen + 1] = name:sub(1, 30)
      end
    end
    if hostile >= 5 then ringlua.stop() end
  end,
  on_exit = function()
    print("hostile_frames=" .. hostile)
    print("name=" .. (seen[1] or ""))
    print("hwm_growth_kb=" .. hwm_kb() - hwm_start)
    print("over_budget=" .. names.sym_stats().over_budget)
  end,
}
LUA

# 1. One long name shared by 20000 functions (a 497 KB file): one copy of it is kept,
# and the frames have the name. The bound is far above the file's size and far below
# a copy a name (320 MB).
"$HOSTILE" elf "$TMP/hostile" 20000 16000
chmod 755 "$TMP/hostile"
run_ringlua --duration 30 -c "${NOBODY[*]} $TMP/hostile" "$TMP/profile_names.lua"
growth=$(sed -n 's/^hwm_growth_kb=//p' "$TMP/out")
assert_between "$growth" 0 65536 "ringlua's peak RSS growth (kB) over the shared-name program"
assert_matches "$TMP/out" '^hostile_frames=[1-9]' "frames in the hostile program"
assert_matches "$TMP/out" '^name=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA$' "the shared name"
assert_eq "$RC" 0 "exit code of the profile of the shared-name program"
pass "20000 functions sharing one 16000-byte name: peak RSS grew by $growth kB"

# 2. A string table over the per-file budget (by its header: 80 MiB) is not read: the
# frames print as the file and its own address, and the file counts as over budget.
"$HOSTILE" elf "$TMP/hostile" 10 16 $((80 << 20))
run_ringlua --duration 30 -c "${NOBODY[*]} $TMP/hostile" "$TMP/profile_names.lua"
assert_eq "$RC" 0 "exit code of the profile of the over-budget program"
assert_matches "$TMP/out" '^hostile_frames=[1-9]' "frames in the over-budget program"
assert_matches "$TMP/out" '^name=\[hostile\+0x400' "the fallback form"
assert_contains "$TMP/out" "over_budget=1" "the file counted as over budget"
growth=$(sed -n 's/^hwm_growth_kb=//p' "$TMP/out")
pass "a string table over budget: [hostile+0x...] frames, peak RSS grew by $growth kB"

# start_holder NAME ARGS...: runs sym_hostile ARGS as nobody in the background (stdout
# in $TMP/NAME.out) until hold_end closes its stdin; waits until it printed "ready".
start_holder() {
  local name=$1
  shift
  mkfifo "$TMP/$name.hold"
  "${NOBODY[@]}" "$HOSTILE" "$@" < "$TMP/$name.hold" > "$TMP/$name.out" &
  HOLDER=$!
  exec 3> "$TMP/$name.hold"
  wait_for "sym_hostile $*" file_has ready "$TMP/$name.out"
}
hold_end() {
  exec 3>&-
  wait "$HOLDER" || fail "sym_hostile exited $?"
}

# 3. 127 frames (a stack's worth) in none of the mappings of a process with 60000 of
# them: its maps are not read again for each (which took 9 s of CPU); at most once.
start_holder maps maps 60000
cat > "$TMP/unmapped.lua" <<'LUA'
local names = require("ringlua.names")
on_event = function() end
on_exit = function()
  local pid = tonumber(os.getenv("TARGET_PID"))
  assert(names.note_pid(pid))
  local t0 = os.clock()
  for i = 1, 127 do names.usym(pid, 0x10000 + i * 0x1000) end
  print(string.format("cpu_ms=%d", (os.clock() - t0) * 1000))
  local stats = names.sym_stats()
  print("maps_reads=" .. stats.maps_reads)
  print("mappings=" .. stats.mappings)
end
LUA
TARGET_PID=$HOLDER run_ringlua -c true -s syscalls -e "$(cat "$TMP/unmapped.lua")"
cpu_ms=$(sed -n 's/^cpu_ms=//p' "$TMP/out")
assert_between "$cpu_ms" 0 2000 "CPU ms to name 127 unmapped frames"
assert_eq "$RC" 0 "exit code of the unmapped frames script"
# The read when noted, and at most one more (should a second pass before the loop ends).
assert_matches "$TMP/out" '^maps_reads=[12]$' "maps reads for 127 unmapped frames"
assert_matches "$TMP/out" '^mappings=300[0-9][0-9]$' "the executable mappings kept"
hold_end
pass "127 unmapped frames of a process with 60000 mappings: $cpu_ms ms, $(grep maps_reads= "$TMP/out")"

# 4. More processes than are kept (1024), and more addresses and pids than names.usym
# caches (65536 entries): the least recently used go, in C and in names.usym's cache
# alike, a forgotten process that still runs is read again when next asked about, and
# the cache starts over when full.
start_holder procs procs 1100
grep -E '^[0-9]+$' "$TMP/procs.out" > "$TMP/pids"
cat > "$TMP/procs.lua" <<'LUA'
local names = require("ringlua.names")
on_event = function() end
on_exit = function()
  local pids = {}
  for line in io.lines(os.getenv("PIDS")) do pids[#pids + 1] = tonumber(line) end
  for _, pid in ipairs(pids) do names.usym(pid, 0x1000) end
  local stats = names.sym_stats()
  print("processes=" .. stats.processes .. " cached_pids=" .. stats.cached_pids
        .. " forgotten=" .. stats.forgotten)
  local reads = stats.maps_reads
  print("first_again=" .. names.usym(pids[1], 0x1000))
  print("reread_first=" .. names.sym_stats().maps_reads - reads)
  -- Addresses in its libc's code, which have names (an address in no file is never
  -- kept: a mapping made since the last read may hold it).
  local libc
  for line in io.lines("/proc/" .. pids[2] .. "/maps") do
    libc = libc or (line:find(" r%-xp .*libc") and tonumber(line:match("^(%x+)"), 16))
  end
  for i = 1, 70000 do names.usym(pids[2], libc + i) end
  print("cached_names=" .. names.sym_stats().cached_names)
  -- Pids that never ran (above pid_max): each noted in vain still takes an entry.
  local pid_max = tonumber(io.open("/proc/sys/kernel/pid_max"):read("*l"))
  for i = 1, 70000 do names.note_pid(pid_max + i) end
  print("cached_pids=" .. names.sym_stats().cached_pids)
end
LUA
PIDS=$TMP/pids run_ringlua -c true -s syscalls -e "$(cat "$TMP/procs.lua")"
assert_eq "$RC" 0 "exit code of the many processes script"
assert_eq "$(wc -l < "$TMP/pids")" 1100 "children started"
assert_contains "$TMP/out" "processes=1024 cached_pids=1024 forgotten=76" \
  "processes kept and names cached after 1100"
assert_contains "$TMP/out" "first_again=0x1000" "a forgotten process asked about again"
assert_contains "$TMP/out" "reread_first=1" "its mappings read again"
cached=$(sed -n 's/^cached_names=//p' "$TMP/out")
assert_between "$cached" 1 65536 "names cached after 70000 addresses"
pids_cached=$(sed -n 's/^cached_pids=//p' "$TMP/out")
assert_between "$pids_cached" 1 65536 "processes cached after 70000 pids that never ran"
hold_end
pass "1100 processes, 70000 addresses, 70000 pids: $(grep processes= "$TMP/out"), $cached names and $pids_cached pids cached"
