#!/usr/bin/env bash
# perf_event programs: profile:hz:N samples every CPU; a user object's perf_event program
# is attached at --hz or its own sample_hz, and refused by name without a rate.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
BPF_DIR=$HERE/../bpf
cp "$BPF_DIR/sampler.bpf.c" "$TMP/"
cpus=$(getconf _NPROCESSORS_ONLN)
# An idle CPU's clock does not tick (its sampling timer stops with the tick): to see
# every CPU sampled, each one is kept busy while the samples are counted.
busy_cpus() {
  local i
  for ((i = 0; i < cpus; i++)); do (while :; do :; done) & done
}
quiet_cpus() { jobs -p | xargs -r kill 2>/dev/null; wait 2>/dev/null || true; }
SAMPLES='local cpus, hz = {}, 0
handlers = { events = function(p) local e = ffi.cast(ringlua.types.events, p) cpus[e.cpu] = true hz = e.hz end }
on_exit = function() local n = 0 for _ in pairs(cpus) do n = n + 1 end print("cpus=" .. n .. " hz=" .. hz) end'

# 1. No rate: refused with the program's name.
run_ringlua --bpf "$TMP/sampler.bpf.c" --count 1 -e "$SAMPLES"
assert_eq "$RC" 1 "exit code without a rate"
assert_contains "$TMP/err" "sampler.bpf.c: left out program on_cpu (perf_event): bpf_program__attach_perf_event: it samples the CPUs, and no frequency is given" "the refusal"
assert_eq "$(tail -1 "$TMP/err")" "ringlua: sampler.bpf.c: no program of it attached" "the verdict"
pass "a perf_event program without a rate is refused"

# 2. --hz: every online CPU sampled, the rate written into sample_hz.
busy_cpus
run_ringlua --bpf "$TMP/sampler.bpf.c" --hz 200 --count $((cpus * 400)) -e "$SAMPLES"
quiet_cpus
assert_eq "$RC" 0 "exit code with --hz"
assert_contains "$TMP/out" "cpus=$cpus hz=200" "every CPU at --hz"

# 3. The object's own rate (here set with --set).
busy_cpus
run_ringlua --bpf "$TMP/sampler.bpf.c" --set sample_hz=150 --count 20 -e "$SAMPLES"
quiet_cpus
assert_eq "$RC" 0 "exit code with sample_hz"
assert_contains "$TMP/out" "hz=150" "the object's rate"
pass "user perf_event programs sampled at --hz and sample_hz"

# 4. profile:hz:N as the source name; rates out of range refused. (A rate-driven clock
# starts with short periods, so the first CPU attached comes first: count enough.)
busy_cpus
run_ringlua -s profile:hz:300 --count $((cpus * 400)) -e 'local cpus = {}
on_event = function(p) cpus[ringlua.cast(p).cpu] = true end
on_exit = function() local n = 0 for _ in pairs(cpus) do n = n + 1 end print("cpus=" .. n) end'
quiet_cpus
assert_eq "$RC" 0 "exit code of profile:hz:300"
assert_contains "$TMP/out" "cpus=$cpus" "profile:hz:300 samples every CPU"
run_ringlua -s profile:hz:0 -e 'on_event = function() end'
assert_eq "$RC" 2 "exit code of profile:hz:0"
assert_contains "$TMP/err" "profile:hz:N takes a rate of 1 to 10000" "profile:hz:0 refused"
run_ringlua -s exec --hz 99 -e 'on_event = function() end'
assert_eq "$RC" 2 "exit code of --hz with exec"
assert_contains "$TMP/err" "--hz is for sampling sources" "--hz with exec refused"
pass "profile:hz:N"
