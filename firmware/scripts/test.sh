#!/bin/sh
# Firmware part of the project's test command:
#   1. C unit tests (embedding API, traps, the three limit tests), plain and
#      under ASan+UBSan;
#   2. replay of the fuzz corpus through the harness (ASan+UBSan);
#   3. the spec suite (computed-goto build) and, as one extra check, the
#      same suite on the portable switch-dispatch build;
#   4. a differential run against wabt's wasm-interp over the corpus and
#      the spec modules; the Cortex-M3 size report (<= 40 KB text);
#   5. the same interpreter cross-built for Cortex-M3 and run under QEMU.
# Ends with "firmware: N passed, M failed"; exits non-zero on any failure.
set -u
HERE=$(cd "$(dirname "$0")/.." && pwd)
SUITE=${WASM_SPEC_DIR:-"$HERE/../../shared/wasm-testsuite"}
cd "$HERE"
sh scripts/ensure-deps.sh || exit 2
P=0; F=0
add() { P=$((P + $1)); F=$((F + $2)); }
check() {  # check NAME CMD... : one pass/fail
  if "$@"; then add 1 0; echo "ok: $name"; else add 0 1; echo "FAILED: $name"; fi
}
counts() {  # extract "N passed, M failed" from a line
  echo "$1" | sed -n 's/.* \([0-9]*\) passed, \([0-9]*\) failed.*/\1 \2/p'
}

echo "== build"
if ! make -s build/unit build/unit-asan build/fuzz-replay build/spec-runner build/spec-runner-switch test-wasm; then
  echo "firmware: 0 passed, 1 failed"; exit 1
fi

echo "== unit tests"
for u in unit unit-asan; do
  line=$(ASAN_OPTIONS=detect_leaks=0 ./build/$u build/test-wasm 2>&1 | tee build/$u.log | tail -1)
  echo "$u: $line"
  c=$(counts "$line")
  if [ -n "$c" ]; then add $c; else add 0 1; echo "FAILED: $u crashed"; cat build/$u.log; fi
  grep FAIL build/$u.log || true
done

echo "== fuzz corpus replay (ASan+UBSan)"
name="fuzz corpus replay ($(ls fuzz/corpus | wc -l) inputs)"
check ./build/fuzz-replay fuzz/corpus

echo "== spec suite"
if [ -d "$SUITE" ]; then
  line=$(sh scripts/wasm-spec.sh "$SUITE" | tee build/spec.log | tail -1)
  grep -v " 0 failed" build/spec.log | grep -v '^total' || true
  echo "spec: $line"
  c=$(counts "$line")
  if [ -n "$c" ]; then add $c; else add 0 1; fi
  name="spec suite on switch-dispatch build"
  check sh -c "SPEC_RUNNER=$HERE/build/spec-runner-switch sh scripts/wasm-spec.sh '$SUITE' >build/spec-switch.log 2>&1"
  tail -1 build/spec-switch.log
else
  echo "FAILED: spec suite not found at $SUITE"; add 0 1
fi

echo "== differential test against wasm-interp"
line=$(sh scripts/wasm-diff.sh 2>build/diff.log | tail -1)
echo "$line"; cat build/diff.log | head -20
name="differential test vs wasm-interp ($line)"
if echo "$line" | grep -q ', 0 differ,'; then add 1 0; else add 0 1; echo "FAILED: $name"; fi

echo "== arm size"
name="arm-none-eabi -Os size <= 40 KB"
check sh -c "sh scripts/wasm-size.sh | tee build/size.json"

echo "== Cortex-M3 device test (QEMU mps2-an385)"
line=$(sh scripts/wasm-device-test.sh 2>&1 | tail -1)
echo "$line"
c=$(counts "$line")
if [ -n "$c" ]; then add $c; else add 0 1; echo "FAILED: device test did not report"; fi

echo "firmware: $P passed, $F failed"
[ "$F" = 0 ]
