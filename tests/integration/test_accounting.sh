#!/usr/bin/env bash
# Every record produced into a pinned ring is delivered, dropped (the ring was full) or
# discarded by the producer: produced = delivered + dropped + discarded, exactly, at
# 10k, 100k and 1M records/s through a 16 KiB ring (which the top rate overflows).
# bench/accounting.sh is the long version.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

for rate in 10000 100000 1000000; do
  pin=$(new_pin)
  produce --pin "$pin" --count 0 --size 16384
  start_ringlua --pin "$pin" "$SCRIPTS/seq_count.lua"
  produce --pin "$pin" --reuse --rate "$rate" --count "$rate" --discard-every 10
  # The producer is done: SIGINT makes ringlua drain what the ring still holds.
  signal_ringlua INT
  RC=0
  wait "$BG" || RC=$?
  assert_eq "$RC" 0 "exit code at $rate/s"
  produced=$(prod_field produced)
  dropped=$(prod_field dropped)
  discarded=$(prod_field discarded)
  delivered=$(delivered_in "$TMP/bg.out")
  assert_eq "$produced" "$rate" "produced at $rate/s"
  assert_contains "$TMP/bg.out" "out_of_order=0" "order at $rate/s"
  assert_contains "$TMP/bg.err" "ringlua: $delivered events" "summary at $rate/s"
  assert_eq "$((delivered + dropped + discarded))" "$produced" \
    "delivered ($delivered) + dropped ($dropped) + discarded ($discarded) at $rate/s"
  [ "$rate" != 1000000 ] || assert_between "$dropped" 1 "$produced" "drops at $rate/s"
  pass "$rate/s: $produced = $delivered delivered + $dropped dropped + $discarded discarded"
done
