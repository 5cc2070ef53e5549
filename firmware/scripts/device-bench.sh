#!/bin/bash
# Boot-to-enrolled and reconnect times of the device firmware in QEMU against
# the real gateway (same setup as device-e2e.sh). Per board and run: a new
# device (fresh token, empty flash file); time from starting QEMU to
#   dhcp       the device console printing its lease,
#   enrolled   the console printing "enroll: ENROLLED" (certificate stored),
#   connected  the console printing "session: WELCOME" (mutual TLS + hello/welcome),
# and the gateway's own log times ("device enrolled", "device connected") as
# gateway_enrolled / gateway_connected; then QEMU is stopped and started again
# with the same flash file: time to WELCOME again (no enrollment).
# Times are wall-clock seconds measured on the host (console polled every 20 ms).
# Usage: device-bench.sh [BOARD...]   (default: all four); DEVICE_BENCH_RUNS (default 3)
# Output: PASS/FAIL and per-run lines, one JSON line per board, last line the
# JSON {"means": ..., "passed": N, "failed": M}; exit status 1 when a step
# timed out or a reboot enrolled again.
set -u
LIB_NAME=device-bench
source "$(dirname "$0")/device-lib.sh"
BOARDS=${*:-mps2-an385 mps2-an386 mps2-an500 mps2-an505}
RUNS=${DEVICE_BENCH_RUNS:-3}

# shellcheck disable=SC2086
build_all $BOARDS || { bad "build"; exit 1; }
start_gateway || { bad "gateway up"; exit 1; }

# stamps T0 LOG SECONDS NAME=REGEX...: prints NAME=seconds for each regex as first seen.
stamps() {
  python3 - "$@" <<'PY'
import re, sys, time
t0, path, limit = float(sys.argv[1]), sys.argv[2], float(sys.argv[3])
want = [a.split("=", 1) for a in sys.argv[4:]]
seen = {}
while len(seen) < len(want) and time.time() - t0 < limit:
    try: text = open(path, errors="replace").read()
    except OSError: text = ""
    now = time.time()
    for name, rx in want:
        if name not in seen and re.search(rx, text, re.M): seen[name] = now - t0
    time.sleep(0.02)
print(" ".join("%s=%.2f" % (n, seen[n]) if n in seen else "%s=nan" % n for n, _ in want))
PY
}

# gw_times NAME T0 NTH KEY=MSG...: seconds from T0 to the NTH (0-based) gateway log line MSG
# of device NAME (pino "time", ms since the epoch, same host clock).
gw_times() {
  python3 - "$WORK/gateway.log" "$@" <<'PY'
import json, sys
path, dev, t0, nth = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
want = [a.split("=", 1) for a in sys.argv[5:]]
hits = {k: [] for k, _ in want}
for l in open(path, errors="replace"):
    try: r = json.loads(l)
    except ValueError: continue
    if r.get("device") != dev: continue
    for k, msg in want:
        if r.get("msg") == msg: hits[k].append(r["time"] / 1000.0 - t0)
print(" ".join("%s=%.2f" % (k, hits[k][nth]) if len(hits[k]) > nth else "%s=nan" % k for k, _ in want))
PY
}

all=()
for b in $BOARDS; do
  [ -f "$FW/build/device/$b/device.elf" ] || { bad "$b: no image"; continue; }
  res="$WORK/$b.samples"; : > "$res"
  for r in $(seq 1 "$RUNS"); do
    name="bench-${b#mps2-}-$r-$RANDOM"
    new_device "$b" "$name" "$WORK/prov-$b.bin" "flash-$b.bin" || { bad "$b run $r: register"; continue; }
    t0=$(date +%s.%N); run_qemu "$b" "$WORK/prov-$b.bin" "$WORK/$b-$r-1.log"
    s1=$(stamps "$t0" "$WORK/$b-$r-1.log" 120 dhcp='^dhcp: ip' enrolled='^enroll: ENROLLED' connected='^session: WELCOME')
    sleep 0.3
    g1=$(gw_times "$name" "$t0" 0 gateway_enrolled='device enrolled' gateway_connected='device connected')
    check "$b run $r: gateway shows phase Connected" phase_is "$name" Connected
    stop_qemu
    t0=$(date +%s.%N); run_qemu "$b" "$WORK/prov-$b.bin" "$WORK/$b-$r-2.log"
    s2=$(stamps "$t0" "$WORK/$b-$r-2.log" 90 reboot_dhcp='^dhcp: ip' reconnected='^session: WELCOME')
    sleep 0.3
    s2="$s2 $(gw_times "$name" "$t0" 1 gateway_reconnected='device connected')"
    stop_qemu
    grep -q '^enroll:' "$WORK/$b-$r-2.log" && s2="$s2 enrolled_again=1"
    echo "$s1 $g1 $s2" >> "$res"
    echo "    $b run $r: $s1 $g1 $s2"
  done
  line=$(python3 - "$b" "$res" <<'PY'
import json, math, sys
board, path = sys.argv[1], sys.argv[2]
runs = [dict(kv.split("=") for kv in l.split()) for l in open(path) if l.strip()]
keys = ["dhcp", "enrolled", "gateway_enrolled", "connected", "gateway_connected", "reboot_dhcp", "reconnected", "gateway_reconnected"]
out = {"board": board, "runs": len(runs)}
ok = bool(runs)
for k in keys:
    v = [float(r.get(k, "nan")) for r in runs]
    good = [x for x in v if not math.isnan(x)]
    if len(good) != len(v): ok = False
    out[k + "_s"] = round(sum(good) / len(good), 2) if good else None
    out[k + "_min_max_s"] = [min(good), max(good)] if good else None
if any("enrolled_again" in r for r in runs): ok = False
out["ok"] = ok
print(json.dumps(out))
PY
)
  echo "$line"; all+=("$line")
  check "$b: every run enrolled, connected and reconnected without enrolling again" python3 -c 'import json,sys; sys.exit(0 if json.loads(sys.argv[1])["ok"] else 1)' "$line"
done
printf '%s\n' "${all[@]}" | python3 -c 'import json,sys
rows=[json.loads(l) for l in sys.stdin if l.strip()]
keys=["dhcp_s","enrolled_s","gateway_enrolled_s","connected_s","gateway_connected_s","reboot_dhcp_s","reconnected_s","gateway_reconnected_s"]
m={k: round(sum(r[k] for r in rows if r.get(k) is not None)/max(1,sum(1 for r in rows if r.get(k) is not None)),2) for k in keys}
print(json.dumps({"means": m, "boards": [r["board"] for r in rows], "runs_per_board": max([r["runs"] for r in rows] or [0]), "passed": int(sys.argv[1]), "failed": int(sys.argv[2])}))' "$pass" "$fail"
[ "$fail" -eq 0 ]
