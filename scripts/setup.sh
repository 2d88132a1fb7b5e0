#!/usr/bin/env bash
# Installs what ringlua needs from Debian packages (only what is missing), then configures
# and builds it in build/, and a second tree in build-asan/: clang with AddressSanitizer,
# UndefinedBehaviorSanitizer and the fuzz harnesses; installs the first under /usr/local
# (ringlua on the PATH). Idempotent and non-interactive; run as root.
#   scripts/setup.sh                             # both trees
#   scripts/setup.sh BUILD_DIR [extra cmake args...]   # that tree only
set -euo pipefail

PACKAGES=(cmake make gcc pkg-config clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev
          libluajit-5.1-dev luajit lua-busted valgrind)
# The uapi headers ringlua.names takes system call, errno and signal names from.
PACKAGES+=(linux-libc-dev)
# C++ names in stacks are demangled by libstdc++'s demangler (linked from g++'s
# libstdc++); test_cpp_names profiles a C++ program built with g++.
PACKAGES+=(g++)
# --stacks dwarf unwinds user stacks from a copy of the stack with elfutils' libdwfl (the
# CFI of each mapped file), as perf --call-graph dwarf does.
PACKAGES+=(libdw-dev)
# The man page is made from `ringlua --help`.
PACKAGES+=(help2man)
# `cpack -G DEB` finds the package's library dependencies with dpkg-shlibdeps; the unit
# template is checked with systemd-analyze; the man page with man.
PACKAGES+=(dpkg-dev systemd man-db)
# pahole: record types of --bpf objects from their DWARF, when clang left them out of BTF.
PACKAGES+=(dwarves)
# --metrics serves HTTP with libmicrohttpd; --output publishes to NATS with libnats.
PACKAGES+=(libmicrohttpd-dev libnats-dev)
# The real servers test_metrics and test_nats point ringlua at, and curl to ask them;
# openssl makes the certificate test_nats_secure's TLS server presents.
PACKAGES+=(prometheus nats-server curl openssl)
# test_completion loads scripts/ringlua.bash-completion with bash-completion's helpers
# (_init_completion, _filedir), as an interactive shell would.
PACKAGES+=(bash-completion)
# test_uprobes counts libc's malloc with bpftrace too (it installs it if missing).
PACKAGES+=(bpftrace)
# test_usdt traces Python's USDT probes (python:audit, python:gc__start): Debian's
# python3.11 is built with them.
PACKAGES+=(python3.11)
# test_flamegraph opens profile.lua's --svg flame graph in a real browser, headless, and
# checks what it draws and that its script zooms.
PACKAGES+=(chromium)

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-}
shift || true

missing_packages() {
  local p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}

install_missing() {
  local missing
  missing=$(missing_packages)
  [ -z "$missing" ] && return 0
  echo "setup: installing:" $missing
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# build_tree DIR [cmake args...]
build_tree() {
  local dir=$1
  shift
  cmake -S "$root" -B "$dir" "$@" >/dev/null
  cmake --build "$dir" -j"$(nproc)"
  echo "setup: built $dir/src/ringlua"
}

install_missing
if [ -n "$build" ]; then
  build_tree "$build" "$@"
else
  build_tree "$root/build"
  # ringlua on the PATH (/usr/local/bin), its modules, scripts, man page and unit.
  cmake --install "$root/build" > /dev/null
  echo "setup: installed $(command -v ringlua || echo /usr/local/bin/ringlua)"
  build_tree "$root/build-asan" -DCMAKE_C_COMPILER=clang -DRINGLUA_SANITIZE=ON -DRINGLUA_FUZZ=ON
fi
