#!/bin/bash
# Failure paths of the device firmware (firmware/device) against the real
# gateway in QEMU. Per board: enroll, certified session, deploy telemetry and
# see it publishing, then:
#  a. a module whose imports are fine but whose code does not validate
#     -> device deployResult{ok:false, error:invalidModule}, seen by the gateway;
#  b. a module corrupted on the device after the CRC-checked chunks (test-only
#     provisioning key fault=corrupt-module:hashbad)
#     -> deployResult{ok:false, error:hashMismatch}, seen by the gateway;
#  c. an app whose activate never returns (firmware/apps/spinner)
#     -> stopped on exhausted fuel, appStatus{failed, "...fuel..."} at the gateway,
#        while telemetry keeps publishing and heartbeats keep coming;
#  d. the same app with limits.maxRestarts 2
#     -> restarted twice after back-offs, then failed for good; the gateway's
#        appStatus shows Failed with 2 restarts;
#  f. (run before e) the telemetry app activating every 50 ms for 18 s
#     -> still running after 300+ activations: its garbage is collected in its one page;
#  e. the gateway stopped and started again on its data directory
#     -> the device backs off (1 s, 2 s, 4 s), comes back with its stored
#        certificate, publishes again, and starts from 1 s after that session;
#  g. modules whose exports have other types than the host API's (the D1 shape:
#     init returning 19 x i64; init with parameters; activate returning a value;
#     command of the wrong type) -> refused, invalidModule with the type, before
#     any of their code runs; the device keeps publishing and heartbeating;
#  h. (in f) the gateway sends one chunk with a bit flipped (test-only fault
#     WASMBED_TEST_CORRUPT_CHUNK=busy:0) -> the device answers checksumMismatch,
#     the gateway sends it again, the deploy completes with the module's hash;
#  i. the flash file corrupted field by field (firmware/scripts/flash-tool.py):
#     slot size, cfg_len, a name without NUL, module bytes vs its SHA-256, a header
#     whose checksum no longer matches, a torn install, the identity's key_len and
#     cert_len -> the device boots, says which record it refused and why, treats it
#     as empty (never reads past it) and keeps working.
# Traffic: QEMU user networking to 127.0.0.1 (10.0.2.2) only.
# Usage: device-failures.sh [BOARD...]   (default: mps2-an385)
# Last line: "device-failures: N passed, M failed"; exit status 1 on any failure.
set -u
LIB_NAME=device-failures
source "$(dirname "$0")/device-lib.sh"
welcomes_at_least() { [ "$(grep -c '^session: WELCOME' "$log")" -ge "$1" ]; }
reconnects_at() { [ "$(grep -c "^session: reconnecting in $1 ms" "$log")" -ge "$2" ]; }
failures_at_least() { [ "$(grep -c "^app $1: FAILED" "$log")" -ge "$2" ]; }
# app_status_is NAME APP PHASE RESTARTS: the gateway's observation of the app (GET /devices/NAME).
app_status_is() { dev_json "$1" | python3 -c 'import json,sys; a=json.load(sys.stdin).get("appStatus",{}).get(sys.argv[1],{}); sys.exit(0 if a.get("phase")==sys.argv[2] and a.get("restarts")==int(sys.argv[3]) else 1)' "$2" "$3" "$4"; }
BOARDS=${*:-mps2-an385}

# shellcheck disable=SC2086
build_all $BOARDS || { bad "build"; finish; }
(cd "$REPO" && npm run -s apps:build > "$WORK/apps.log" 2>&1)
check "example apps built (telemetry.wasm, spinner.wasm)" test -f "$FW/build/apps/telemetry.wasm" -a -f "$FW/build/apps/spinner.wasm"
# h: the gateway corrupts the first chunk of app "busy" once (test-only fault, see header).
export WASMBED_TEST_CORRUPT_CHUNK=busy:0
start_gateway || { bad "gateway up"; finish; }
ok "gateway up (device port $GP, admin $((GP + 2)))"

# (module (import "wasmbed" "log" (func (param i32 i32 i32))) (memory (export "memory") 1)
#   (func (export "activate") i64.const 1 i32.const 2 i32.add drop))   ;; i32.add on an i64: invalid
# = wat2wasm --no-check of the above; built here byte by byte so that wabt is not needed.
printf '\x00asm\x01\x00\x00\x00\x01\x0a\x02\x60\x03\x7f\x7f\x7f\x00\x60\x00\x00\x02\x0f\x01\x07wasmbed\x03log\x00\x00\x03\x02\x01\x01\x05\x03\x01\x00\x01\x07\x15\x02\x06memory\x02\x00\x08activate\x00\x01\x0a\x0a\x01\x08\x00\x42\x01\x41\x02\x6a\x1a\x0b' > "$WORK/invalid.wasm"
if command -v wasm-validate > /dev/null; then
  check "invalid.wasm: well-formed but fails validation (wasm-validate)" bash -c "! wasm-validate '$WORK/invalid.wasm'"
