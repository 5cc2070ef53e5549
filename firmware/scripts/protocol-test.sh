#!/usr/bin/env bash
# Tests of the device protocol codec (firmware/protocol): golden vectors + unit tests on a
# plain host build and an ASan/UBSan build, replay of the committed fuzz corpus under
# ASan/UBSan, and a warning-free Cortex-M3 cross-compile with its size.
# Last line: "protocol: N passed, M failed".
set -u
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
P="$ROOT/firmware/protocol"
VEC="$ROOT/test/vectors/protocol"
B="$P/build/test-script"
mkdir -p "$B"
pass=0
fail=0
step() { # name, command...
  local name="$1"; shift
  if "$@" > "$B/$name.log" 2>&1; then
    pass=$((pass + 1)); echo "ok   $name"
  else
    fail=$((fail + 1)); echo "FAIL $name"; tail -n 30 "$B/$name.log" | sed 's/^/     /'
  fi
}
checks() { # the test binary's own checks count too
  local log="$B/$1.log"
  local line
  line=$(grep '^RESULT ' "$log" 2>/dev/null | tail -n 1)
  if [ -n "$line" ]; then
    grep -E '^(vectors|unit):' "$log" | sed 's/^/     /'
    set -- $line
    pass=$((pass + $2)); fail=$((fail + $4))
  fi
}
SRC=("$P/src/cbor.c" "$P/src/messages.c")
TST=("$P/test/msg_equal.c" "$P/test/test_main.c")
SAN=(-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
CF=(-std=c99 -Wall -Wextra -Werror -I"$P/include")

step build-host gcc "${CF[@]}" -O2 "${SRC[@]}" "${TST[@]}" -o "$B/test_host"
step build-asan gcc "${CF[@]}" -O1 -g "${SAN[@]}" "${SRC[@]}" "${TST[@]}" -o "$B/test_asan"
step build-replay gcc "${CF[@]}" -O1 -g "${SAN[@]}" "${SRC[@]}" "$P/test/msg_equal.c" \
  "$P/fuzz/fuzz_decode.c" "$P/fuzz/replay_main.c" -o "$B/replay_asan"
step tests-host "$B/test_host" "$VEC"; checks tests-host
step tests-asan "$B/test_asan" "$VEC"; checks tests-asan
step corpus-replay-asan "$B/replay_asan" "$P/fuzz/corpus"
grep -h '^replayed' "$B/corpus-replay-asan.log" | sed 's/^/     /'

arm() {
  local f
  for f in cbor messages; do
    arm-none-eabi-gcc -std=c99 -Wall -Wextra -Werror -Os -mcpu=cortex-m3 -mthumb -DWB_PROTO_NO_NAMES \
      -I"$P/include" -c "$P/src/$f.c" -o "$B/$f.arm.o" || return 1
  done
  arm-none-eabi-size -t "$B/cbor.arm.o" "$B/messages.arm.o"
}
if command -v arm-none-eabi-gcc > /dev/null; then
  step cross-cortex-m3 arm
  sed 's/^/     /' "$B/cross-cortex-m3.log"
  text=$(awk '/TOTALS/ {print $1}' "$B/cross-cortex-m3.log")
  [ -n "$text" ] && echo "     codec text size (cortex-m3, -Os): $text bytes"
else
  fail=$((fail + 1)); echo "FAIL cross-cortex-m3: arm-none-eabi-gcc not found"
fi
echo "protocol: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
