#!/usr/bin/env bash
# Programs: `PROBE[,PROBE] [/PREDICATE/] { LUA }` clauses, as bpftrace writes them, in -e
# or a script file; bpftrace's one-liners side by side, with bpftrace's output where a
# command makes the counts exact.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

DD='/usr/bin/dd if=/dev/zero of=/dev/null bs=4k count=1000'

# The map lines of an output (bpftrace adds "Attaching ..." and blank lines).
map_lines() { grep -E '^@' "$1" || true; }

# read(2)s by process name: the same counts as bpftrace's.
run_ringlua -c "$DD" -e 't:syscalls:sys_enter_read { count(comm) }'
assert_eq "$RC" 0 "exit code"
map_lines "$TMP/out" > "$TMP/ours"
dd_reads=$(sed -n 's/^@\[dd\]: \([0-9]*\)$/\1/p' "$TMP/ours")
assert_between "$dd_reads" 1000 1020 "dd's reads"
assert_eq "$(wc -l < "$TMP/ours")" 1 "one entry: only dd is traced"
if command -v bpftrace > /dev/null; then
  timeout -s KILL 60 bpftrace -e 'tracepoint:syscalls:sys_enter_read /pid == cpid/ { @[comm] = count(); }' \
    -c "$DD" > "$TMP/bt.out" 2> /dev/null || fail "bpftrace failed"
  assert_eq "$(cat "$TMP/ours")" "$(map_lines "$TMP/bt.out")" "the same as bpftrace's"
fi
pass "t:syscalls:sys_enter_read { count(comm) }: $(cat "$TMP/ours"), as bpftrace"

# printf with the event's string field and the header's comm.
run_ringlua -c 'cat /etc/hostname' -e 't:syscalls:sys_enter_openat { printf("%s %s\n", comm, e.filename) }'
assert_eq "$RC" 0 "exit code"
assert_contains "$TMP/out" "cat /etc/hostname" "the open of /etc/hostname"
pass "t:syscalls:sys_enter_openat { printf(\"%s %s\\n\", comm, e.filename) }"

# -p PID and a histogram of a return value; the trace ends with the process, which
# reads only once ringlua has attached (its BEGIN says so).
mkfifo "$TMP/go"
sh -c "read go < '$TMP/go'; exec /usr/bin/dd if=/dev/zero of=/dev/null bs=4k count=500 2> /dev/null" &
reader=$!
start_ringlua_until tracing -p "$reader" \
  -e 'BEGIN { print("tracing") io.stdout:flush() } t:syscalls:sys_exit_read { hist(e.ret) }'
echo go > "$TMP/go"
wait "$reader" || true
RC=0
wait "$BG" || RC=$?
cp "$TMP/bg.out" "$TMP/out"
assert_eq "$RC" 0 "exit code"
assert_eq "$(sed -n 2p "$TMP/out")" "@:" "an unnamed histogram"
assert_matches "$TMP/out" '^\[4K, 8K\) +50[0-9] \|@+\|$' "dd's 4 KiB reads"
pass "-p PID t:syscalls:sys_exit_read { hist(e.ret) }"

# A tuple key of two string fields; --duration ends it.
run_ringlua --duration 0.5 -c "sh -c 'while :; do sleep 0.01; done'" \
  -e 't:sched:sched_switch { count(e.prev_comm, e.next_comm) }'
assert_eq "$RC" 0 "exit code"
assert_matches "$TMP/out" '^@\[[^],]*, [^],]*\]: [0-9]+$' "@[prev, next]: n"
pass "t:sched:sched_switch { count(e.prev_comm, e.next_comm) }"

# BEGIN, an interval and exit(): END and the summary still run, exit 0.
run_ringlua_timed -e 'BEGIN { print("tracing") } i:ms:300 { print("tick") } i:s:1 { exit() } END { print("done") }'
assert_eq "$RC" 0 "exit code after exit()"
assert_eq "$(cat "$TMP/out")" "$(printf 'tracing\ntick\ntick\ntick\ndone')" "BEGIN, ticks, END"
assert_matches "$TMP/err" '^ringlua: [0-9]+ events, 0 errors' "the summary"
assert_between "$RUN_MS" 900 10000 "milliseconds until exit()"
pass "BEGIN { print(\"tracing\") } i:s:1 { exit() }, with i:ms:300 and END"

