#!/usr/bin/env bash
# Installs what ringlua needs from Debian packages (only what is missing), then configures
# and builds it in build/. Idempotent and non-interactive; run as root.
#   scripts/setup.sh [BUILD_DIR] [extra cmake args...]
set -euo pipefail

PACKAGES=(cmake make gcc pkg-config clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev
          libluajit-5.1-dev luajit lua-busted)
# The uapi headers ringlua.names takes system call, errno and signal names from.
PACKAGES+=(linux-libc-dev)

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
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

build_tree() {
  cmake -S "$root" -B "$build" "$@" >/dev/null
  cmake --build "$build" -j"$(nproc)"
}

install_missing
build_tree "$@"
echo "setup: built $build/src/ringlua"
