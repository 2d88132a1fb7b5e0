#!/usr/bin/env bash
# --bpf with objects that offer more than this kernel takes, as published tools do:
# programs that fail to load or attach are left out with one line each (the call, the
# errno, the verifier's reason or what the kernel lacks) and the rest runs; of programs
# offering one hook through different kinds of probe, one is attached, so each event
# comes once; --only and --skip choose; the run fails when nothing loads or attaches, or
# a ring is left without a writer. Every count is exact: N system calls, N records.
#   test_alternatives.sh RINGLUA SEQ_PRODUCER
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

BPF_DIR=$HERE/../bpf
export XDG_CACHE_HOME=$TMP/cache
mkdir -m 700 "$XDG_CACHE_HOME"
cp "$BPF_DIR/alternatives.bpf.c" "$BPF_DIR/left_out.bpf.c" "$TMP/"
N=7
# A command that makes the system call numbered $1 (110 getppid, 39 getpid) N times.
calls() { echo "perl -e 'syscall($1) for 1..$N'"; }
# Prints each record's first field: alternatives.bpf.c's kind, left_out.bpf.c's nr.
PRINT='on_event = function(p) print(ffi.cast("const uint32_t *", p)[0]) end'
# records VALUE: how many records of the last run had the first field VALUE.
records() { grep -cx -- "$1" "$TMP/out" || true; }
# left_out.bpf.c with its -D switches, as $TMP/NAME.bpf.o.
build() {
  local name=$1
  shift
  clang -g -O2 -target bpf -D__TARGET_ARCH_x86 "$@" -I"$(dirname "$RINGLUA")/../bpf" \
    -c "$TMP/left_out.bpf.c" -o "$TMP/$name.bpf.o"
}
KPROBES=no
[ -e /sys/kernel/tracing/kprobe_events ] && KPROBES=yes

# 1. One hook, three kinds: tp_btf (the verifier refuses it), raw_tp, tracepoint: raw_tp
# is attached, the tracepoint kept back, each getppid one record. The fentry and kprobe
# programs on __do_sys_getppid: one of them at most.
run_ringlua -v --bpf "$TMP/alternatives.bpf.c" -c "$(calls 110)" -e "$PRINT"
assert_eq "$RC" 0 "exit code of the alternatives"
assert_eq "$(records 2)" "$N" "records of raw_tp, one per getppid"
assert_eq "$(records 1)$(records 3)" "00" "records of tp_btf and of the tracepoint"
assert_contains "$TMP/err" "ringlua: alternatives.bpf.c: left out program via_tp_btf (tp_btf/sys_enter): bpf_object__load: Permission denied: the verifier refused it: R0 invalid mem access 'map_value_or_null'" \
  "the refused alternative, with the verifier's reason"
assert_contains "$TMP/err" "ringlua: alternatives.bpf.c: program via_raw_tp (raw_tp/sys_enter): attached" "-v: the one attached"
assert_contains "$TMP/err" "ringlua: alternatives.bpf.c: program via_tracepoint (tracepoint/raw_syscalls/sys_enter): not attached: an alternative of via_raw_tp" \
  "-v: the alternative kept back"
entry=$(($(records 4) + $(records 5)))
if grep -q "left out program via_fentry" "$TMP/err"; then
  assert_contains "$TMP/err" "left out program via_fentry (fentry/__do_sys_getppid): bpf_object__load: Operation not permitted: the kernel refused a program attached through a BPF trampoline" \
    "the refused fentry program"
  if [ "$KPROBES" = no ]; then
    assert_contains "$TMP/err" "left out program via_kprobe (kprobe/__do_sys_getppid): bpf_program__attach: No such file or directory: this kernel has no kprobes (tracefs has no kprobe_events)" \
      "the kprobe program, on a kernel without kprobes"
    assert_eq "$entry" 0 "records of the entry of __do_sys_getppid, with neither"
  else
    assert_eq "$(records 5)" "$N" "records of the kprobe, the fentry program refused"
  fi
else
  assert_eq "$(records 4)" "$N" "records of the fentry program, preferred to the kprobe"
fi
assert_eq "$(count_lines "left out program" "$TMP/err")" \
  "$(grep -c "left out program via_\(tp_btf\|fentry\|kprobe\)" "$TMP/err")" "no other program left out"
