#!/usr/bin/env bash
# --json: every event as one JSON object a line, decoded from BTF with its map name first;
# the decoding path ringlua.decode gives the same fields as a plain table. Strings are
# escaped so that every line parses, whatever bytes the kernel handed over; a char array
# of several strings is a list of them (tests/bpf/args_strings.bpf.c); a union tagged by
# an enum shows its live arm (tests/bpf/union_arms.bpf.c).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# A built-in source: the command's exec, exactly.
run_ringlua --json -c /bin/true
assert_eq "$RC" 0 "exit code"
assert_eq "$(wc -l < "$TMP/out")" 1 "one event"
assert_matches "$TMP/out" \
  '^\{"map":"events","ts_ns":[0-9]+,"pid":([0-9]+),"ppid":[0-9]+,"uid":0,"tid":[0-9]+,"comm":"true","filename":"/bin/true"\}$' \
  "the exec event as JSON"
check_json "$TMP/out" "--json output"
pass "--json -c /bin/true: $(cat "$TMP/out")"

# Strings that need escaping: a program path with a quote, a backslash, a tab and a byte
# that is not UTF-8.
odd="$TMP/q\"b\\t	x$(printf '\xff')"
cp /bin/true "$odd"
run_ringlua --json -c "'$odd'"
assert_eq "$RC" 0 "exit code"
check_json "$TMP/out" "--json with odd bytes"
assert_contains "$TMP/out" '"filename":"'"$TMP"'/q\"b\\t\tx\u00ff"' "escaped filename"
pass "a filename with a quote, a backslash, a tab and a non-UTF-8 byte is valid JSON"

# Every system call of a command, and the decoded table agrees with the JSON.
run_ringlua -s syscalls -c "dd if=/dev/zero of=/dev/null bs=1 count=100" -e '
  local n, same = 0, 0
  on_event = function(p)
    local t, j = ringlua.decode(p), ringlua.json(p)
    n = n + 1
    local want = ("{\"map\":\"events\",\"ts_ns\":%d,\"pid\":%d,\"tid\":%d,\"nr\":%d,\"comm\":%s}")
      :format(t.ts_ns, t.pid, t.tid, t.nr, require("ringlua.decode").q(t.comm))
    if j == want then same = same + 1 end
  end
  on_exit = function() print(("n=%d same=%d"):format(n, same)) end'
assert_eq "$RC" 0 "exit code"
n=$(sed -n 's/^n=\([0-9]*\) same=\1$/\1/p' "$TMP/out")
assert_between "$n" 200 100000 "events whose table and JSON agree"
pass "ringlua.decode and ringlua.json agree on $n syscall events"

# A char array of several strings (tests/bpf/args_strings.bpf.c): a list of the
# strings within its args_size and args_count siblings, never the stale bytes after
# them; a record cut inside its last array, as a tool sends only the bytes in use, is
# decoded as far as it goes; a plain string with text after its NUL stays a string.
export XDG_CACHE_HOME=$TMP/cache
mkdir -m 700 "$XDG_CACHE_HOME"
cp "$HERE"/../bpf/args_strings.{h,bpf.c} "$TMP/"
run_ringlua --json --bpf "$TMP/args_strings.bpf.c" -c "perl -e 'syscall(110)'"
assert_eq "$RC" 0 "exit code of --json on args_strings.bpf.c"
check_json "$TMP/out" "--json of several strings"
pid=$(sed -n 's/.*"seq":0,"pid":\([0-9]*\),.*/\1/p' "$TMP/out")
{
  echo '{"map":"events","seq":0,"pid":'"$pid"',"args_count":5,"args_size":24,"label":"plain","args":["one","","two words","café","\u00ff\u00fe"]}'
  echo '{"map":"events","seq":1,"pid":'"$pid"',"args_count":2,"args_size":6,"label":"plain","args":["a","b"]}'
  echo '{"map":"events","seq":2,"pid":'"$pid"',"args_count":1,"args_size":3,"label":"plain","args":["abc"]}'
} > "$TMP/want"
assert_eq "$(head -3 "$TMP/out")" "$(cat "$TMP/want")" "the three decoded records"
assert_matches "$TMP/out" '^\{"map":"events","len":12,"hex":"03000000[0-9a-f]{16}"\}$' \
  "a record short of the part before args, as its bytes"
pass "a char array of several strings in JSON: $(head -1 "$TMP/out")"