# Predicates, several clauses and probes, every aggregation, exit() in an event clause
# (dd's report on stderr comes after its reads).
run_ringlua -c "$DD" -e '
t:syscalls:sys_enter_read,t:syscalls:sys_exit_read /comm == "dd"/ { count(probe) }
t:syscalls:sys_exit_read /e.ret > 0/ {
  sum(e.ret) min(e.ret) max(e.ret) avg(e.ret)
  lhist(e.ret, 0, 8192, 4096, "size")   -- a } in a comment
}
t:syscalls:sys_enter_write /e.fd == 2/ { printf("stats %s\n", "{/}") exit() }
END { printf("END\n") }'
assert_eq "$RC" 0 "exit code"
assert_contains "$TMP/out" "stats {/}" "the clause of dd's report, after its reads"
assert_eq "$(sed -n '2p' "$TMP/out")" "END" "END after exit(), before the aggregations"
assert_matches "$TMP/out" '^@count\[tracepoint:syscalls:sys_enter_read\]: 10[0-9][0-9]$' "enters"
assert_matches "$TMP/out" '^@count\[tracepoint:syscalls:sys_exit_read\]: 10[0-9][0-9]$' "exits"
assert_matches "$TMP/out" '^@max: 4096$' "max"
assert_matches "$TMP/out" '^@min: [0-9]+$' "min"
assert_matches "$TMP/out" '^@sum: 4[0-9]{6}$' "sum"
assert_matches "$TMP/out" '^@avg: [0-9]+$' "avg"
assert_matches "$TMP/out" '^@lhist\[size\]:$' "lhist"
assert_matches "$TMP/out" '^\[4K, 8K\) +1000 \|@+\|$' "lhist's 4 KiB bucket"
pass "predicates, clause lists, every aggregation, exit() in a clause"

# Clauses that only aggregate by the header's fields count in the kernel: no record goes
# to the ring, and the output is that of the same clauses counted in Lua (a predicate
# that is always true keeps them there).
kernel_program='t:syscalls:sys_enter_read { count(comm) }
t:syscalls:sys_exit_read { @sizes = hist(e.ret, comm) @b = sum(e.ret) lhist(e.ret, 0, 8192, 4096) }'
run_ringlua -c "$DD" -e "$kernel_program"
assert_eq "$RC" 0 "exit code in the kernel"
assert_matches "$TMP/err" '^ringlua: 0 events, 0 errors' "no record in the ring"
cp "$TMP/out" "$TMP/kernel.out"
run_ringlua -c "$DD" -e "$(echo "$kernel_program" | sed 's|_read {|_read /true/ {|')"
assert_eq "$RC" 0 "exit code in Lua"
assert_matches "$TMP/err" '^ringlua: [1-9][0-9]* events, 0 errors' "records in Lua"
cmp "$TMP/kernel.out" "$TMP/out" || { diff "$TMP/kernel.out" "$TMP/out" >&2; fail "the kernel's output and Lua's differ"; }
assert_contains "$TMP/out" "@b: " "sum"
pass "clauses that only aggregate count in the kernel, with Lua's output"

# Named aggregations: one name in two clauses is one aggregation; a name used for two
# kinds, or bpftrace's map syntax, is an error that says how to write it.
run_ringlua -c "$DD" -e 't:syscalls:sys_enter_read /comm == "dd"/ { @calls = count() }
t:syscalls:sys_exit_read /comm == "dd"/ { @calls = count() @bytes = sum(e.ret, comm) }'
assert_eq "$RC" 0 "exit code"
calls=$(sed -n 's/^@calls: \([0-9]*\)$/\1/p' "$TMP/out")
assert_between "$calls" 2000 2040 "@calls: the enters and exits of dd's reads"
bytes=$(sed -n 's/^@bytes\[dd\]: \([0-9]*\)$/\1/p' "$TMP/out")
assert_between "$bytes" 4096000 4200000 "@bytes[dd]: its 4 MB and the loader's reads"
assert_eq "$(grep -c '^@' "$TMP/out")" 2 "two aggregations"
run_ringlua -e 't:syscalls:sys_enter_read { @n = count() } t:syscalls:sys_exit_read { @n = hist(e.ret) }'
assert_eq "$RC" 1 "exit code of a name of two kinds"
assert_eq "$(cat "$TMP/err")" "ringlua: -e: line 1, column 71: @n is a count already, not a hist" \
  "a name of two kinds"
run_ringlua -e 't:syscalls:sys_enter_read { @[comm] = count() }'
assert_eq "$RC" 1 "exit code of bpftrace's map syntax"
assert_contains "$TMP/err" "near '@' (a clause names an aggregation as @NAME = count(k...);" \
  "bpftrace's map syntax"
pass "@calls = count() in two clauses: $calls; @bytes = sum(e.ret, comm)"

