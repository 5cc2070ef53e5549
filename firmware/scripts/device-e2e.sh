#!/bin/bash
# End-to-end test of the device firmware (firmware/device) on QEMU's MPS2
# boards against the real gateway: DHCP, enrollment with a one-time token,
# certified mutual TLS 1.3 session (hello/welcome/heartbeats), deploy of the
# telemetry example app, telemetry seen by the gateway, commands into the app,
# and a reboot with the same flash file (stored certificate, no second
# enrollment, app restarted).
# Traffic: QEMU user networking to 127.0.0.1 (10.0.2.2) only.
# Usage: device-e2e.sh [BOARD...]   (default: all four)
# Last line: "device-e2e: N passed, M failed"; exit status 1 on any failure.
set -u
LIB_NAME=device-e2e
source "$(dirname "$0")/device-lib.sh"
refused_for_missing_app() { answer_ok "$1" false && grep -q 'no app nosuchapp on this device' <<< "$1"; }
BOARDS=${*:-mps2-an385 mps2-an386 mps2-an500 mps2-an505}
TMO=${DEVICE_E2E_TIMEOUT:-90}

# ---- build ----
build_all $BOARDS || bad "build of the TLS library and device images"
for b in $BOARDS; do
  elf="$FW/build/device/$b/device.elf"
  [ -f "$elf" ] || { bad "$b: build"; continue; }
  read -r text data bss < <(arm-none-eabi-size "$elf" | awk 'NR==2{print $1, $2, $3}')
  ram=$((16#$(arm-none-eabi-nm "$elf" | awk '$3=="__ram_used"{print $1}')))
  appram=$(arm-none-eabi-size -A "$elf" | awk '$1==".appram"{print $2}')
  flash=$((text + data))
  echo "size $b: text $text data $data -> flash $flash / 262144; static RAM (data+bss+stack) $ram / 98304; app RAM $appram (the flash is the board's PSRAM, mapped from the device's file)"
  check "$b: image within 256 KB flash and 96 KB static RAM" test "$flash" -le 262144 -a "$ram" -le 98304
done
[ -f "$FW/build/apps/telemetry.wasm" ] || (cd "$REPO" && npm run -s apps:build > "$WORK/apps.log" 2>&1)
check "example apps built (telemetry.wasm)" test -f "$FW/build/apps/telemetry.wasm"

# ---- gateway ----
start_gateway
check "gateway up (device port $GP, enrollment $((GP + 1)), admin $((GP + 2)))" curl -sf -H "$ADMIN_AUTH" "$ADMIN/healthz"

for b in $BOARDS; do
  elf="$FW/build/device/$b/device.elf"
  [ -f "$elf" ] || { bad "$b: no image"; continue; }
  name="dev-${b#mps2-}-$RANDOM"
  new_device "$b" "$name" "$WORK/prov-$b.bin" "flash-$b.bin"
  check "$b: device $name registered with a one-time token" dev_json "$name"
  log1="$WORK/$b-boot1.log"
  run_qemu "$b" "$WORK/prov-$b.bin" "$log1"
  check "$b: boot, DHCP lease" wait_for "$log1" '^dhcp: ip 10\.0\.2\.15' 30
  check "$b: P-256 key generated on the device" grep -q '^identity: generated P-256 key' "$log1"
  check "$b: enrolled over TLS 1.3 (server auth) with the token" wait_for "$log1" '^enroll: ENROLLED' 60
  grep -E '^(tls|enroll):' "$log1" | head -4 | sed 's/^/    /'
  check "$b: certified session: mutual TLS 1.3, hello -> welcome" wait_for "$log1" '^session: WELCOME' 30
  check "$b: gateway shows phase Connected" phase_is "$name" Connected
  check "$b: heartbeat acknowledged" wait_for "$log1" '^session: heartbeatAck 1' 50
  deploy "$name" telemetry "$FW/build/apps/telemetry.wasm" > "$WORK/deploy-$b.json"
  check "$b: deploy telemetry: device verified and installed it" wait_for "$log1" '^deploy telemetry: result ok' 40
  for i in $(seq 1 40); do [ "$(tel_count "$name")" -gt 0 ] && break; sleep 0.5; done
  n1=$(tel_count "$name")
  check "$b: gateway shows telemetry from the app ($n1 values)" test "$n1" -gt 0
  sleep 2; n2=$(tel_count "$name")
  check "$b: activate runs every periodMs (telemetry $n1 -> $n2)" test "$n2" -gt "$n1"
  dev_json "$name" | python3 -c 'import json,sys; t=json.load(sys.stdin)["telemetry"]; print("    telemetry:", ", ".join("%s=%s" % (x["topic"], x["value"]) for x in t[-3:]))'
  # ---- commands, through the gateway into the app's command export ----
  a=$(send_command "$name" telemetry topic "cmd-$b"); echo "    command topic: $(tr -d '\n' <<< "$a")"
  check "$b: command topic=cmd-$b: the app answered ok" answer_ok "$a" true
  for i in $(seq 1 20); do [ "$(tel_last "$name" "cmd-$b/activations")" != -1 ] && break; sleep 0.5; done
  check "$b: command took effect: telemetry now under cmd-$b/" test "$(tel_last "$name" "cmd-$b/activations")" != -1
  a=$(send_command "$name" telemetry launch now)
  check "$b: unknown command: the app answered not ok" answer_ok "$a" false
  a=$(send_command "$name" nosuchapp reset); echo "    command to a missing app: $(tr -d '\n' <<< "$a")"
  check "$b: command to an app the device lacks: not ok, with the reason" refused_for_missing_app "$a"
  sleep 1
  stop_qemu
  # ---- reboot with the same flash file ----
  log2="$WORK/$b-boot2.log"
  enr_before=$(grep -c 'device enrolled' "$WORK/gateway.log")
  run_qemu "$b" "$WORK/prov-$b.bin" "$log2"
  check "$b: reboot: key and certificate read from flash" wait_for "$log2" '^identity: P-256 key from flash, certificate from flash' 20
  check "$b: reboot: stored app restarted from flash" wait_for "$log2" '^app telemetry: instantiated' 20
  check "$b: reboot: certified session without enrolling again" wait_for "$log2" '^session: WELCOME' 40
  check "$b: reboot: no enroll sent" bash -c "! grep -q '^enroll:' '$log2'"
  check "$b: reboot: gateway saw no second enrollment" test "$(grep -c 'device enrolled' "$WORK/gateway.log")" -eq "$enr_before"
  check "$b: reboot: gateway shows phase Connected" phase_is "$name" Connected
  n3=$(tel_count "$name"); sleep 2; n4=$(tel_count "$name")
  check "$b: reboot: restored app publishes again (telemetry $n3 -> $n4)" test "$n4" -gt "$n3"
  check "$b: reboot: hello reported the stored app (gateway apps list)" bash -c "curl -sf -H '$ADMIN_AUTH' '$ADMIN/devices/$name' | python3 -c 'import json,sys; sys.exit(0 if any(a.get(\"name\")==\"telemetry\" for a in json.load(sys.stdin).get(\"apps\") or []) else 1)'"
  stop_qemu
  # ---- negative: a device with an empty flash file and the used token is refused ----
  log3="$WORK/$b-fresh.log"
  sed "s/flash=flash-$b.bin/flash=flash-$b-fresh.bin/" "$WORK/prov-$b.bin" > "$WORK/prov-$b.tmp" && mv "$WORK/prov-$b.tmp" "$WORK/prov-$b.bin"
  run_qemu "$b" "$WORK/prov-$b.bin" "$log3"
  check "$b: factory-reset device re-using the token is refused (tokenUsed)" wait_for "$log3" '^enroll: refused, error code 8' 40
  stop_qemu
  # ---- negative: a device expecting another server name refuses the gateway ----
  log4="$WORK/$b-wrong-name.log"
  new_device "$b" "$name-wn" "$WORK/prov-$b-wn.bin" "flash-$b-wn.bin" 'server_name=gateway.elsewhere.example\n'
  run_qemu "$b" "$WORK/prov-$b-wn.bin" "$log4"
  check "$b: device expecting another server name refuses the gateway (host name mismatch)" wait_for "$log4" '^tls: handshake failed .*wolfSSL -322' 40
  check "$b: ... and never enrolls" bash -c "! grep -q '^enroll: ENROLLED' '$log4'"
  stop_qemu
  cp "$log1" "$log2" "$log3" "$log4" "$FW/build/device/$b/" 2> /dev/null
done
cp "$WORK/gateway.log" "$FW/build/device/gateway.log" 2> /dev/null
finish
