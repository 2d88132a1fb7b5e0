#!/usr/bin/env bash
# Stacks: a profile of a program with known functions has them in caller order in the
# folded output (resolved after the program exited), bpftrace's stack layout, a kernel
# stack of a system call has the kernel's entry path, and bad stack lists are refused.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
TARGET=${3:?usage: $0 RINGLUA SEQ_PRODUCER STACK_TARGET}
PROFILE=$HERE/../../scripts/profile.lua

# 1. User stacks, folded: the target exits before on_exit resolves them.
run_ringlua -c "$TARGET spin 1.5" "$PROFILE" -- -U --folded
assert_eq "$RC" 0 "exit code of profile.lua -U --folded"
assert_matches "$TMP/out" '^stack_target;(.*;)?main;rl_outer;rl_middle;rl_leaf [0-9]+$' \
  "the target's functions in caller order"
pass "folded user stacks: $(grep -c . "$TMP/out") lines"

# 1a. A command that execs the target after a while: the pid's mappings are read again
# for the new program, and a zombie's (none) do not replace them when the stacks are
# resolved at exit: every frame of the target's binary has its name.
run_ringlua -c "sh -c 'i=0; while [ \$i -lt 20000 ]; do i=\$((i+1)); done; exec $TARGET spin 1'" \
  "$PROFILE" -- -U --folded
assert_eq "$RC" 0 "exit code of profile.lua over an exec"
assert_matches "$TMP/out" '^stack_target;(.*;)?main;rl_outer;rl_middle;rl_leaf [0-9]+$' \
  "the target's functions after the exec"
if grep -E '^stack_target;.*;0x5[0-9a-f]{11}( |;)' "$TMP/out"; then
  fail "a frame of the exec'd target's binary left unresolved"
fi
pass "folded user stacks of a program exec'd by the command"

# 1b. A frame-pointer walk that does not move (a frame naming itself as its caller's, as
# JIT code can leave) is kept as one frame and said to be cut, not 127 copies.
run_ringlua -c "$TARGET stuck 1" "$PROFILE" -- -U --folded
assert_eq "$RC" 0 "exit code of profile.lua on a stuck walk"
assert_matches "$TMP/out" '^stack_target;\[stack cut: the walk repeated this frame\];[^;]+;rl_stuck_walk [0-9]+$' \
  "the stuck walk cut after one repeated frame"
pass "a walk that does not move: one frame and the cut said"

# 1c. ringlua.stacks itself drops the repeats, and says why the stack was cut.
cat > "$TMP/stuck.lua" <<'LUA'
local ringlua = require("ringlua")
local most, why = 0, "none cut"
return {
  source = "profile", stacks = "user",
  on_event = function(ptr, len)
    local _, _, _, nu, cut = ringlua.stacks(ptr, len)
    if cut then most, why = math.max(most, nu), cut end
  end,
  on_exit = function() print(most .. " frames: " .. why) end,
}
LUA
run_ringlua -c "$TARGET stuck 1" "$TMP/stuck.lua"
assert_eq "$RC" 0 "exit code of the ringlua.stacks script on a stuck walk"
assert_matches "$TMP/out" '^[1-9] frames: the walk repeated this frame$' \
  "a stuck walk's frames from ringlua.stacks, the repeats dropped"
pass "ringlua.stacks: $(cat "$TMP/out")"

# 2. Kernel and user stacks, as bpftrace prints @[kstack, ustack, comm].
run_ringlua -c "$TARGET spin 1" "$PROFILE" -- -K -U
assert_eq "$RC" 0 "exit code of profile.lua -K -U"
assert_matches "$TMP/out" '^    rl_leaf\+0x[0-9a-f]+$' "a user frame with its offset"
assert_matches "$TMP/out" '^    rl_outer\+0x[0-9a-f]+$' "its caller's caller"
assert_matches "$TMP/out" '^, stack_target\]: [0-9]+$' "the comm closing the key"
pass "bpftrace's stack layout"

# 3. A kernel stack of a system call: the kernel's entry path is in it.
cat > "$TMP/kstack.lua" <<'LUA'
local ringlua = require("ringlua")
local names = require("ringlua.names")
local seen = {}
return {
  source = "syscalls", stacks = "kernel",
  on_event = function(ptr, len)
    local k, nk = ringlua.stacks(ptr, len)
    for i = 0, nk - 1 do seen[(names.ksym(k[i]) or "?"):gsub("%+.*", "")] = true end
  end,
  on_exit = function() for f in pairs(seen) do print(f) end end,
}
LUA
run_ringlua -c "$TARGET name hello" "$TMP/kstack.lua"
assert_eq "$RC" 0 "exit code of the kernel stack script"
assert_contains "$TMP/out" "do_syscall_64" "the system call dispatcher"
assert_matches "$TMP/out" '^entry_SYSCALL_64' "the system call entry"
pass "kernel stacks of system calls"

# 3b. A tracepoint probe carries them too, after its own fields, which stay intact.
cat > "$TMP/tpstack.lua" <<'LUA'
local ringlua = require("ringlua")
local names = require("ringlua.names")
local seen, opens = {}, 0
return {
  source = "tracepoint:syscalls:sys_enter_openat", stacks = "kernel,user",
  on_event = function(ptr, len)
    local e = ringlua.cast(ptr)
    if ringlua.str(e.filename):find("stack_target_probe", 1, true) then opens = opens + 1 end
    local k, nk, u, nu = ringlua.stacks(ptr, len)
    for i = 0, nk - 1 do seen[(names.ksym(k[i]) or "?"):gsub("%+.*", "")] = true end
    if nu > 0 then seen["user frames"] = true end
  end,
  on_exit = function()
    print("opens=" .. opens)
    for f in pairs(seen) do print(f) end
  end,
}
LUA
run_ringlua -c "cat $TMP/stack_target_probe" "$TMP/tpstack.lua"
assert_eq "$RC" 0 "exit code of the tracepoint stack script"
assert_contains "$TMP/out" "opens=1" "the probe's own fields read right with stacks after them"
assert_contains "$TMP/out" "do_syscall_64" "a tracepoint's kernel stack"
assert_contains "$TMP/out" "user frames" "a tracepoint's user stack"
pass "stacks on a tracepoint probe"

# 4. Without stacks asked for, records have none.
run_ringlua -c "$TARGET name x" -s syscalls -e 'local n = 0
on_event = function(p, len) local k, nk, u, nu = ringlua.stacks(p, len) n = n + nk + nu end
on_exit = function() print("frames=" .. n) end'
assert_contains "$TMP/out" "frames=0" "no stacks unless asked"

# 5. Bad stack lists.
run_ringlua --stacks bogus -s syscalls -e 'on_event = function() end'
assert_eq "$RC" 2 "exit code of --stacks bogus"
assert_contains "$TMP/err" "ringlua: invalid value for --stacks: 'bogus'" "--stacks bogus"
echo 'return { source = "profile", stacks = "kernal", on_event = function() end }' > "$TMP/bad.lua"
run_ringlua "$TMP/bad.lua"
assert_eq "$RC" 1 "exit code of stacks = kernal"
assert_contains "$TMP/err" 'stacks = "kernal": expected kernel, user, dwarf, kernel,user or kernel,dwarf' "bad field"
pass "bad stack lists refused"
