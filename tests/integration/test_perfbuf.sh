#!/usr/bin/env bash
# --bpf with perf buffers: a program written the way older libbpf-tools programs are
# (tests/bpf/perfsnoop.bpf.c: the record in a header, a local, bpf_perf_event_output to
# BPF_F_CURRENT_CPU, a const volatile targ_pid that -c fills), read with the handler
# contract of rings: fields, exact counts, --json, --record, --stats, lost samples to
# on_lost; and an object with a ring and a perf buffer (tests/bpf/mixed.bpf.c).
#   test_perfbuf.sh RINGLUA SEQ_PRODUCER
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

BPF_DIR=$HERE/../bpf
export XDG_CACHE_HOME=$TMP/cache
mkdir -m 700 "$XDG_CACHE_HOME"
cp "$BPF_DIR"/perfsnoop.{h,bpf.c} "$BPF_DIR/mixed.bpf.c" "$TMP/"
command -v pahole > /dev/null || fail "pahole (dwarves) is needed: scripts/setup.sh installs it"
# A command that makes system call 110 (getppid) N times, then 39 (getpid) M times.
calls() { echo "perl -e 'syscall(110) for 1..$1; syscall(39) for 1..${2:-0}'"; }

# Every record of a known workload, every field checked, through a handler by map name.
cat > "$TMP/fields.lua" <<'LUA'
local ffi = require("ffi")
local ringlua = require("ringlua")
local n, bad, seen, pid = 0, 0, {}, nil
handlers = {
  events = function(p, len)
    local e = ffi.cast(ringlua.types.events, p)
    n = n + 1
    pid = pid or e.pid
    local seq = tonumber(e.seq)
    if len < ffi.sizeof("struct event") or e.pid ~= pid or e.tid ~= e.pid
       or tonumber(e.arg) ~= -seq or e.flags ~= 0xa5 or ffi.string(e.comm) ~= "perl"
       or seen[seq] then
      bad = bad + 1
    end
    seen[seq] = true
  end,
}
on_exit = function()
  local missing = 0
  for i = 0, n - 1 do if not seen[i] then missing = missing + 1 end end
  print("n", n, "bad", bad, "missing", missing, "sent", tonumber(ringlua.globals.sent),
        "targ_pid", ringlua.globals.targ_pid == pid)
end
LUA
# 1 MiB per CPU holds all 5000 samples (60 bytes each with their headers), however late a
# loaded machine lets ringlua read them.
run_ringlua --bpf "$TMP/perfsnoop.bpf.c" --perf-pages 256 -c "$(calls 5000 300)" "$TMP/fields.lua"
assert_eq "$RC" 0 "exit code of the fields handler"
assert_eq "$(cat "$TMP/out")" "n	5000	bad	0	missing	0	sent	5000	targ_pid	true" \
  "every sample, every field"
assert_eq "$(count_lines "no BPF_MAP_TYPE_RINGBUF" "$TMP/err")" 0 "a perf-only object taken"
assert_eq "$(count_lines "no record type" "$TMP/err")" 0 "struct event found for the lone map"
assert_contains "$TMP/err" "ringlua: 5000 events, 0 errors, 0 dropped," "the summary"
pass "a perf-buffer program: every sample of the command, each field as written"

# One map of a known type: ringlua.event_type is its type, and ringlua.cast casts to it.
run_ringlua --bpf "$TMP/perfsnoop.bpf.c" --perf-pages 256 -c "$(calls 3)" -e '
  local n = 0
  on_event = function(p) n = n + tonumber(ringlua.cast(p).seq) end
  on_exit = function() print(ringlua.source, ringlua.event_type == ringlua.types.events, n) end'
assert_eq "$RC" 0 "exit code of ringlua.cast on a user object"
assert_eq "$(cat "$TMP/out")" "bpf	true	3" "ringlua.source, event_type and cast with --bpf"
pass "--bpf with one map: ringlua.event_type and ringlua.cast"

# --json: lines parse, the fields are the program's.
run_ringlua --json --bpf "$TMP/perfsnoop.bpf.c" -c "$(calls 4)"
assert_eq "$RC" 0 "exit code of --json"
check_json "$TMP/out" "--json lines of a perf buffer"
assert_eq "$(wc -l < "$TMP/out")" 4 "one line per sample"
assert_eq "$(sed 's/"pid":[0-9]*,"tid":[0-9]*,"seq":\([0-9]\),"arg":-\?\1,/P \1 /' "$TMP/out" | sort)" \
  "$(printf '{"map":"events",P %d "flags":165,"comm":"perl"}\n' 0 1 2 3)" "the decoded samples"
pass "--json on a perf buffer: valid lines, fields decoded"

# --record, then --replay: the samples as they were handled.
run_ringlua --bpf "$TMP/perfsnoop.bpf.c" --record "$TMP/perf.rec" -c "$(calls 50)" \
  -e 'on_event = function() end'
assert_eq "$RC" 0 "exit code of --record"
run_ringlua --replay "$TMP/perf.rec" -e '
  local ffi = require("ffi") local n, sum = 0, 0
  handlers = { events = function(p) n = n + 1 sum = sum + tonumber(ffi.cast(ringlua.types.events, p).seq) end }
  on_exit = function() print(n, sum) end'