# The loads that failed (-v prints libbpf's account): the object, via_tp_btf refused by
# the verifier; the object again, via_fentry refused before the verifier; via_fentry
# alone, in the search for it (the object with no program, and the programs before it
# alone, load). Three, however many programs loaded well.
if grep -q "left out program via_fentry (fentry/__do_sys_getppid): bpf_object__load" "$TMP/err"; then
  assert_eq "$(count_lines "failed to load object" "$TMP/err")" 3 "failed loads"
fi
pass "alternatives of one hook: the first that attaches (raw_tp), $N records for $N calls"

# 2. --skip and --only choose among them; programs not chosen are not even loaded (no
# line for the refused ones).
run_ringlua --bpf "$TMP/alternatives.bpf.c" --skip via_raw_tp -c "$(calls 110)" -e "$PRINT"
assert_eq "$RC" 0 "exit code with --skip"
assert_eq "$(records 3)" "$N" "records of the tracepoint, raw_tp skipped"
assert_eq "$(records 2)" 0 "records of the skipped raw_tp"
run_ringlua -v --bpf "$TMP/alternatives.bpf.c" --only via_tracepoint --only via_tp_btf \
  -c "$(calls 110)" -e "$PRINT"
assert_eq "$RC" 0 "exit code with --only"
assert_eq "$(records 3)" "$N" "records of the only program that loads"
assert_eq "$(wc -l < "$TMP/out")" "$N" "records in all with --only"
assert_eq "$(count_lines "left out program" "$TMP/err")" 1 "programs said left out (via_tp_btf)"
assert_contains "$TMP/err" "program via_raw_tp (raw_tp/sys_enter): left out by --only or --skip" "-v: the programs not chosen"
run_ringlua --bpf "$TMP/alternatives.bpf.c" --only via_raw_tp,via_tracepoint -c "$(calls 110)" -e "$PRINT"
assert_eq "$RC" 0 "exit code with --only A,B"
assert_eq "$(records 2) $(records 3)" "$N 0" "records of raw_tp, the tracepoint its alternative"
assert_eq "$(count_lines "ringlua: alternatives.bpf.c:" "$TMP/err")" 0 "nothing said with the two that work"

# An optional program ("?" section, no tracepoint) is loaded only when --only names it.
build optional -DOPTIONAL
run_ringlua -v --bpf "$TMP/optional.bpf.o" -c "$(calls 110)" -e "$PRINT"
assert_eq "$RC $(records 110) $(records 1110)" "0 $N 0" "exit code and records without --only"
assert_contains "$TMP/err" "program optional_raw_tp (raw_tp/sys_enter): left out: optional" "-v: the optional program"
run_ringlua --bpf "$TMP/optional.bpf.o" --only on_getppid,optional_raw_tp -c "$(calls 110)" -e "$PRINT"
assert_eq "$RC $(records 110) $(records 1110)" "0 $N $N" "exit code and records with --only"
pass "--only and --skip: among alternatives, and nothing else tried; --only enables an optional program"

# 3. Names the object lacks: one line with its programs, exit 2; a malformed list, and
# the options without an object of the user's.
run_ringlua --bpf "$TMP/alternatives.bpf.c" --only via_raw_tp,nosuch -e "$PRINT"
assert_eq "$RC" 2 "exit code of --only with an unknown name"
assert_eq "$(cat "$TMP/err")" "ringlua: --only via_raw_tp,nosuch: alternatives.bpf.c has no program nosuch; its programs: via_tp_btf, via_raw_tp, via_tracepoint, via_fentry, via_kprobe" \
  "the one line of --only"
run_ringlua --bpf "$TMP/alternatives.bpf.c" --skip nosuch -e "$PRINT"
assert_eq "$RC" 2 "exit code of --skip with an unknown name"
assert_eq "$(wc -l < "$TMP/err")" 1 "lines of --skip nosuch"
assert_contains "$TMP/err" "ringlua: --skip nosuch: alternatives.bpf.c has no program nosuch; its programs: via_tp_btf," "the line of --skip"
run_ringlua --bpf "$TMP/alternatives.bpf.c" --only a,,b -e "$PRINT"
assert_eq "$RC:$(cat "$TMP/err")" "2:ringlua: invalid value for --only: 'a,,b'" "a list with an empty name"
run_ringlua --only via_raw_tp -e "$PRINT"
assert_eq "$RC" 2 "exit code of --only without --bpf"
assert_contains "$TMP/err" "--only, --skip and --ring-bytes are for a BPF object of your own" "--only without an object"
pass "unknown program names: one line naming the object's programs, exit 2"

