#!/usr/bin/env bash
# The installed layout and the .deb: `cmake --install` and `cpack -G DEB` give a ringlua
# that finds its Lua modules (generated ones too) and ready scripts by name, a man page
# made from --help, and a systemd unit template systemd accepts, that starts the binary
# where each install puts it, rated "OK" or better by systemd-analyze security, whose
# command runs with the capabilities it leaves.
#   test_package.sh RINGLUA SEQ_PRODUCER BUILD_DIR
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
BUILD=${3:?usage: $0 RINGLUA SEQ_PRODUCER BUILD_DIR}

# An installed tree runs on its own: modules, generated modules, a ready script by name.
DESTDIR=$TMP/dest cmake --install "$BUILD" > /dev/null || fail "cmake --install"
prefix=$(find "$TMP/dest" -path '*/bin/ringlua' | head -1)
[ -x "$prefix" ] || fail "no bin/ringlua in the installed tree"
installed=$prefix
RINGLUA=$installed run_ringlua -c /bin/true -e '
  local names = require("ringlua.names")
  on_event = function() end
  on_exit = function() print(names.syscall_name(59), ringlua.source) end'
assert_eq "$RC" 0 "installed ringlua: exit code"
assert_eq "$(cat "$TMP/out")" "execve	exec" "installed ringlua: its modules and kernel_names"
RINGLUA=$installed run_ringlua execsnoop -- --help
assert_eq "$RC" 0 "a ready script by name: exit code"
assert_contains "$TMP/out" "execsnoop" "a ready script by name: its --help"
pass "the installed tree finds its modules and runs ready scripts by name"

# The consumer library's public header stands on its own once installed.
include_dir=$(dirname "$(dirname "$(find "$TMP/dest" -path '*/include/ringlua/consumer.h' | head -1)")")
echo '#include <ringlua/consumer.h>
int main(void) { struct rl_consumer *c = 0; rl_consumer_close(c); return 0; }' > "$TMP/use.c"
cc -Wall -Wextra -Werror -I"$include_dir" -c "$TMP/use.c" -o "$TMP/use.o" ||
  fail "the installed <ringlua/consumer.h> does not compile on its own"
pass "the installed consumer header compiles on its own"

# The man page is the --help text.
man_page=$(find "$TMP/dest" -name ringlua.1 | head -1)
[ -s "$man_page" ] || fail "no man page installed"
MANWIDTH=100 man -l "$man_page" > "$TMP/man" 2> /dev/null || fail "man cannot render it"
for opt in --execute --latency --replay --handler-timeout; do
  assert_contains "$TMP/man" "$opt" "the man page has $opt"
done
for section in NAME SYNOPSIS DESCRIPTION OPTIONS PROBES "EXIT STATUS" FILES EXAMPLES "SEE ALSO"; do
  assert_matches "$TMP/man" "^$section\$" "the man page's $section"
done
pass "man ringlua renders, with the options of --help and a man page's sections"

# The unit template, instantiated for a ready script: its ExecStart is the binary where
# this install put it (the .deb's is checked below), and systemd accepts it.
unit=$(find "$TMP/dest" -name 'ringlua@.service' | head -1)
[ -s "$unit" ] || fail "no unit template installed"
exec_bin=$(sed -n 's/^ExecStart=\([^ ]*\) .*/\1/p' "$unit")
assert_eq "$exec_bin" "${installed#"$TMP/dest"}" "the unit's ExecStart"
# verify wants ExecStart's binary to exist: this one is under the scratch root.
sed "s#^ExecStart=$exec_bin #ExecStart=$installed #" "$unit" > "$TMP/ringlua@execsnoop.service"
systemd-analyze verify --man=no "$TMP/ringlua@execsnoop.service" > "$TMP/verify" 2>&1 ||
  { cat "$TMP/verify" >&2; fail "systemd-analyze verify refuses the unit"; }
assert_contains "$unit" 'ExecReload=/bin/kill -HUP $MAINPID' "systemctl reload reloads the script"
assert_contains "$unit" 'Restart=on-failure' "a failed daemon restarts"
assert_contains "$unit" 'Environment=RINGLUA_METRICS=127.0.0.1:9435' "the default metrics address"
assert_contains "$unit" '--metrics ${RINGLUA_METRICS} %I' "the daemon serves /metrics"
pass "the unit template verifies, its ExecStart $exec_bin"