# Stacks as keys: the kernel's entry path and dd's read(), as bpftrace prints them. dd
# waits in its read for two seconds, so that its mappings are read while it lives (those
# of a process gone before any of its stacks was seen cannot be).
run_ringlua -c "sh -c 'sleep 2 | /usr/bin/dd of=/dev/null bs=1'" \
  -e 't:syscalls:sys_enter_read /comm == "dd"/ { count(kstack, ustack, comm) }'
assert_eq "$RC" 0 "exit code"
assert_matches "$TMP/out" '^    do_syscall_64\+0x[0-9a-f]+$' "the kernel stack's entry path"
assert_matches "$TMP/out" '^    (__)?read\+0x[0-9a-f]+$' "the user stack's read()"
assert_matches "$TMP/out" '^, dd\]: [0-9]+$' "dd's stacks"
pass "count(kstack, ustack, comm)"

# str(e.arg0) of a uprobe is read at the probe: the same strings as bpftrace's; one
# argument per program, and only an argument or ret.
run_ringlua -c '/usr/bin/ls /' -e 'u:libc:getenv /comm == "ls"/ { count(str(e.arg0)) }'
assert_eq "$RC" 0 "exit code"
map_lines "$TMP/out" | sort > "$TMP/ours"
assert_matches "$TMP/ours" '^@\[LC_CTYPE\]: [0-9]+$' "getenv(\"LC_CTYPE\")"
if command -v bpftrace > /dev/null; then
  timeout -s KILL 60 bpftrace -e 'u:libc:getenv /pid == cpid && comm == "ls"/ { @[str(arg0)] = count(); }' \
    -c '/usr/bin/ls /' > "$TMP/bt.out" 2> /dev/null || fail "bpftrace failed"
  assert_eq "$(cat "$TMP/ours")" "$(map_lines "$TMP/bt.out" | sort)" "the same as bpftrace's"
fi
run_ringlua -e 'u:libc:getenv { count(str(e.arg0)) } ur:libc:getenv { count(str(e.ret)) }'
assert_eq "$RC" 1 "exit code of two strings"
assert_eq "$(cat "$TMP/err")" "ringlua: -e: line 1, column 61: str(e.ret): a program reads one argument as a string, and line 1 reads e.arg0" \
  "two strings"
run_ringlua -e 'u:libc:getenv { count(str(e.arg0 .. "")) }'
assert_eq "$RC" 1 "exit code of str() of an expression"
assert_contains "$TMP/err" "str(e.arg0) to str(e.arg5), or str(e.ret)" "str() of an expression"
pass "u:libc:getenv { count(str(e.arg0)) }: $(wc -l < "$TMP/ours") names, as bpftrace"

# The rest of bpftrace's one-liners the docs give: the lines bash's readline returned,
# read at the uretprobe (a shell on a terminal of its own); block I/O sizes by rwbs
# (dd's 50 direct 64 KiB writes); profile samples by both stacks and comm.
run_ringlua -c "sh -c '(sleep 1; echo echo hello; sleep 0.3; echo exit) |
    script -qfc \"bash --norc --noprofile -i\" /dev/null > /dev/null'" \
  -e 'ur:bash:readline { print(str(e.ret)) }'
assert_eq "$RC" 0 "exit code"
assert_eq "$(cat "$TMP/out")" "$(printf 'echo hello\nexit')" "the lines readline returned"
pass "ur:bash:readline { print(str(e.ret)) }"
direct=$(mktemp /var/tmp/ringlua_direct.XXXXXX)
run_ringlua -c "/usr/bin/dd if=/dev/zero of=$direct bs=64k count=50 oflag=direct" \
  -e 't:block:block_rq_issue { hist(e.bytes, e.rwbs) }'
rm -f "$direct"
assert_eq "$RC" 0 "exit code"
assert_eq "$(grep -A1 '^@\[WS\]:$' "$TMP/out" | tail -1 | tr -s ' ')" "[64K, 128K) 50 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|" \
  "dd's writes"
pass "t:block:block_rq_issue { hist(e.bytes, e.rwbs) }"
run_ringlua --duration 0.5 -c "sh -c 'while :; do :; done'" -e 'p:hz:99 { count(kstack, ustack, comm) }'
assert_eq "$RC" 0 "exit code"
assert_matches "$TMP/out" '^, sh\]: [0-9]+$' "samples of sh by its stacks"
pass "p:hz:99 { count(kstack, ustack, comm) }"

