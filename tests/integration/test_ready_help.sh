#!/usr/bin/env bash
# The ready scripts without options of their own, scripts/execsnoop.lua and
# scripts/syscalls.lua, answer `-- --help` with their usage and the kernel-side filters
# (-p, --uid, --comm) before they trace anything, and refuse an argument.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=ready_scripts.sh
. "$(dirname "$0")/ready_scripts.sh"

for name in execsnoop syscalls; do
  check_usage "$READY_SCRIPTS/$name.lua" -x "$name: unknown option '-x' (see -- --help)"
  run_ringlua "$READY_SCRIPTS/$name.lua" -- --help
  assert_eq "$(grep -c '^  --uid USER    only tasks of this real user (an id or a name)$\|^  --comm NAME' "$TMP/out" || true)" 2 \
    "$name --help names --uid and --comm"
done
pass "execsnoop and syscalls: --help and bad arguments"
