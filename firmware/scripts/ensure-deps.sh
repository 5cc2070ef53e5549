#!/bin/sh
# Installs the Debian packages the firmware build needs, idempotently.
# Usage: ensure-deps.sh [PKG...]   (default: the full set)
set -e
PKGS="${*:-wabt clang libclang-rt-14-dev lld gcc gcc-arm-none-eabi libnewlib-arm-none-eabi make}"
missing=""
for p in $PKGS; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "ensure-deps: missing packages:$missing (run as root to install)" >&2
    exit 1
  fi
  echo "ensure-deps: installing$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null 2>&1 || true
  apt-get install -y -qq $missing >/dev/null
fi
