#!/usr/bin/env bash
# The project's test command: lint, type checks and every test, on a machine set up by setup.sh.
# Ends with one line "wasmbed: N passed, M failed" that counts every test that ran.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/setup.sh || { echo "setup failed"; exit 1; }
source scripts/node-env.sh && wasmbed_ensure_node

passed=0 failed=0
step() { # step NAME COMMAND...: a check that counts as one test
  local name="$1"; shift
  echo "== $name"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "!! $name failed"; fi
}

step lint npm run -s lint
step typecheck npm run -s typecheck

echo "== jest"
report="$(mktemp)"
npx jest --ci --json --outputFile="$report" 2>&1 | grep -v '^npm warn Unknown user config'
jest_counts="$(node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const failedSuites = r.numFailedTestSuites + (r.numRuntimeErrorTestSuites || 0);
  console.log(r.numPassedTests, r.numFailedTests + failedSuites, r.numPendingTests + r.numTodoTests);
' "$report" 2>/dev/null || echo "0 1 0")"
read -r jp jf js <<< "$jest_counts"
rm -f "$report"
passed=$((passed + jp)); failed=$((failed + jf))
[ "$js" -eq 0 ] || echo "jest: $js tests skipped (not counted as passed)"

# The C suites: each prints "<name>: N passed, M failed" last and exits non-zero on failure.
# A suite whose script is not in the tree yet is skipped (and said so), never counted passed.
run_suite() { # run_suite NAME SCRIPT
  local name="$1" script="$2"
  if [ ! -f "$script" ]; then echo "== $name: $script not present, not run"; return; fi
  echo "== $name"
  local log; log="$(mktemp)"
  bash "$script" 2>&1 | tee "$log"
  local status=${PIPESTATUS[0]}
  local line; line="$(grep -E "^$name: [0-9]+ passed, [0-9]+ failed" "$log" | tail -1)"
  rm -f "$log"
  local p=0 f=0
  if [ -n "$line" ]; then
    p="$(sed -E 's/^[^:]+: ([0-9]+) passed.*/\1/' <<< "$line")"
    f="$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<< "$line")"
  fi
  if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "!! $name exited $status"; fi
  passed=$((passed + p)); failed=$((failed + f))
}
run_suite firmware firmware/scripts/test.sh
run_suite protocol firmware/scripts/protocol-test.sh
run_suite boards firmware/scripts/board-test.sh
run_suite tls firmware/scripts/tls-test.sh
run_suite device-e2e firmware/scripts/device-e2e.sh
run_suite device-failures firmware/scripts/device-failures.sh

echo
echo "wasmbed: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
