#!/usr/bin/env bash
# --record writes every handled event and what decodes it; --replay runs a script on the
# recording without root and without BPF, and gives the same output as the live run.
# Broken recordings are one clear line and exit 1.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

rec=$TMP/trace.rec
run_ringlua --record "$rec" -c "dd if=/dev/zero of=/dev/null bs=1 count=200" "$SCRIPTS/syscall_lines.lua"
assert_eq "$RC" 0 "exit code of the recording run"
cp "$TMP/out" "$TMP/live"
live_events=$(grep -c '^[0-9]' "$TMP/live")
assert_between "$live_events" 400 100000 "events seen live"
run_ringlua --replay "$rec" "$SCRIPTS/syscall_lines.lua"
assert_eq "$RC" 0 "exit code of the replay"
cmp "$TMP/live" "$TMP/out" || fail "the replay's output differs from the live run's"
assert_contains "$TMP/err" "ringlua: replayed $live_events events, 0 errors" "replay summary"
pass "record -> replay: the same $live_events lines (source=syscalls) as live"

# No root needed: nobody replays it (a copy of ringlua and its modules that nobody can
# reach), at the recorded pace too.
nobody=$(nobody_ringlua)
cp "$SCRIPTS/syscall_lines.lua" "$TMP/lines.lua"
chmod a+r "$TMP/lines.lua" "$rec"
as_nobody "$nobody" --replay "$rec" --realtime "$TMP/lines.lua"
assert_eq "$RC" 0 "exit code of the replay as nobody"
cmp "$TMP/live" "$TMP/out" || fail "the replay as nobody differs"
pass "nobody replays it (--realtime) with the same output"

# Broken recordings: one line, exit 1, never a crash.
expect_bad() {
  local what=$1 msg=$2
  run_ringlua --replay "$TMP/bad.rec" "$SCRIPTS/syscall_lines.lua"
  [ "$RC" -lt 128 ] || fail "$what: crashed (exit $RC)"
  assert_eq "$RC" 1 "$what: exit code"
  assert_contains "$TMP/err" "ringlua: --replay $TMP/bad.rec: $msg" "$what: message"
  pass "$what -> 1: $(head -1 "$TMP/err")"
}
head -c 100 /dev/urandom > "$TMP/bad.rec"
expect_bad "random bytes" "not a ringlua recording"
head -c 20 "$rec" > "$TMP/bad.rec"
expect_bad "a cut header" "its header is corrupt or truncated"
size=$(wc -c < "$rec")
head -c $((size - 30)) "$rec" > "$TMP/bad.rec"
expect_bad "a cut record" "truncated or corrupt record"
: > "$TMP/bad.rec"
expect_bad "an empty file" "too short to be a recording"
run_ringlua --replay "$TMP/missing.rec" "$SCRIPTS/syscall_lines.lua"
assert_eq "$RC" 1 "exit code of a missing recording"
assert_contains "$TMP/err" "No such file or directory" "missing recording"
run_ringlua --replay "$rec" -p 1 "$SCRIPTS/syscall_lines.lua"
assert_eq "$RC" 2 "exit code of --replay with -p"
pass "a missing recording -> 1; --replay with -p -> 2"

