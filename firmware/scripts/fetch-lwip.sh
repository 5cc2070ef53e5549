#!/bin/sh
# Fetches the lwIP sources from the Debian source package into
# firmware/third_party/ (never committed; see firmware/third_party/.gitignore).
# Idempotent: does nothing when an unpacked lwip-*/src/core exists.
# Adds a deb-src entry mirroring the host/suite of the existing "deb" sources
# if none is configured, runs apt-get update and apt-get source lwip.
# Prints the path of the unpacked tree on stdout.
set -eu
HERE=$(cd "$(dirname "$0")/.." && pwd)
TP="$HERE/third_party"
mkdir -p "$TP"

found() {
  for d in "$TP"/lwip-*; do
    if [ -d "$d/src/core" ] && [ -f "$d/src/include/lwip/init.h" ]; then
      echo "$d"; return 0
    fi
  done
  return 1
}
if found; then exit 0; fi

# Retry a command while the dpkg/apt lock is held by another process.
retry_lock() {
  n=0
  while :; do
    if "$@"; then return 0; fi
    n=$((n + 1))
    if [ $n -ge 30 ]; then echo "fetch-lwip: giving up: $*" >&2; return 1; fi
    echo "fetch-lwip: '$*' failed (apt lock held?), retrying in 5 s" >&2
    sleep 5
  done
}

have_src() {
  grep -Eqs '^[[:space:]]*deb-src[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list && return 0
  grep -Eqs '^Types:.*deb-src' /etc/apt/sources.list.d/*.sources && return 0
  return 1
}

if ! have_src; then
  [ "$(id -u)" = 0 ] || { echo "fetch-lwip: no deb-src entry and not root" >&2; exit 1; }
  uri=""; suite=""
  # deb822 sources first (bookworm default), then one-line sources.
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    u=$(awk '/^URIs:/{print $2; exit}' "$f")
    s=$(awk '/^Suites:/{print $2; exit}' "$f")
    case "$u" in *debian-security*|"") continue ;; esac
    if grep -q '^Types:.*deb' "$f" && printf '%s' "$u" | grep -q '/debian'; then
      uri=$u; suite=$s; break
    fi
  done
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    line=$(grep -E '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list | grep -v security | head -1 || true)
    uri=$(printf '%s' "$line" | awk '{for(i=2;i<=NF;i++) if ($i !~ /^\[/ && $i !~ /\]$/) {print $i; exit}}')
    suite=$(printf '%s' "$line" | awk '{n=0; for(i=2;i<=NF;i++) if ($i !~ /^\[/ && $i !~ /\]$/) {n++; if (n==2) {print $i; exit}}}')
  fi
  [ -n "$uri" ] && [ -n "$suite" ] || { echo "fetch-lwip: cannot find a Debian deb source to mirror" >&2; exit 1; }
  echo "fetch-lwip: adding deb-src $uri $suite main" >&2
  cat > /etc/apt/sources.list.d/wasmbed-deb-src.sources <<EOT
Types: deb-src
URIs: $uri
Suites: $suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOT
  retry_lock apt-get update -qq >&2
fi

command -v dpkg-source >/dev/null || retry_lock apt-get install -y -qq dpkg-dev >&2
cd "$TP"
if ! retry_lock apt-get source -qq lwip >&2; then
  # The index may be stale or missing; refresh once and try again.
  retry_lock apt-get update -qq >&2
  retry_lock apt-get source -qq lwip >&2
fi
found || { echo "fetch-lwip: lwip not unpacked in $TP" >&2; exit 1; }