fi

# g: modules whose exports have other types than docs/host-api.md gives them (wat2wasm).
wat() { printf '%s' "$2" > "$WORK/$1.wat" && wat2wasm "$WORK/$1.wat" -o "$WORK/$1.wasm"; }
i64s=$(for k in $(seq 1 19); do printf 'i64 '; done)
consts=$(for k in $(seq 1 19); do printf '(i64.const 0x%x) ' $((0x1001 + k)); done)
wat initres "(module (memory (export \"memory\") 1) (func (export \"init\") (result $i64s) $consts))"
wat initparams '(module (memory (export "memory") 1) (func (export "init") (param i32 i64)))'
wat actres '(module (memory (export "memory") 1) (func (export "activate") (result i32) (i32.const 1)))'
wat cmdtype '(module (memory (export "memory") 1) (func (export "command_buffer") (param i32) (result i32) (i32.const 0)) (func (export "command") (param i32) (result i32) (i32.const 1)))'
check "g: test modules built (wat2wasm)" test -f "$WORK/initres.wasm" -a -f "$WORK/cmdtype.wasm"
# app_sha_is NAME APP SHA: the gateway's observation of APP carries SHA (the device's hash).
app_sha_is() { dev_json "$1" | python3 -c 'import json,sys; a=json.load(sys.stdin).get("appStatus",{}).get(sys.argv[1],{}); sys.exit(0 if a.get("sha256")==sys.argv[2] and a.get("phase")=="Running" else 1)' "$2" "$3"; }

gw_failed() { # app reason-prefix: the gateway logged "deploy did not complete" for app with that reason
  gw_log_has "r.get('msg')=='deploy did not complete' and r.get('app')=='$1' and str(r.get('err','')).startswith('$2')"
}
gw_err() { # print the gateway's reason for app $1
  python3 -c 'import json,sys
for l in open(sys.argv[1], errors="replace"):
    try: r = json.loads(l)
    except ValueError: continue
    if r.get("msg") == "deploy did not complete" and r.get("app") == sys.argv[2]: print("    gateway:", r["msg"] + ":", r.get("err"))' "$WORK/gateway.log" "$1"
}
app_log_has() { # name app substring: GET /devices/NAME logs has a line of app containing substring
  dev_json "$1" | python3 -c 'import json,sys; sys.exit(0 if any(l.get("app")==sys.argv[1] and sys.argv[2] in l.get("message","") for l in json.load(sys.stdin).get("logs") or []) else 1)' "$2" "$3"
}
last_hb() { dev_json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("lastHeartbeat") or "")'; }
frames_in() { # type: wasmbed_gateway_frames_received_total{type=...}
  curl -sf -H "$ADMIN_AUTH" "$ADMIN/metrics" | awk -v t="$1" '$1 ~ /^wasmbed_gateway_frames_received_total/ && index($1, "\"" t "\"") {s += $2} END {print s + 0}'
}

for b in $BOARDS; do
  [ -f "$FW/build/device/$b/device.elf" ] || { bad "$b: no image"; continue; }
  name="fail-${b#mps2-}-$RANDOM"; log="$WORK/$b.log"
  new_device "$b" "$name" "$WORK/prov-$b.bin" "flash-$b.bin" "fault=corrupt-module:hashbad
