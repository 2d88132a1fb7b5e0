#!/usr/bin/env bash
# --bpf with programs as they are published (tests/bpf/): a record struct defined in a
# header and used only as a local (found in the DWARF), every kind of C type in a record
# (decoded, and read through ffi), writable .data/.bss globals set at start and live, a
# hash map keyed by a struct and a per-CPU array read from Lua, -c filling targ_pid,
# --cgroup filling libbpf-tools' cgroup_map, and a program the verifier rejects.
#   test_published.sh RINGLUA SEQ_PRODUCER
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

BPF_DIR=$HERE/../bpf
export XDG_CACHE_HOME=$TMP/cache
mkdir -m 700 "$XDG_CACHE_HOME"
cp "$BPF_DIR"/kinds.{h,bpf.c} "$BPF_DIR"/counts.{h,bpf.c} "$BPF_DIR/rejected.bpf.c" "$TMP/"
command -v pahole > /dev/null || fail "pahole (dwarves) is needed: scripts/setup.sh installs it"
# GETPPID: a command that makes system call 110 (getppid) N times.
getppid() { echo "perl -e 'syscall(110) for 1..$1'"; }

# Every kind of type, decoded from the DWARF's types; the struct is in no BTF.
run_ringlua --json --bpf "$TMP/kinds.bpf.c" -c "$(getppid 1)"
assert_eq "$RC" 0 "exit code of --json on kinds.bpf.c"
assert_eq "$(wc -l < "$TMP/out")" 1 "records of the one getppid"
sed 's/"pid":[0-9]*,/"pid":P,/' "$TMP/out" > "$TMP/json"
assert_eq "$(cat "$TMP/json")" '{"map":"events","ok":true,"kind":"SMALL_B","mode":"MODE_ON","big":"BIG_HUGE","flag":1,"level":5,"delta":-7,"pid":P,"as_u32":67305985,"x":10,"y":20,"inner":{"a":-3,"tag":"hi"},"wide":"0x00000000000000010000000000000005","packed":{"c":112,"v":1234605616436508552},"aligned":99,"len":4,"data":""}' \
  "the decoded record"
assert_eq "$(count_lines "no record type" "$TMP/err")" 0 "warnings with the type found"
pass "a record used only as a local: found in the DWARF, every kind of type decoded"

# The same record through the pointer path: ffi puts each field where the program wrote.
cat > "$TMP/kinds.lua" <<'LUA'
local ffi = require("ffi")
local ringlua = require("ringlua")
return { on_event = function(p, len)
  local e = ffi.cast(ringlua.types.events, p)
  print(ffi.sizeof("struct event"), len, e.ok, e.kind, tonumber(e.mode), tonumber(e.big),
        e.flag, e.level, e.delta, e.as_u32, e.as_bytes[3], e.x, e.y, e.inner.a,
        ringlua.str(e.inner.tag), tonumber(e.wide.lo), tonumber(e.wide.hi), e.packed.c,
        tostring(e.packed.v), e.aligned, e.len, ffi.string(e.data, e.len),
        ffi.C.SMALL_B, ffi.C.MODE_ON)
end }
LUA
run_ringlua --bpf "$TMP/kinds.bpf.c" -c "$(getppid 1)" "$TMP/kinds.lua"
assert_eq "$RC" 0 "exit code of the kinds handler"
assert_eq "$(tr '\t' ' ' < "$TMP/out")" \
  "96 100 true 200 -1 4294967296 1 5 -7 67305985 4 10 20 -3 hi 5 1 112 1234605616436508552ULL 99 4 abcd 200 -1" \
  "fields read through ffi"
pass "bool, enums of 1, 4 and 8 bytes, bitfields, anonymous unions and structs, __int128, packed, aligned, flexible array: at their offsets"

# An object stripped of its DWARF, whose record type is nowhere: said once at start,
# with what to do; --json prints the bytes of each record, and the run ends well.
clang -g -O2 -target bpf -D__TARGET_ARCH_x86 -I"$(dirname "$RINGLUA")/../bpf" -I"$TMP" \
  -c "$TMP/kinds.bpf.c" -o "$TMP/nodebug.bpf.o"
llvm-strip -g "$TMP/nodebug.bpf.o"
run_ringlua --json --bpf "$TMP/nodebug.bpf.o" -c "$(getppid 3)"
assert_eq "$RC" 0 "exit code of --json without a type"
assert_eq "$(count_lines "ring events: no record type known (it has no DWARF: build it with -g, unstripped, or name it with --type events=STRUCT)" "$TMP/err")" 1 \
  "the one warning"
