#!/usr/bin/env bash
# The sizes of a user object's maps (issue #24): --ring-bytes makes a ring that loses
# records of a burst large enough to lose none, and refuses a bad size, a map that is no
# ring and a run without --bpf, each in one line, exit 2; a stack-trace map declared
# without a value size loads and stores stacks; a map without max_entries is named; a
# map the kernel refuses to create is named without -v; and -p with an --attach'ed
# uprobe does not claim that the object traces every process.
#   test_map_sizes.sh RINGLUA SEQ_PRODUCER
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

BPF_DIR=$HERE/../bpf
export XDG_CACHE_HOME=$TMP/cache
mkdir -m 700 "$XDG_CACHE_HOME"
cp "$BPF_DIR"/{small_ring,stack_map,unsized,unsized_ring,readline}.bpf.c "$TMP/"
# A command that makes system call 110 (getppid) N times.
calls() { echo "perl -e 'getppid() for 1..$1'"; }

# expect CODE LINE ARGS...: ringlua ARGS exits CODE having said LINE, its only line.
expect() {
  local code=$1 line=$2
  shift 2
  run_ringlua "$@"
  grep -v '^ringlua: compiled ' "$TMP/err" > "$TMP/mine" || true
  assert_eq "$RC" "$code" "exit code of ringlua $*"
  assert_eq "$(cat "$TMP/mine")" "$line" "what ringlua $* said"
}

# The burst: one getppid call holds 8 reservations of 1 KiB (1032 bytes with the
# header) before it submits any. A 4 KiB ring takes 3 and refuses 5, whatever the
# consumer does; 16 KiB takes all 8.
count='n = 0
on_event = function() n = n + 1 end
on_exit = function() print(n, ringlua.globals.dropped, ringlua.globals.sent) end'
run_ringlua --bpf "$TMP/small_ring.bpf.c" -c "$(calls 1)" -e "$count"
assert_eq "$RC" 0 "exit code of the small ring"
assert_eq "$(cat "$TMP/out")" "3	5	3" "records, drops and submits in a 4 KiB ring"
assert_contains "$TMP/err" "ringlua: 3 events, 0 errors, 5 dropped," "the summary counts the drops"
pass "a 4 KiB ring takes 3 records of a burst of 8 and counts 5 dropped"

run_ringlua --bpf "$TMP/small_ring.bpf.c" --ring-bytes rb=16384 -c "$(calls 1)" -e "$count"
assert_eq "$RC" 0 "exit code with --ring-bytes rb=16384"
assert_eq "$(cat "$TMP/out")" "8	0	8" "records, drops and submits in a 16 KiB ring"
pass "--ring-bytes rb=16384: every record of the burst, none dropped"

# Without MAP every ring is sized; the last option naming a ring wins; a burst of
# bursts: 100 calls, 800 records of 1032 bytes, held in 1 MiB even unread.
run_ringlua --bpf "$TMP/small_ring.bpf.c" --ring-bytes 4096 --ring-bytes 1048576 \
  -c "$(calls 100)" -e "$count"
assert_eq "$RC" 0 "exit code with --ring-bytes 1048576"
assert_eq "$(cat "$TMP/out")" "800	0	800" "records, drops and submits in a 1 MiB ring"
run_ringlua --bpf "$TMP/small_ring.bpf.c" --ring-bytes 1048576 --ring-bytes rb=8192 \
  -c "$(calls 1)" -e "$count"
assert_eq "$(cat "$TMP/out")" "7	1	7" "the later --ring-bytes rb=8192 wins: 7 records of 8"
pass "--ring-bytes BYTES sizes every ring; the last one given wins"

# The size holds when the object is loaded again without a program the verifier refused.
cp "$TMP/small_ring.bpf.c" "$TMP/refused_too.bpf.c"
cat >> "$TMP/refused_too.bpf.c" <<'C'

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} starts SEC(".maps");

