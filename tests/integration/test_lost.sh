#!/usr/bin/env bash
# Lost events: a source whose ring overflows counts the records it could not reserve;
# ringlua reads the count every interval, hands new drops to on_lost(n), reports them
# with --stats and in the summary, and the three agree.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# dd makes far more system calls than a 100 us handler can take from an 8 MiB ring.
run_ringlua -s syscalls --stats --interval 200 -c "dd if=/dev/zero of=/dev/null bs=1 count=400000" \
  "$SCRIPTS/lost_count.lua"
assert_eq "$RC" 0 "exit code"
dropped=$(summary_dropped "$TMP/err")
assert_between "$dropped" 1 100000000 "drops in the summary"
assert_contains "$TMP/out" "lost=$dropped " "on_lost saw every drop the summary counts"
calls=$(sed -n 's/^lost=[0-9]* calls=\([0-9]*\)$/\1/p' "$TMP/out")
assert_between "$calls" 1 1000 "on_lost calls"
assert_matches "$TMP/err" '^ringlua: stats: events: [0-9]+ events/s, ring [0-9.]+% full$' \
  "--stats ring line"
assert_matches "$TMP/err" '^ringlua: stats: [0-9]+ dropped/s, [0-9]+ in all$' "--stats drop line"
assert_matches "$TMP/err" "^ringlua: stats: [0-9]+ dropped/s, $dropped in all\$" \
  "--stats total agrees (last line)"
pass "$dropped records lost: on_lost ($calls calls), --stats and the summary agree"
