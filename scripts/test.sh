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

# The firmware has its own C test suite; it prints "firmware: N passed, M failed" last.
if [ -x firmware/scripts/test.sh ] || [ -f firmware/scripts/test.sh ]; then
  echo "== firmware"
  fw_log="$(mktemp)"
  bash firmware/scripts/test.sh 2>&1 | tee "$fw_log"
  fw_status=${PIPESTATUS[0]}
  fw_line="$(grep -E '^firmware: [0-9]+ passed, [0-9]+ failed' "$fw_log" | tail -1)"
  rm -f "$fw_log"
  if [ -n "$fw_line" ]; then
    fp="$(sed -E 's/^firmware: ([0-9]+) passed.*/\1/' <<< "$fw_line")"
    ff="$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<< "$fw_line")"
    passed=$((passed + fp)); failed=$((failed + ff))
  fi
  if [ "$fw_status" -ne 0 ] && { [ -z "$fw_line" ] || [ "${ff:-0}" -eq 0 ]; }; then failed=$((failed + 1)); fi
fi

echo
echo "wasmbed: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
