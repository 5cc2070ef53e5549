#!/usr/bin/env bash
# Starts a gateway: `npm run gateway` (gateway/src/cli.ts, on the Kubernetes API) or, with
# --fixture first, `npm run gateway:fixture` (gateway/src/fixture/cli.ts: the test fixture with
# its own journal control plane and admin API, which the firmware shell tests drive).
#
# With Debian's jemalloc installed (setup.sh installs libjemalloc2) it is the gateway's
# allocator. Every TLS session interleaves long-lived OpenSSL and Node objects with the
# short-lived buffers of its handshake; glibc's malloc leaves those holes resident, and on this
# machine that costs 10-15 KiB of RSS per session at 5,000-10,000 sessions (measured with the
# same load either way; README). WASMBED_ALLOCATOR=system keeps glibc's malloc.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ "${WASMBED_ALLOCATOR:-jemalloc}" = jemalloc ]; then
  # awk reads all of ldconfig's output: quitting early would fail the pipeline (SIGPIPE).
  lib="$("$(command -v ldconfig || echo /sbin/ldconfig)" -p 2>/dev/null | awk '$1 == "libjemalloc.so.2" && !found { print $NF; found = 1 }' || true)"
  if [ -n "$lib" ]; then
    export LD_PRELOAD="$lib${LD_PRELOAD:+:$LD_PRELOAD}"
  else
    echo "gateway: libjemalloc2 not installed; using glibc malloc (more memory per session)" >&2
  fi
fi
entry="$here/src/cli.ts"
if [ "${1:-}" = --fixture ]; then
  entry="$here/src/fixture/cli.ts"
  shift
fi
exec "${NODE:-node}" --import tsx "$entry" "$@"