# ringlua.decode gives the same lists.
run_ringlua --bpf "$TMP/args_strings.bpf.c" -c "perl -e 'syscall(110)'" -e '
  on_event = function(p, len)
    if len < 32 then return end
    local t = ringlua.decode(p)
    print(t.seq, t.label, #t.args, table.concat(t.args, "|"))
  end'
assert_eq "$RC" 0 "exit code of ringlua.decode on args_strings.bpf.c"
assert_eq "$(cat "$TMP/out")" "$(printf '0\tplain\t5\tone||two words|caf\303\251|\377\376\n1\tplain\t2\ta|b\n2\tplain\t1\tabc')" \
  "ringlua.decode's lists"
pass "ringlua.decode of several strings: lists of the same strings"

# A union whose arms are named after the enumerators of the enum member before it
# (tests/bpf/union_arms.bpf.c): each record shows the arm its op names, an op with no
# arm the first arm; a union whose arms no enumerator names (raw) its first arm in JSON
# and every arm in ringlua.decode.
cp "$HERE"/../bpf/union_arms.{h,bpf.c} "$TMP/"
run_ringlua --json --bpf "$TMP/union_arms.bpf.c" -c "perl -e 'syscall(110)'"
assert_eq "$RC" 0 "exit code of --json on union_arms.bpf.c"
check_json "$TMP/out" "--json of tagged unions"
raw='"colour":"GREEN","raw":{"word":67305985}}'
{
  echo '{"map":"events","seq":0,"op":"OP_MOUNT","mount":{"flags":7,"src":"/dev/x","dest":"/mnt"},'"$raw"
  echo '{"map":"events","seq":1,"op":"OP_UMOUNT","umount":{"ret":-2,"target":"/mnt/y"},'"$raw"
  echo '{"map":"events","seq":2,"op":"OP_FSOPEN","fsopen":17,'"$raw"
  echo '{"map":"events","seq":3,"op":"OP_SYNC","mount":{"flags":9,"src":"","dest":""},'"$raw"
} > "$TMP/want"
assert_eq "$(cat "$TMP/out")" "$(cat "$TMP/want")" "each record's live arm"
pass "a union tagged by an enum in JSON: $(sed -n 2p "$TMP/out")"

run_ringlua --bpf "$TMP/union_arms.bpf.c" -c "perl -e 'syscall(110)'" -e '
  local function keys(t)
    local k = {}
    for name in pairs(t) do k[#k + 1] = name end
    table.sort(k)
    return table.concat(k, ",")
  end
  on_event = function(p)
    local t = ringlua.decode(p)
    local arm = t.mount and ("%d %s %s"):format(t.mount.flags, t.mount.src, t.mount.dest)
      or t.umount and ("%d %s"):format(t.umount.ret, t.umount.target) or tostring(t.fsopen)
    print(t.seq, t.op, keys(t), arm, t.raw.word, table.concat(t.raw.bytes, "."))
  end'
assert_eq "$RC" 0 "exit code of ringlua.decode on union_arms.bpf.c"
{
  printf '0\tOP_MOUNT\tcolour,mount,op,raw,seq\t7 /dev/x /mnt\t67305985\t1.2.3.4\n'
  printf '1\tOP_UMOUNT\tcolour,op,raw,seq,umount\t-2 /mnt/y\t67305985\t1.2.3.4\n'
  printf '2\tOP_FSOPEN\tcolour,fsopen,op,raw,seq\t17\t67305985\t1.2.3.4\n'
  printf '3\tOP_SYNC\tcolour,mount,op,raw,seq\t9  \t67305985\t1.2.3.4\n'
} > "$TMP/want"
assert_eq "$(cat "$TMP/out")" "$(cat "$TMP/want")" "ringlua.decode's live arms"
pass "ringlua.decode of a tagged union: the live arm alone"

# A pinned ring has no BTF: decoding it is a clear error.
pin=$(new_pin)
produce --pin "$pin" --count 1
run_ringlua --pin "$pin" --count 1 --max-errors 1 -e 'on_event = function(p) ringlua.decode(p) end'
assert_eq "$RC" 1 "exit code"
assert_contains "$TMP/err" "no decoder for events: its record type is not known (a --pin ring has no BTF)" \
  "message"
run_ringlua --json "$TMP/whatever.lua"
assert_eq "$RC" 2 "exit code of --json with a script"
pass "no decoder for a pinned ring; --json takes no script"

# Drops: a reader that stalls fills the ring; the drops come as lost_events lines whose
# counts add up to the summary's.
( timeout -s KILL 60 "$RINGLUA" --json --interval 200 -s syscalls \
    -c "dd if=/dev/zero of=/dev/null bs=1 count=400000" 2> "$TMP/err" ) |
  { sleep 2; cat > "$TMP/out"; }
check_json "$TMP/out" "--json output under drops"
lost=$(sed -n 's/^{"type":"lost_events","count":\([0-9]*\)}$/\1/p' "$TMP/out" | awk '{ n += $1 } END { print n + 0 }')
dropped=$(summary_dropped "$TMP/err")
assert_between "$dropped" 1 100000000 "drops while the reader stalled"
assert_eq "$lost" "$dropped" "lost_events counts against the summary"
pass "$dropped drops reported as lost_events lines"
