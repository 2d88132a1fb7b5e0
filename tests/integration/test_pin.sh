#!/usr/bin/env bash
# --pin consumes another loader's ring: every record exactly once, in order.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# A filled ring, consumed in two runs: the second continues where the first stopped.
pin=$(new_pin)
produce --pin "$pin" --count 100000
run_ringlua --pin "$pin" --count 60000 "$SCRIPTS/seq_check.lua"
assert_eq "$RC" 0 "exit code"
assert_contains "$TMP/out" "READY source=pin" "ringlua.source in on_init"
assert_contains "$TMP/out" "n=60000 first=0 last=59999 gaps=0 bad=0" "first run"
assert_contains "$TMP/err" "ringlua: 60000 events, 0 errors" "summary"
run_ringlua --pin "$pin" --count 40000 "$SCRIPTS/seq_check.lua"
assert_eq "$RC" 0 "exit code of the second run"
assert_contains "$TMP/out" "n=40000 first=60000 last=99999 gaps=0 bad=0" "second run"
pass "100000 records over two runs, each once, in order"

# Live: the consumer waits on an empty ring while the producer fills it. The ring holds
# every record, so none can be dropped and each must arrive once, whether records are
# batched (the default latency) or handed over at once (--latency 0).
for latency in 0.5 0; do
  pin=$(new_pin)
  produce --pin "$pin" --count 0 --size $((16 << 20))
  start_ringlua --pin "$pin" --count 200000 --latency "$latency" "$SCRIPTS/seq_check.lua"
  produce --pin "$pin" --reuse --count 200000 --start 7
  wait "$BG" || fail "live consumer failed: $(cat "$TMP/bg.err")"
  assert_contains "$TMP/prod" "dropped 0" "producer drops"
  assert_contains "$TMP/bg.out" "n=200000 first=7 last=200006 gaps=0 bad=0" "live run"
  pass "live stream of 200000 records at --latency $latency, each once, in order"
done

# Live through a ring too small to keep up: what is not delivered was counted dropped.
pin=$(new_pin)
produce --pin "$pin" --count 0 --size $((64 << 10))
start_ringlua --pin "$pin" "$SCRIPTS/seq_check.lua"
produce --pin "$pin" --reuse --count 200000
sleep 0.2
stop_ringlua INT
assert_eq "$RC" 0 "exit code after SIGINT"
dropped=$(awk '{ print $4 }' "$TMP/prod")
n=$(sed -n 's/^n=\([0-9]*\) .*/\1/p' "$TMP/bg.out")
assert_eq "$((n + dropped))" 200000 "delivered ($n) + dropped ($dropped)"
assert_contains "$TMP/bg.out" "bad=0" "record contents"
pass "delivered $n + dropped $dropped = produced 200000"

# Records submitted without a wakeup still arrive, drained on the poll timeout.
pin=$(new_pin)
produce --pin "$pin" --count 0
start_ringlua --pin "$pin" --count 500 --interval 50 "$SCRIPTS/seq_check.lua"
produce --pin "$pin" --reuse --count 500 --flags nowakeup
wait "$BG" || fail "consumer of no-wakeup records failed"
assert_contains "$TMP/bg.out" "n=500 first=0 last=499 gaps=0" "no-wakeup records"
pass "BPF_RB_NO_WAKEUP records are delivered"

# Discarded records never reach Lua; the others all do.
pin=$(new_pin)
produce --pin "$pin" --count 1000 --discard-every 4
assert_contains "$TMP/prod" "discarded 250" "producer discards"
run_ringlua --pin "$pin" --count 750 "$SCRIPTS/seq_check.lua"
assert_eq "$RC" 0 "exit code"
assert_contains "$TMP/out" "n=750 first=0 last=998 gaps=249 bad=0" "discards skipped"
pass "discarded records are skipped"
