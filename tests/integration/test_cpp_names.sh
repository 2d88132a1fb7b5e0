#!/usr/bin/env bash
# C++ names: the profile of a C++ program names its functions as people read them
# (namespace, class, template, arguments), in folded stacks and in bpftrace's layout;
# --mangled keeps them as the file has them.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
TARGET=${3:?usage: $0 RINGLUA SEQ_PRODUCER CPP_TARGET}
PROFILE=$HERE/../../scripts/profile.lua

run_ringlua -c "$TARGET 1.5" "$PROFILE" -- -U --folded
assert_eq "$RC" 0 "exit code of profile.lua -U --folded"
assert_matches "$TMP/out" '^cpp_target;(.*;)?main;ringlua_cpp::Outer::run\(double\);int ringlua_cpp::spin<int>\(int, int\) [0-9]+$' \
  "main, the method and the template, demangled, in caller order"
pass "folded C++ frames, demangled"

run_ringlua -c "$TARGET 1" "$PROFILE" -- -U
assert_eq "$RC" 0 "exit code of profile.lua -U"
assert_matches "$TMP/out" '^    ringlua_cpp::Outer::run\(double\)\+0x[0-9a-f]+$' "bpftrace's layout"
pass "C++ frames in bpftrace's layout"

run_ringlua -c "$TARGET 1" "$PROFILE" -- -U --folded --mangled
assert_eq "$RC" 0 "exit code of profile.lua --mangled"
assert_matches "$TMP/out" '^cpp_target;(.*;)?main;_ZN11ringlua_cpp5Outer3runEd;_ZN11ringlua_cpp4spinIiEET_S1_i [0-9]+$' \
  "the names as the file has them"
pass "--mangled: the names as the file has them"