SEC("tp/syscalls/sys_enter_getppid")
int unchecked(void *ctx)
{
	__u32 key = 0;
	__u64 *start = bpf_map_lookup_elem(&starts, &key);

	return *start > 0;	/* no NULL check: refused */
}
C
run_ringlua --bpf "$TMP/refused_too.bpf.c" --ring-bytes 16384 -c "$(calls 1)" -e "$count"
assert_eq "$RC" 0 "exit code with a refused program"
assert_contains "$TMP/err" "left out program unchecked" "the refused program left out"
assert_eq "$(cat "$TMP/out")" "8	0	8" "records, drops and submits after the second load"
pass "--ring-bytes holds when the object is loaded again without a refused program"

# Its errors: one line each, exit 2.
plain='on_event = function() end'
expect 2 "ringlua: --ring-bytes 5000: a ring's size must be a power of two multiple of the page size" \
  --bpf "$TMP/small_ring.bpf.c" --ring-bytes 5000 -e "$plain"
expect 2 "ringlua: --ring-bytes rb=2048: a ring's size must be a power of two multiple of the page size" \
  --bpf "$TMP/small_ring.bpf.c" --ring-bytes rb=2048 -e "$plain"
expect 2 "ringlua: --ring-bytes rb=1k: expected [MAP=]BYTES: BYTES is a number" \
  --bpf "$TMP/small_ring.bpf.c" --ring-bytes rb=1k -e "$plain"
expect 2 "ringlua: --ring-bytes nosuch=8192: small_ring.bpf.c has no ring buffer map nosuch; its ring buffer maps: rb" \
  --bpf "$TMP/small_ring.bpf.c" --ring-bytes nosuch=8192 -e "$plain"
expect 2 "ringlua: --ring-bytes stackmap=8192: stack_map.bpf.c has no ring buffer map stackmap; its ring buffer maps: rb" \
  --bpf "$TMP/stack_map.bpf.c" --ring-bytes stackmap=8192 -e "$plain"
expect 2 "ringlua: --set, --type, --attach, --only, --skip and --ring-bytes are for a BPF object of your own (--bpf, or the script's \`bpf\`)" \
  --ring-bytes 8192 -e "$plain"
pass "--ring-bytes refuses a bad size, a map that is no ring, a run without --bpf"

