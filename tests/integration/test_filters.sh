#!/usr/bin/env bash
# --uid and --comm filter in the kernel: only matching tasks' events reach the script;
# bad values are usage errors (exit 2, one line).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
ACTIVITY=${3:?usage: $0 RINGLUA SEQ_PRODUCER RL_ACTIVITY}

nobody=65534
# bad_value OPTION VALUE: ringlua rejects it before doing anything.
bad_value() {
  run_ringlua "$1" "$2" "$SCRIPTS/exit_fields.lua"
  assert_eq "$RC" 2 "exit code of $1 '$2'"
  assert_eq "$(cat "$TMP/err")" "ringlua: invalid value for $1: '$2'" "error of $1 '$2'"
}
bad_value --uid abc
bad_value --uid -1
bad_value --uid 4294967295 # (uid_t)-1 is no user's uid
bad_value --uid ''
bad_value --comm ''
bad_value --comm 0123456789abcdef # the kernel keeps 15 characters
pass "bad --uid and --comm values are usage errors"

# --uid: of two exits, root's and nobody's, only nobody's is seen (the user given by
# name, as the password database has it).
start_ringlua --uid nobody "$SCRIPTS/exit_fields.lua"
bash -c 'exit 5' & root_child=$!
wait "$root_child" || true
setpriv --reuid=$nobody --regid=$nobody --clear-groups bash -c 'exit 6' & nobody_child=$!
wait "$nobody_child" || true
stop_ringlua
assert_eq "$RC" 0 "exit code after SIGINT"
assert_matches "$TMP/bg.out" "^pid=$nobody_child ppid=$$ uid=$nobody code=1536 status=6 " "nobody's exit"
if grep -v -e '^READY' -e " uid=$nobody " "$TMP/bg.out"; then
  fail "--uid $nobody let other users' exits through"
fi
pass "--uid nobody: nobody's exit only"

# --comm: the helper's opens are seen, cat's are not.
start_ringlua --comm rl_activity "$SCRIPTS/open_fields.lua"
cat /etc/hostname > /dev/null
"$ACTIVITY" open "$TMP/opened" "$TMP/missing" > "$TMP/expected" || fail "rl_activity open failed"
stop_ringlua
assert_eq "$RC" 0 "exit code after SIGINT"
while read -r expected; do
  assert_contains "$TMP/bg.out" "$expected" "open event of rl_activity"
done < "$TMP/expected"
if grep -v -e '^READY' -e ' comm=rl_activity ' "$TMP/bg.out"; then
  fail "--comm rl_activity let other programs' opens through"
fi
pass "--comm rl_activity: its opens only"

# With -p too, on the syscalls source. count_dd_syscalls COMM [DD]: traces a process that
# execs dd (or its copy DD), which makes about a thousand system calls, with --comm COMM;
# sets the tally.
count_dd_syscalls() {
  local go=$TMP/go.$1 child dd=${2:-dd}
  bash -c "while [ ! -e $go ]; do sleep 0.01; done; exec $dd if=/dev/zero of=/dev/null bs=1 count=500 status=none" &
  child=$!
  export RL_TARGET_PID=$child
  start_ringlua -p "$child" --comm "$1" --interval 100 "$SCRIPTS/syscall_count.lua"
  touch "$go"
  wait "$child"
  RC=0
  wait "$BG" || RC=$? # ringlua stops by itself once the traced process is gone
  assert_eq "$RC" 0 "exit code once the traced process is gone"
  tally=$(grep '^mine=' "$TMP/bg.out") || fail "no tally"
  read -r mine others reads writes <<< "$(tr -c '0-9' ' ' <<< "$tally")"
}

count_dd_syscalls no_such_task
assert_eq "$mine $others" "0 0" "events under a name the process does not have ($tally)"
pass "-p with a --comm the process does not have: no events"

count_dd_syscalls dd
assert_eq "$others" 0 "events of other processes ($tally)"
assert_between "$reads" 500 600 "reads ($tally)"
assert_between "$writes" 500 600 "writes ($tally)"
pass "-p with --comm dd: dd's system calls ($tally)"

# Names compare whole: a prefix of the name is another name; the longest name the kernel
# keeps (15 characters) matches.
count_dd_syscalls d
assert_eq "$mine $others" "0 0" "events under a prefix of the name ($tally)"
long_name=abcdefghijklmno
cp "$(command -v dd)" "$TMP/$long_name"
count_dd_syscalls "$long_name" "$TMP/$long_name"
assert_eq "$others" 0 "events of other processes ($tally)"
assert_between "$reads" 500 600 "reads under a 15-character name ($tally)"
pass "--comm: a prefix does not match, a 15-character name does"

# --cgroup: only tasks in that cgroup (v2). The same exec outside it is not seen.
new_cgroup
cp /bin/true "$TMP/in_cgroup"
start_ringlua --cgroup "$cg" --count 1 -e '
  io.stdout:setvbuf("line")
  on_init = function() print("READY") end
  on_event = function(p) print(ringlua.str(ringlua.cast(p).filename)) end'
"$TMP/in_cgroup"
sh -c "echo \$\$ > '$cg/cgroup.procs'; exec '$TMP/in_cgroup' inside"
RC=0
wait "$BG" || RC=$?
drop_cgroup
assert_eq "$RC" 0 "exit code with --cgroup"
assert_eq "$(cat "$TMP/bg.out")" "$(printf 'READY\n%s' "$TMP/in_cgroup")" "the one exec in the cgroup"
run_ringlua --cgroup /tmp -e 'on_event = print'
assert_eq "$RC" 2 "exit code of --cgroup on a directory that is no cgroup"
assert_contains "$TMP/err" "ringlua: --cgroup /tmp: not in a cgroup v2 file system" "message"
pass "--cgroup keeps only the tasks of that cgroup"
