#!/usr/bin/env bash
# The profile source samples a busy loop: its pid shows up, on a CPU that exists, in user
# mode; with -p no other process does.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

cpus=$(getconf _NPROCESSORS_CONF)
# A shell spinning in user space until it is killed.
bash -c 'while :; do :; done' & busy=$!
start_ringlua -p "$busy" "$SCRIPTS/profile_fields.lua"
# Samples come 99 times a second per CPU; wait (up to 30 s on a loaded machine) for one
# taken in user space.
for _ in $(seq 600); do
  grep -q "pid=$busy tid=$busy uid=0 comm=bash mode=user" "$TMP/bg.out" && break
  sleep 0.05
done
kill "$busy"
wait "$busy" || true
RC=0
wait "$BG" || RC=$? # ringlua stops by itself once the traced process is gone
assert_eq "$RC" 0 "exit code when the traced process exits"
assert_contains "$TMP/bg.out" "READY source=profile" "ringlua.source in on_init"
assert_matches "$TMP/bg.out" "^cpu=[0-9]+ pid=$busy tid=$busy uid=0 comm=bash mode=user\$" "a user-mode sample of the loop"
while read -r cpu; do
  assert_between "$cpu" 0 $((cpus - 1)) "sampled CPU"
done < <(grep -o '^cpu=[0-9]*' "$TMP/bg.out" | cut -d= -f2)
if grep -v -e "^READY" -e " pid=$busy " "$TMP/bg.out"; then
  fail "-p $busy sampled other processes"
fi
pass "$(grep -c "pid=$busy" "$TMP/bg.out") samples of the busy loop, no others"
assert_matches "$TMP/bg.err" '^ringlua: [0-9]+ events, 0 errors, 0 dropped, [0-9.]+ s$' "summary"
