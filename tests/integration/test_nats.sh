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

start_nats
start_sub seq
pin=$(new_pin)
produce --pin "$pin" --count 0 --size 1048576
start_ringlua --pin "$pin" --interval 100 --output "$url/seq" "$script"
produce --pin "$pin" --reuse --count 20000 --rate 100000
wait_emitted 20000
stop_ringlua
assert_eq "$RC" 0 "exit code"
assert_contains "$TMP/bg.out" "emitted=20000" "the script's print beside the bus"
assert_eq "$(summary_field published)" 20000 "published"
assert_eq "$(summary_field "not published")" 0 "not published"
stop_sub
assert_eq "$(sub_field received)" 20000 "received"
assert_eq "$(sub_field unique)" 20000 "distinct seqs received"
assert_eq "$(sub_field duplicates)" 0 "duplicates"
pass "20000 events reach the subscriber exactly once"

# --json's lines go to the bus as --json prints them.
start_sub json "$TMP/json.msgs"
run_ringlua --json --output "$url/json" -c /bin/true
assert_eq "$RC" 0 "--json --output exit code"
stop_sub
assert_eq "$(sub_field received)" 1 "--json's one event"
assert_matches "$TMP/json.msgs" '^\{"map":"events","ts_ns":[0-9]+,.*"comm":"true","filename":"/bin/true"\}$' \
  "the exec event as JSON"
assert_eq "$(wc -c < "$TMP/out")" 0 "nothing on stdout with --output"
pass "--json --output publishes the JSON lines"

# A server restart in the middle: every message is published (confirmed) or counted as
# not published, exactly once; none arrives twice.
start_sub seq
pin=$(new_pin)
produce --pin "$pin" --count 0 --size 1048576
start_ringlua --pin "$pin" --interval 100 --output "$url/seq" "$script"
"$PRODUCER" --pin "$pin" --reuse --count 30000 --rate 10000 > "$TMP/prod" &
PRODPID=$!
sleep 1
stop_nats
sleep 0.5
start_nats
wait "$PRODPID" || fail "the producer failed"
wait_emitted 30000
stop_ringlua
assert_eq "$RC" 0 "exit code across the restart"
published=$(summary_field published)
unpublished=$(summary_field "not published")
assert_eq "$((published + unpublished))" 30000 "published ($published) + not published ($unpublished)"
stop_sub
received=$(sub_field received)
assert_eq "$(sub_field duplicates)" 0 "duplicates across the restart"
assert_between "$received" 1 30000 "received across the restart"
pass "across a restart: $received received, $published published, $unpublished counted as not published"

# No server at all: ringlua starts (a daemon outlives its bus), says so once, and at
# exit every message is counted as not published.
stop_nats
pin=$(new_pin)
produce --pin "$pin" --count 0 --size 1048576
start_ringlua --pin "$pin" --interval 100 --output "$url/seq" "$script"
produce --pin "$pin" --reuse --count 1000
wait_emitted 1000
stop_ringlua
assert_eq "$RC" 0 "exit code without a server"
assert_contains "$TMP/bg.err" "ringlua: --output: $url is not answering yet" "the note"
assert_eq "$(summary_field published)" 0 "published without a server"
assert_eq "$(summary_field "not published")" 1000 "not published without a server"
pass "without a server every message is counted as not published"

# The same with a stream named (JetStream waits for a server to settle the stream on):
# at exit the drain gives up, and every message is counted.
pin=$(new_pin)
produce --pin "$pin" --count 0 --size 1048576
start_ringlua --pin "$pin" --interval 100 --output "$url/seq?stream=SEQ" "$script"
produce --pin "$pin" --reuse --count 1000
wait_emitted 1000
stop_ringlua
assert_eq "$RC" 0 "exit code without a JetStream server"
assert_eq "$(summary_field published)" 0 "published without a JetStream server"
assert_eq "$(summary_field "not published")" 1000 "not published without a JetStream server"
pass "stream= without a server: every message is counted as not published"

# Credentials in the URL are never printed: "***@" stands in their place while the
# server does not answer, once it does (with them), and in a URL refused.
pin=$(new_pin)
produce --pin "$pin" --count 0 --size 1048576
start_ringlua --pin "$pin" --interval 100 --output "nats://u:s3cret@127.0.0.1:$nport/seq" "$script"
assert_contains "$TMP/bg.err" "ringlua: --output: nats://***@127.0.0.1:$nport is not answering yet" \
  "the note without credentials"
start_nats --user u --pass s3cret
wait_output "ringlua: --output: connected to nats://***@127.0.0.1:$nport" "$TMP/bg.err"
stop_ringlua
stop_nats
run_ringlua --output 'nats://u:s3cret@127.0.0.1:1/a b' -e 'function on_event() end'
assert_eq "$RC" 2 "exit code of a refused URL with credentials"
assert_contains "$TMP/err" "invalid value for --output: 'nats://***@127.0.0.1:1/a b'" "the refused URL"
assert_eq "$(cat "$TMP/bg.err" "$TMP/err" | grep -c s3cret || true)" 0 "credentials printed"
pass "credentials in the URL are never printed"

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
assert_eq "$RC" 0 "exit code across a JetStream restart"
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
assert_eq "$RC" 0 "exit code with a full stream"
assert_contains "$TMP/bg.err" "ringlua: --output: the stream refused a message" "the note"
assert_eq "$(summary_field published)" 5000 "stored in the small stream"
assert_eq "$(summary_field "not published")" 3000 "refused by the small stream"
"$SUB" "$url" --read SMALL > "$TMP/sub.out" || fail "reading the small stream"
assert_eq "$(sub_field received)" 5000 "the small stream's messages"
assert_eq "$(sub_field unique)" 5000 "distinct seqs in the small stream"
pass "a full stream: 5000 stored, 3000 refused and counted"

# stream= on a server without JetStream: one line and a failure, not a silent core NATS.
stop_nats
start_nats
run_ringlua --output "$url/seq?stream=SEQ" -e 'function on_event() end'
assert_eq "$RC" 1 "exit code of stream= without JetStream"
assert_contains "$TMP/err" "ringlua: --output: the server has no JetStream for stream=SEQ" "the line"
pass "stream= on a server without JetStream is refused"

# Bad URLs: one line and a usage exit.
for bad in http://x:1/s nats://127.0.0.1:4222 nats://127.0.0.1:4222/ nats://127.0.0.1/s \
           'nats://127.0.0.1:4222/a b' 'nats://127.0.0.1:4222/s?stream=' \
           'nats://127.0.0.1:4222/s?stream=a.b' 'nats://127.0.0.1:4222/s?x=y'; do
  run_ringlua --output "$bad" -e 'function on_event() end'
  assert_eq "$RC" 2 "exit code of --output $bad"
  assert_eq "$(wc -l < "$TMP/err")" 1 "one line for --output $bad"
  assert_contains "$TMP/err" "invalid value for --output: '$bad'" "--output $bad"
done
pass "bad --output URLs are refused in one line"
