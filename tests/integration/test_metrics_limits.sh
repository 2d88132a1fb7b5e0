#!/usr/bin/env bash
# /metrics against clients that hold connections, and its bounds: one client's
# connections that drip a header line at a time and its idle ones do not keep another
# client from an answer; a request not sent within the deadline is cut, whatever trickles
# in; --metrics unix:PATH is root's alone, never made over another file, and removed at
# exit; --metrics-allow refuses the clients outside it; an aggregation's max_entries
# drops the updates of new keys and counts them.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# metrics.c's limits: connections a client address holds, and the request deadline.
PER_CLIENT=4
DEADLINE_MS=2000
# How much later than the deadline a connection may end on a loaded machine.
LATE_MS=3000

cat > "$TMP/keys.lua" <<'LUA'
-- Counts seq_event records by seq, into an aggregation that holds 100 keys.
local ffi = require("ffi")
local ringlua = require("ringlua")
local agg = require("ringlua.agg")
ringlua.cdef_once("struct seq_event", [[
struct seq_event { uint64_t seq; uint64_t value; uint32_t pid; uint32_t kind; char tag[16]; };
]])
local seq_t = ffi.typeof("const struct seq_event *")
local keys = agg.count("keys", { max_entries = 100 })
io.stdout:setvbuf("line")
return {
  on_init = function() print("READY") end,
  on_event = function(p) keys:add(tonumber(ffi.cast(seq_t, p).seq)) end,
}
LUA

# scrape_holds URL LINE [CURL ARGS...]: a scrape of URL holds LINE exactly (the exposition
# is in $TMP/scrape).
scrape_holds() {
  local url=$1 line=$2
  shift 2
  curl -sf "$@" "$url" > "$TMP/scrape" && grep -qxF -- "$line" "$TMP/scrape"
}

# held_by_ringlua PORT: how many connections to PORT ringlua has accepted (those still in
# the listen backlog belong to no process).
held_by_ringlua() {
  ss -Htnp state established "( sport = :$1 )" | grep -c '"ringlua"' || true
}
holds() { [ "$(held_by_ringlua "$1")" -eq "$2" ]; }

# drip PORT: a client that sends a request a header line at a time, one every 0.2 s
# (each resets an idle timeout), until the server ends the connection or 15 s pass;
# prints how long the connection lasted, in ms.
drip() {
  trap '' PIPE
  local fd t0 rc
  t0=$(now_ms) # before the connection: the server's deadline starts after
  exec {fd}<> "/dev/tcp/127.0.0.1/$1"
  printf 'GET /metrics HTTP/1.1\r\nHost: ringlua\r\n' 1>&"$fd"
  while [ $(($(now_ms) - t0)) -lt 15000 ] && printf 'X-Drip: 1\r\n' 2> /dev/null 1>&"$fd"; do
    rc=0
    read -r -t 0.2 -u "$fd" _ || rc=$?
    [ "$rc" -eq 1 ] && break # the end of the stream: the server ended it
  done
  echo $(($(now_ms) - t0))
}

# ms_until_closed FD LIMIT_S [T0]: how long from T0 (ms; default now) until the server
# ends the connection on FD (it sends nothing), waiting at most LIMIT_S seconds.
ms_until_closed() {
  local t0=${3:-$(now_ms)} rc=0
  read -r -t "$2" -u "$1" _ || rc=$?
  [ "$rc" -eq 1 ] || fail "a connection the server should have ended is still open"
  echo $(($(now_ms) - t0))
}

mport=$(free_port)
url=http://127.0.0.1:$mport/metrics
pin=$(new_pin)
produce --pin "$pin" --count 0 --size 65536
start_ringlua --pin "$pin" --metrics "127.0.0.1:$mport" "$TMP/keys.lua"
wait_for "the first snapshot" curl -sf -o /dev/null "$url"

