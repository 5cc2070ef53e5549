#!/usr/bin/env bash
# The project's test command: lint, type checks and every test, on a machine set up by setup.sh.
# Ends with one line "wasmbed: N passed, M failed" that counts every test that ran.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# A test run must leave the tree as it found it (the lockfile included): compared at the end.
tree_before="$(git status --porcelain 2>/dev/null | sha256sum)"
bash scripts/setup.sh || { echo "setup failed"; exit 1; }
source scripts/node-env.sh && wasmbed_ensure_node

passed=0 failed=0
# Every suite runs under a time limit, so a hang (an interpreter loop without fuel, a test
# waiting for a device that never answers) fails that suite by name instead of holding CI.
# WASMBED_SUITE_TIMEOUT_SCALE stretches every limit (e.g. 2 on a slower machine).
scale=${WASMBED_SUITE_TIMEOUT_SCALE:-1}
limit() { echo $(($1 * scale)); }
timed_out() { # timed_out NAME SECONDS STATUS: true (and says so) when STATUS is timeout's
  if [ "$3" -eq 124 ] || [ "$3" -eq 137 ]; then echo "!! $1 timed out after $2 s"; return 0; fi
  return 1
}

step() { # step NAME SECONDS COMMAND...: a check that counts as one test
  local name="$1" secs; secs="$(limit "$2")"; shift 2
  echo "== $name"
  timeout --kill-after=10 "$secs" "$@"
  local status=$?
  if [ "$status" -eq 0 ]; then passed=$((passed + 1)); else
    failed=$((failed + 1)); timed_out "$name" "$secs" "$status" || echo "!! $name failed"
  fi
}

step lint 300 npm run -s lint
step typecheck 300 npm run -s typecheck

# kube-apiserver, kubectl and etcd for the tests that compare the API server with Kubernetes
# (Jest's harness and field-ownership tests, the api-conformance suite). Cold: about 5 min
# on 2 cores; cached under .tools/ (and Go's caches) afterwards.
step kube-build 1800 bash test/cluster/kube.sh build

echo "== jest"
report="$(mktemp)" jest_log="$(mktemp)"
jest_secs="$(limit 900)"
timeout --kill-after=10 "$jest_secs" npx jest --ci --json --outputFile="$report" 2>&1 \
  | grep -v '^npm warn Unknown user config' | tee "$jest_log"
jest_status=${PIPESTATUS[0]}
jest_counts="$(node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const failedSuites = r.numFailedTestSuites + (r.numRuntimeErrorTestSuites || 0);
  console.log(r.numPassedTests, r.numFailedTests + failedSuites, r.numPendingTests + r.numTodoTests);
' "$report" 2>/dev/null || echo "0 1 0")"
if timed_out jest "$jest_secs" "$jest_status"; then
  # Jest reports each file as it finishes; the files it never reported are the ones that hung.
  npx jest --listTests 2>/dev/null | sed "s|^$root/||" | sort > "$report.all"
  grep -oE '^(PASS|FAIL) +[^ ]+' "$jest_log" | awk '{print $2}' | sort -u > "$report.done"
  echo "!! jest: test files that did not finish: $(comm -23 "$report.all" "$report.done" | tr '\n' ' ')"
  jest_counts="0 1 0"
fi
read -r jp jf js <<< "$jest_counts"
rm -f "$report" "$report.all" "$report.done" "$jest_log"
passed=$((passed + jp)); failed=$((failed + jf))
[ "$js" -eq 0 ] || echo "jest: $js tests skipped (not counted as passed)"

# The C suites: each prints "<name>: N passed, M failed" last and exits non-zero on failure.
# A suite whose script is not in the tree yet is skipped (and said so), never counted passed.
run_suite() { # run_suite NAME SECONDS SCRIPT [ARGS...]
  local name="$1" secs script="$3"; secs="$(limit "$2")"; shift 3
  if [ ! -f "$script" ]; then echo "== $name: $script not present, not run"; return; fi
  echo "== $name"
  local log; log="$(mktemp)"
  # timeout signals its whole process group: a timed-out suite's QEMU children go with it,
  # and the suites' EXIT traps stop the gateways they started in sessions of their own.
  timeout --kill-after=10 "$secs" bash "$script" "$@" 2>&1 | tee "$log"
  local status=${PIPESTATUS[0]}
  local line; line="$(grep -E "^$name: [0-9]+ passed, [0-9]+ failed" "$log" | tail -1)"
  rm -f "$log"
  local p=0 f=0
  if [ -n "$line" ]; then
    p="$(sed -E 's/^[^:]+: ([0-9]+) passed.*/\1/' <<< "$line")"
    f="$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<< "$line")"
  fi
  if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1; timed_out "$name" "$secs" "$status" || echo "!! $name exited $status"
  fi
  passed=$((passed + p)); failed=$((failed + f))
}
run_suite firmware 900 firmware/scripts/test.sh
run_suite protocol 600 firmware/scripts/protocol-test.sh
run_suite boards 300 firmware/scripts/board-test.sh
run_suite tls 600 firmware/scripts/tls-test.sh
run_suite device-e2e 900 firmware/scripts/device-e2e.sh
run_suite device-failures 900 firmware/scripts/device-failures.sh
run_suite device-sandbox 300 firmware/scripts/device-sandbox.sh
run_suite device-entropy 600 firmware/scripts/device-entropy.sh
run_suite device-gateways 600 firmware/scripts/device-gateways.sh
run_suite gateway-fuzz 300 test/fuzz/run.sh
run_suite api-conformance 900 test/apiserver/run.sh
run_suite e2e-platform 900 test/e2e/run.sh

echo "== tree unchanged"
if [ "$(git status --porcelain 2>/dev/null | sha256sum)" = "$tree_before" ]; then passed=$((passed + 1)); else
  failed=$((failed + 1)); echo "!! the test run changed the tree:"; git status --porcelain | head -20
fi

echo
echo "wasmbed: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
