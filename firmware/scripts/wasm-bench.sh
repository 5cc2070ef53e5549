#!/bin/sh
# Builds the benchmark programs (bench/*.c) for wasm32 with clang + wasm-ld
# and natively with gcc -O2, runs each with our interpreter (build/wasm-run)
# and with wabt's wasm-interp, checks that all three agree, and prints one
# JSON line per benchmark plus a final geometric-mean line.
# Times are wall-clock seconds for the whole process (load + run); ours and
# native are the best of 3 runs, wasm-interp a single run.
set -eu
HERE=$(cd "$(dirname "$0")/.." && pwd)
sh "$HERE/scripts/ensure-deps.sh" wabt clang lld gcc make >&2
make -s -C "$HERE" build/wasm-run >&2
B="$HERE/build/bench"
mkdir -p "$B"
# name:N -- sized so wasm-interp needs roughly 1.5-2 s on the reference box
BENCHES=${BENCHES:-"fib:32 coremark:600 sha256:45 crc32:80 nbody:70000 matmul:9"}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", b - a }'; }
best_of() {  # best_of N cmd... ; prints "seconds<TAB>output"
  n=$1; shift; best=""; out=""
  i=0
  while [ $i -lt "$n" ]; do
    t0=$(now); o=$("$@" 2>&1) || { echo "FAILED	$o"; return; }; t1=$(now)
    t=$(elapsed "$t0" "$t1")
    if [ -z "$best" ] || awk -v x="$t" -v y="$best" 'BEGIN { exit !(x < y) }'; then best=$t; fi
    out=$o; i=$((i + 1))
  done
  printf '%s\t%s\n' "$best" "$out"
}

logsum=0; count=0; status=0
for spec in $BENCHES; do
  name=${spec%%:*}; n=${spec#*:}
  clang --target=wasm32 -O2 -nostdlib -DN="$n" -Wl,--no-entry -Wl,--export=run \
    -o "$B/$name.wasm" "$HERE/bench/$name.c"
  gcc -O2 -DN="$n" -o "$B/$name.native" "$HERE/bench/$name.c" "$HERE/bench/native_main.c" -lm
  r_ours=$(best_of 3 "$HERE/build/wasm-run" "$B/$name.wasm" run)
  r_ref=$(best_of 1 wasm-interp "$B/$name.wasm" --run-all-exports)
  r_nat=$(best_of 3 "$B/$name.native")
  t_ours=$(printf '%s' "$r_ours" | cut -f1); o_ours=$(printf '%s' "$r_ours" | cut -f2 | grep '=>' | head -1)
  t_ref=$(printf '%s' "$r_ref" | cut -f1);   o_ref=$(printf '%s' "$r_ref" | cut -f2 | grep '=>' | head -1)
  t_nat=$(printf '%s' "$r_nat" | cut -f1);   o_nat=$(printf '%s' "$r_nat" | cut -f2 | grep '=>' | head -1)
  if [ "$t_ours" = FAILED ] || [ "$t_ref" = FAILED ] || [ "$o_ours" != "$o_ref" ] || [ "$o_ours" != "$o_nat" ]; then
    echo "{\"bench\":\"$name\",\"error\":\"results differ or run failed\",\"ours\":\"$o_ours\",\"wasm_interp\":\"$o_ref\",\"native\":\"$o_nat\"}"
    status=1; continue
  fi
  ratio=$(awk -v a="$t_ours" -v b="$t_ref" 'BEGIN { printf "%.4f", a / b }')
  result=$(echo "$o_ours" | sed 's/.*=> *//')
  echo "{\"bench\":\"$name\",\"n\":$n,\"result\":\"$result\",\"ours_s\":$t_ours,\"wasm_interp_s\":$t_ref,\"native_s\":$t_nat,\"ratio\":$ratio}"
  logsum=$(awk -v s="$logsum" -v r="$ratio" 'BEGIN { printf "%.6f", s + log(r) }')
  count=$((count + 1))
done
if [ "$count" -gt 0 ]; then
  gm=$(awk -v s="$logsum" -v n="$count" 'BEGIN { printf "%.4f", exp(s / n) }')
  echo "{\"geomean_ratio\":$gm,\"benchmarks\":$count,\"speedup\":$(awk -v g="$gm" 'BEGIN { printf "%.2f", 1 / g }')}"
else
  echo "{\"geomean_ratio\":null,\"benchmarks\":0}"; status=1
fi
exit $status
