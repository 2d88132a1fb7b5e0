#!/usr/bin/env bash
# DWARF unwinding (--stacks dwarf, profile.lua -D): a program built without frame
# pointers, and Debian's python3.11, profile with complete user stacks (resolved after
# they exited); a copy too short for the stack is cut and counted; a system call's
# tracepoint unwinds too; --unwind-mem bounds the unwinders.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
TARGET=${3:?usage: $0 RINGLUA SEQ_PRODUCER DWARF_TARGET}
PROFILE=$HERE/../../scripts/profile.lua

# share FILE PATTERN: the percentage of the samples of folded stacks in FILE whose line
# matches PATTERN (extended).
share() {
  awk -v re="$2" '/^[^ ]+ [0-9]+$/ { n = $NF; all += n; if ($1 ~ re) hit += n }
    END { print all ? int(100 * hit / all) : 0 }' "$1"
}

# dwarf_profile CMD [RINGLUA OPTIONS...]: profile.lua -U -D --folded over CMD, which
# must succeed.
dwarf_profile() {
  local cmd=$1
  shift
  run_ringlua "$@" -c "$cmd" "$PROFILE" -- -U -D --folded
  assert_eq "$RC" 0 "exit code of profile.lua -U -D over $cmd"
}

# 1. Without frame pointers: the kernel's walk stops at the leaf, the unwinder reaches
# main through every frame, in caller order; the target exits before on_exit resolves.
run_ringlua -c "$TARGET spin 1.5" "$PROFILE" -- -U --folded
assert_eq "$RC" 0 "exit code of profile.lua -U"
if grep -qE ';main;rl_mid;rl_leaf ' "$TMP/out"; then
  fail "a frame-pointer walk got through code built without frame pointers"
fi
dwarf_profile "$TARGET spin 1.5"
assert_matches "$TMP/out" '^dwarf_target;(.*;)?main;rl_mid;rl_leaf [0-9]+$' \
  "main;rl_mid;rl_leaf in caller order"
pct=$(share "$TMP/out" ';main;rl_mid;rl_leaf$')
assert_between "$pct" 90 100 "share of samples that reach main"
assert_contains "$TMP/err" "user stacks unwound" "the unwinder's summary"
pass "without frame pointers: $pct% of samples reach main"

# 2. Debian's python3.11 (without frame pointers): its busy loop's samples reach
# Py_BytesMain through the interpreter's frames.
BUSY_PY="/usr/bin/python3.11 $HERE/py_busy.py 2"
dwarf_profile "$BUSY_PY"
assert_matches "$TMP/out" '^python3\.11;(.*;)?Py_BytesMain;(.*;)?_PyEval_EvalFrameDefault' \
  "python3.11's interpreter loop under Py_BytesMain"
pct=$(share "$TMP/out" ';Py_BytesMain;')
assert_between "$pct" 80 100 "share of python3.11's samples that reach Py_BytesMain"
pass "python3.11: $pct% of samples reach Py_BytesMain"

# 3. A copy shorter than the stack: the walk is cut where the copy ends, the stack says
# so, and profile.lua counts it.
dwarf_profile "$BUSY_PY" --stack-bytes 512
assert_matches "$TMP/out" '^python3\.11;\[stack cut: unwinding stopped here\];' \
  "a stack cut at the copy's end says so"
cut=$(sed -nE 's/.*cut short \(stack copy: ([0-9]+),.*/\1/p' "$TMP/err")
assert_between "$cut" 1 1000000 "stacks cut at the copy's end, counted"
pass "--stack-bytes 512: $cut stacks cut at the copy's end, and said so"

# 4. A tracepoint's record unwinds too (the registers the task entered the kernel with),
# and ringlua.stacks gives the cut flag; here every stack is complete.
cat > "$TMP/sys.lua" <<'LUA'
local ringlua = require("ringlua")
local names = require("ringlua.names")
local stacks, cuts = {}, 0
return {
  source = "tracepoint:syscalls:sys_enter_getppid", stacks = "dwarf",
  on_event = function(ptr, len)
    local e = ringlua.cast(ptr)
    local _, _, u, nu, cut = ringlua.stacks(ptr, len)
    if cut then cuts = cuts + 1 end
    local frames = {}
    for i = nu - 1, 0, -1 do
      frames[#frames + 1] = (names.usym(e.pid, u[i]):gsub("%+0x%x+$", ""))
    end
    stacks[table.concat(frames, ";")] = true
  end,
  on_exit = function()
    for s in pairs(stacks) do print(s) end
    print("cut " .. cuts)
  end,
}
LUA
run_ringlua -c "$TARGET sys 50" "$TMP/sys.lua"
assert_eq "$RC" 0 "exit code of the tracepoint script"
assert_matches "$TMP/out" ';main;rl_mid;rl_leaf;(syscall|getppid)' "main to the system call"
assert_contains "$TMP/out" "cut 0" "no stack cut"
pass "a tracepoint's stack unwound from the system call to _start"

# 5. --unwind-mem bounds what the unwinders hold: two python3.11 processes need about
# 1.7 MB (their files' CFI), so at 1 MB one unwinder gives way to the other, and the
# unwinders never hold more than the bound.
cat > "$TMP/mem.lua" <<'LUA'
local ringlua = require("ringlua")
local names = require("ringlua.names")
local most = 0
return {
  source = "profile", stacks = "dwarf",
  on_event = function(ptr, len)
    ringlua.stacks(ptr, len)
    most = math.max(most, names.sym_stats().unwind_bytes)
  end,
  on_exit = function()
    print("most " .. most .. " closed " .. names.sym_stats().unwinders_closed)
  end,
}
LUA
two="/usr/bin/python3.11 $HERE/py_busy.py 1"
run_ringlua --unwind-mem 1 -c "sh -c '$two & $two; wait'" "$TMP/mem.lua"
assert_eq "$RC" 0 "exit code of the --unwind-mem script"
read -r _ most _ closed < "$TMP/out"
assert_between "$most" 1 1048576 "bytes the unwinders held at most"
assert_between "$closed" 1 1000000 "unwinders closed for the bound"
pass "--unwind-mem 1: at most $most bytes held, $closed unwinders closed for it"
