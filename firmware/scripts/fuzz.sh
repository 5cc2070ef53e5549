#!/bin/sh
# Runs the libFuzzer harness (parse + validate + instantiate + bounded
# calls) with ASan+UBSan for SECONDS (default 600), then minimizes the
# corpus back into fuzz/corpus with -merge=1.
set -eu
HERE=$(cd "$(dirname "$0")/.." && pwd)
SECS=${1:-600}
sh "$HERE/scripts/ensure-deps.sh" clang libclang-rt-14-dev make >&2
cd "$HERE"
make -s build/fuzz-load
mkdir -p build/fuzz-work fuzz/corpus
LOG=build/fuzz.log
echo "fuzz: running for ${SECS}s, log in $LOG" >&2
rc=0
./build/fuzz-load -max_total_time="$SECS" -max_len=16384 -rss_limit_mb=4096 -timeout=10 \
  -print_final_stats=1 -artifact_prefix=build/ build/fuzz-work fuzz/corpus >"$LOG" 2>&1 || rc=$?
grep -E "^(#[0-9]+.*DONE|stat::)" "$LOG" | tail -12 >&2 || true
if [ "$rc" != 0 ]; then
  echo "fuzz: FAILED (exit $rc), see $LOG" >&2
  grep -E "ERROR|runtime error" "$LOG" | head -5 >&2 || true
  exit "$rc"
fi
rm -rf build/corpus.min && mkdir -p build/corpus.min
# Edge-level set cover keeps the committed corpus to a few hundred files.
./build/fuzz-load -set_cover_merge=1 -use_counters=0 -max_len=16384 build/corpus.min fuzz/corpus build/fuzz-work >build/fuzz-merge.log 2>&1
rm -rf fuzz/corpus && mv build/corpus.min fuzz/corpus
echo "fuzz: ok, corpus now $(ls fuzz/corpus | wc -l) files" >&2
