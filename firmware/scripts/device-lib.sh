#!/bin/bash
# Shared shell functions for the device tests against the real gateway in QEMU
# (device-failures.sh, device-bench.sh). Same approach as device-e2e.sh: real
# gateway (`npm run gateway`, temp data dir, free ports), QEMU MPS2 with user
# networking (the gateway is 10.0.2.2 = 127.0.0.1), provisioning block loaded
# with -device loader, flash = a host file mapped as the board's PSRAM (device-qemu.sh).
# Source it after setting LIB_NAME (the script's name for the summary line).
FW=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO=$(cd "$FW/.." && pwd)
TMO=${DEVICE_TIMEOUT:-300}
pass=0; fail=0
ok()  { pass=$((pass + 1)); echo "PASS $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
check() { local what=$1; shift; if "$@" > /dev/null 2>&1; then ok "$what"; else bad "$what"; fi; }
finish() { echo "$LIB_NAME: $pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit $?; }

WORK=$(mktemp -d "/tmp/$LIB_NAME.XXXXXX")
GW_PID=""; QEMU_PID=""; ADMIN_AUTH=""
cleanup() {
  [ -n "$QEMU_PID" ] && kill "$QEMU_PID" 2> /dev/null
  [ -n "$GW_PID" ] && { kill -- -"$GW_PID" 2> /dev/null || kill "$GW_PID" 2> /dev/null; wait "$GW_PID" 2> /dev/null; }
  [ -n "${KEEP:-}" ] || { rm -rf "$WORK" 2> /dev/null || { sleep 1; rm -rf "$WORK"; }; }
}
trap cleanup EXIT INT TERM

# build_all BOARD... : lwIP, wolfSSL, TLS library, device images, example apps (quiet).
build_all() {
  bash "$FW/scripts/fetch-lwip.sh" > /dev/null 2>&1
  bash "$FW/scripts/fetch-wolfssl.sh" > /dev/null 2>&1
  make -s -C "$FW/tls" m3 > "$WORK/tls-build.log" 2>&1 || { tail "$WORK/tls-build.log"; return 1; }
  local b
  for b in "$@"; do
    make -s -C "$FW/device" BOARD="$b" > "$WORK/build-$b.log" 2>&1 || { tail -n 20 "$WORK/build-$b.log"; return 1; }
  done
}

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

# start_gateway [PORT]: sets GP (device port; enrollment GP+1), ADMIN, ADMIN_AUTH (the header
# every admin request needs: -H "$ADMIN_AUTH"), CA_B64; logs to
# $WORK/gateway.log (appended: a restarted gateway keeps one log). State in $WORK/gw.
start_gateway() {
  GP=${1:-$(free_port)}; ADMIN="http://127.0.0.1:$((GP + 2))"
  mkdir -p "$WORK/gw"
  ( cd "$REPO" && source scripts/node-env.sh > /dev/null 2>&1 && wasmbed_ensure_node > /dev/null 2>&1; exec setsid npm run -s gateway:fixture -- --port "$GP" --data "$WORK/gw" ) >> "$WORK/gateway.log" 2>&1 &
  GW_PID=$!
  local i
  # The admin API wants the bearer token the gateway writes to its data directory at first start.
  for i in $(seq 1 240); do
    [ -f "$WORK/gw/admin.token" ] && ADMIN_AUTH="authorization: Bearer $(cat "$WORK/gw/admin.token")"
    curl -sf -H "$ADMIN_AUTH" "$ADMIN/healthz" > /dev/null 2>&1 && [ -f "$WORK/gw/ca/ca.crt.pem" ] && break; sleep 0.25
  done
  curl -sf -H "$ADMIN_AUTH" "$ADMIN/healthz" > /dev/null 2>&1 || return 1
  CA_B64=$(openssl x509 -in "$WORK/gw/ca/ca.crt.pem" -outform DER | base64 -w0)
}

# stop_gateway: SIGTERM to the gateway's process group (it saves its state), and waits.
stop_gateway() {
  [ -n "$GW_PID" ] || return 0
  kill -- -"$GW_PID" 2> /dev/null || kill "$GW_PID" 2> /dev/null
  wait "$GW_PID" 2> /dev/null; GW_PID=""
}

prov_addr() { case "$1" in mps2-an505) echo 0x381FF000 ;; *) echo 0x203FF000 ;; esac; }

# new_device BOARD NAME PROVFILE FLASHFILE [EXTRA_LINES]: registers NAME with a fresh one-time
# token and writes its provisioning block (EXTRA_LINES: more "key=value\n" text, e.g. fault=...).
# The block's gateway line is 10.0.2.2:$GP, or $PROV_GATEWAYS when set (a list: A:P,B:Q).
# The token is left in $DEV_TOKEN (device-gateways.sh registers it with a second gateway too).
new_device() {
  local b=$1 name=$2 prov=$3 flash=$4 extra=${5:-} token="tok-$RANDOM$RANDOM$RANDOM" seed
  curl -sf -X POST "$ADMIN/devices" -H "$ADMIN_AUTH" -H 'content-type: application/json' \
    -d "{\"name\":\"$name\",\"token\":\"$token\"}" > /dev/null || return 1
  DEV_TOKEN=$token
  seed=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
  # server_name: the name in the gateway's certificate (the gateway's default: localhost);
  # EXTRA_LINES come first, so a test can give another.
  printf 'WBP1gateway=%s\ndevice=%s\ntoken=%s\nflash=%s\nseed=%s\ntime=%s\n%sserver_name=localhost\nca=%s\n\0' \
    "${PROV_GATEWAYS:-10.0.2.2:$GP}" "$name" "$token" "$flash" "$seed" "$(date +%s)" "$extra" "$CA_B64" > "$prov"
  rm -f "$WORK/$flash"
}

