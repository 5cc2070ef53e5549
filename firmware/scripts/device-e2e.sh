#!/bin/bash
# End-to-end test of the device firmware (firmware/device) on QEMU's MPS2
# boards against the real gateway: DHCP, enrollment with a one-time token,
# certified mutual TLS 1.3 session (hello/welcome/heartbeats), deploy of the
# telemetry example app, telemetry seen by the gateway, and a reboot with the
# same flash file (stored certificate, no second enrollment, app restarted).
# Traffic: QEMU user networking to 127.0.0.1 (10.0.2.2) only.
# Usage: device-e2e.sh [BOARD...]   (default: all four)
# Last line: "device-e2e: N passed, M failed"; exit status 1 on any failure.
set -u
FW=$(cd "$(dirname "$0")/.." && pwd)
REPO=$(cd "$FW/.." && pwd)
BOARDS=${*:-mps2-an385 mps2-an386 mps2-an500 mps2-an505}
TMO=${DEVICE_E2E_TIMEOUT:-90}
pass=0; fail=0
ok()  { pass=$((pass + 1)); echo "PASS $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
check() { local what=$1; shift; if "$@" > /dev/null 2>&1; then ok "$what"; else bad "$what"; fi; }
finish() { echo "device-e2e: $pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit $?; }

WORK=$(mktemp -d /tmp/device-e2e.XXXXXX)
GW_PID=""; QEMU_PID=""
cleanup() {
  [ -n "$QEMU_PID" ] && kill "$QEMU_PID" 2> /dev/null
  [ -n "$GW_PID" ] && { kill -- -"$GW_PID" 2> /dev/null || kill "$GW_PID" 2> /dev/null; }
  [ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# ---- build ----
bash "$FW/scripts/fetch-lwip.sh" > /dev/null 2>&1
bash "$FW/scripts/fetch-wolfssl.sh" > /dev/null 2>&1
make -s -C "$FW/tls" m3 > "$WORK/tls-build.log" 2>&1 || { tail "$WORK/tls-build.log"; bad "TLS library build"; finish; }
for b in $BOARDS; do
  if make -s -C "$FW/device" BOARD="$b" > "$WORK/build-$b.log" 2>&1; then
    elf="$FW/build/device/$b/device.elf"
    read -r text data bss < <(arm-none-eabi-size "$elf" | awk 'NR==2{print $1, $2, $3}')
    ram=$((16#$(arm-none-eabi-nm "$elf" | awk '$3=="__ram_used"{print $1}')))
    store=$(arm-none-eabi-size -A "$elf" | awk '$1==".store"{print $2}')
    appram=$(arm-none-eabi-size -A "$elf" | awk '$1==".appram"{print $2}')
    flash=$((text + data))
    echo "size $b: text $text data $data -> flash $flash / 262144; static RAM (data+bss+stack) $ram / 98304; store mirror $store; app RAM $appram"
    check "$b: image within 256 KB flash and 96 KB static RAM" test "$flash" -le 262144 -a "$ram" -le 98304
  else
    tail -n 20 "$WORK/build-$b.log"; bad "$b: build"
  fi
done
[ -f "$FW/build/apps/telemetry.wasm" ] || (cd "$REPO" && npm run -s apps:build > "$WORK/apps.log" 2>&1)
check "example apps built (telemetry.wasm)" test -f "$FW/build/apps/telemetry.wasm"

# ---- gateway ----
free_port() { python3 -c 'import socket
for _ in range(50):
    s=socket.socket(); s.bind(("127.0.0.1",0)); p=s.getsockname()[1]; s.close()
    ok=True
    for q in (p+1,p+2):
        t=socket.socket()
        try: t.bind(("127.0.0.1",q))
        except OSError: ok=False
        t.close()
    if ok and p<65000: print(p); break'; }
GP=$(free_port); ADMIN="http://127.0.0.1:$((GP + 2))"
mkdir -p "$WORK/gw"
( cd "$REPO" && source scripts/node-env.sh > /dev/null 2>&1 && wasmbed_ensure_node > /dev/null 2>&1; exec setsid npm run -s gateway -- --port "$GP" --data "$WORK/gw" ) > "$WORK/gateway.log" 2>&1 &
GW_PID=$!
for i in $(seq 1 240); do curl -sf "$ADMIN/healthz" > /dev/null 2>&1 && [ -f "$WORK/gw/ca/ca.crt.pem" ] && break; sleep 0.25; done
check "gateway up (device port $GP, enrollment $((GP + 1)), admin $((GP + 2)))" curl -sf "$ADMIN/healthz"
CA_B64=$(openssl x509 -in "$WORK/gw/ca/ca.crt.pem" -outform DER | base64 -w0)

prov_addr() { case "$1" in mps2-an505) echo 0x381FF000 ;; *) echo 0x203FF000 ;; esac; }
run_qemu() { # board flashfile log
  ( cd "$WORK" && exec timeout "$TMO" qemu-system-arm -M "$1" -nographic -monitor none \
      -kernel "$FW/build/device/$1/device.elf" -nic user,model=lan9118 \
      -semihosting-config enable=on,target=native \
      -device loader,file="$WORK/prov-$1.bin",addr="$(prov_addr "$1")" ) < /dev/null > "$3" 2>&1 &
  QEMU_PID=$!
}
stop_qemu() { [ -n "$QEMU_PID" ] && { kill "$QEMU_PID" 2> /dev/null; wait "$QEMU_PID" 2> /dev/null; }; QEMU_PID=""; }
wait_for() { # file regex seconds
  local t=0; while [ $t -lt $(($3 * 4)) ]; do grep -Eq "$2" "$1" 2> /dev/null && return 0; sleep 0.25; t=$((t + 1)); done; return 1
}
dev_json() { curl -sf "$ADMIN/devices/$1"; }
phase_is() { dev_json "$1" | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin).get("phase")==sys.argv[1] else 1)' "$2"; }
tel_count() { dev_json "$1" | python3 -c 'import json,sys; print(sum(1 for t in json.load(sys.stdin).get("telemetry") or [] if t.get("app")=="telemetry"))' 2> /dev/null || echo 0; }

for b in $BOARDS; do
  elf="$FW/build/device/$b/device.elf"
  [ -f "$elf" ] || { bad "$b: no image"; continue; }
  name="dev-${b#mps2-}-$RANDOM"; token="tok-$RANDOM$RANDOM$RANDOM"
  curl -sf -X POST "$ADMIN/devices" -H 'content-type: application/json' \
    -d "{\"name\":\"$name\",\"token\":\"$token\"}" > /dev/null
  check "$b: device $name registered with a one-time token" dev_json "$name"
  seed=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
  printf 'WBP1gateway=10.0.2.2:%s\ndevice=%s\ntoken=%s\nflash=flash-%s.bin\nseed=%s\ntime=%s\nca=%s\n\0' \
    "$GP" "$name" "$token" "$b" "$seed" "$(date +%s)" "$CA_B64" > "$WORK/prov-$b.bin"
  rm -f "$WORK/flash-$b.bin"
  log1="$WORK/$b-boot1.log"
  run_qemu "$b" "flash-$b.bin" "$log1"
  check "$b: boot, DHCP lease" wait_for "$log1" '^dhcp: ip 10\.0\.2\.15' 30
  check "$b: P-256 key generated on the device" grep -q '^identity: generated P-256 key' "$log1"
  check "$b: enrolled over TLS 1.3 (server auth) with the token" wait_for "$log1" '^enroll: ENROLLED' 60
  grep -E '^(tls|enroll):' "$log1" | head -4 | sed 's/^/    /'
  check "$b: certified session: mutual TLS 1.3, hello -> welcome" wait_for "$log1" '^session: WELCOME' 30
  check "$b: gateway shows phase Connected" phase_is "$name" Connected
  check "$b: heartbeat acknowledged" wait_for "$log1" '^session: heartbeatAck 1' 50
  mod=$(base64 -w0 "$FW/build/apps/telemetry.wasm")
  curl -sf -X POST "$ADMIN/deploy" -H 'content-type: application/json' \
    -d "{\"app\":\"telemetry\",\"module\":\"$mod\",\"devices\":[\"$name\"],\"limits\":{\"memoryBytes\":65536,\"fuelPerActivation\":100000,\"periodMs\":500}}" > "$WORK/deploy-$b.json"
  check "$b: deploy telemetry: device verified and installed it" wait_for "$log1" '^deploy telemetry: result ok' 40
  for i in $(seq 1 40); do [ "$(tel_count "$name")" -gt 0 ] && break; sleep 0.5; done
  n1=$(tel_count "$name")
  check "$b: gateway shows telemetry from the app ($n1 values)" test "$n1" -gt 0
  sleep 2; n2=$(tel_count "$name")
  check "$b: activate runs every periodMs (telemetry $n1 -> $n2)" test "$n2" -gt "$n1"
  dev_json "$name" | python3 -c 'import json,sys; t=json.load(sys.stdin)["telemetry"]; print("    telemetry:", ", ".join("%s=%s" % (x["topic"], x["value"]) for x in t[-3:]))'
  sleep 1
  stop_qemu
  # ---- reboot with the same flash file ----
  log2="$WORK/$b-boot2.log"
  enr_before=$(grep -c 'device enrolled' "$WORK/gateway.log")
  run_qemu "$b" "flash-$b.bin" "$log2"
  check "$b: reboot: key and certificate read from flash" wait_for "$log2" '^identity: P-256 key from flash, certificate from flash' 20
  check "$b: reboot: stored app restarted from flash" wait_for "$log2" '^app telemetry: instantiated' 20
  check "$b: reboot: certified session without enrolling again" wait_for "$log2" '^session: WELCOME' 40
  check "$b: reboot: no enroll sent" bash -c "! grep -q '^enroll:' '$log2'"
  check "$b: reboot: gateway saw no second enrollment" test "$(grep -c 'device enrolled' "$WORK/gateway.log")" -eq "$enr_before"
  check "$b: reboot: gateway shows phase Connected" phase_is "$name" Connected
  n3=$(tel_count "$name"); sleep 2; n4=$(tel_count "$name")
  check "$b: reboot: restored app publishes again (telemetry $n3 -> $n4)" test "$n4" -gt "$n3"
  check "$b: reboot: hello reported the stored app (gateway apps list)" bash -c "curl -sf '$ADMIN/devices/$name' | python3 -c 'import json,sys; sys.exit(0 if any(a.get(\"name\")==\"telemetry\" for a in json.load(sys.stdin).get(\"apps\") or []) else 1)'"
  stop_qemu
  # ---- negative: a device with an empty flash file and the used token is refused ----
  log3="$WORK/$b-fresh.log"
  sed "s/flash=flash-$b.bin/flash=flash-$b-fresh.bin/" "$WORK/prov-$b.bin" > "$WORK/prov-$b.tmp" && mv "$WORK/prov-$b.tmp" "$WORK/prov-$b.bin"
  run_qemu "$b" "flash-$b-fresh.bin" "$log3"
  check "$b: factory-reset device re-using the token is refused (tokenUsed)" wait_for "$log3" '^enroll: refused, error code 8' 40
  stop_qemu
  cp "$log1" "$log2" "$log3" "$FW/build/device/$b/" 2> /dev/null
done
cp "$WORK/gateway.log" "$FW/build/device/gateway.log" 2> /dev/null
finish
