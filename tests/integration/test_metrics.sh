#!/usr/bin/env bash
# --metrics: a known workload (1000 seq records into a pinned ring, aggregated by
# scripts/seq_metrics.lua) scraped by a real Prometheus (1 s interval, loopback, a temp
# data dir): its query API returns the labelled counter and the histogram's buckets,
# _sum and _count with the exact values. Then a reload (SIGHUP) keeps the aggregations,
# --max-series bounds the label sets and counts what it left out, and bad addresses are
# refused in one line.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v prometheus > /dev/null || fail "no prometheus (scripts/setup.sh installs it)"
script=$SCRIPTS/seq_metrics.lua

# wait_scrape PORT LINE: until a scrape holds LINE exactly (snapshots are 0.5 s apart; the
# exposition is in $TMP/scrape).
wait_scrape() { wait_for "a scrape on $1 that holds $2" scrape_holds "$1" "$2"; }
scrape_holds() {
  curl -sf "http://127.0.0.1:$1/metrics" > "$TMP/scrape" && grep -qxF -- "$2" "$TMP/scrape"
}

# Before the first snapshot (here: while on_init waits for the test) a scrape gets 503.
mport=$(free_port)
cat > "$TMP/slow_init.lua" <<LUA
local ffi = require("ffi")
ffi.cdef("int usleep(unsigned int usec);")
io.stdout:setvbuf("line")
return {
  on_init = function()
    print("INIT")
    for _ = 1, 3000 do
      local go = io.open("$TMP/init_go")
      if go then go:close() break end
      ffi.C.usleep(10000)
    end
    print("READY")
  end,
  on_event = function() end,
}
LUA
start_ringlua_until INIT --metrics "127.0.0.1:$mport" "$TMP/slow_init.lua"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mport/metrics")
touch "$TMP/init_go"
wait_output READY
wait_for "a scrape after on_init" curl -sf -o /dev/null "http://127.0.0.1:$mport/metrics"
stop_ringlua
assert_eq "$code" 503 "a scrape before the first snapshot"
pass "/metrics answers 503 until the first snapshot, then the exposition"

mport=$(free_port)
pin=$(new_pin)
produce --pin "$pin" --count 0 --size 65536
start_ringlua --pin "$pin" --metrics "127.0.0.1:$mport" "$script"
produce --pin "$pin" --reuse --count 1000
wait_scrape "$mport" "ringlua_events_total 1000"
assert_contains "$TMP/scrape" 'seq_events{kind="2",tag="seq"} 250' "a labelled counter"
assert_contains "$TMP/scrape" '# TYPE seq_value histogram' "a histogram's type"
assert_contains "$TMP/scrape" 'seq_value_bucket{le="511"} 512' "a cumulative bucket"
assert_contains "$TMP/scrape" 'seq_value_bucket{le="+Inf"} 1000' "the +Inf bucket"
assert_contains "$TMP/scrape" 'seq_value_sum 499500' "the histogram's sum"
assert_contains "$TMP/scrape" 'seq_value_total 1498500' "a 64-bit sum"
assert_matches "$TMP/scrape" '^ringlua_ring_fill_ratio\{ring="events"\} 0\.0+$' "ring fill"
assert_matches "$TMP/scrape" '^ringlua_consumer_cpu_seconds_total [0-9.]+$' "consumer CPU"
curl -s -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$mport/other" > "$TMP/code"
assert_eq "$(cat "$TMP/code")" 404 "another path"
pass "/metrics serves the aggregations of the workload"

# A real Prometheus scraping it every second.
pport=$(free_port)
mkdir -p "$TMP/prom"
cat > "$TMP/prom/prometheus.yml" <<YML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: ringlua
    static_configs:
      - targets: ['127.0.0.1:$mport']
YML
timeout -s KILL 60 prometheus --config.file="$TMP/prom/prometheus.yml" \
  --storage.tsdb.path="$TMP/prom/data" --web.listen-address="127.0.0.1:$pport" \
  > "$TMP/prom/log" 2>&1 &
PROM=$!

# query EXPR: the value of the one sample Prometheus's query API gives for EXPR ("" if
# none yet).
query() {
  curl -sf -G "http://127.0.0.1:$pport/api/v1/query" --data-urlencode "query=$1" 2> /dev/null |
    sed -n 's/.*"value":\[[0-9.]*,"\([^"]*\)"\].*/\1/p' || true
}