# runs_beside NAME SWITCH LINE: left_out.bpf.c built with SWITCH as NAME.bpf.o runs its
# getppid program in full beside the program SWITCH adds, which is said in LINE, the
# one line about the object.
runs_beside() {
  build "$1" "$2"
  run_ringlua --bpf "$TMP/$1.bpf.o" -c "$(calls 110)" -e "$PRINT"
  assert_eq "$RC" 0 "exit code of $1.bpf.o"
  assert_eq "$(records 110)" "$N" "records of the program that works, beside $2"
  assert_eq "$(grep -c "^ringlua: $1" "$TMP/err")" 1 "lines about $1.bpf.o"
  assert_contains "$TMP/err" "$3" "the program $2 adds, left out"
}

# 4. A tracepoint this kernel lacks beside one it has.
runs_beside lacking -DMISSING "ringlua: lacking.bpf.o: left out program on_missing (tracepoint/syscalls/sys_enter_no_such_call): bpf_program__attach: No such file or directory: this kernel has no tracepoint syscalls/sys_enter_no_such_call (not in /sys/kernel/tracing/events)"
pass "a missing tracepoint beside one the kernel has: $N records, one line"

# 5. A program the verifier refuses beside one that works.
runs_beside refused -DREJECTED "ringlua: refused.bpf.o: left out program unchecked_lookup (tracepoint/syscalls/sys_enter_getpid): bpf_object__load: Permission denied: the verifier refused it: R0 invalid mem access 'map_value_or_null' (-v prints its log)"
pass "a program the verifier refuses beside one that works: $N records, one line"

# And a program libbpf cannot load for a BTF id the kernel lacks, found by the search.
runs_beside no_btf_id -DNO_BTF_ID "ringlua: no_btf_id.bpf.o: left out program on_no_btf_id (tp_btf/no_such_tracepoint): bpf_object__load: No such process: this kernel has no tracepoint no_such_tracepoint (its BTF has no btf_trace_no_such_tracepoint)"
pass "a program whose BTF id the kernel lacks beside one that works: $N records, one line"

# 6. Nothing loads, nothing attaches, a ring left without a writer: each program said,
# then one line, exit 1.
build nothing -DREJECTED -DNO_GOOD
run_ringlua --bpf "$TMP/nothing.bpf.o" -e "$PRINT"
assert_eq "$RC" 1 "exit code when nothing loads"
assert_eq "$(tail -1 "$TMP/err")" "ringlua: nothing.bpf.o: no program of it loads on this kernel" "the verdict"
assert_eq "$(count_lines "left out program unchecked_lookup" "$TMP/err")" 1 "the program named"
build unattached -DMISSING -DNO_GOOD
run_ringlua --bpf "$TMP/unattached.bpf.o" -e "$PRINT"
assert_eq "$RC" 1 "exit code when nothing attaches"
assert_eq "$(tail -1 "$TMP/err")" "ringlua: unattached.bpf.o: no program of it attached" "the verdict"
build writerless -DMISSING -DOTHER_RING
run_ringlua --bpf "$TMP/writerless.bpf.o" -e "$PRINT"
assert_eq "$RC" 1 "exit code with a ring left without a writer"
assert_eq "$(tail -1 "$TMP/err")" "ringlua: writerless.bpf.o: no program attached writes to ring other (programs were left out)" \
  "the verdict"
run_ringlua --bpf "$TMP/lacking.bpf.o" --skip on_getppid -e "$PRINT"
assert_eq "$RC" 1 "exit code when --skip takes the last program that attaches"
assert_eq "$(tail -1 "$TMP/err")" "ringlua: lacking.bpf.o: no program of it attached" "the verdict of --skip"
pass "nothing to run, or a ring without a writer: the programs, then one line, exit 1"
