#!/usr/bin/env bash
# Overload: a producer far faster than a slow handler fills a small pinned ring and drops.
# SIGINT (once, or twice in a row) must end ringlua promptly while the producer still
# runs: exit 0, on_exit once, one summary; and every record is accounted for: those
# ringlua handled, those it left in the ring (counted by a second run), and those the
# producer dropped add up to what it produced. bench/overload.sh is the long version.
# And while the handler is behind, ticks and --stats keep their schedule.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# At 50 us per event ringlua handles about 20,000 events/s; the producer makes 200,000.
SPIN_US=50
RATE=200000
# Exit budget: draining the 256 KiB ring (5,461 records) takes about 0.3 s a round.
EXIT_LIMIT_MS=5000

# overloaded_stop SIGNALS: overloads ringlua for about a second, sends it SIGINT that
# many times back to back, and checks how it ends and that the counts add up.
overloaded_stop() {
  local signals=$1 pin producer t0 ms delivered leftover produced dropped
  pin=$(new_pin)
  produce --pin "$pin" --count 0 --size $((256 << 10))
  start_ringlua --pin "$pin" --interval 100 "$SCRIPTS/seq_count.lua" -- "spin_us=$SPIN_US"
  timeout 60 "$PRODUCER" --pin "$pin" --reuse --rate "$RATE" --count $((RATE * 60)) \
    > "$TMP/prod" &
  producer=$!
  wait_output "seen="
  sleep 1
  t0=$(now_ms)
  for _ in $(seq "$signals"); do signal_ringlua INT; done
  RC=0
  wait "$BG" || RC=$?
  ms=$(($(now_ms) - t0))
  signal_child INT "$producer"
  wait "$producer" || fail "producer failed"
  assert_eq "$RC" 0 "exit code after $signals SIGINT under overload"
  assert_between "$ms" 0 "$EXIT_LIMIT_MS" "ms from SIGINT to exit under overload"
  assert_eq "$(count_lines "delivered=" "$TMP/bg.out")" 1 "on_exit runs once"
  assert_eq "$(count_lines "events," "$TMP/bg.err")" 1 "one summary"
  assert_contains "$TMP/bg.out" "out_of_order=0" "order"
  delivered=$(delivered_in "$TMP/bg.out")
  assert_contains "$TMP/bg.err" "ringlua: $delivered events" "summary count"
  # What the producer left in the ring once ringlua was gone: a second run reads until
  # it has what the counts say is left, and one tick more (any surplus shows).
  produced=$(prod_field produced)
  dropped=$(prod_field dropped)
  start_ringlua --pin "$pin" --interval 100 "$SCRIPTS/seq_count.lua"
  wait_for "the $((produced - dropped - delivered)) records left in the ring" \
    seen_at_least $((produced - dropped - delivered))
  wait_more_lines 1 '^seen='
  stop_ringlua INT
  leftover=$(delivered_in "$TMP/bg.out")
  assert_between "$dropped" 1 "$produced" "drops under overload"
  assert_eq "$((delivered + leftover + dropped))" "$produced" \
    "delivered ($delivered) + left in the ring ($leftover) + dropped ($dropped)"
  pass "$signals SIGINT under overload: exit 0 in $ms ms; $produced produced =" \
       "$delivered delivered + $leftover left + $dropped dropped"
}

# ticks_while_behind: a ring filled before ringlua starts holds 2 s of handler work (at
# 200 us per event); one poll sees all of it. Ticks of 100 ms must come all along (about
# 20), not once the backlog is gone; half of them is the generous bound.
ticks_while_behind() {
  local pin events=10000 ticks stats
  pin=$(new_pin)
  produce --pin "$pin" --count "$events" --size $((1 << 20))
  run_ringlua --pin "$pin" --interval 100 --stats --count "$events" \
    "$SCRIPTS/seq_count.lua" -- spin_us=200
  assert_eq "$RC" 0 "exit code of the slow handler"
  assert_contains "$TMP/out" "delivered=$events out_of_order=0" "every event, in order"
  ticks=$(count_lines "seen=" "$TMP/out")
  stats=$(count_lines "ringlua: stats: events:" "$TMP/err")
  assert_between "$ticks" 10 1000 "ticks while 2 s behind, every 100 ms"
  assert_between "$stats" 10 1000 "--stats lines while 2 s behind, every 100 ms"
  pass "2 s behind: $ticks ticks and $stats --stats lines at --interval 100"
}

# seen_at_least N: the background seq_count.lua's last tick saw N records or more.
seen_at_least() { [ "$(sed -n 's/^seen=//p' "$TMP/bg.out" | tail -1)" -ge "$1" ] 2> /dev/null; }

overloaded_stop 1
overloaded_stop 2
ticks_while_behind
