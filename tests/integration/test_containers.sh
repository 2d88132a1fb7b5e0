#!/usr/bin/env bash
# A process in a mount namespace of its own (as in a container), running a binary that
# only it can see: a uprobe on that binary's path, named as the process sees it, attaches
# through the process's root with -p, and its stacks are symbolized from its own files.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
TARGET=${3:?usage: $0 RINGLUA SEQ_PRODUCER STACK_TARGET}
PROFILE=$HERE/../../scripts/profile.lua
NS_DIR=$TMP/ns

mkdir -p "$NS_DIR"
unshare -m --propagation private sh -c \
  "mount -t tmpfs none '$NS_DIR' && cp '$TARGET' '$NS_DIR/ct_target' && exec '$NS_DIR/ct_target' spin 6" &
pid=$!
for _ in $(seq 200); do
  [ "$(cat "/proc/$pid/comm" 2> /dev/null)" = ct_target ] && break
  sleep 0.05
done
assert_eq "$(cat "/proc/$pid/comm")" ct_target "the target runs in its namespace"
[ -e "$NS_DIR/ct_target" ] && fail "the namespace's binary is visible outside it"

run_ringlua -p "$pid" --duration 1 -e "u:$NS_DIR/ct_target:rl_leaf { count() }"
assert_eq "$RC" 0 "exit code of the uprobe"
assert_matches "$TMP/out" '^@: [1-9][0-9]*$' "calls of rl_leaf in the namespace's binary"
pass "a uprobe on a path only the process sees, through its root (-p)"

run_ringlua -p "$pid" --duration 1 "$PROFILE" -- -U --folded
assert_eq "$RC" 0 "exit code of the profile"
assert_matches "$TMP/out" '^ct_target;(.*;)?main;rl_outer;rl_middle;rl_leaf [0-9]+$' \
  "its stacks named from its own binary"
pass "stacks of a process in a mount namespace, symbolized"

kill "$pid" 2> /dev/null
wait "$pid" 2> /dev/null || true
