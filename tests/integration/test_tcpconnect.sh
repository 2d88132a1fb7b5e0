#!/usr/bin/env bash
# scripts/tcpconnect.lua prints one line per TCP connect in libbpf-tools' columns: PID,
# COMM, IP, SADDR, DADDR, DPORT; -4/-6 one family, -P PORTS those remote ports; --accept
# prints accepts as tcpaccept does: PID COMM IP RADDR RPORT LADDR LPORT.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=ready_scripts.sh
. "$(dirname "$0")/ready_scripts.sh"
ACTIVITY=${3:?usage: $0 RINGLUA SEQ_PRODUCER RL_ACTIVITY}
TCPCONNECT=$READY_SCRIPTS/tcpconnect.lua
HEADER="PID    COMM         IP SADDR            DADDR            DPORT"
HEADER_ACCEPT="PID     COMM         IP RADDR            RPORT LADDR            LPORT"

check_usage "$TCPCONNECT" -P0 "tcpconnect: -P: '0' is not a comma-separated list of a whole number from 1 to 65535 (see -- --help)"
run_ringlua "$TCPCONNECT" -- -4 -6
assert_eq "$RC" 2 "exit code of -4 -6"
assert_eq "$(cat "$TMP/err")" "tcpconnect: -4 and -6 exclude each other (see -- --help)" "-4 -6"

# A loopback port nothing listens on, for the helper's listener.
port=$((20000 + $$ % 20000))
while ss -Htln "sport = :$port" | grep -q .; do port=$((port + 1)); done

# connections FAMILY... : the helper connects and accepts over each family ("4", "6", or
# "4e" for IPv4 on an ephemeral port); its lines go to $TMP/activity. Sets v6 to 0, or
# to 77 when the machine has no IPv6 loopback.
connections() {
  : > "$TMP/activity"
  v6=0
  for f in "$@"; do
    case $f in
      4) "$ACTIVITY" tcp 4 "$port" >> "$TMP/activity" || fail "rl_activity tcp 4 $port" ;;
      4e) "$ACTIVITY" tcp 4 >> "$TMP/activity" || fail "rl_activity tcp 4" ;;
      6) "$ACTIVITY" tcp 6 "$port" >> "$TMP/activity" || v6=$? ;;
    esac
  done
  case $v6 in 0 | 77) ;; *) fail "rl_activity tcp 6 $port" ;; esac
}

# expected DIR FAMILY: the lines tcpconnect prints for the helper's DIR (connect or
# accept) over FAMILY (2 or 10), from what the helper reported.
expected() {
  local line pid saddr daddr sport dport ip
  if [ "$2" == 2 ]; then ip=4; else ip=6; fi
  grep "^dir=$1 .* family=$2 " "$TMP/activity" | while read -r line; do
    pid=$(sed 's/.* pid=\([0-9]*\) .*/\1/' <<< "$line")
    saddr=$(sed 's/.* saddr=\([^ ]*\) .*/\1/; s/^0:0:0:0:0:0:0:1$/::1/' <<< "$line")
    daddr=$(sed 's/.* daddr=\([^ ]*\) .*/\1/; s/^0:0:0:0:0:0:0:1$/::1/' <<< "$line")
    sport=$(sed 's/.* sport=\([0-9]*\) .*/\1/' <<< "$line")
    dport=${line##*dport=}
    if [ "$1" == connect ]; then
      printf '%-6d %-12.12s %-2d %-16s %-16s %d\n' "$pid" rl_activity "$ip" "$saddr" "$daddr" "$dport"
    else
      printf '%-7d %-12.12s %-2d %-16s %-5d %-16s %d\n' "$pid" rl_activity "$ip" "$daddr" "$dport" \
        "$saddr" "$sport"
    fi
  done
}

# assert_output HEADER LINES: the output is HEADER then exactly LINES.
assert_output() {
  local want
  want=$(printf '%s\n%s' "$1" "$2" | sed '/^$/d')
  assert_eq "$(cat "$TMP/bg.out")" "$want" "output"
}

# trace HEADER ARGS... -- FAMILIES: tcpconnect (only rl_activity, in the kernel) over the
# helper's connections.
trace() {
  local header=$1 args=()
  shift
  while [ "$1" != -- ]; do args+=("$1"); shift; done
  shift
  start_ringlua_until "$header" --comm rl_activity "$TCPCONNECT" -- "${args[@]}"
  connections "$@"
  stop_ringlua
  assert_eq "$RC" 0 "exit code after SIGINT (${args[*]})"
}

trace "$HEADER" -- 4 6
assert_output "$HEADER" "$(expected connect 2; expected connect 10)"
pass "connects over IPv4$([ "$v6" == 0 ] && echo " and IPv6"), in columns; no accepts"

trace "$HEADER" -4 -- 4 6
assert_output "$HEADER" "$(expected connect 2)"
pass "-4: IPv4 only"

if [ "$v6" == 0 ]; then
  trace "$HEADER" -6 -- 4 6
  assert_output "$HEADER" "$(expected connect 10)"
  pass "-6: IPv6 only"
fi

trace "$HEADER" -P "1,$port" -- 4e 4
[ "$(grep -c "^dir=connect" "$TMP/activity")" == 2 ] || fail "two connects expected"
assert_output "$HEADER" "$(expected connect 2 | grep " $port\$")"
pass "-P 1,$port: that remote port only"

trace "$HEADER_ACCEPT" --accept -- 4 6
assert_output "$HEADER_ACCEPT" "$(expected accept 2; expected accept 10)"
trace "$HEADER_ACCEPT" --accept -P "$port" -- 4e 4
assert_output "$HEADER_ACCEPT" "$(expected accept 2 | grep " $port\$")"
pass "--accept: accepts as tcpaccept prints them; -P on the local port"
