#!/usr/bin/env bash
# Fetch the wolfSSL sources from Debian's source package into
# firmware/third_party/ (never committed). Idempotent: does nothing when an
# unpacked tree is already there. Retries while another apt/dpkg holds the lock.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dest="$(cd "$here/.." && pwd)/third_party"
mkdir -p "$dest"
[ -e "$dest/.gitignore" ] || printf '*\n' > "$dest/.gitignore"

existing() { ls -d "$dest"/wolfssl-*/ 2>/dev/null | while read -r d; do
  [ -f "$d/wolfssl/ssl.h" ] && [ -f "$d/src/tls13.c" ] && echo "${d%/}"; done | head -n1; }

d="$(existing || true)"
if [ -n "$d" ]; then echo "wolfssl: already unpacked at $d"; exit 0; fi

sudo_=""; [ "$(id -u)" -eq 0 ] || sudo_="sudo"

retry() { # retry a command while the apt/dpkg lock is held by someone else
  local i out
  for i in $(seq 1 60); do
    if out="$("$@" 2>&1)"; then printf '%s\n' "$out" | tail -n 5; return 0; fi
    if printf '%s' "$out" | grep -qiE 'lock|Could not get lock|is another process using it'; then
      echo "wolfssl: apt lock busy, retry $i" >&2; sleep 5; continue
    fi
    printf '%s\n' "$out" >&2; return 1
  done
  echo "wolfssl: gave up waiting for the apt lock" >&2; return 1
}

# 1. make sure a deb-src entry exists for the suites/mirrors of the deb lines
need_src=1
if grep -rhsE '^\s*deb-src\s' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | grep -q .; then need_src=0; fi
if grep -rhsE '^\s*Types:.*deb-src' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -q .; then need_src=0; fi
if [ "$need_src" = 1 ]; then
  tmp="$(mktemp)"
  # one-line format deb lines (Debian mirrors only)
  grep -rhsE '^\s*deb\s' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
    | grep -E 'debian' | sed -E 's/^\s*deb(\s)/deb-src\1/' >> "$tmp" || true
  # deb822 format: copy each stanza of Debian's sources with Types: deb-src
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    grep -q 'debian' "$f" || continue
    awk 'BEGIN{RS="";ORS="\n\n"} /Types:[ \t]*deb/ && /debian/ {sub(/Types:[ \t]*deb[^\n]*/,"Types: deb-src"); print}' "$f" >> "$tmp"
  done
  if [ -s "$tmp" ]; then
    if grep -q '^Types:' "$tmp"; then
      $sudo_ cp "$tmp" /etc/apt/sources.list.d/wasmbed-deb-src.sources
    else
      $sudo_ cp "$tmp" /etc/apt/sources.list.d/wasmbed-deb-src.list
    fi
    echo "wolfssl: added deb-src entries"
  fi
  rm -f "$tmp"
fi

# 2. refresh lists (only if the source index is missing wolfssl)
if ! apt-cache showsrc wolfssl 2>/dev/null | grep -q '^Package: wolfssl'; then
  retry $sudo_ apt-get update -q
fi
command -v dpkg-source >/dev/null || retry $sudo_ apt-get install -y -q dpkg-dev

# 3. fetch + unpack
cd "$dest"
retry apt-get source -q wolfssl
d="$(existing || true)"
[ -n "$d" ] || { echo "wolfssl: unpack failed" >&2; exit 1; }
echo "wolfssl: unpacked at $d"