# A recording is data only. Format 1 carried decoders as Lua source, run on replay: one
# crafted so (it would leave a file behind) is refused, and nothing of it runs.
le32() {
  local n=$1
  # shellcheck disable=SC2059 # the format is made of the bytes' octal escapes
  printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $((n & 255)) $(((n >> 8) & 255)) \
    $(((n >> 16) & 255)) $(((n >> 24) & 255)))"
}
field() { le32 ${#1}; printf %s "$1"; }
# recording FORMAT FILE: a header read from stdin, then one 8-byte record of ring 0.
recording() {
  cat > "$TMP/hdr"
  { printf 'RINGLUA'; le32 "$1" | head -c 1; le32 "$(wc -c < "$TMP/hdr")"; cat "$TMP/hdr"
    le32 8; le32 0; le32 1; le32 0; printf '12345678'; } > "$2"
}
echo 'return { on_event = function() end }' > "$TMP/any.lua"
{ field open; field 1; field events; field "struct open_event"
  field "io.open('$TMP/ran', 'w'):close() return function() return {} end, function() return '' end"
  field ""; le32 0; } | recording 1 "$TMP/bad.rec"
run_ringlua --replay "$TMP/bad.rec" "$TMP/any.lua"
assert_eq "$RC" 1 "exit code of a format 1 recording"
[ ! -e "$TMP/ran" ] || fail "the Lua stored in a recording ran"
assert_contains "$TMP/err" "ringlua: --replay $TMP/bad.rec: made by an older ringlua, in a format that carried code (it is not run): record it again" "format 1"
pass "a format 1 recording with Lua in it -> 1, and the Lua did not run"

# Names reach ffi.cdef and generated Lua only as C identifiers.
{ field bpf; field 1; field "ev'..os.exit(7)..'"; field ""; le32 0; } | recording 2 "$TMP/bad.rec"
expect_bad "a ring name that is not an identifier" "its header holds a name or type that is not a C identifier"
{ field bpf; field 1; field events; field "struct e; int system(const char *)"; le32 0; } |
  recording 2 "$TMP/bad.rec"
expect_bad "a record type that is not struct NAME" "its header holds a name or type that is not a C identifier"
{ field bpf; field 1; field events; field "struct nowhere_event"; le32 0; } | recording 2 "$TMP/bad.rec"
expect_bad "a record type its BTF lacks" "ring events: its type struct nowhere_event is not in its BTF"
# The decoders are made from the recording's BTF: a member name in it that is not an
# identifier (written over "comm", the same length) is refused, by a user the kernel
# does not check BTF for too.
perl -0777 -pe 's/\x00comm\x00/\x00co"m\x00/' "$rec" > "$TMP/bad.rec"
cmp -s "$rec" "$TMP/bad.rec" && fail "no member 'comm' in the recording's BTF to spoil"
chmod a+r "$TMP/bad.rec"
as_nobody "$nobody" --replay "$TMP/bad.rec" "$TMP/lines.lua"
assert_eq "$RC" 1 "exit code of BTF with a bad name, as nobody"
assert_contains "$TMP/err" "ringlua: --replay $TMP/bad.rec: its BTF has names that are not C identifiers" "bad BTF name"
pass "a BTF member name that is not an identifier -> 1 (as nobody: no kernel check)"

# The script must fit the recording: its source (or -s) and its handlers' rings.
opensnoop=$HERE/../../scripts/opensnoop.lua
execsnoop=$HERE/../../scripts/execsnoop.lua
run_ringlua --record "$TMP/open.rec" -c "cat /etc/hostname" "$opensnoop"
assert_eq "$RC" 0 "exit code of recording opensnoop"
run_ringlua --replay "$TMP/open.rec" "$opensnoop"
assert_eq "$RC" 0 "exit code of replaying opensnoop"
assert_contains "$TMP/out" "/etc/hostname" "opensnoop's replay"
run_ringlua --replay "$TMP/open.rec" "$execsnoop"
assert_eq "$RC" 1 "exit code of execsnoop on an open recording"
assert_contains "$TMP/err" "ringlua: --replay $TMP/open.rec: a recording of source 'open', but $execsnoop asks for source 'exec'" "source mismatch"
[ ! -s "$TMP/out" ] || fail "execsnoop printed rows of an open recording"
run_ringlua --replay "$TMP/open.rec" -s exec "$TMP/any.lua"
assert_eq "$RC" 1 "exit code of -s exec on an open recording"
assert_contains "$TMP/err" "a recording of source 'open', but -s asks for source 'exec'" "-s mismatch"
echo 'return { handlers = { nosuch = function() end }, on_event = function() end }' > "$TMP/h.lua"
run_ringlua --replay "$TMP/open.rec" "$TMP/h.lua"
assert_eq "$RC" 1 "exit code of handlers for a ring not recorded"
assert_contains "$TMP/err" "handlers.nosuch: the recording $TMP/open.rec has no ring buffer map so named (its rings: events)" "ring mismatch"
pass "a script that does not fit the recording (source, -s, handlers) -> 1, naming both"

# --realtime keeps the recorded pace through signals (the watchdog ticks every 50 ms):
# two execs 2 s apart take at least 1.5 s to replay.
run_ringlua --record "$TMP/gap.rec" -c "sh -c 'sleep 2; exec /bin/true'" "$execsnoop"
assert_eq "$RC" 0 "exit code of recording the gap"
t0=$(date +%s%N)
run_ringlua --replay "$TMP/gap.rec" --realtime "$execsnoop"
ms=$((($(date +%s%N) - t0) / 1000000))
assert_eq "$RC" 0 "exit code of the paced replay"
assert_contains "$TMP/out" "true" "the paced replay's second exec"
assert_between "$ms" 1500 30000 "ms the paced replay of a 2 s gap took"
pass "--realtime: a 2 s gap took $ms ms through the watchdog's signals"

# A recording that cannot be written (its file system full) ends the run with exit 1,
# and the records handled before are released: a pinned ring does not hand them to the
# next consumer again, so the two runs' counts add up to what was produced.
mkdir "$TMP/small"
mount -t tmpfs -o size=64k none "$TMP/small" || fail "cannot mount a small tmpfs"
pin=$(new_pin)
produce --pin "$pin" --count 20000 --size $((4 << 20))
run_ringlua --pin "$pin" --record "$TMP/small/full.rec" -e '
  local ffi = require("ffi")
  on_event = function(p) print(tonumber(ffi.cast("const uint64_t *", p)[0])) end'
umount "$TMP/small"
assert_eq "$RC" 1 "exit code when the recording cannot be written"
assert_contains "$TMP/err" "ringlua: --record: cannot write the recording: No space left on device" \
  "the reason"
first=$(wc -l < "$TMP/out")
assert_eq "$(tail -1 "$TMP/out")" $((first - 1)) "the first run's last record"
assert_between "$first" 1 19999 "records handled before the file system was full"
run_ringlua --pin "$pin" --count $((20000 - first)) "$SCRIPTS/seq_check.lua"
assert_eq "$RC" 0 "exit code of the second consumer"
assert_contains "$TMP/out" "n=$((20000 - first)) first=$first last=19999 gaps=0 bad=0" \
  "what the second consumer found"
pass "a full recording: exit 1, $first records released, the rest for the next consumer"
