#!/usr/bin/env bash
# scripts/syscount.lua on the syscall_exit source: -L prints the top 10 system calls
# with their count, total and average latency; -H a log2 histogram of each one's
# latency, bpftrace-style. Without -s syscall_exit, -L is a usage error.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=ready_scripts.sh
. "$(dirname "$0")/ready_scripts.sh"
SYSCOUNT=$READY_SCRIPTS/syscount.lua
HEADER="SYSCALL                   COUNT      TOTAL(us)      AVG(us)"

check_usage "$SYSCOUNT" -Lx "syscount: unknown option '-x' (see -- --help)"
run_ringlua "$SYSCOUNT" -- -L
assert_eq "$RC" 2 "exit code of -L on the syscalls source"
assert_eq "$(cat "$TMP/err")" \
  "syscount: -L needs the syscall_exit source: ringlua -s syscall_exit scripts/syscount.lua -- -L (see -- --help)" \
  "-L without -s syscall_exit"
pass "-L needs -s syscall_exit, and says so"

# dd_traced ARGS...: syscount with ringlua ARGS over a dd that reads and writes 1 byte
# 500 times; ringlua stops when dd exits. The last report goes to $TMP/last.
dd_traced() {
  local go=$TMP/go
  rm -f "$go"
  bash -c "while [ ! -e $go ]; do sleep 0.01; done; exec dd if=/dev/zero of=/dev/null bs=1 count=500 status=none" &
  child=$!
  start_ringlua_until "Counting and timing system calls" -s syscall_exit -p "$child" "$@"
  touch "$go"
  wait "$child"
  RC=0
  wait "$BG" || RC=$?
  assert_eq "$RC" 0 "exit code ($*)"
  tac "$TMP/bg.out" | sed '/^[0-9][0-9]:/q' | tac > "$TMP/last"
}

# check_row NAME: the -L row of NAME: 500 to 600 calls, and its columns exactly, the
# average being the total over the count.
check_row() {
  local line count total avg
  line=$(the_line "^$1 " "$TMP/last")
  count=$(field 2 "$line") total=$(field 3 "$line") avg=$(field 4 "$line")
  assert_between "$count" 500 600 "$1 calls"
  assert_eq "$line" "$(printf '%-22s %8d %14.3f %12.3f' "$1" "$count" "$total" "$avg")" "row of $1"
  # The printed total is rounded: its average may differ in the last digit.
  awk -v t="$total" -v c="$count" -v a="$avg" 'BEGIN { d = t / c - a; exit !(d < 0.0015 && d > -0.0015) }' ||
    fail "average of $1: $avg, but $total / $count"
  [ "$(awk -v t="$total" 'BEGIN { print (t > 0) }')" == 1 ] || fail "total latency of $1: $total"
}

dd_traced "$SYSCOUNT" -- -L
assert_eq "$(sed -n 2p "$TMP/last")" "$HEADER" "header of the latency table"
assert_eq "$(grep -cE '^[a-z0-9_]+ +[0-9]+ +[0-9]+\.[0-9]{3} +[0-9]+\.[0-9]{3}$' "$TMP/last")" 10 \
  "rows of the top 10"
check_row read
check_row write
counts=$(sed -n '3,12p' "$TMP/last" | awk '{ print $2 }')
assert_eq "$counts" "$(sort -rn <<< "$counts")" "busiest first"
pass "-L: count, total and average latency of the top 10, read and write 500 times"

dd_traced "$SYSCOUNT" -- -H
if grep -q "^$HEADER" "$TMP/last"; then fail "-H alone printed the latency table"; fi
assert_matches "$TMP/last" '^@syscalls\[read\]: [0-9]+$' "counts by name with -H"
for name in read write; do
  count=$(sed -n "s/^@syscalls\[$name\]: //p" "$TMP/last")
  # The histogram of name: its lines up to the next blank one.
  sed -n "/^@latency_ns\[$name\]:\$/,/^\$/p" "$TMP/last" > "$TMP/hist"
  [ -s "$TMP/hist" ] || { cat "$TMP/last" >&2; fail "no histogram of $name"; }
  bad=$(sed '1d;$d' "$TMP/hist" | grep -vE '^(\[[0-9]+[KMG]?, [0-9]+[KMG]?\)|\[[01]\]) +[0-9]+ \|@* *\|$' || true)
  assert_eq "$bad" "" "bucket lines of $name"
  assert_eq "$(sed '1d;$d' "$TMP/hist" | awk 'match($0, /[0-9]+ \|/) { n += substr($0, RSTART, RLENGTH - 2) } END { print n }')" "$count" \
    "values in the histogram of $name"
done
pass "-H: a log2 latency histogram per system call, as many values as calls"
