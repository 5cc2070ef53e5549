#!/usr/bin/env bash
# The two-server conformance suite for the test command: builds (or reuses) kube-apiserver,
# kubectl and etcd, then runs every case against a real kube-apiserver and the embedded API
# server in the same run (test/apiserver/main.ts). Extra arguments go to main.ts
# (--only TEXT, --dump DIR, --keep). Last lines:
#   api-conformance: N passed, M failed
#   api-conformance: cases run against kube-apiserver: X, against embedded: Y
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
source scripts/node-env.sh && wasmbed_ensure_node > /dev/null
if ! bash test/cluster/kube.sh build; then
  echo "api-conformance: kube-apiserver/kubectl/etcd could not be built (see above)"
  echo "api-conformance: 0 passed, 1 failed"
  exit 1
fi
exec npx tsx test/apiserver/main.ts "$@"