# Its sandbox: systemd rates the exposure "OK" (under 5.0, 50 on --threshold's scale)
# or better.
systemd-analyze security --offline=true --threshold=49 "$TMP/ringlua@execsnoop.service" \
  > "$TMP/security" 2>&1 || { cat "$TMP/security" >&2; fail "the unit's exposure is above OK"; }
assert_matches "$TMP/security" 'Overall exposure level for .*: [0-4]\.[0-9] (OK|SAFE|PERFECT)' \
  "the exposure level"
pass "systemd-analyze security: $(sed -n 's/.*Overall exposure level for [^:]*: //p' "$TMP/security")"

# The daemon's command line, as systemd would expand it for ringlua@execsnoop with the
# defaults, with no capabilities but the unit's and no new privileges, serves /metrics.
mport=$(free_port)
cmd=$(sed -n 's/^ExecStart=//p' "$TMP/ringlua@execsnoop.service")
cmd=${cmd//\$\{RINGLUA_METRICS\}/127.0.0.1:$mport}
cmd=${cmd//%I/execsnoop}
cmd=${cmd//\$RINGLUA_OPTS/}
bounding=-all
for cap in $(sed -n 's/^CapabilityBoundingSet=//p' "$unit"); do
  cap=${cap#CAP_}
  bounding+=",+${cap,,}"
done
# shellcheck disable=SC2086 # word splitting is what systemd does
timeout -s KILL 30 setpriv --bounding-set="$bounding" --inh-caps=-all --no-new-privs $cmd \
  > "$TMP/daemon.out" 2> "$TMP/daemon.err" &
daemon=$!
wait_for "the daemon's /metrics" curl -sf -o "$TMP/daemon.metrics" "http://127.0.0.1:$mport/metrics"
# (503 until the first snapshot: curl -f fails on it.)
signal_child INT "$daemon"
wait "$daemon" || { cat "$TMP/daemon.err" >&2; fail "the daemon's command failed"; }
assert_contains "$TMP/daemon.metrics" "# TYPE ringlua_events_total counter" "the daemon's /metrics"
pass "the unit's command, with the unit's capabilities ($bounding), serves /metrics"

# The .deb holds the same tree under /usr.
(cd "$TMP" && cpack -G DEB --config "$BUILD/CPackConfig.cmake" > "$TMP/cpack" 2>&1) ||
  { cat "$TMP/cpack" >&2; fail "cpack -G DEB"; }
deb=$(find "$TMP" -maxdepth 1 -name 'ringlua_*.deb' | head -1)
[ -s "$deb" ] || fail "no .deb made"
dpkg-deb -c "$deb" > "$TMP/deb_files"
for f in ./usr/bin/ringlua ./usr/share/ringlua/lua/ringlua/init.lua \
         ./usr/share/ringlua/lua/ringlua/hotpath.lua ./usr/share/ringlua/lua/ringlua/kernel_names.lua \
         ./usr/share/ringlua/scripts/execsnoop.lua ./usr/share/man/man1/ringlua.1 \
         ./usr/lib/systemd/system/ringlua@.service ./usr/include/ringlua/consumer.h \
         ./usr/include/ringlua/rec.h ./usr/share/ringlua/lua/ringlua/consumer_cdef.lua \
         ./usr/share/ringlua/lua/ringlua/rec_cdef.lua ./usr/share/ringlua/lua/meta/ringlua.lua \
         ./usr/share/bash-completion/completions/ringlua ./usr/share/doc/ringlua/README.md \
         ./usr/share/doc/ringlua/docs/getting-started.md ./usr/share/doc/ringlua/docs/programs.md; do
  assert_contains "$TMP/deb_files" "$f" "the .deb holds $f"
done
dpkg-deb -f "$deb" Depends > "$TMP/deps"
assert_contains "$TMP/deps" "libbpf1" "the .deb depends on libbpf"
dpkg-deb -x "$deb" "$TMP/deb_root"
assert_eq "$(sed -n 's/^ExecStart=\([^ ]*\) .*/\1/p' "$TMP/deb_root/usr/lib/systemd/system/ringlua@.service")" \
  /usr/bin/ringlua "the .deb unit's ExecStart"
RINGLUA=$TMP/deb_root/usr/bin/ringlua run_ringlua --version
assert_eq "$RC" 0 "the packaged binary runs"
pass "the .deb holds the binary, modules, scripts, man page and unit"
