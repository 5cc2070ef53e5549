#!/bin/sh
# Cross-builds the interpreter for Cortex-M3 (arm-none-eabi-gcc -O2 -mthumb)
# into a bare-metal image for QEMU's mps2-an385 board, and runs the device
# smoke test (fib + the three limit traps, twice, reusing the arenas).
# Output arrives over semihosting; the last line is "device: N passed, M failed".
set -eu
HERE=$(cd "$(dirname "$0")/.." && pwd)
sh "$HERE/scripts/ensure-deps.sh" gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm wabt make >&2
cd "$HERE"
make -s test-wasm >&2
mkdir -p build/arm
wat2wasm tools/arm/fib.wat -o build/arm/fib.wasm
cp build/test-wasm/spin.wasm build/test-wasm/grow.wasm build/test-wasm/recurse.wasm build/arm/
for n in fib spin grow recurse; do
  printf 'static const uint8_t %s_wasm[] = {' "$n"
  od -An -v -tx1 "build/arm/$n.wasm" | tr -s ' \n' ' ' | sed 's/ *$//; s/ \([0-9a-f][0-9a-f]\)/0x\1,/g'
  echo '};'
done > build/arm/test_modules.h
arm-none-eabi-gcc -std=c99 -O2 -mcpu=cortex-m3 -mthumb -ffp-contract=off -Wall \
  -Iwasm/include -Iwasm/src -Ibuild/arm -T tools/arm/mps2-an385.ld --specs=rdimon.specs -nostartfiles \
  -o build/arm/device_test.elf tools/arm/startup.c tools/arm/device_test.c \
  wasm/src/parse.c wasm/src/validate.c wasm/src/compile.c wasm/src/emit.c wasm/src/exec.c wasm/src/env.c -lm
timeout 120 qemu-system-arm -M mps2-an385 -nographic -monitor none -serial none \
  -semihosting-config enable=on,target=native -kernel build/arm/device_test.elf > build/arm/device.log 2>&1 || true
cat build/arm/device.log
grep -q '^device: [0-9]* passed, 0 failed' build/arm/device.log
