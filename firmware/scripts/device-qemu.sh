#!/bin/bash
# The one QEMU command line of a Wasmbed device: the device tests (device-lib.sh), the
# emulator manager (renode/src/qemuDevice.ts, hence `npm run device` and `./wasmbed up`) and
# the sandbox test all run this script, so what the tests prove is what users run.
#
#   device-qemu.sh BOARD ELF PROVISIONING_BLOCK FLASH_FILE
#
# The host is outside the device's trust boundary (docs/security.md): a guest that runs
# arbitrary native code must reach nothing on the host but its own flash. So:
# - no semihosting: without -semihosting-config a BKPT 0xAB is a debug event the guest
#   cannot service (a HardFault), never a host open/system call;
# - the flash is FLASH_FILE mapped as the board's 16 MiB PSRAM (QEMU's machine RAM:
#   0x21000000 on mps2-an385/an386, 0x60000000 on an500, 0x80000000 on an505); the guest's
#   stores land in the file through the mapping (share=on) and QEMU creates and sizes it;
# - QEMU's seccomp filter: no exec/fork, no privilege or scheduler changes, no obsolete calls;
# - 32 bytes of fresh host randomness per boot at the provisioning block's address - 64,
#   only in guest RAM (never on disk), for the device's DRBG (firmware/device/README.md).
# The command replaces this shell (exec), so the caller's process id is QEMU's.
set -eu
if [ $# -ne 4 ]; then
  echo "usage: device-qemu.sh BOARD ELF PROVISIONING_BLOCK FLASH_FILE" >&2
  exit 2
fi
board=$1 elf=$2 prov=$3 flash=$4
case "$elf$prov$flash" in
  *,*) echo "device-qemu.sh: a comma in a path would split QEMU's option" >&2; exit 2 ;;
esac
case $board in
  mps2-an385 | mps2-an386 | mps2-an500) prov_addr=$((0x203FF000)) ;;
  mps2-an505) prov_addr=$((0x381FF000)) ;;
  *) echo "device-qemu.sh: no QEMU board named $board" >&2; exit 2 ;;
esac
# QEMU refuses a backing file of another size; say what it is instead. (Flash files written
# through semihosting before this layout were 72 KiB and are not readable by this firmware.)
if [ -e "$flash" ] && [ "$(stat -c %s "$flash")" -ne $((16 * 1024 * 1024)) ]; then
  echo "device-qemu.sh: $flash is not a 16 MiB device flash file (one from before the memory-mapped flash?); delete it to factory-reset the device" >&2
  exit 2
fi
entropy=()
i=0
for word in $(od -An -tx8 -N32 /dev/urandom); do
  entropy+=(-device "loader,addr=$(printf '0x%X' $((prov_addr - 64 + 8 * i))),data=0x$word,data-len=8")
  i=$((i + 1))
done
[ "$i" -eq 4 ] || { echo "device-qemu.sh: no randomness from /dev/urandom" >&2; exit 2; }
exec qemu-system-arm -M "$board" -nographic -monitor none -kernel "$elf" \
  -nic user,model=lan9118 \
  -object "memory-backend-file,id=flash,size=16M,mem-path=$flash,share=on" \
  -machine memory-backend=flash \
  -sandbox on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny \
  -device "loader,file=$prov,addr=$(printf '0x%X' "$prov_addr")" \
  "${entropy[@]}"
