#!/bin/sh
# Differential test against wabt's wasm-interp: every module in the given
# directories (default: the fuzz corpus and the spec suite's modules) is run
# by both with all parameterless exports (--run-all-exports semantics).
# Integer results and trap/no-trap must agree; float/ref values are not
# compared (formatting differs). Modules wasm-interp rejects are skipped,
# as are those that run out of time (wasm-interp) or fuel (ours).
# Prints "diff: N compared, M differ, K skipped".
set -u
HERE=$(cd "$(dirname "$0")/.." && pwd)
sh "$HERE/scripts/ensure-deps.sh" wabt gcc make >&2 || exit 2
make -s -C "$HERE" build/wasm-run >&2 || exit 2
[ $# -gt 0 ] || set -- "$HERE/fuzz/corpus" "$HERE/build/spec"
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
norm() {  # keep "name() => value", traps as TRAP, floats/refs as *
  grep ' =>' | sed -e 's/=> error:.*/=> TRAP/' -e 's/=> .*\(f32\|f64\|ref\|other\).*/=> */' -e 's/ *$//'
}
n=0; d=0; s=0
for f in $(find "$@" -type f \( -name '*.wasm' -o ! -name '*.*' \) | sort); do
  timeout 3 wasm-interp "$f" --run-all-exports >"$TMP/a" 2>"$TMP/ae"; ra=$?
  if [ $ra = 124 ]; then s=$((s + 1)); continue; fi
  grep -q ' =>' "$TMP/a" || continue          # rejected or nothing to run
  timeout 10 "$HERE/build/wasm-run" "$f" --all 20000000 >"$TMP/b" 2>&1
  if grep -q 'out of fuel' "$TMP/b"; then s=$((s + 1)); continue; fi
  norm <"$TMP/a" >"$TMP/an"; norm <"$TMP/b" >"$TMP/bn"
  n=$((n + 1))
  if ! awk 'NR==FNR { a[FNR]=$0; na=FNR; next }
            { if (a[FNR] != $0 && a[FNR] !~ /=> \*$/ && $0 !~ /=> \*$/) bad=1; nb=FNR }
            END { exit (bad || na != nb) }' "$TMP/an" "$TMP/bn"; then
    d=$((d + 1)); echo "differs: $f" >&2; diff "$TMP/an" "$TMP/bn" | head -6 >&2
  fi
done
echo "diff: $n compared, $d differ, $s skipped"
[ "$d" = 0 ]
