#!/usr/bin/env bash
# ringlua.consumer from a plain luajit process: libringlua consuming rings pinned by the
# test producer, without the ringlua binary. Run as test_consumer_lib.sh RINGLUA
# SEQ_PRODUCER LIBRINGLUA; the modules come from the source tree and from the generated
# lua/ beside RINGLUA, and the library is found from there (build/src/ring/).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

LIB=${3:?usage: $0 RINGLUA SEQ_PRODUCER LIBRINGLUA}
SRC=$(cd "$HERE/../.." && pwd)
export LUA_PATH="$SRC/lua/?.lua;$SRC/lua/?/init.lua;$(dirname "$RINGLUA")/lua/?.lua;;"
# A sanitized libringlua needs its runtime loaded first in a luajit that has none (and
# only there: the sanitized producer carries its own). LuaJIT's own allocations are not
# leak-checked.
LUAJIT=(luajit)
if nm -D "$LIB" | grep -q __asan_init; then
  LUAJIT=(env "LD_PRELOAD=$(clang -print-file-name=libclang_rt.asan-x86_64.so)"
          ASAN_OPTIONS=detect_leaks=0 luajit)
fi

# run_lua ARGS...: runs consumer_lib.lua ARGS under luajit; sets RC, output in $TMP/out.
run_lua() {
  RC=0
  timeout -s KILL 60 "${LUAJIT[@]}" "$HERE/consumer_lib.lua" "$@" > "$TMP/out" 2> "$TMP/err" || RC=$?
  [ "$RC" == 0 ] || { cat "$TMP/out" "$TMP/err" >&2; fail "luajit consumer_lib.lua $*: exit $RC"; }
}

# A filled ring, by pin path and then by fd, in two runs: each record once, in order,
# the second run continuing where the first stopped; then the ring is empty.
pin=$(new_pin)
produce --pin "$pin" --count 100000
run_lua seq "$pin" 60000
assert_contains "$TMP/out" "n=60000 first=0 last=59999 gaps=0 bad=0" "first run"
run_lua seq "$pin" 40000 fd,last
assert_contains "$TMP/out" "n=40000 first=60000 last=99999 gaps=0 bad=0" "second run, by fd"
assert_contains "$TMP/out" "after=0" "poll(0) once all was consumed"
pass "100000 records over two luajit runs (pin path, fd), each once, in order"

# Live: the consumer waits in poll while the producer fills the ring.
pin=$(new_pin)
produce --pin "$pin" --count 0
timeout -s KILL 60 "${LUAJIT[@]}" "$HERE/consumer_lib.lua" seq "$pin" 200000 last \
  > "$TMP/bg.out" 2> "$TMP/bg.err" &
BG=$!
wait_output READY
produce --pin "$pin" --reuse --count 200000 --start 7
wait "$BG" || fail "live consumer failed: $(cat "$TMP/bg.err")"
assert_contains "$TMP/prod" "dropped 0" "producer drops"
assert_contains "$TMP/bg.out" "n=200000 first=7 last=200006 gaps=0 bad=0" "live run"
assert_contains "$TMP/bg.out" "after=0" "poll(0) once the stream ended"
pass "live stream of 200000 records, each once, in order"

# Discarded records never reach fn.
pin=$(new_pin)
produce --pin "$pin" --count 1000 --discard-every 4
run_lua seq "$pin" 750 last
assert_contains "$TMP/out" "n=750 first=0 last=998 gaps=249 bad=0" "discards skipped"
assert_contains "$TMP/out" "after=0" "poll(0) past trailing discards"
pass "discarded records are skipped"

# An empty ring: poll(0) returns 0 at once, poll(50) on its timeout.
pin=$(new_pin)
produce --pin "$pin" --count 0
run_lua empty "$pin"
assert_contains "$TMP/out" "poll0=0 poll50=0" "polls of an empty ring"
pass "poll on an empty ring returns 0"

# fn raising errors: the record that raised counts as handled, the rest follow.
pin=$(new_pin)
produce --pin "$pin" --count 10000
run_lua errors "$pin" 10000
assert_contains "$TMP/out" "n=10000 errors=1000 gaps=0 last=9999" "errors in fn"
pass "errors in fn: 1000 reported, every record once, in order"

# open_decoding: plain tables from a function, copies from a ctype.
pin=$(new_pin)
produce --pin "$pin" --count 6000
run_lua decode "$pin" 3000
assert_contains "$TMP/out" "tables=3000 wrong=0" "function decoder"
assert_contains "$TMP/out" "copies=3000 wrong=0" "ctype decoder"
pass "open_decoding yields plain values, right after the ring is gone"

# with(): closes after body returns and after body raises (the error raised again).
pin=$(new_pin)
produce --pin "$pin" --count 10
run_lua with "$pin"
assert_contains "$TMP/out" "returned=10 seen=10 maps=0 fds=0" "with, body returning"
assert_contains "$TMP/out" "raised=true err=body failed maps=0 fds=0" "with, body raising"
assert_contains "$TMP/out" "poll after with: poll: the consumer is closed" "closed by with"
pass "with() unmaps the ring and closes its fd, also when body raises"

# Failures are nil, err: nothing pinned, not a ring, bad arguments.
run_lua bad "$PIN_PREFIX"_missing
assert_contains "$TMP/out" "no BPF object is pinned at ${PIN_PREFIX}_missing" "missing pin"
assert_matches "$TMP/out" "^cannot open the ring pinned at /sys/fs/bpf: " "a directory"
assert_contains "$TMP/out" "open: fn must be a function, got string" "bad fn"
assert_contains "$TMP/out" "open_decoding: unknown C type struct no_such_type" "bad ctype"
assert_eq "$(grep -c "no BPF object is pinned" "$TMP/out")" 2 "with on a missing pin"
pass "bad pin paths and arguments give nil, err"