# One client (127.0.0.1) drips headers on 4 connections, then opens 20 idle ones: the
# server holds the first 4 and ends the rest at once, so that another client
# (127.0.0.2) gets its answer before any deadline could have freed a slot.
drips=()
for i in $(seq "$PER_CLIENT"); do
  drip "$mport" > "$TMP/drip.$i" &
  drips+=($!)
done
wait_for "ringlua to hold the $PER_CLIENT dripping connections" holds "$mport" "$PER_CLIENT"
for i in $(seq 20); do
  exec {fd}<> "/dev/tcp/127.0.0.1/$mport"
  assert_between "$(ms_until_closed "$fd" 1.5)" 0 1500 "idle connection $i ended at once"
  exec {fd}>&-
done
code=$(curl -s --interface 127.0.0.2 --max-time 1.5 -o "$TMP/other" -w '%{http_code}' "$url") ||
  fail "another client's scrape got no answer within 1.5 s"
assert_eq "$code" 200 "another client's scrape"
assert_contains "$TMP/other" "ringlua_events_total 0" "another client's scrape"
pass "a client's dripping and idle connections leave room for another client's scrape"

# Each dripping connection ends at the request deadline, the idle timeout it kept
# resetting notwithstanding.
wait "${drips[@]}"
for i in $(seq "$PER_CLIENT"); do
  assert_between "$(cat "$TMP/drip.$i")" "$DEADLINE_MS" $((DEADLINE_MS + LATE_MS)) \
    "ms a dripping connection lasted"
done
t0=$(now_ms)
exec {fd}<> "/dev/tcp/127.0.0.1/$mport"
assert_between "$(ms_until_closed "$fd" 10 "$t0")" "$DEADLINE_MS" $((DEADLINE_MS + LATE_MS)) \
  "ms an idle connection lasted"
exec {fd}>&-
wait_for "the deadlines counted" scrape_holds "$url" \
  "ringlua_metrics_connections_expired_total $((PER_CLIENT + 1))"
pass "a request not sent within ${DEADLINE_MS} ms is cut, a header line at a time or none"

# max_entries: 1000 keys into an aggregation that holds 100.
produce --pin "$pin" --reuse --count 1000
wait_for "the 1000 records in a scrape" scrape_holds "$url" "ringlua_events_total 1000"
assert_contains "$TMP/scrape" 'ringlua_agg_dropped_total{aggregation="keys"} 900' "dropped"
assert_eq "$(grep -c '^keys{' "$TMP/scrape")" 100 "label sets of the aggregation"
stop_ringlua
assert_eq "$RC" 0 "exit code"
assert_eq "$(count_lines "@keys holds 100 keys (max_entries)" "$TMP/bg.err")" 1 \
  "the line at the first drop"
pass "max_entries bounds an aggregation and counts the updates it dropped"

# --metrics-allow: a client outside the networks is refused and counted.
start_ringlua --pin "$pin" --metrics "127.0.0.1:$mport" --metrics-allow 10.0.0.0/8,127.0.0.2 \
  "$TMP/keys.lua"
wait_for "a scrape from an allowed client" curl -sf -o /dev/null --interface 127.0.0.2 "$url"
rc=0
curl -s --max-time 5 -o /dev/null "$url" || rc=$?
[ "$rc" -ne 0 ] || fail "a client outside --metrics-allow got an answer"
wait_for "the refusal counted" scrape_holds "$url" \
  "ringlua_metrics_connections_refused_total 1" --interface 127.0.0.2
stop_ringlua
for bad in 127.0.0.1/33 300.1.1.1 '' 127.0.0.1/ 127.0.0.1/-1 ::1/129 '127.0.0.1,'; do
  run_ringlua --pin "$pin" --metrics "127.0.0.1:$mport" --metrics-allow "$bad" "$TMP/keys.lua"
  assert_eq "$RC" 2 "exit code of --metrics-allow '$bad'"
  assert_eq "$(cat "$TMP/err")" "ringlua: invalid value for --metrics-allow: '$bad'" \
    "--metrics-allow '$bad'"