assert_eq "$RC" 0 "exit code of --replay"
assert_eq "$(cat "$TMP/out")" "50	1225" "the recording's samples"
pass "--record and --replay of a perf buffer"

# Both kinds in one object: each map its handler, its type by struct <map>_event;
# --stats names both.
run_ringlua --bpf "$TMP/mixed.bpf.c" --stats -c "$(calls 7 5)" -e '
  local ffi = require("ffi") local n = {}
  local function count(t) return function(p) local k = ffi.cast(t, p).kind n[k] = (n[k] or 0) + 1 end end
  handlers = { samples = count(ringlua.types.samples), calls = count(ringlua.types.calls) }
  on_exit = function() print(n[110], n[39]) end'
assert_eq "$RC" 0 "exit code of the mixed object"
assert_eq "$(cat "$TMP/out")" "7	5" "the perf buffer's and the ring's records, each to its handler"
assert_matches "$TMP/err" "^ringlua: stats: calls: [0-9]+ events/s, ring [0-9.]+% full$" "--stats of the ring"
assert_matches "$TMP/err" "^ringlua: stats: samples: [0-9]+ events/s, perf buffer$" "--stats of the perf buffer"
pass "an object with a ring and a perf buffer: both read, handlers by map name"

# A ring that never empties does not starve a perf buffer: with a handler too slow for
# the ring, every poll could take the ring's records up to the tick, and the perf buffer
# has its turn only when the ring empties. They take turns: perf samples are handled at
# the ticks of the overload, not only after it.
cat > "$TMP/turns.lua" <<'LUA'
local ringlua = require("ringlua")
local samples, calls = 0, 0
handlers = {
  samples = function() samples = samples + 1 end,
  calls = function() calls = calls + 1 local t = os.clock() while os.clock() - t < 5e-4 do end end,
}
function on_tick() print("TICK samples=" .. samples .. " calls=" .. calls) io.stdout:flush() end
function on_exit() print("EXIT samples=" .. samples .. " calls=" .. calls) end
LUA
run_ringlua --bpf "$TMP/mixed.bpf.c" --interval 100 -c \
  "perl -e 'my \$end = time + 3; while (time < \$end) { syscall(39) for 1..1000; syscall(110) }'" \
  "$TMP/turns.lua"
assert_eq "$RC" 0 "exit code of the overloaded ring beside a perf buffer"
ticks=$(grep -c '^TICK' "$TMP/out" || true)
assert_between "$ticks" 5 100 "ticks during the overload"
last=$(grep '^TICK' "$TMP/out" | tail -1 | sed 's/.*samples=\([0-9]*\) .*/\1/')
all=$(sed -n 's/^EXIT samples=\([0-9]*\) .*/\1/p' "$TMP/out")
# Taking turns, the samples wait a tick or two; starved, they waited for the exit.
[ "$all" -gt 0 ] && [ $((last * 2)) -ge "$all" ] ||
  { cat "$TMP/out" >&2; fail "perf samples handled during the ring's overload: $last of $all"; }
pass "a ring that never empties and a perf buffer take turns ($last of $all samples by the last tick)"

# Lost samples: one page per CPU and a handler of 100 us. The kernel writes a lost record
# only before a later sample it has room for, and the burst ends in losses: what it
# counted lost is read from the events, so every sample is either handled or lost, and
# on_lost's total is the summary's.
run_ringlua --bpf "$TMP/perfsnoop.bpf.c" --perf-pages 1 -c "$(calls 20000)" \
  "$SCRIPTS/lost_count.lua"
assert_eq "$RC" 0 "exit code with lost samples"
lost=$(sed -n 's/^lost=\([0-9]*\) .*/\1/p' "$TMP/out")
dropped=$(summary_dropped "$TMP/err")
[ "${lost:-0}" -gt 0 ] || fail "no samples lost with one page per CPU: $(cat "$TMP/out")"
assert_eq "$lost" "$dropped" "on_lost's total against the summary's"
handled=$(sed -n 's/^ringlua: \([0-9]*\) events, .*/\1/p' "$TMP/err")
# (Before Linux 6.0 the events count no losses: only those reported before a later sample.)
if [ "$(uname -r | cut -d. -f1)" -ge 6 ]; then
  assert_eq "$((handled + lost))" 20000 "handled ($handled) and lost ($lost) samples"
else
  assert_between "$((handled + lost))" 1 20000 "handled ($handled) and lost ($lost) samples"
fi
pass "lost perf samples: $lost to on_lost, the summary's count, $handled handled"

# Bad sizes: one line, usage status.
run_ringlua --bpf "$TMP/perfsnoop.bpf.c" --perf-pages 3 -e 'on_event = function() end'
assert_eq "$RC" 2 "exit code of --perf-pages 3"
assert_eq "$(cat "$TMP/err")" "ringlua: invalid value for --perf-pages: '3'" "the message"
pass "--perf-pages not a power of two: refused"
