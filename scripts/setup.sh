#!/usr/bin/env bash
# Makes this machine ready for the project: Debian packages, the pinned Node, npm packages.
# Idempotent and quick when everything is already in place.
set -euo pipefail
source "$(dirname "$0")/node-env.sh"
cd "$WASMBED_ROOT"

# Debian packages the project's commands use (firmware toolchain, emulator, reference peers).
# libjemalloc2: the gateway's allocator (gateway/scripts/gateway.sh says why).
# gcc-multilib: `gcc -m32` for the tls suite's 32-bit host build (heap figures of a 32-bit device).
DEBIAN_PACKAGES=(wabt clang lld gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm mosquitto valgrind libjemalloc2 gcc-multilib)
missing=()
for p in "${DEBIAN_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq >&2
  "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >&2
fi

wasmbed_ensure_node

# npm ci only when the lockfile changed since the last install.
stamp=node_modules/.wasmbed-install-stamp
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: installing npm packages" >&2
  # npm ci refuses this lockfile: npm here leaves other platforms' optional binaries out of it.
  npm install --loglevel=error --no-fund --no-audit >&2
  sha256sum package-lock.json | cut -d' ' -f1 > "$stamp"
fi