done
run_ringlua --pin "$pin" --metrics-allow 127.0.0.1 "$TMP/keys.lua"
assert_eq "$RC" 2 "--metrics-allow without --metrics"
assert_contains "$TMP/err" "--metrics-allow filters the clients of --metrics HOST:PORT" \
  "--metrics-allow alone"
pass "--metrics-allow answers only the clients in its networks"

# --metrics unix:PATH: mode 0600, root's; nobody else can connect.
mkdir -m 755 "$TMP/run"
sock=$TMP/run/metrics.sock
start_ringlua --pin "$pin" --metrics "unix:$sock" "$TMP/keys.lua"
wait_for "a scrape on the Unix socket" curl -sf -o /dev/null --unix-socket "$sock" http://ringlua/metrics
assert_eq "$(stat -c '%a %U %F' "$sock")" "600 root socket" "the socket's mode and owner"
as_nobody curl -s --unix-socket "$sock" http://ringlua/metrics
[ "$RC" -ne 0 ] || fail "nobody connected to the Unix socket"
run_ringlua --pin "$pin" --metrics "unix:$sock" "$TMP/keys.lua"
assert_eq "$RC" 1 "exit code with the socket in use"
assert_eq "$(cat "$TMP/err")" \
  "ringlua: --metrics: cannot listen on unix:$sock: Address already in use" "the socket in use"
curl -sf -o /dev/null --unix-socket "$sock" http://ringlua/metrics || fail "the first run lost its socket"
stop_ringlua
[ ! -e "$sock" ] || fail "the socket is left after the exit"

# A socket left by a run that was killed is replaced; anything else is left alone.
start_ringlua --pin "$pin" --metrics "unix:$sock" "$TMP/keys.lua"
signal_ringlua KILL
wait "$BG" 2> /dev/null || true
[ -S "$sock" ] || fail "no socket left by the killed run"
start_ringlua --pin "$pin" --metrics "unix:$sock" "$TMP/keys.lua"
wait_for "a scrape on the replaced socket" curl -sf -o /dev/null --unix-socket "$sock" http://ringlua/metrics
stop_ringlua
echo "keep me" > "$TMP/run/file"
ln -s "$TMP/run/file" "$TMP/run/link"
ln -s "$TMP/run/none" "$TMP/run/dangling"
for name in file link dangling; do
  run_ringlua --pin "$pin" --metrics "unix:$TMP/run/$name" "$TMP/keys.lua"
  assert_eq "$RC" 1 "exit code over $name"
  assert_eq "$(cat "$TMP/err")" \
    "ringlua: --metrics: cannot listen on unix:$TMP/run/$name: something else is there (not replaced)" \
    "a socket over $name"
done
assert_eq "$(cat "$TMP/run/file")" "keep me" "the file under the link"
if [ ! -L "$TMP/run/link" ] || [ ! -L "$TMP/run/dangling" ] || [ -e "$TMP/run/none" ]; then
  fail "a link was replaced or followed"
fi
mkdir -m 777 "$TMP/open"
run_ringlua --pin "$pin" --metrics "unix:$TMP/open/metrics.sock" "$TMP/keys.lua"
assert_eq "$RC" 1 "exit code in a directory others may write to"
assert_contains "$TMP/err" "its directory is not root's alone" "a directory others may write to"
[ ! -e "$TMP/open/metrics.sock" ] || fail "a socket was made in a directory others may write to"
for bad in unix:relative.sock unix: "unix:/$(printf 'x%.0s' $(seq 120))"; do
  run_ringlua --pin "$pin" --metrics "$bad" "$TMP/keys.lua"
  assert_eq "$RC" 2 "exit code of --metrics $bad"
  assert_contains "$TMP/err" "invalid value for --metrics: '$bad'" "--metrics $bad"
done
run_ringlua --pin "$pin" --metrics "unix:$sock" --metrics-allow 127.0.0.1 "$TMP/keys.lua"
assert_eq "$RC" 2 "--metrics-allow with a Unix socket"
pass "--metrics unix:PATH: root's alone, never over another file, removed at exit"
