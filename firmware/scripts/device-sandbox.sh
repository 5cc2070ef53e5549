#!/bin/bash
# The host is outside the device's trust boundary: a guest that runs arbitrary native code
# (what the D1 export-type hole gave a WebAssembly module) must reach nothing on the host but
# its own flash file. Per board, a test-only hostile image (firmware/device/test/hostile.c)
# is launched with EXACTLY the device's command line (device-qemu.sh, which the device tests
# and renode/src/qemuDevice.ts also run) and tries semihosting SYS_SYSTEM ("touch MARKER"),
# SYS_OPEN + SYS_READ of a host file with known contents (SENTINEL) and SYS_OPEN to create a
# host file. Asserted: no marker file, the sentinel's contents never on the console, every
# call only faulted in the guest, while the guest did write its own flash file.
# Two controls show the test can fail: the same image under the launch line used before
# (-semihosting-config enable=on,target=native) does run the command and read the file; and
# with semihosting forced on, the launcher's seccomp options alone stop SYS_SYSTEM (QEMU dies
# on the forbidden fork instead of running it).
# Also per board, behind the export-type checks: the device firmware makes its vector table
# and code read-only with the MPU, so the write D1's module made (SysTick vector at 0x3c) is
# a MemManage fault (test-only provisioning key fault=write-vectors).
# Usage: device-sandbox.sh [BOARD...]   (default: mps2-an385)
# Last line: "device-sandbox: N passed, M failed".
set -u
LIB_NAME=device-sandbox
source "$(dirname "$0")/device-lib.sh"
BOARDS=${*:-mps2-an385}
launcher="$FW/scripts/device-qemu.sh"

# One command line for devices: the shell tests and the TypeScript launcher both run device-qemu.sh.
check "device-lib.sh launches devices through device-qemu.sh only" bash -c \
  "grep -q 'scripts/device-qemu.sh' '$FW/scripts/device-lib.sh' && ! grep -q 'qemu-system-arm' '$FW/scripts/device-lib.sh'"
check "renode/src/qemuDevice.ts launches devices through device-qemu.sh only" bash -c \
  "grep -q 'firmware/scripts/device-qemu.sh' '$REPO/renode/src/qemuDevice.ts' && ! grep -q 'qemu-system-arm' '$REPO/renode/src/qemuDevice.ts'"
check "the device command line has no semihosting" bash -c "! grep -v '^#' '$launcher' | grep -q semihosting"
sandbox=$(grep -o -- '-sandbox [^ ]*' "$launcher")
check "the device command line has the seccomp sandbox ($sandbox)" test -n "$sandbox"

# shellcheck disable=SC2086
build_all $BOARDS || { bad "build of the device images"; finish; }
for b in $BOARDS; do
  # ---- the vector table is read-only ----
  mkdir -p "$WORK/$b"
  printf 'WBP1gateway=10.0.2.2:9\ndevice=sandbox\nseed=%s\ntime=%s\nfault=write-vectors\nflash=f.bin\nca=AAAA\n\0' \
    "$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')" "$(date +%s)" > "$WORK/$b/vectors.bin"
  log="$WORK/$b/vectors.log"
  timeout 30 bash "$launcher" "$b" "$FW/build/device/$b/device.elf" "$WORK/$b/vectors.bin" "$WORK/$b/vectors-flash.bin" < /dev/null > "$log" 2>&1 &
  pid=$!
  wait_for "$log" '\*\*\* (fault|unexpected)|the write went through' 25 || true
  kill "$pid" 2> /dev/null; wait "$pid" 2> /dev/null
  grep -aE '^protect|^fault: write|\*\*\*' "$log" | tr -d '\r' | sed 's/^/    device: /'
  check "$b: the device made its vector table and code read-only (MPU)" grep -q '^protect: vector table and code read-only' "$log"
  check "$b: a write to the SysTick vector is a MemManage fault" grep -q '\*\*\* fault, exception 0x00000004' "$log"
  check "$b: ... and did not go through" bash -c "! grep -q 'the write went through' '$log'"

  make -s -C "$FW/device" BOARD="$b" hostile > "$WORK/build-$b.log" 2>&1 || { bad "$b: build hostile image"; cat "$WORK/build-$b.log"; continue; }
  elf="$FW/build/device/$b/hostile.elf" dir="$WORK/$b"
  mkdir -p "$dir"
  secret="SENTINEL-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
  echo "$secret" > "$dir/sentinel"
  printf 'WBP1marker=%s\nsentinel=%s\n\0' "$dir/marker" "$dir/sentinel" > "$dir/prov.bin"

  # ---- the device launch ----
  log="$dir/sandboxed.log"
  timeout 20 bash "$launcher" "$b" "$elf" "$dir/prov.bin" "$dir/flash.bin" < /dev/null > "$log" 2>&1 &
  pid=$!
  wait_for "$log" '^hostile: done' 15 || true
  kill "$pid" 2> /dev/null; wait "$pid" 2> /dev/null
  sed 's/^/    guest: /' "$log" | grep 'hostile:'
  check "$b: the hostile image ran to the end" grep -q '^hostile: done, 0x00000003 faults' "$log"
  check "$b: it wrote its own flash file" grep -q 'HOSTILE-WROTE-ITS-FLASH' "$dir/flash.bin"
  check "$b: SYS_SYSTEM ran no host command (no marker file)" test ! -e "$dir/marker"
  check "$b: SYS_OPEN created no host file" test ! -e "$dir/marker.open"
  check "$b: the sentinel's contents never reached the guest" bash -c "! grep -q '$secret' '$log'"
  check "$b: each semihosting call only faulted in the guest (3 of 3)" test "$(grep -c '^hostile: semihosting call faulted' "$log")" -eq 3

  # ---- control 1: the launch line before this fix lets the same image out ----
  log="$dir/semihosting.log"
  timeout 20 qemu-system-arm -M "$b" -nographic -monitor none -kernel "$elf" \
    -semihosting-config enable=on,target=native \
    -device loader,file="$dir/prov.bin",addr="$(prov_addr "$b")" < /dev/null > "$log" 2>&1 &
  pid=$!
  wait_for "$log" '^hostile: done' 15 || true
  kill "$pid" 2> /dev/null; wait "$pid" 2> /dev/null
  check "$b: control: with the old semihosting flags the guest runs a host command" test -e "$dir/marker"
  check "$b: control: ... and reads the host file" grep -q "^hostile: read from the host: $secret" "$log"
  rm -f "$dir/marker" "$dir/marker.open"

  # ---- control 2: semihosting forced on, the launcher's seccomp options still stop the command ----
  log="$dir/seccomp.log"
  # shellcheck disable=SC2086
  timeout 20 qemu-system-arm -M "$b" -nographic -monitor none -kernel "$elf" \
    -semihosting-config enable=on,target=native $sandbox \
    -device loader,file="$dir/prov.bin",addr="$(prov_addr "$b")" < /dev/null > "$log" 2>&1
  rc=$?
  check "$b: seccomp alone: QEMU killed on the forbidden spawn (status $rc = SIGSYS), no marker" \
    test "$rc" -eq 159 -a ! -e "$dir/marker"
done
finish