assert_eq "$(count_lines '"map":"events","len":100,"hex":"01c8' "$TMP/out")" 3 "records as hex"
check_json "$TMP/out" "hex records"
pass "no type anywhere: one warning at start, records as hex JSON, exit 0"

# A record type named otherwise than its ring (libbpf-tools' bind_event, data_t): the
# warning names the object's own structs, which --type takes; the kernel's are left out.
cat > "$TMP/bind.bpf.c" <<'BPF'
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
struct bind_event { int pid; char comm[16]; };
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 4096); } events SEC(".maps");
SEC("tracepoint/syscalls/sys_enter_bind")
int on_bind(struct trace_event_raw_sys_enter *ctx)
{
	struct bind_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return 0;
}
char LICENSE[] SEC("license") = "GPL";
BPF
run_ringlua --bpf "$TMP/bind.bpf.c" -c /bin/true -e 'on_event = function() end'
assert_eq "$RC" 0 "exit code of an object whose record type is named otherwise"
assert_contains "$TMP/err" "ring events: no record type known (none in its BTF or DWARF is named after it; or name it with --type events=STRUCT; its structs: bind_event)" \
  "the candidates for --type"
run_ringlua --bpf "$TMP/bind.bpf.c" --type events=bind_event -c /bin/true \
  -e 'on_event = function(p) print(ringlua.str(ringlua.cast(p).comm)) end'
assert_eq "$RC" 0 "exit code with --type"
pass "an untyped ring's warning names the object's own structs"

# -c (and -p) fill the process filter: targ_tgid where the object has one beside
# targ_pid, its thread filter (opensnoop's -p and -t): the opens of every thread of a
# threaded command arrive, and -v says which global took the process. Its record type
# has the name of the built-in open source's, struct open_event: the object's wins.
cp "$BPF_DIR/threads.bpf.c" "$TMP/"
threads_py='import threading
def opener():
    for _ in range(5): open("/etc/hostname").close()
workers = [threading.Thread(target=opener) for _ in range(4)]
for w in workers: w.start()
for w in workers: w.join()'
run_ringlua -v --bpf "$TMP/threads.bpf.c" --type events=open_event -c "/usr/bin/python3.11 -c '$threads_py'" \
  -e 'local tids = {} on_event = function(p) tids[ringlua.cast(p).tid] = true end
      on_exit = function() local n = 0 for _ in pairs(tids) do n = n + 1 end print("threads " .. n) end'
assert_eq "$RC" 0 "exit code of the threaded command"
assert_contains "$TMP/err" "threads.bpf.c: targ_tgid takes the process to trace (-c)" "-v names the global"
threads=$(sed -n 's/^threads //p' "$TMP/out")
assert_between "$threads" 5 100 "threads whose opens arrived (the main one and its 4 workers)"
pass "-c fills targ_tgid beside targ_pid: the opens of all $threads threads"