# A program in a script file, with -o; and text that is no program stays a Lua script.
printf 't:syscalls:sys_enter_read\n/comm == "dd"/\n{\n  count()\n}\n' > "$TMP/reads.lua"
run_ringlua -o "$TMP/o.txt" -c "$DD" "$TMP/reads.lua"
assert_eq "$RC" 0 "exit code of a program file"
assert_matches "$TMP/o.txt" '^@: 10[0-9][0-9]$' "its count, in the -o file"
run_ringlua --duration 0.2 -e 'on_event = function() end on_exit = function() print("lua") end'
assert_eq "$(cat "$TMP/out")" "lua" "a plain script"
pass "a program file runs like a script; plain Lua is unchanged"

# Errors: a syntax error names clause, line and column (exit 1); an unknown probe or
# tracepoint is a usage error (exit 2); all in one line.
run_ringlua -e 'BEGIN { }
t:syscalls:sys_enter_read { x = = 1 }'
assert_eq "$RC" 1 "exit code of a syntax error"
assert_eq "$(cat "$TMP/err")" \
  "ringlua: -e: clause 2 (t:syscalls:sys_enter_read), line 2, column 33: unexpected symbol near '='" \
  "syntax error"
run_ringlua -e 'kprobe:vfs:read { }'
assert_eq "$RC" 2 "exit code of an unknown probe"
assert_eq "$(cat "$TMP/err")" "ringlua: -e: clause 1, line 1, column 1: unknown probe 'kprobe:vfs:read'" \
  "unknown probe"
run_ringlua -e 't:nosuch:thing { }'
assert_eq "$RC" 2 "exit code of an unknown tracepoint"
assert_eq "$(cat "$TMP/err")" "ringlua: tracepoint:nosuch:thing: no such tracepoint" "unknown tracepoint"
run_ringlua -e 't:syscalls:sys_enter_read { count() } exec { }'
assert_eq "$RC" 2 "exit code of probes that do not go together"
assert_eq "$(wc -l < "$TMP/err")" 1 "one line"
run_ringlua -c /bin/true -e 't:syscalls:sys_enter_execve { print(e.filenam) }'
assert_matches "$TMP/err" '^ringlua: -e:1: e\.filenam: tracepoint:syscalls:sys_enter_execve has no field filenam; its fields: .*filename .*' \
  "an unknown field, with the probe's fields"
run_ringlua -c /bin/true -e 't:syscalls:sys_enter_execve { local x = nil; x.y = 1 }'
assert_eq "$RC" 0 "exit code after a handler error"
assert_matches "$TMP/err" '^ringlua: -e:1: attempt to index local .x.' "a run-time error's line"
pass "errors: clause, line and column; unknown probes exit 2"

# Uprobes and their returns, by probe (the same count of mallocs as bpftrace's); a
# built-in source; profile.
run_ringlua -c '/bin/ls /' -e 'u:libc:malloc { count(probe) } ur:libc:malloc /e.ret ~= 0/ { count(comm) }'
assert_eq "$RC" 0 "exit code"
calls=$(sed -n 's/^@count\[uprobe:libc:malloc\]: \([0-9]*\)$/\1/p' "$TMP/out")
assert_between "$calls" 1 100000 "malloc calls"
assert_matches "$TMP/out" "^@count_2\[ls\]: $calls\$" "as many returns"
if command -v bpftrace > /dev/null; then
  timeout -s KILL 60 bpftrace -e 'u:libc:malloc /pid == cpid/ { @ = count(); }' -c '/bin/ls /' \
    > "$TMP/bt.out" 2> /dev/null || fail "bpftrace failed"
  assert_eq "$(map_lines "$TMP/bt.out")" "@: $calls" "bpftrace's count"
fi
run_ringlua -c /bin/true -e 'exec { printf("%s %s\n", e.filename, probe) }'
assert_eq "$(cat "$TMP/out")" "/bin/true exec" "the exec source"
run_ringlua --duration 0.5 -c "sh -c 'while :; do :; done'" -e 'p:hz:99 { count() }'
assert_matches "$TMP/out" '^@: [0-9]+$' "profile samples"
pass "u:libc:malloc and ur:libc:malloc ($calls, as bpftrace), exec, p:hz:99"

# A program file reloads when saved, as a script does.
printf 'i:ms:100 { print("v1") }\n' > "$TMP/ticks.lua"
start_ringlua_until v1 "$TMP/ticks.lua"
printf 'i:ms:100 { print("v2") }\n' > "$TMP/ticks.new"
mv "$TMP/ticks.new" "$TMP/ticks.lua"
wait_output v2
wait_output "reloaded $TMP/ticks.lua" "$TMP/bg.err"
stop_ringlua INT
assert_eq "$RC" 0 "exit code"
pass "a program file reloads when saved"
