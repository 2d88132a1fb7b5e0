#!/usr/bin/env bash
# scripts/syscount.lua counts a process's system calls by name and prints the top 10 as
# bpftrace prints a map, at every tick and at exit.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
SYSCOUNT=$HERE/../../scripts/syscount.lua

# The child waits for a go file, then execs dd, which reads and writes 1 byte 500 times.
go=$TMP/go
bash -c "while [ ! -e $go ]; do sleep 0.01; done; exec dd if=/dev/zero of=/dev/null bs=1 count=500 status=none" &
child=$!
start_ringlua_until "Counting system calls" -p "$child" --interval 100 "$SYSCOUNT"
touch "$go"
wait "$child"
RC=0
wait "$BG" || RC=$?
assert_eq "$RC" 0 "exit code"
# The last table, printed at exit, counts everything.
out=$TMP/last
tac "$TMP/bg.out" | sed '/^[0-9][0-9]:/q' | tac > "$out"
assert_eq "$(grep -c '^@' "$out")" 10 "lines of the top 10 at exit"
bad=$(grep '^@' "$out" | grep -Ev '^@syscalls\[[a-z0-9_]+\]: [0-9]+$' || true)
assert_eq "$bad" "" "every line is @syscalls[name]: count"
reads=$(sed -n 's/^@syscalls\[read\]: //p' "$out")
writes=$(sed -n 's/^@syscalls\[write\]: //p' "$out")
assert_between "$reads" 500 600 "reads"
assert_between "$writes" 500 600 "writes"
counts=$(grep '^@' "$out" | sed 's/.*: //')
assert_eq "$counts" "$(sort -n <<< "$counts")" "smallest first, as bpftrace prints"
pass "top 10 of pid $child by name: read=$reads write=$writes"

# With a short interval the table comes at every tick: several time headers.
t0=$(now_ms)
start_ringlua_until "Counting system calls" --interval 100 "$SYSCOUNT"
wait_lines 3 '^[0-9]{2}:[0-9]{2}:[0-9]{2}$'
stop_ringlua INT
ms=$(($(now_ms) - t0))
assert_eq "$RC" 0 "exit code after SIGINT"
ticks=$(grep -cE '^[0-9]{2}:[0-9]{2}:[0-9]{2}$' "$TMP/bg.out")
# A loaded machine may tick late, never early: at most one tick per 100 ms gone by.
assert_between "$ticks" 3 $((ms / 100 + 1)) "time headers at 100 ms over $ms ms"
assert_matches "$TMP/bg.out" '^@syscalls\[[a-z0-9_]+\]: [0-9]+$' "counts by name system-wide"
pass "a table at every tick ($ticks)"

# Installed, the binary finds the generated names next to the other modules.
build=$(cd "$(dirname "$RINGLUA")/.." && pwd)
cmake --install "$build" --prefix "$TMP/prefix" > /dev/null || fail "cmake --install"
[ -f "$TMP/prefix/share/ringlua/lua/ringlua/kernel_names.lua" ] || fail "kernel_names.lua not installed"
RINGLUA=$TMP/prefix/bin/ringlua
start_ringlua_until "Counting system calls" --interval 100 "$TMP/prefix/share/ringlua/scripts/syscount.lua"
wait_lines 1 '^@syscalls\[(read|write|close|mmap|openat|epoll_wait)\]: [0-9]+$'
stop_ringlua INT
assert_eq "$RC" 0 "exit code of the installed binary"
assert_matches "$TMP/bg.out" '^@syscalls\[(read|write|close|mmap|openat|epoll_wait)\]: [0-9]+$' \
  "names from the installed binary"
pass "installed: names found beside the installed modules"