# Writable globals and maps: watch_nr (.data, -1: no system call goes to the ring)
# written live in on_init, after the attach; a refused write of a const volatile and of
# a value too big; the hash map of counts and the per-CPU total read from Lua; set and
# delete.
cat > "$TMP/counts.lua" <<'LUA'
local ffi = require("ffi")
local ringlua = require("ringlua")
local n = 0
return {
  on_init = function()
    print("watch_nr", ringlua.globals.watch_nr, "targ_pid", ringlua.globals.targ_pid > 0)
    ringlua.globals.watch_nr = 110      -- live: the program is loaded and attached
    print("rodata", select(2, pcall(function() ringlua.globals.targ_pid = 1 end)))
    print("range", select(2, pcall(function() ringlua.globals.watch_nr = 2 ^ 40 end)))
    local m = ringlua.maps.counts
    print("set", m:set({ pid = 1, nr = 2 }, 7), m:get({ pid = 1, nr = 2 }))
    print("delete", m:delete({ pid = 1, nr = 2 }), m:get({ pid = 1, nr = 2 }), m:delete({ pid = 1, nr = 2 }))
  end,
  on_event = function(p)
    local e = ffi.cast(ringlua.types.events, p)
    n = n + 1
    if e.nr ~= 110 or not e.watched or e.low_bits ~= (n - 1) % 8 then print("bad record", n) end
  end,
  on_exit = function()
    local counted, keys = 0, 0
    for k, v in ringlua.maps.counts:pairs() do
      keys = keys + 1
      if k.nr == 110 then counted = counted + v end
    end
    local per_cpu = ringlua.maps.calls:get(0)
    print("events", n, "sent", ringlua.globals.sent, "counted", counted,
          "sum_ok", ringlua.maps.calls:sum(0) >= keys, "cpus", #per_cpu)
  end,
}
LUA
run_ringlua --bpf "$TMP/counts.bpf.c" -c "perl -e 'syscall(110) for 1..5; syscall(39) for 1..3'" "$TMP/counts.lua"
assert_eq "$RC" 0 "exit code of counts.lua"
assert_contains "$TMP/out" "watch_nr	-1	targ_pid	true" "globals read, targ_pid filled by -c"
assert_contains "$TMP/out" "counts.lua:8: ringlua.globals.targ_pid is const volatile (.rodata): it is set before load, with --set or the script's globals" "a write to .rodata"
assert_contains "$TMP/out" "counts.lua:9: ringlua.globals.watch_nr: does not fit in int" "a value too big"
assert_contains "$TMP/out" "set	true	7" "a map entry set and read"
assert_contains "$TMP/out" "delete	true	nil	nil	ringlua.maps.counts: no such key" "a map entry deleted"
assert_eq "$(count_lines "bad record" "$TMP/out")" 0 "records as the program wrote them"
cpus=$(( $(cut -d- -f2 /sys/devices/system/cpu/possible) + 1 ))
assert_contains "$TMP/out" "events	5	sent	5	counted	5	sum_ok	true	cpus	$cpus" "counts from the maps"
pass ".data written live, .rodata refused, a hash map by struct and a per-CPU array from Lua"

# The script's globals set .data before load, and --set wins over them.
run_ringlua --bpf "$TMP/counts.bpf.c" -c "perl -e 'syscall(39) for 1..4; syscall(110) for 1..2'" \
  -e 'globals = { watch_nr = 110 } local n = 0 on_event = function() n = n + 1 end on_exit = function() print("n", n, ringlua.globals.watch_nr) end'
assert_eq "$RC" 0 "exit code with globals.watch_nr"
assert_contains "$TMP/out" "n	2	110" "the script's globals into .data"
run_ringlua --bpf "$TMP/counts.bpf.c" --set watch_nr=39 -c "perl -e 'syscall(39) for 1..4'" \
  -e 'globals = { watch_nr = 110 } local n = 0 on_event = function() n = n + 1 end on_exit = function() print("n", n, ringlua.globals.watch_nr) end'
assert_eq "$RC" 0 "exit code with --set watch_nr"
assert_contains "$TMP/out" "n	4	39" "--set of a .data global"
pass "a plain writable global set before load by the script and by --set, which wins"

# --cgroup: libbpf-tools' filter_cg and cgroup_map; only the command in the cgroup counts.
new_cgroup
start_ringlua_until READY --bpf "$TMP/counts.bpf.c" --cgroup "$cg" --set watch_nr=110 -e '
  io.stdout:setvbuf("line")
  local n = 0
  on_init = function() print("READY") end
  on_event = function() n = n + 1 end
  on_exit = function() print("n", n) end'
sh -c "echo \$\$ > '$cg/cgroup.procs'; exec $(getppid 6)"
eval "$(getppid 4)"
stop_ringlua
drop_cgroup
assert_contains "$TMP/bg.out" "n	6" "records from the cgroup only"
pass "--cgroup with an object that takes a cgroup_map"

# The verifier rejects a program: its name and the reason; the whole log with -v.
run_ringlua --bpf "$TMP/rejected.bpf.c" --json
assert_eq "$RC" 1 "exit code of a rejected program"
assert_contains "$TMP/err" "ringlua: rejected.bpf.c: left out program unchecked_lookup (tp/syscalls/sys_enter_getppid): bpf_object__load: Permission denied: the verifier refused it: R0 invalid mem access 'map_value_or_null' (-v prints its log)" "the program named, with the verifier's reason"
assert_eq "$(tail -1 "$TMP/err")" "ringlua: rejected.bpf.c: no program of it loads on this kernel" "the verdict"
assert_eq "$(count_lines "processed " "$TMP/err")" 0 "statistics left out"
run_ringlua -v --bpf "$TMP/rejected.bpf.c" --json
assert_eq "$RC" 1 "exit code with -v"
assert_contains "$TMP/err" "ringlua: rejected.bpf.c: the verifier's log of program unchecked_lookup:" "the log named"
assert_matches "$TMP/err" "^processed [0-9]+ insns" "the whole log with -v"
assert_matches "$TMP/err" "^0: R1=ctx" "the log's start with -v"
pass "a rejected program: its name and the verifier's reason; the whole log with -v"
