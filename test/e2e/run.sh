#!/usr/bin/env bash
# The platform end-to-end suite for the test command: the real API server, controllers and two
# gateway processes, three QEMU devices, the real kubectl (pinned 1.32.13; built or reused by
# kube.sh). Last line: e2e-platform: N passed, M failed (non-zero exit on a failure).
# Extra arguments go to platformE2e.ts (--keep leaves the work directory with every log).
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
source scripts/node-env.sh && wasmbed_ensure_node > /dev/null
if ! bash test/cluster/kube.sh build > /dev/null; then
  echo "e2e-platform: kubectl could not be built (bash test/cluster/kube.sh build)"
  echo "e2e-platform: 0 passed, 1 failed"
  exit 1
fi
exec node --import tsx test/e2e/platformE2e.ts "$@"