" || { bad "$b: register $name"; continue; }
  run_qemu "$b" "$WORK/prov-$b.bin" "$log"
  check "$b: test fault hook announced (fault=corrupt-module:hashbad)" wait_for "$log" '^provisioning: TEST FAULT HOOK enabled: fault=corrupt-module:hashbad' 20
  check "$b: enrolled and certified session (welcome)" wait_for "$log" '^session: WELCOME' 90
  check "$b: gateway shows phase Connected" phase_is "$name" Connected
  deploy "$name" telemetry "$FW/build/apps/telemetry.wasm" > /dev/null
  check "$b: telemetry deployed" wait_for "$log" '^deploy telemetry: result ok' 40
  for i in $(seq 1 40); do [ "$(tel_count "$name")" -gt 0 ] && break; sleep 0.5; done
  n1=$(tel_count "$name"); sleep 2; n2=$(tel_count "$name")
  check "$b: telemetry publishing (gateway samples $n1 -> $n2)" test "$n1" -gt 0 -a "$n2" -gt "$n1"

  # ---- a. invalid module ----
  deploy "$name" badmod "$WORK/invalid.wasm" > "$WORK/deploy-badmod.json"
  check "$b: a: gateway accepted the deploy (202, import check passed)" python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1])).get("app")=="badmod" else 1)' "$WORK/deploy-badmod.json"
  check "$b: a: device refused the module: deployResult invalidModule" wait_for "$log" '^deploy badmod: result FAILED invalid module' 40
  grep -m1 '^deploy badmod: result' "$log" | sed 's/^/    device: /'
  check "$b: a: gateway observed deploy failed with invalidModule" wait_for_cmd 20 gw_failed badmod invalidModule
  gw_err badmod
  check "$b: a: gateway did not refuse it before sending (no import problem)" bash -c "! grep -q 'deploy refused' '$WORK/gateway.log'"

  # ---- b. hash mismatch (device-side fault hook) ----
  deploy "$name" hashbad "$FW/build/apps/blinky.wasm" > /dev/null
  check "$b: b: fault hook corrupted the stored module" wait_for "$log" '^fault: corrupt-module: flipped a bit at offset [0-9]+ of hashbad' 40
  check "$b: b: device refused it: deployResult hashMismatch" wait_for "$log" '^deploy hashbad: result FAILED SHA-256' 20
  check "$b: b: gateway observed deploy failed with hashMismatch" wait_for_cmd 20 gw_failed hashbad hashMismatch
  gw_err hashbad

  # ---- g. exports of the wrong type (D1) ----
  hb0=$(last_hb "$name")
  for m in initres:'export init has type ()IIIIIIIIIIIIIIIIIII' initparams:'export init has type (iI)' \
           actres:'export activate has type ()i' cmdtype:'export command has type (i)i'; do
    app=${m%%:*} want=${m#*:}
    deploy "$name" "$app" "$WORK/$app.wasm" > /dev/null
    check "$b: g: $app refused before it ran: invalidModule, \"$want...\"" wait_for "$log" "^deploy $app: result FAILED $(printf %s "$want" | sed 's/[()]/\\&/g')" 40
    grep -m1 "^deploy $app: result" "$log" | sed 's/^/    device: /'
    check "$b: g: gateway observed $app failed with invalidModule" wait_for_cmd 20 gw_failed "$app" invalidModule
  done
  check "$b: g: none of their code ran (not instantiated, no fault)" bash -c "! grep -qE '^app (initres|initparams|actres|cmdtype): instantiated|\*\*\* (fault|unexpected)' '$log'"
  check "$b: g: device kept its session: heartbeat after the refusals" wait_for_cmd 45 hb_after "$name" "$hb0"

  # (the gateway keeps the last samples only: compare the app's activation counter)
  n3=$(tel_last "$name" device/activations); sleep 3; n4=$(tel_last "$name" device/activations)
  check "$b: telemetry still publishing after a, b and g (activations $n3 -> $n4)" python3 -c "import sys; sys.exit(0 if float('$n4') > float('$n3') > 0 else 1)"

  # ---- c. app that loops forever ----
  st0=$(frames_in appStatus)
  deploy "$name" spinner "$FW/build/apps/spinner.wasm" '{"memoryBytes":65536,"fuelPerActivation":100000,"periodMs":500}' > /dev/null
  check "$b: c: spinner deployed beside telemetry" wait_for "$log" '^deploy spinner: result ok' 40
  check "$b: c: device stopped the spinner on exhausted fuel" wait_for "$log" '^app spinner: FAILED: .*fuel' 20
  grep -m1 '^app spinner: FAILED' "$log" | sed 's/^/    device: /'
  a1=$(tel_last "$name" device/activations); hb1=$(last_hb "$name")
  check "$b: c: gateway received the appStatus (frames $st0 -> $(frames_in appStatus))" wait_for_cmd 10 test_gt "frames_in appStatus" "$st0"
  check "$b: c: gateway logs of the device: spinner failed with a fuel error" wait_for_cmd 10 app_log_has "$name" spinner fuel
  dev_json "$name" | python3 -c 'import json,sys; l=[x for x in json.load(sys.stdin)["logs"] if x.get("app")=="spinner"]; print("    gateway log:", l[-1]["message"] if l else "-")'
  sleep 3
  a2=$(tel_last "$name" device/activations)
  check "$b: c: telemetry keeps publishing after the spinner failed (activations $a1 -> $a2)" python3 -c "import sys; sys.exit(0 if float('$a2') > float('$a1') > 0 else 1)"
  check "$b: c: spinner activated once only (no second run)" test "$(grep -c '^app spinner: FAILED' "$log")" -eq 1
  check "$b: c: session kept: heartbeat after the failure (lastHeartbeat $hb1 -> later)" wait_for_cmd 45 hb_after "$name" "$hb1"
  check "$b: c: same session throughout (one welcome), phase Connected" bash -c "[ \$(grep -c '^session: WELCOME' '$log') -eq 1 ] && curl -sf -H '$ADMIN_AUTH' '$ADMIN/devices/$name' | grep -q '\"phase\": \"Connected\"'"
  a3=$(tel_last "$name" device/activations)
  check "$b: c: telemetry still growing at the end (activations $a2 -> $a3)" python3 -c "import sys; sys.exit(0 if float('$a3') > float('$a2') else 1)"

  # ---- d. a failing app is restarted up to limits.maxRestarts ----
  deploy "$name" spinner2 "$FW/build/apps/spinner.wasm" '{"memoryBytes":65536,"fuelPerActivation":100000,"periodMs":500,"maxRestarts":2}' > /dev/null
  check "$b: d: spinner2 deployed with maxRestarts 2" wait_for "$log" '^deploy spinner2: result ok' 40
  check "$b: d: restarted after its first failure" wait_for "$log" '^app spinner2: restarted \(1 of 2\)' 20
  check "$b: d: restarted after its second failure" wait_for "$log" '^app spinner2: restarted \(2 of 2\)' 20
  check "$b: d: failed a third time" wait_for_cmd 20 failures_at_least spinner2 3
  sleep 5
  check "$b: d: not restarted again (3 failures, 2 restarts)" bash -c "[ \$(grep -c '^app spinner2: FAILED' '$log') -eq 3 ] && [ \$(grep -c '^app spinner2: restarted' '$log') -eq 2 ]"
  check "$b: d: gateway shows spinner2 Failed after 2 restarts" wait_for_cmd 10 app_status_is "$name" spinner2 Failed 2
  dev_json "$name" | python3 -c 'import json,sys; print("    gateway appStatus:", json.dumps(json.load(sys.stdin)["appStatus"].get("spinner2")))'

  # ---- f. an app that allocates at every activation keeps running in its one page ----
  deploy "$name" busy "$FW/build/apps/telemetry.wasm" '{"memoryBytes":65536,"fuelPerActivation":1000000,"periodMs":50}' > /dev/null
  check "$b: f: telemetry deployed again as 'busy', activating every 50 ms" wait_for "$log" '^deploy busy: result ok' 40
  check "$b: h: the device refused the chunk with a flipped bit: checksumMismatch" grep -q '^deploy busy: chunk at 0 status 1' "$log"
  check "$b: h: the gateway had flipped it (test fault) and sent it again" gw_log_has "r.get('msg')=='device saw a corrupted chunk; sending it again' and r.get('app')=='busy'"
  check "$b: h: ... and the deploy completed with the module's SHA-256" wait_for_cmd 10 app_sha_is "$name" busy "$(sha256sum "$FW/build/apps/telemetry.wasm" | cut -d' ' -f1)"
  sleep 18
  check "$b: f: 300 activations later it still runs (its garbage is collected)" bash -c "! grep -q '^app busy: FAILED' '$log'"
  dev_json "$name" | python3 -c 'import json,sys; a=[t["value"] for t in json.load(sys.stdin)["telemetry"] if t.get("app")=="busy" and t["topic"].endswith("/activations")]; print("    busy activations:", a[-1] if a else "-"); sys.exit(0 if a and a[-1] > 250 else 1)' > "$WORK/busy.txt"; busy_ok=$?; cat "$WORK/busy.txt"
  check "$b: f: ... over 250 activations published" test "$busy_ok" -eq 0

  # ---- e. the gateway goes away and comes back ----
  stop_gateway
  check "$b: e: device noticed the gateway closed the session" wait_for "$log" '^session: closed by the gateway' 20
  check "$b: e: reconnects back off while the gateway is away (1 s, 2 s, 4 s)" wait_for "$log" '^session: reconnecting in 4000 ms' 30
  start_gateway "$GP" || bad "$b: e: gateway restarted on port $GP"
  check "$b: e: back with the restarted gateway: second welcome, no enrollment" wait_for_cmd 40 welcomes_at_least 2
  check "$b: e: ... without enrolling again" bash -c "[ \$(grep -c '^enroll: ENROLLED' '$log') -eq 1 ]"
  check "$b: e: gateway shows phase Connected again" wait_for_cmd 10 phase_is "$name" Connected
  check "$b: e: telemetry published to the restarted gateway" wait_for_cmd 20 test_gt "tel_count $name" 0
  check "$b: e: the restarted gateway kept the device's apps (nothing removed)" bash -c "! grep -q '^app .*: removed by the gateway' '$log'"
  stop_gateway
  check "$b: e: after a welcomed session the back-off starts again at 1 s" wait_for_cmd 20 reconnects_at 1000 2
  start_gateway "$GP" || bad "$b: e: gateway restarted again"
  check "$b: e: ... and back after that" wait_for_cmd 40 welcomes_at_least 3
  stop_qemu
  cp "$log" "$FW/build/device/$b/failures.log" 2> /dev/null

  # ---- i. a corrupted flash file ----
  flash="$WORK/flash-$b.bin"
  python3 "$FW/scripts/flash-tool.py" "$flash" show | sed 's/^/    flash: /'
  cp "$flash" "$WORK/flash-$b.orig"
  slots=$(python3 "$FW/scripts/flash-tool.py" "$flash" show | grep -c '^slot .*crc ok')
  check "$b: i: four apps in flash before corrupting it ($slots)" test "$slots" -eq 4
  boot_corrupt() { # ROUND FIELD:SLOT...: corrupt a fresh copy of the flash, boot it
    local round=$1 f; shift
    cp "$WORK/flash-$b.orig" "$flash"
    for f in "$@"; do python3 "$FW/scripts/flash-tool.py" "$flash" corrupt "${f%%:*}" "${f#*:}" || bad "$b: i: flash-tool $f"; done
    log="$WORK/$b-i$round.log"
    run_qemu "$b" "$WORK/prov-$b.bin" "$log"
  }
  boot_corrupt 1 size:0 cfg_len:1 name_nul:2 module:3
  check "$b: i1: slot 0 with size 0x100000 refused" wait_for "$log" '^store: flash slot 0 refused \(module size out of range\)' 30
  check "$b: i1: slot 1 with cfg_len 0x100000 refused" wait_for "$log" '^store: flash slot 1 refused \(config length out of range\)' 5
  check "$b: i1: slot 2 with a name of 64 non-NUL bytes refused" wait_for "$log" '^store: flash slot 2 refused \(name not NUL-terminated\)' 5
  check "$b: i1: slot 3 whose module differs from its SHA-256 not started" wait_for "$log" '^app [a-z0-9]+: FAILED: module in flash does not match its SHA-256' 5
  check "$b: i1: device carries on: certified session" wait_for "$log" '^session: WELCOME' 60
  check "$b: i1: the gateway deploys again what the device lost; it runs" wait_for "$log" '^deploy [a-z0-9]+: result ok' 60
  check "$b: i1: no fault" bash -c "! grep -qE '\*\*\* (fault|unexpected)' '$log'"
  stop_qemu
  boot_corrupt 2 key_len:0 header_crc:0 torn:1
  check "$b: i2: identity with key_len 0x10000 refused, a new key generated" wait_for "$log" '^store: identity record refused \(key length out of range\)' 30
  check "$b: i2: ... new key" wait_for "$log" '^identity: generated P-256 key' 10
  check "$b: i2: slot 0 whose header changed without its checksum refused" wait_for "$log" '^store: flash slot 0 refused \(checksum mismatch\)' 5
  check "$b: i2: slot 1 torn mid-install reads as empty (not refused, not started)" bash -c "! grep -qE '^store: flash slot 1|found in flash slot 1' '$log'"
  check "$b: i2: the other slots still start" wait_for "$log" '^app [a-z0-9]+: found in flash slot 2' 5
  check "$b: i2: device carries on: asks to enroll (its token is spent: refused)" wait_for "$log" '^enroll: refused' 60
  stop_qemu
  boot_corrupt 3 cert_len:0
  check "$b: i3: identity with cert_len 0x10000 refused" wait_for "$log" '^store: identity record refused \(certificate length out of range\)' 30
  check "$b: i3: device carries on: tries to enroll" wait_for "$log" '^enroll: (refused|sending)' 60
  stop_qemu
  cp "$WORK/flash-$b.orig" "$flash"; log="$WORK/$b-i4.log"
  run_qemu "$b" "$WORK/prov-$b.bin" "$log"
  check "$b: i4: control: the uncorrupted copy boots with its key, certificate and four apps" wait_for "$log" '^session: WELCOME' 60
  check "$b: i4: ... no record refused" bash -c "! grep -q '^store: .*refused' '$log' && [ \$(grep -c 'found in flash slot' '$log') -eq 4 ]"
  stop_qemu
done
cp "$WORK/gateway.log" "$FW/build/device/gateway-failures.log" 2> /dev/null
finish
