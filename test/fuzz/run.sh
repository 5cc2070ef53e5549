#!/usr/bin/env bash
# The gateway network fuzzer's short run for the test command: a live gateway, 200 heartbeating
# sessions, 60 s of generated and mutated frames on both ports (test/fuzz/gatewayFuzz.ts).
# GATEWAY_FUZZ_SECONDS changes the length. Last line: "gateway-fuzz: N passed, M failed".
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
source scripts/node-env.sh && wasmbed_ensure_node > /dev/null
exec npx tsx test/fuzz/gatewayFuzz.ts --seconds "${GATEWAY_FUZZ_SECONDS:-60}" --sessions 200