# A stack-trace map without a value size takes RL_STACK_MAX frames: it loads, and every
# getppid call's kernel stack is stored (an id, not -errno), the one path under one id.
run_ringlua --bpf "$TMP/stack_map.bpf.c" -c "$(calls 3)" -e '
  local ids = {}
  on_event = function(p) ids[#ids + 1] = tonumber(ringlua.cast(p).stack_id) end
  on_exit = function()
    local stored, distinct = 0, {}
    for _, id in ipairs(ids) do
      if id >= 0 then stored = stored + 1; distinct[id] = true end
    end
    local n = 0
    for _ in pairs(distinct) do n = n + 1 end
    print(#ids, stored, n)
  end'
assert_eq "$RC" 0 "exit code of the stack map"
assert_eq "$(cat "$TMP/out")" "3	3	1" "records, stacks stored, distinct ids"
pass "a stack-trace map without a value size: loaded, and stacks stored in it"

# A map without max_entries is named; a ring says how to size it, and is then sized.
run_ringlua --bpf "$TMP/unsized.bpf.c" -e "$plain"
assert_eq "$RC" 1 "exit code of a hash map without max_entries"
assert_eq "$(grep -c "no max_entries" "$TMP/err")" 1 "one line about it"
assert_contains "$TMP/err" "ringlua: unsized.bpf.c: map counts has no max_entries: the object leaves its size to its front end" \
  "the map named"
run_ringlua --bpf "$TMP/unsized_ring.bpf.c" -e "$plain"
assert_eq "$RC" 1 "exit code of a ring without max_entries"
assert_contains "$TMP/err" "ringlua: unsized_ring.bpf.c: map rb has no max_entries: the object leaves its size to its front end (give it with --ring-bytes)" \
  "the ring named, and the option"
run_ringlua --bpf "$TMP/unsized_ring.bpf.c" --ring-bytes 8192 -c "$(calls 3)" -e '
  local pids, nrs = {}, {}
  on_event = function(p)
    local e = ringlua.cast(p)
    pids[e.pid] = true
    nrs[#nrs + 1] = tonumber(e.nr)
  end
  on_exit = function()
    local n = 0
    for _ in pairs(pids) do n = n + 1 end
    print(#nrs, n, table.concat(nrs, ","), tonumber(ringlua.globals.calls))
  end'
assert_eq "$RC" 0 "exit code of the ring sized by --ring-bytes"
assert_eq "$(cat "$TMP/out")" "3	1	0,1,2	3" "its records: 3 calls of one process, in order"
pass "maps without max_entries: named; a ring sized by --ring-bytes"

# A map the kernel refuses to create is named without -v, with libbpf's reason.
sed 's/__uint(key_size, sizeof(__u32));/&\n\t__uint(value_size, 12);/' "$TMP/stack_map.bpf.c" \
  > "$TMP/bad_stack.bpf.c"
run_ringlua --bpf "$TMP/bad_stack.bpf.c" -c "$(calls 1)" -e "$plain"
assert_eq "$RC" 1 "exit code of a map the kernel refuses"
assert_eq "$(count_lines "ringlua: libbpf: map 'stackmap': failed to create: Invalid argument(-22)" "$TMP/err")" 1 \
  "the map named once, with the reason"
pass "a map the kernel refuses to create: named without -v"

# -p with an --attach'ed uprobe: the probe is in that process only, so ringlua does not
# say that the object (no pid global) traces every process; -v says what is filtered.
# The target calls getppid once a line it reads; another process calls it too.
mkfifo "$TMP/lines"
perl -e 'while (<STDIN>) { getppid() }' < "$TMP/lines" &
target=$!
exec 7> "$TMP/lines"
start_ringlua -v --bpf "$TMP/readline.bpf.c" --attach printret=uretprobe:libc:getppid \
  -p "$target" -e '
  local n = 0
  on_init = function() print("READY"); io.stdout:flush() end
  on_event = function() n = n + 1; print("call", n); io.stdout:flush() end' 7>&-
for _ in 1 2 3; do echo >&7; done
wait_lines 3 '^call'
perl -e 'getppid() for 1..5'
exec 7>&-
RC=0
wait "$BG" || RC=$?
assert_eq "$RC" 0 "exit code of -p with --attach"
assert_eq "$(count_lines call "$TMP/bg.out")" 3 "the target's calls alone"
assert_eq "$(count_lines "traces every process" "$TMP/bg.err")" 0 "no claim of every process"
assert_contains "$TMP/bg.err" "ringlua: readline.bpf.c has no target pid global: its --attach probes fire in process $target only" \
  "-v says what is filtered"
pass "-p with --attach: the process's calls, and no claim that every process is traced"

# With a program beside the --attach'ed one, ringlua says which are not filtered.
cp "$TMP/readline.bpf.c" "$TMP/readline_and_tp.bpf.c"
cat >> "$TMP/readline_and_tp.bpf.c" <<'C'

SEC("tp/syscalls/sys_enter_getppid")
int on_getppid(void *ctx)
{
	return 0;
}
C
run_ringlua --bpf "$TMP/readline_and_tp.bpf.c" --attach printret=uretprobe:libc:getppid \
  -p $$ --duration 0.1 -e "$plain"
assert_eq "$RC" 0 "exit code of -p with --attach and another program"
assert_contains "$TMP/err" "ringlua: readline_and_tp.bpf.c has no target pid global: its --attach probes fire in process $$ only, its 1 other program in every process" \
  "the program not filtered counted"
assert_eq "$(count_lines "traces every process" "$TMP/err")" 0 "no claim that all of it is unfiltered"
pass "-p with --attach and another program: what is filtered and what is not"
