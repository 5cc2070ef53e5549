#!/bin/bash
# Devices that know several gateways (provisioning `gateway=A:P,B:Q`), on QEMU against two real
# gateways (the fixture gateway, `npm run gateway:fixture`, via device-lib.sh's start_gateway)
# that share one fleet CA (B starts with a copy of A's DATA/ca/):
#   0. the firmware's list parser on the host (firmware/device/test/gateways_test.c, ASan+UBSan);
#   1. a list the firmware refuses: the device says which entry and why, and stops;
#   2. gateway=<dead port>,<gateway A>: the device skips the dead one, enrolls and connects via A;
#   3. a device connected to A (telemetry deployed and publishing) when A gets kill -9: it moves
#      to B (printed: seconds from the kill to B's welcome), B shows it Connected with the app
#      it still runs, telemetry reaches B, and nothing is deployed again.
# Usage: device-gateways.sh [BOARD...]   (default: mps2-an385)
# Last line: "device-gateways: N passed, M failed"; exit status 1 on any failure.
set -u
LIB_NAME=device-gateways
source "$(dirname "$0")/device-lib.sh"
BOARDS=${*:-mps2-an385}
TMO=${DEVICE_GATEWAYS_TIMEOUT:-120}

# Gateway B (started by start_gateway with WORK pointed at $WORK/b: its own data directory,
# log and ports); stopped here as device-lib's cleanup stops A.
B_PID=""
stop_b() { [ -n "$B_PID" ] && { kill -- -"$B_PID" 2> /dev/null || kill "$B_PID" 2> /dev/null; wait "$B_PID" 2> /dev/null; }; B_PID=""; }
trap 'stop_b; cleanup' EXIT INT TERM

# ---- 0. the parser, on the host ----
cc -std=gnu99 -Wall -Wextra -Werror -g -fsanitize=address,undefined -fno-sanitize-recover=all \
  -I"$FW/device/src" "$FW/device/test/gateways_test.c" "$FW/device/src/gateways.c" -o "$WORK/gateways_test" \
  > "$WORK/gateways_test.log" 2>&1 && "$WORK/gateways_test" >> "$WORK/gateways_test.log" 2>&1
r=$?; tail -n 1 "$WORK/gateways_test.log" | sed 's/^/    /'
check "gateway list parser (host, ASan+UBSan)" test "$r" -eq 0

build_all $BOARDS || bad "build of the TLS library and device images"
[ -f "$FW/build/apps/telemetry.wasm" ] || (cd "$REPO" && npm run -s apps:build > "$WORK/apps.log" 2>&1)
check "example apps built (telemetry.wasm)" test -f "$FW/build/apps/telemetry.wasm"

# ---- the two gateways ----
start_gateway || bad "gateway A starts"
A_GP=$GP A_ADMIN=$ADMIN A_AUTH=$ADMIN_AUTH A_PID=$GW_PID
check "gateway A up (device port $A_GP)" curl -sf -H "$A_AUTH" "$A_ADMIN/healthz"
mkdir -p "$WORK/b/gw" && cp -r "$WORK/gw/ca" "$WORK/b/gw/ca"
MAIN_WORK=$WORK; WORK=$MAIN_WORK/b; GW_PID=""
start_gateway || bad "gateway B starts"
B_GP=$GP B_ADMIN=$ADMIN B_AUTH=$ADMIN_AUTH B_PID=$GW_PID
WORK=$MAIN_WORK; GW_PID=$A_PID; GP=$A_GP; ADMIN=$A_ADMIN; ADMIN_AUTH=$A_AUTH
check "gateway B up (device port $B_GP)" curl -sf -H "$B_AUTH" "$B_ADMIN/healthz"
check "A and B have the same fleet CA" cmp "$WORK/gw/ca/ca.crt.pem" "$WORK/b/gw/ca/ca.crt.pem"
CA_B64=$(openssl x509 -in "$WORK/gw/ca/ca.crt.pem" -outform DER | base64 -w0)
as_a() { ADMIN=$A_ADMIN ADMIN_AUTH=$A_AUTH "$@"; }
as_b() { ADMIN=$B_ADMIN ADMIN_AUTH=$B_AUTH "$@"; }
register_b() { curl -sf -X POST "$B_ADMIN/devices" -H "$B_AUTH" -H 'content-type: application/json' -d "{\"name\":\"$1\",\"token\":\"$2\"}" > /dev/null; }
welcomes() { grep -c '^session: WELCOME' "$1"; }
# no_deploy_after LINE LOG: no "deploy ...: begin" in LOG after the first line that is LINE.
no_deploy_after() { awk -v at="$1" '$0 == at { after = 1 } after && /^deploy [^ ]+: begin/ { bad = 1 } END { exit bad }' "$2"; }
DEAD=$(free_port)   # nothing listens there: QEMU's user network answers the device's SYN with a reset