# flash_of PROVFILE: the device's flash file, $WORK/ + the block's flash= name (new_device).
flash_of() { echo "$WORK/$(tr '\0' '\n' < "$1" | sed -n 's/^flash=//p' | head -n 1)"; }

# run_qemu BOARD PROVFILE LOG [ELF]: starts the device through the one launcher
# (device-qemu.sh: no semihosting, flash file mapped as memory, seccomp), flash from flash_of.
run_qemu() {
  ( cd "$WORK" && exec timeout "$TMO" bash "$FW/scripts/device-qemu.sh" "$1" \
      "${4:-$FW/build/device/$1/device.elf}" "$2" "$(flash_of "$2")" ) < /dev/null > "$3" 2>&1 &
  QEMU_PID=$!
}
stop_qemu() { [ -n "$QEMU_PID" ] && { kill "$QEMU_PID" 2> /dev/null; wait "$QEMU_PID" 2> /dev/null; }; QEMU_PID=""; }
wait_for() { # file regex seconds
  local t=0; while [ $t -lt $(($3 * 4)) ]; do grep -Eq "$2" "$1" 2> /dev/null && return 0; sleep 0.25; t=$((t + 1)); done; return 1
}
dev_json() { curl -sf -H "$ADMIN_AUTH" "$ADMIN/devices/$1"; }
phase_is() { dev_json "$1" | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin).get("phase")==sys.argv[1] else 1)' "$2"; }
# tel_count NAME [APP]: telemetry samples of APP (default telemetry) in GET /devices/NAME.
tel_count() { dev_json "$1" | python3 -c 'import json,sys; print(sum(1 for t in json.load(sys.stdin).get("telemetry") or [] if t.get("app")==sys.argv[1]))' "${2:-telemetry}" 2> /dev/null || echo 0; }
# tel_last NAME TOPIC: last value of TOPIC.
tel_last() { dev_json "$1" | python3 -c 'import json,sys; v=[t["value"] for t in json.load(sys.stdin).get("telemetry") or [] if t.get("topic")==sys.argv[1]]; print(v[-1] if v else -1)' "$2" 2> /dev/null || echo -1; }
# deploy NAME APP WASMFILE [LIMITS_JSON]: admin POST /deploy.
deploy() {
  local lim=${4:-'{"memoryBytes":65536,"fuelPerActivation":1000000,"periodMs":500}'}
  curl -sf -X POST "$ADMIN/deploy" -H "$ADMIN_AUTH" -H 'content-type: application/json' \
    -d "{\"app\":\"$2\",\"module\":\"$(base64 -w0 "$3")\",\"devices\":[\"$1\"],\"limits\":$lim}"
}
# send_command NAME APP CMD [PAYLOAD]: admin POST /devices/NAME/command; prints the JSON answer.
send_command() {
  curl -s -X POST "$ADMIN/devices/$1/command" -H "$ADMIN_AUTH" -H 'content-type: application/json' \
    -d "{\"app\":\"$2\",\"name\":\"$3\",\"payload\":\"$(printf %s "${4:-}" | base64 -w0)\"}"
}
# answer_ok JSON TRUE|FALSE: the command answer's ok field is as expected.
answer_ok() { python3 -c 'import json,sys; sys.exit(0 if str(json.loads(sys.argv[1]).get("ok")).lower()==sys.argv[2] else 1)' "$1" "$2"; }
# gw_log_has JQ-LIKE: python predicate over the gateway's pino JSON lines (variable r).
gw_log_has() {
  python3 - "$WORK/gateway.log" "$1" <<'PY'
import json, sys
for line in open(sys.argv[1], errors="replace"):
    try: r = json.loads(line)
    except ValueError: continue
    try:
        if eval(sys.argv[2], {}, {"r": r}): sys.exit(0)
    except Exception: pass
sys.exit(1)
PY
}
# wait_for_cmd SECONDS CMD...: retries CMD every 0.5 s.
wait_for_cmd() {
  local s=$1 t=0; shift
  while [ $t -lt $((s * 2)) ]; do "$@" > /dev/null 2>&1 && return 0; sleep 0.5; t=$((t + 1)); done; return 1
}
test_gt() { [ "$(eval "$1")" -gt "$2" ]; }
# hb_after NAME ISO: the device's lastHeartbeat at the gateway is later than ISO.
hb_after() { dev_json "$1" | python3 -c 'import json,sys; h=json.load(sys.stdin).get("lastHeartbeat") or ""; sys.exit(0 if h and h > sys.argv[1] else 1)' "$2"; }
