#!/usr/bin/env bash
# --output nats://: a real nats-server on a loopback port. A known workload (20000 seq
# records, emitted by scripts/seq_emit.lua) reaches a subscriber exactly once each, and
# the script's print still goes to stdout; --json's line arrives as --json prints it;
# across a server restart in the middle, every message is either confirmed by the server
# or counted as not published, and none arrives twice. (Core NATS keeps nothing for a
# subscriber that is not connected when a message comes: one that reconnects after
# ringlua does misses what came between, which the server did confirm. So the subscriber
# can only be held to at most the total.) Without a server every message is counted.
# With JetStream (nats-server -js): ringlua creates the stream named in the URL, a
# restart of the server in the middle loses nothing and duplicates nothing (the stream,
# read back by sequence, holds every seq once; the summary says 0 not published); a
# stream the helper made smaller than the workload (discard new) is found by subject,
# and the stores it refuses are exactly the ones counted as not published.
# Bad URLs are refused in one line.
#   test_nats.sh RINGLUA SEQ_PRODUCER NATS_SUB
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

SUB=${3:?usage: $0 RINGLUA SEQ_PRODUCER NATS_SUB}
command -v nats-server > /dev/null || fail "no nats-server (scripts/setup.sh installs it)"
script=$SCRIPTS/seq_emit.lua
nport=$(free_port)
url=nats://127.0.0.1:$nport

# start_nats [ARGS]: the server (ARGS: e.g. JetStream's -js -sd DIR), listening.
start_nats() {
  timeout -s KILL 60 nats-server -a 127.0.0.1 -p "$nport" "$@" > "$TMP/nats.log" 2>&1 &
  NATS=$!
  wait_for "nats-server to listen on $nport ($TMP/nats.log)" listening "$nport"
}
listening() { (echo > "/dev/tcp/127.0.0.1/$1") 2> /dev/null; }

# stop_nats [SIGNAL]: the server killed (not its `timeout`), gone before this returns.
stop_nats() {
  signal_child "${1:-KILL}" "$NATS"
  wait "$NATS" 2> /dev/null || true
}

# start_sub SUBJECT [FILE]: the subscriber, READY once the server has its subscription.
start_sub() {
  timeout -s KILL 60 "$SUB" "$url" "$@" > "$TMP/sub.out" 2> "$TMP/sub.err" &
  SUBPID=$!
  wait_for "the subscriber to start ($TMP/sub.err)" file_has READY "$TMP/sub.out"
}

# stop_sub: its counts, in $TMP/sub.out.
stop_sub() {
  signal_child TERM "$SUBPID"
  wait "$SUBPID" || fail "the subscriber failed"
}

# wait_emitted N: the script has emitted N records (its last tick says so).
wait_emitted() { wait_lines 1 "^so_far=$1\$"; }
sub_field() { sed -n "s/.*\\b$1=\\([0-9]*\\).*/\\1/p" "$TMP/sub.out"; }
summary_field() { sed -n "s/^ringlua: .*, \\([0-9]*\\) $1, .*/\\1/p" "$TMP/bg.err"; }

# JetStream: the stream named in the URL is created; across a restart of the server in
# the middle (killed, then started on the same store), every message is stored once and
# acknowledged.
jsargs=(-js -sd "$TMP/js")
start_nats "${jsargs[@]}"
pin=$(new_pin)
produce --pin "$pin" --count 0 --size 1048576
start_ringlua --pin "$pin" --interval 100 --output "$url/seq?stream=SEQ" "$script"
assert_contains "$TMP/bg.err" "ringlua: --output: created JetStream stream SEQ for seq" "the stream"
"$PRODUCER" --pin "$pin" --reuse --count 30000 --rate 10000 > "$TMP/prod" &
PRODPID=$!
sleep 1
stop_nats
sleep 0.5
start_nats "${jsargs[@]}"
wait "$PRODPID" || fail "the producer failed"
wait_emitted 30000
stop_ringlua
[ "$RC" == 0 ] || { cp "$TMP/bg.err" /tmp/js_fail_err_$$; }; assert_eq "$RC" 0 "exit code across a JetStream restart"
assert_eq "$(summary_field published)" 30000 "acknowledged across the restart"
assert_eq "$(summary_field "not published")" 0 "not published across the restart"
"$SUB" "$url" --read SEQ > "$TMP/sub.out" || fail "reading the stream"
assert_eq "$(sub_field received)" 30000 "stored across the restart"
assert_eq "$(sub_field unique)" 30000 "distinct seqs stored"
assert_eq "$(sub_field duplicates)" 0 "duplicates stored"
pass "JetStream across a restart: 30000 stored exactly once, 0 not published"

# A stream smaller than the workload (at most 5000 messages, then refusals), found by
# the subject alone: the refused are counted, exactly.
"$SUB" "$url" --create SMALL small 5000 || fail "creating the small stream"
pin=$(new_pin)
produce --pin "$pin" --count 0 --size 1048576
start_ringlua --pin "$pin" --interval 100 --output "$url/small" "$script"
assert_contains "$TMP/bg.err" "ringlua: --output: JetStream stream SMALL stores small" "found"
produce --pin "$pin" --reuse --count 8000 --rate 100000
wait_emitted 8000
stop_ringlua
[ "$RC" == 0 ] || { cp "$TMP/bg.err" /tmp/js_fail_err_$$; }; assert_eq "$RC" 0 "exit code with a full stream"
assert_contains "$TMP/bg.err" "ringlua: --output: the stream refused a message" "the note"
assert_eq "$(summary_field published)" 5000 "stored in the small stream"
assert_eq "$(summary_field "not published")" 3000 "refused by the small stream"
"$SUB" "$url" --read SMALL > "$TMP/sub.out" || fail "reading the small stream"
assert_eq "$(sub_field received)" 5000 "the small stream's messages"
assert_eq "$(sub_field unique)" 5000 "distinct seqs in the small stream"
pass "a full stream: 5000 stored, 3000 refused and counted"