# wait_query EXPR VALUE: until Prometheus answers EXPR with VALUE, up to 30 s.
wait_query() {
  local got=
  for _ in $(seq 150); do
    got=$(query "$1")
    [ "$got" == "$2" ] && return 0
    kill -0 "$PROM" 2> /dev/null || { cat "$TMP/prom/log" >&2; fail "prometheus exited"; }
    sleep 0.2
  done
  fail "Prometheus: $1: expected $2, got '$got'"
}

wait_query 'seq_events{kind="2",tag="seq"}' 250
wait_query 'sum(seq_events)' 1000
wait_query 'seq_value_bucket{le="511"}' 512
wait_query 'seq_value_bucket{le="+Inf"}' 1000
wait_query 'seq_value_count' 1000
wait_query 'seq_value_sum' 499500
wait_query 'seq_mod100_bucket{le="49"}' 500
# Prometheus's own reading of the buckets: the median of seq 0..999, 500 of 1000 in the
# bucket (255, 511] that holds 256 from 256 on, interpolated: 255 + 256 * 244 / 256.
wait_query 'histogram_quantile(0.5, seq_value_bucket)' 499
wait_query 'up{job="ringlua"}' 1
wait_query 'seq_odd_names{key="x\\xffy"}' 1
pass "Prometheus reads the labelled counter and the histogram exactly, and a label that was not UTF-8"

# A reload keeps the aggregations: 1000 more records add to them.
signal_ringlua HUP
wait_output "reloaded" "$TMP/bg.err"
produce --pin "$pin" --reuse --count 1000 --start 1000
wait_scrape "$mport" "ringlua_events_total 2000"
assert_contains "$TMP/scrape" 'seq_events{kind="2",tag="seq"} 500' "the counter after a reload"
assert_contains "$TMP/scrape" 'seq_value_bucket{le="+Inf"} 2000' "the histogram after a reload"
assert_contains "$TMP/scrape" 'ringlua_reloads_total 1' "the reload counted"
wait_query 'seq_events{kind="2",tag="seq"}' 500
wait_query 'resets(seq_events{kind="2"}[1m])' 0
pass "a reload keeps the aggregations, and Prometheus sees no reset"
kill "$PROM"
wait "$PROM" 2> /dev/null || true
stop_ringlua
assert_eq "$RC" 0 "exit code"

# --max-series 3: the three biggest of the four kinds and none of the rest; 5 of the 8
# label sets left out, and counted.
pin=$(new_pin)
produce --pin "$pin" --count 0 --size 65536
start_ringlua --pin "$pin" --metrics "127.0.0.1:$mport" --max-series 3 "$script"
produce --pin "$pin" --reuse --count 1000
wait_scrape "$mport" "ringlua_events_total 1000"
assert_contains "$TMP/scrape" 'ringlua_metrics_series_dropped 5' "the series left out"
assert_eq "$(grep -c '^seq_events{' "$TMP/scrape")" 3 "label sets of the counter"
assert_eq "$(grep -c '^seq_value_bucket' "$TMP/scrape" || true)" 0 "the histogram left out"
stop_ringlua
pass "--max-series bounds the label sets and counts the rest"

# Bad addresses: one line, a usage exit; a port in use: one line, a failure.
for bad in nohost 127.0.0.1: 127.0.0.1:0 127.0.0.1:70000 :9435; do
  run_ringlua --pin "$pin" --metrics "$bad" "$script"
  assert_eq "$RC" 2 "exit code of --metrics $bad"
  assert_eq "$(wc -l < "$TMP/err")" 1 "one line for --metrics $bad"
  assert_contains "$TMP/err" "invalid value for --metrics: '$bad'" "--metrics $bad"
done
run_ringlua --pin "$pin" --max-series 5 "$script"
assert_eq "$RC" 2 "--max-series without --metrics"
assert_contains "$TMP/err" "--max-series bounds what --metrics shows" "--max-series alone"
run_ringlua --replay "$TMP/none.rec" --metrics "127.0.0.1:$mport" "$script"
assert_eq "$RC" 2 "--metrics with --replay"
assert_contains "$TMP/err" "does not go with --metrics or --output" "--metrics with --replay"
start_ringlua --pin "$pin" --metrics "127.0.0.1:$mport" "$script"
run_ringlua --pin "$pin" --metrics "127.0.0.1:$mport" "$script"
assert_eq "$RC" 1 "exit code with the port in use"
assert_contains "$TMP/err" "ringlua: --metrics: cannot listen on 127.0.0.1:$mport: Address already in use" \
  "the port in use"
stop_ringlua
pass "bad --metrics addresses are refused in one line"
