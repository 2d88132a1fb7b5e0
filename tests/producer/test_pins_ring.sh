#!/usr/bin/env bash
# The producer pins a ring buffer that outlives it, with its records still inside.
#   test_pins_ring.sh SEQ_PRODUCER BPFTOOL
set -euo pipefail
PRODUCER=${1:?usage: $0 SEQ_PRODUCER BPFTOOL}
BPFTOOL=${2:?usage: $0 SEQ_PRODUCER BPFTOOL}
pin=/sys/fs/bpf/ringlua_test_producer_$$
out=$(mktemp)
trap 'rm -f "$pin" "$out"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# A 64 KiB ring holds 1365 records of 48 bytes (8-byte header + 40-byte seq_event).
timeout 60 "$PRODUCER" --pin "$pin" --size 65536 --count 1000 > "$out"
[ "$(cat "$out")" == "produced 1000 dropped 0 discarded 0" ] || fail "producer said: $(cat "$out")"
echo "ok: 1000 records produced"

"$BPFTOOL" map show pinned "$pin" > "$out" || fail "no map pinned at $pin"
grep -q "ringbuf" "$out" || fail "not a ring buffer: $(cat "$out")"
grep -q "max_entries 65536" "$out" || fail "wrong size: $(cat "$out")"
echo "ok: the pin is a 64 KiB ring buffer"

# The records stayed: a second producer into the same ring finds room for 365 more only.
timeout 60 "$PRODUCER" --pin "$pin" --reuse --count 1000 > "$out"
[ "$(cat "$out")" == "produced 1000 dropped 635 discarded 0" ] || fail "reuse said: $(cat "$out")"
echo "ok: --reuse produces into the same ring, which kept its 1000 records"
