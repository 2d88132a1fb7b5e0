#!/usr/bin/env bash
# Bad options and unusable pins are refused with one line on stderr and a non-zero exit.
#   test_bad_options.sh SEQ_PRODUCER
set -euo pipefail
PRODUCER=${1:?usage: $0 SEQ_PRODUCER}
pin=/sys/fs/bpf/ringlua_test_producer_bad_$$
err=$(mktemp)
trap 'rm -f "$pin" "$err"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# Runs the producer and expects it to fail with exactly one line on stderr.
refused() {
  local rc=0
  timeout 60 "$PRODUCER" "$@" > /dev/null 2> "$err" || rc=$?
  [ "$rc" -ne 0 ] || fail "accepted: $*"
  [ "$(wc -l < "$err")" -eq 1 ] || fail "not one line for '$*': $(cat "$err")"
  echo "ok: refused $* ($(cat "$err"))"
}

refused --count 10
refused --pin "$pin" --size 3000
refused --pin "$pin" --count abc
refused --pin "$pin" --count -1
refused --pin "$pin" --batch 0
refused --pin "$pin" --flags sometimes
refused --pin "$pin" --bogus
refused --pin "$pin" --reuse
refused --pin /tmp/not_bpffs_$$ --count 1
[ ! -e /tmp/not_bpffs_$$ ] || fail "pinned outside bpffs"