for b in $BOARDS; do
  elf="$FW/build/device/$b/device.elf"
  [ -f "$elf" ] || { bad "$b: no image"; continue; }

  # ---- 1. a list the firmware refuses ----
  log="$WORK/$b-badlist.log"
  PROV_GATEWAYS="10.0.2.2:$A_GP,10.0.2.02:$B_GP" new_device "$b" "bad-${b#mps2-}-$RANDOM" "$WORK/prov-$b-bad.bin" "flash-$b-bad.bin"
  run_qemu "$b" "$WORK/prov-$b-bad.bin" "$log"
  check "$b: bad list: the device names the entry and why" wait_for "$log" '^provisioning: gateway entry 2: not A\.B\.C\.D:PORT' 20
  check "$b: bad list: ... and stops (DEVICE FAIL: provisioning)" wait_for "$log" '^DEVICE FAIL: provisioning' 5
  stop_qemu
  log="$WORK/$b-toomany.log"
  PROV_GATEWAYS="10.0.2.2:1,10.0.2.2:2,10.0.2.2:3,10.0.2.2:4,10.0.2.2:5" new_device "$b" "many-${b#mps2-}-$RANDOM" "$WORK/prov-$b-many.bin" "flash-$b-many.bin"
  run_qemu "$b" "$WORK/prov-$b-many.bin" "$log"
  check "$b: five gateways: refused (more than 4)" wait_for "$log" '^provisioning: gateway: more than 4 gateways' 20
  stop_qemu

  # ---- 2. the first gateway is dead ----
  name="dead-first-${b#mps2-}-$RANDOM"; log="$WORK/$b-dead-first.log"
  PROV_GATEWAYS="10.0.2.2:$DEAD,10.0.2.2:$A_GP" new_device "$b" "$name" "$WORK/prov-$b-dead.bin" "flash-$b-dead.bin"
  run_qemu "$b" "$WORK/prov-$b-dead.bin" "$log"
  check "$b: dead first: both gateways read from the block" wait_for "$log" "^provisioning: 2 gateways: 10\.0\.2\.2:$DEAD 10\.0\.2\.2:$A_GP" 20
  check "$b: dead first: the dead one fails (enrollment port $((DEAD + 1)))" wait_for "$log" "^tcp: connect to port $((DEAD + 1)) failed" 60
  check "$b: dead first: moves on to the second" wait_for "$log" "^session: gateway 10\.0\.2\.2:$A_GP" 20
  check "$b: dead first: enrolled via the second" wait_for "$log" '^enroll: ENROLLED' 60
  check "$b: dead first: certified session via the second" wait_for "$log" '^session: WELCOME' 40
  check "$b: dead first: gateway A shows it Connected" phase_is "$name" Connected
  grep -E '^(provisioning: 2|tcp: connect|session: gateway|enroll: ENROLLED|session: WELCOME)' "$log" | head -6 | sed 's/^/    /'
  stop_qemu

  # ---- 3. kill -9 of the gateway the device is connected to ----
  name="failover-${b#mps2-}-$RANDOM"; log="$WORK/$b-failover.log"
  PROV_GATEWAYS="10.0.2.2:$A_GP,10.0.2.2:$B_GP" new_device "$b" "$name" "$WORK/prov-$b-fo.bin" "flash-$b-fo.bin"
  check "$b: failover: $name registered with B too" register_b "$name" "$DEV_TOKEN"
  run_qemu "$b" "$WORK/prov-$b-fo.bin" "$log"
  check "$b: failover: enrolled and connected via A" wait_for "$log" '^session: WELCOME' 90
  check "$b: failover: A shows it Connected" as_a phase_is "$name" Connected
  # The same app is wanted on both gateways, as the platform's AppInstance is for whichever
  # gateway holds the device.
  as_a deploy "$name" telemetry "$FW/build/apps/telemetry.wasm" > /dev/null
  as_b deploy "$name" telemetry "$FW/build/apps/telemetry.wasm" > /dev/null
  check "$b: failover: telemetry deployed by A" wait_for "$log" '^deploy telemetry: result ok' 40
  wait_for_cmd 20 test_gt "as_a tel_count $name" 0
  check "$b: failover: A gets telemetry" test "$(as_a tel_count "$name")" -gt 0
  w0=$(welcomes "$log")
  t_kill=$(date +%s%N)
  if [ -n "$GW_PID" ]; then kill -KILL -- -"$GW_PID" 2> /dev/null; wait "$GW_PID" 2> /dev/null; GW_PID=""; fi
  for i in $(seq 1 240); do [ "$(welcomes "$log")" -gt "$w0" ] && break; sleep 0.25; done
  t_back=$(date +%s%N)
  secs=$(awk -v a="$t_kill" -v b="$t_back" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
  check "$b: failover: after kill -9 of A the device is welcomed by B (${secs} s)" test "$(welcomes "$log")" -gt "$w0"
  echo "    failover $b: kill -9 of gateway A -> welcome from gateway B in ${secs} s"
  check "$b: failover: the device printed the switch to B" grep -q "^session: gateway 10\.0\.2\.2:$B_GP" "$log"
  check "$b: failover: B shows it Connected" wait_for_cmd 10 as_b phase_is "$name" Connected
  check "$b: failover: B's record lists the telemetry app the device reported" bash -c "curl -sf -H '$B_AUTH' '$B_ADMIN/devices/$name' | python3 -c 'import json,sys; sys.exit(0 if any(a.get(\"name\")==\"telemetry\" for a in json.load(sys.stdin).get(\"apps\") or []) else 1)'"
  wait_for_cmd 20 test_gt "as_b tel_count $name" 0
  n1=$(as_b tel_count "$name"); sleep 3; n2=$(as_b tel_count "$name")
  check "$b: failover: telemetry reaches B and keeps coming ($n1 -> $n2)" test "$n2" -gt "$n1" -a "$n1" -gt 0
  check "$b: failover: nothing deployed again (one 'deploy telemetry: result ok', one begin)" \
    test "$(grep -c '^deploy telemetry: result ok' "$log")" -eq 1 -a "$(grep -c '^deploy telemetry: begin' "$log")" -eq 1
  check "$b: failover: no deploy began after the switch to B" no_deploy_after "session: gateway 10.0.2.2:$B_GP" "$log"
  stop_qemu
  cp "$WORK"/$b-*.log "$FW/build/device/$b/" 2> /dev/null
  # A is gone for the next board: start it again on its ports (the next board's device
  # enrolls there first).
  if [ "$b" != "${BOARDS##* }" ]; then start_gateway "$A_GP" || bad "gateway A restarts"; A_PID=$GW_PID; fi
done
cp "$WORK/gateway.log" "$FW/build/device/gateways-a.log" 2> /dev/null
cp "$WORK/b/gateway.log" "$FW/build/device/gateways-b.log" 2> /dev/null
finish
