#!/bin/sh
# Runs every .wast in DIR through wast2json and the host spec runner.
# Prints one line per file and finally "total: N passed, M failed, K skipped".
# A file wast2json cannot convert counts as 1 failed (with the reason).
set -u
HERE=$(cd "$(dirname "$0")/.." && pwd)
DIR=${1:-"$HERE/../../shared/wasm-testsuite"}
[ -d "$DIR" ] || { echo "wasm-spec: no such directory: $DIR" >&2; exit 2; }
DIR=$(cd "$DIR" && pwd)
sh "$HERE/scripts/ensure-deps.sh" wabt gcc make >&2 || exit 2
make -s -C "$HERE" build/spec-runner >&2 || exit 2
RUNNER=${SPEC_RUNNER:-"$HERE/build/spec-runner"}
OUT="$HERE/build/spec"
rm -rf "$OUT"; mkdir -p "$OUT"
tp=0; tf=0; ts=0
for w in "$DIR"/*.wast; do
  [ -e "$w" ] || continue
  name=$(basename "$w" .wast)
  mkdir -p "$OUT/$name"
  if ! wast2json "$w" -o "$OUT/$name/$name.json" >"$OUT/$name/wast2json.log" 2>&1; then
    reason=$(head -1 "$OUT/$name/wast2json.log")
    echo "$name.wast: 0 passed, 1 failed, 0 skipped (wast2json failed: $reason)"
    tf=$((tf + 1))
    continue
  fi
  line=$(timeout 300 "$RUNNER" "$OUT/$name/$name.json" "$name.wast" 2>"$OUT/$name/runner.log")
  rc=$?
  if [ -z "$line" ]; then
    echo "$name.wast: 0 passed, 1 failed, 0 skipped (runner crashed, exit $rc)"
    tf=$((tf + 1))
    continue
  fi
  echo "$line"
  [ -s "$OUT/$name/runner.log" ] && sed "s/^/    /" "$OUT/$name/runner.log" | head -10 >&2
  p=$(echo "$line" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped.*/\1/p')
  f=$(echo "$line" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped.*/\2/p')
  s=$(echo "$line" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped.*/\3/p')
  tp=$((tp + ${p:-0})); tf=$((tf + ${f:-1})); ts=$((ts + ${s:-0}))
  if [ "$rc" -gt 1 ] && [ "${f:-0}" = 0 ]; then tf=$((tf + 1)); echo "    runner exit $rc" >&2; fi
done
echo "total: $tp passed, $tf failed, $ts skipped"
[ "$tf" = 0 ]
