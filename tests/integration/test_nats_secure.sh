#!/usr/bin/env bash
# --output's credentials and TLS, against a real nats-server. One that wants a user and a
# password: with them in an --output-creds file ringlua publishes (a subscriber receives
# --json's events), and neither its output nor its command line (`ps`, read by the traced
# command while ringlua runs) holds the password; with a wrong one it fails at once in
# one line. A token file the same. Files that could be someone else's are refused. One
# that speaks only TLS, with a certificate made here for 127.0.0.1: tls:// publishes
# when that certificate is trusted (SSL_CERT_FILE) and fails in one line when it is not.
#   test_nats_secure.sh RINGLUA SEQ_PRODUCER NATS_SUB
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

SUB=${3:?usage: $0 RINGLUA SEQ_PRODUCER NATS_SUB}
command -v nats-server > /dev/null || fail "no nats-server (scripts/setup.sh installs it)"
command -v openssl > /dev/null || fail "no openssl (scripts/setup.sh installs it)"
nport=$(free_port)
url=nats://127.0.0.1:$nport
secret=s3cret-$RANDOM$RANDOM

# start_nats ARGS: a server with ARGS, listening; stop_nats: gone.
start_nats() {
  timeout -s KILL 60 nats-server -a 127.0.0.1 -p "$nport" "$@" > "$TMP/nats.log" 2>&1 &
  NATS=$!
  wait_for "nats-server to listen on $nport ($TMP/nats.log)" listening "$nport"
}
listening() { (echo > "/dev/tcp/127.0.0.1/$1") 2> /dev/null; }
stop_nats() { signal_child KILL "$NATS"; wait "$NATS" 2> /dev/null || true; }

# publish_one SUB_URL ARGS: ringlua --json ARGS traces a command that saves ringlua's
# command line as `ps` shows it: two execs (sh, then its ps), which the subscriber (at
# SUB_URL) counts.
publish_one() {
  local sub_url=$1
  shift
  timeout -s KILL 60 "$SUB" "$sub_url" execs > "$TMP/sub.out" 2> "$TMP/sub.err" &
  SUBPID=$!
  wait_for "the subscriber ($TMP/sub.err)" file_has READY "$TMP/sub.out"
  run_ringlua --json "$@" -c "sh -c 'ps -o args= -p \$PPID > $TMP/ps'"
  signal_child TERM "$SUBPID"
  wait "$SUBPID" || fail "the subscriber failed"
}
secret_shown() { cat "$TMP/out" "$TMP/err" "$TMP/ps" 2> /dev/null | grep -c "$secret" || true; }

start_nats --user ringlua --pass "$secret"
printf 'user=ringlua\npassword=%s\n' "$secret" > "$TMP/creds"
chmod 600 "$TMP/creds"
publish_one "nats://ringlua:$secret@127.0.0.1:$nport" --output "$url/execs" \
  --output-creds "$TMP/creds"
assert_eq "$RC" 0 "exit code with the credentials file"
assert_matches "$TMP/sub.out" '^received=2 ' "the events published with the credentials"
assert_contains "$TMP/ps" "--output-creds $TMP/creds" "ringlua's command line"
assert_eq "$(secret_shown)" 0 "the password in ringlua's output or command line"
printf 'user=ringlua\npassword=wrong\n' > "$TMP/wrong"
chmod 600 "$TMP/wrong"
run_ringlua --json --output "$url/execs" --output-creds "$TMP/wrong" -c /bin/true
assert_eq "$RC" 1 "exit code with a wrong password"
assert_eq "$(cat "$TMP/err")" "ringlua: --output $url/execs: the server refused the credentials: Authorization Violation" \
  "the line for a wrong password"
pass "a user and password from --output-creds: published, never shown; a wrong one refused"

stop_nats
start_nats --auth "$secret"
printf '# the server'"'"'s token\ntoken=%s\n' "$secret" > "$TMP/token"
chmod 400 "$TMP/token"
publish_one "nats://$secret@127.0.0.1:$nport" --output "$url/execs" --output-creds "$TMP/token"
assert_eq "$RC" 0 "exit code with a token file"
assert_matches "$TMP/sub.out" '^received=2 ' "the events published with the token"
assert_eq "$(secret_shown)" 0 "the token in ringlua's output or command line"
pass "a token from --output-creds: published, never shown"

# Refused before anything connects: one line each, naming the file, never its contents.
chmod 620 "$TMP/creds"
ln -s "$TMP/token" "$TMP/link"
printf 'user=ringlua\npasword=%s\n' "$secret" > "$TMP/typo"
printf 'user=ringlua\n' > "$TMP/half"
for bad in "creds:writable by group or others" "link:it is a symbolic link" \
           "typo:line 2 is not user=, password= or token=" "half:no token=, or no user="; do
  run_ringlua --json --output "$url/execs" --output-creds "$TMP/${bad%%:*}" -c /bin/true
  assert_eq "$RC" 1 "exit code of --output-creds ${bad%%:*}"
  assert_eq "$(wc -l < "$TMP/err")" 1 "one line for --output-creds ${bad%%:*}"
  assert_contains "$TMP/err" "ringlua: --output-creds $TMP/${bad%%:*}: ${bad#*:}" "${bad%%:*}"
  assert_eq "$(secret_shown)" 0 "the secret in the line for ${bad%%:*}"
done
run_ringlua --json --output "nats://u:p@127.0.0.1:$nport/execs" --output-creds "$TMP/token" -c /bin/true
assert_eq "$RC" 2 "exit code of --output-creds with credentials in the URL"
run_ringlua --json --output-creds "$TMP/token" -c /bin/true
assert_eq "$RC" 2 "exit code of --output-creds without --output"
pass "credentials files that could be someone else's, or are malformed, are refused"

# TLS: a certificate for 127.0.0.1, made here.
stop_nats
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -subj /CN=ringlua-test -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2> "$TMP/openssl.err" ||
  { cat "$TMP/openssl.err" >&2; fail "openssl req"; }
start_nats --tls --tlscert "$TMP/cert.pem" --tlskey "$TMP/key.pem"
SSL_CERT_FILE=$TMP/cert.pem publish_one "tls://127.0.0.1:$nport" --output "tls://127.0.0.1:$nport/execs"
assert_eq "$RC" 0 "exit code over TLS"
assert_matches "$TMP/sub.out" '^received=2 ' "the events published over TLS"
run_ringlua --json --output "tls://127.0.0.1:$nport/execs" -c /bin/true
assert_eq "$RC" 1 "exit code with a certificate not trusted"
assert_eq "$(wc -l < "$TMP/err")" 1 "one line for a certificate not trusted"
assert_contains "$TMP/err" "ringlua: --output tls://127.0.0.1:$nport/execs: SSL handshake error: 18:self-signed certificate" \
  "the line for a certificate not trusted"
pass "tls:// publishes to a server whose certificate is trusted, and refuses one that is not"
