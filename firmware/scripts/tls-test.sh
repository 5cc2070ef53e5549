#!/usr/bin/env bash
# Host tests of the device TLS layer (firmware/tls), loopback only.
#   - unit tests (heap, time hook, identity, argument checks)
#   - HMAC_DRBG (wb_drbg) known answers from test/hmac_drbg_ref.py, reseed, refusals
#   - key + CSR on the "device", checked by openssl
#   - mutual TLS 1.3 against openssl s_server with a client cert issued
#     from the device's CSR; ChaCha20 suite; 32-bit build
#   - refusals: foreign CA, expired server cert (time hook), TLS 1.2 server,
#     wrong server name, missing client cert
#   - Cortex-M3 cross build without warnings, size report
# Last line: "tls: N passed, M failed"; exit status non-zero on failure.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
fw="$(cd "$here/.." && pwd)"
tls="$fw/tls"
pass=0 fail=0
ok()  { pass=$((pass + 1)); echo "PASS $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
check() { local name="$1"; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
finish() { echo "tls: $pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit $?; }

work="$(mktemp -d /tmp/wb-tls-test.XXXXXX)"
srv_pids=()
cleanup() { for p in "${srv_pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$work"; }
trap cleanup EXIT

# ---- build -------------------------------------------------------------------
if ! bash "$here/fetch-wolfssl.sh" > "$work/fetch.log" 2>&1; then
  cat "$work/fetch.log"; bad "fetch wolfSSL sources"; finish
fi
if make -s -C "$tls" -j2 host > "$work/build.log" 2>&1; then ok "host build"
else tail -n 30 "$work/build.log"; bad "host build"; finish; fi
T="$tls/build/host/wbtls_test"

# ---- unit tests --------------------------------------------------------------
"$T" unit > "$work/unit.log" 2>&1; urc=$?
grep -E '^(ok|FAIL)' "$work/unit.log" | sed 's/^/  unit: /'
u_pass=$(grep -c '^ok ' "$work/unit.log"); u_fail=$(grep -c '^FAIL' "$work/unit.log")
pass=$((pass + u_pass)); fail=$((fail + u_fail))
[ "$urc" -eq 0 ] || [ "$u_fail" -gt 0 ] || bad "unit runner exited $urc"

# ---- HMAC_DRBG (wb_drbg): known answers from an independent Python reference --
check "drbg vectors: test/drbg_vectors.h is what test/hmac_drbg_ref.py prints" \
  bash -c "python3 '$tls/test/hmac_drbg_ref.py' | cmp -s - '$tls/test/drbg_vectors.h'"
"$tls/build/host/drbg_test" > "$work/drbg.log" 2>&1; drc=$?
sed 's/^/  /' "$work/drbg.log"
d_pass=$(grep -c '^ok ' "$work/drbg.log"); d_fail=$(grep -c '^FAIL' "$work/drbg.log")
pass=$((pass + d_pass)); fail=$((fail + d_fail))
[ "$drc" -eq 0 ] || [ "$d_fail" -gt 0 ] || bad "drbg_test exited $drc"
[ "$d_pass" -ge 16 ] || bad "drbg_test ran $d_pass checks (expected 16)"

# ---- device identity ---------------------------------------------------------
cd "$work"
dev="wb-dev-$RANDOM$RANDOM"
if "$T" keygen dev.key.der dev.csr.der "$dev" > keygen.log 2>&1; then ok "device key + CSR generated ($(cat keygen.log))"
else cat keygen.log; bad "device key + CSR generated"; fi
check "openssl verifies the CSR signature" \
  openssl req -in dev.csr.der -inform DER -verify -noout
subj="$(openssl req -in dev.csr.der -inform DER -noout -subject -nameopt RFC2253 2>/dev/null)"
check "CSR subject is CN=$dev" test "$subj" = "subject=CN=$dev"
check "device key is prime256v1" \
  bash -c "openssl ec -in dev.key.der -inform DER -noout -text 2>/dev/null | grep -q 'ASN1 OID: prime256v1'"
check "CSR public key matches the device key" bash -c \
  "[ \"\$(openssl req -in dev.csr.der -inform DER -noout -pubkey | openssl md5)\" = \"\$(openssl ec -in dev.key.der -inform DER -pubout 2>/dev/null | openssl md5)\" ]"

# ---- PKI made with openssl -------------------------------------------------
ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
mk() { openssl "$@" > /dev/null 2>&1 || { echo "openssl $* failed"; return 1; }; }
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > san.ext
mk req -x509 "${ec[@]}" -keyout ca.key -out ca.pem -days 3650 -subj /CN=wasmbed-test-ca
mk req -x509 "${ec[@]}" -keyout other.key -out other.pem -days 3650 -subj /CN=other-ca
mk req "${ec[@]}" -keyout server.key -out server.csr -subj /CN=localhost
mk x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 30 -extfile san.ext
# short-lived server cert for the expiry test (valid 1 day from now)
mk x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out short.pem -days 1 -extfile san.ext
# server cert from another CA
mk x509 -req -in server.csr -CA other.pem -CAkey other.key -CAcreateserial -out foreign.pem -days 30 -extfile san.ext
# enrollment: the CA signs the device's own CSR
mk x509 -req -in dev.csr.der -inform DER -CA ca.pem -CAkey ca.key -CAcreateserial -out dev.pem -days 30
mk x509 -in ca.pem -outform DER -out ca.der
mk x509 -in dev.pem -outform DER -out dev.der
check "client certificate issued from the device CSR" \
  bash -c "openssl verify -CAfile ca.pem dev.pem > /dev/null 2>&1"
# the device stores an enrolled certificate only when it carries the device's own key
check "wb_identity_cert_matches: the certificate issued from the device CSR matches the device key" \
  "$T" certmatch dev.key.der dev.der
mk x509 -in server.pem -outform DER -out server.der
"$T" certmatch dev.key.der server.der > /dev/null; rc=$?
check "wb_identity_cert_matches: a certificate for another key is refused (exit $rc)" test "$rc" -eq 1

# ---- s_server helper ---------------------------------------------------------
port=0
start_server() { # log, then s_server args
  local log="$1"; shift
  local try
  for try in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 40000))
    timeout 30 openssl s_server -accept "127.0.0.1:$port" -naccept 1 -rev "$@" \
      < /dev/null > "$log" 2>&1 &
    srv_pids+=($!)
    local i
    for i in $(seq 1 50); do
      grep -q '^ACCEPT' "$log" && return 0
      kill -0 "${srv_pids[-1]}" 2>/dev/null || break
      sleep 0.1
    done
    kill "${srv_pids[-1]}" 2>/dev/null
  done
  return 1
}
stop_server() { local p="${srv_pids[-1]}"; sleep 0.3; kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; }
now=$(date +%s)

# ---- (b) mutual TLS 1.3 with the enrolled identity -----------------------------
msg="wasmbed device $dev says hi"
start_server srv_ok.log -tls1_3 -Verify 1 -CAfile ca.pem -cert server.pem -key server.key
"$T" connect "$port" ca.der --cert dev.der --key dev.key.der --sni localhost --msg "$msg
" > cli_ok.log 2>&1; rc=$?
stop_server
sed 's/^/  client: /' cli_ok.log
check "mutual TLS 1.3 handshake completes (client side)" grep -q '^handshake ok' cli_ok.log
check "client exit status 0" test "$rc" -eq 0
check "server: Protocol version TLSv1.3" grep -q '^Protocol version: TLSv1.3' srv_ok.log
check "server: client certificate verified (verify return:1, Verification: OK)" \
  bash -c "grep -q '^Verification: OK' srv_ok.log && ! grep -q 'verify error' srv_ok.log"
check "server: peer is the enrolled device (CN = $dev)" grep -q "^Peer certificate: CN = $dev\$" srv_ok.log
rev="$(printf '%s' "$msg" | rev)"
check "data exchanged (server echoed the reversed message)" grep -qF "reply: $rev" cli_ok.log
check "no heap leak after close" grep -q '^after close heap_in_use=0$' cli_ok.log
peak=$(sed -n 's/^session heap_peak=\([0-9]*\).*/\1/p' cli_ok.log)

# ChaCha20-Poly1305 suite
start_server srv_cc.log -tls1_3 -ciphersuites TLS_CHACHA20_POLY1305_SHA256 -Verify 1 \
  -CAfile ca.pem -cert server.pem -key server.key
"$T" connect "$port" ca.der --cert dev.der --key dev.key.der --msg "chacha
" > cli_cc.log 2>&1; rc=$?
stop_server
check "TLS13-CHACHA20-POLY1305-SHA256 suite works" \
  bash -c "[ $rc -eq 0 ] && grep -q 'cipher=TLS13-CHACHA20-POLY1305-SHA256' cli_cc.log && grep -q 'reply: ahcahc' cli_cc.log"

# heap bound: the same handshake in an arena just above the measured peak
if [ -n "$peak" ]; then
  bound=$(( (peak * 11 / 10 + 1023) / 1024 * 1024 ))
  start_server srv_hb.log -tls1_3 -Verify 1 -CAfile ca.pem -cert server.pem -key server.key
  "$T" connect "$port" ca.der --cert dev.der --key dev.key.der --heap "$bound" --msg "bounded
" > cli_hb.log 2>&1; rc=$?
  stop_server
  check "handshake fits a ${bound}-byte arena (peak ${peak})" test "$rc" -eq 0
  small=$(( peak / 2 ))
  start_server srv_hs.log -tls1_3 -Verify 1 -CAfile ca.pem -cert server.pem -key server.key
  "$T" connect "$port" ca.der --cert dev.der --key dev.key.der --heap "$small" > cli_hs.log 2>&1; rc=$?
  stop_server
  check "handshake fails cleanly in a ${small}-byte arena" test "$rc" -ne 0 -a "$rc" -lt 64
else
  bad "heap peak reported"
fi

# ---- (c) refusals --------------------------------------------------------------
refused() { # name log: client must fail the handshake, server must not see app data
  local name="$1" log="$2" rc="$3"
  if [ "$rc" -eq 2 ] && grep -q '^handshake failed' "$log"; then ok "$name ($(grep '^handshake failed' "$log"))"
  else sed 's/^/  client: /' "$log"; bad "$name (exit $rc)"; fi
}
start_server srv_f.log -tls1_3 -cert foreign.pem -key server.key
"$T" connect "$port" ca.der --cert dev.der --key dev.key.der > cli_f.log 2>&1; rc=$?
stop_server
refused "server cert from another CA refused" cli_f.log "$rc"

# positive control for the short-lived cert, then the same cert 3 days later
start_server srv_s.log -tls1_3 -cert short.pem -key server.key
"$T" connect "$port" ca.der --time "$now" > cli_s.log 2>&1; rc=$?
stop_server
check "short-lived server cert accepted at the current time (control)" test "$rc" -eq 0
start_server srv_e.log -tls1_3 -cert short.pem -key server.key
"$T" connect "$port" ca.der --time $((now + 3 * 86400)) > cli_e.log 2>&1; rc=$?
stop_server
refused "expired server cert refused (time hook = now + 3 days)" cli_e.log "$rc"
check "expiry reported as a verification error (rc=-7)" grep -q 'rc=-7' cli_e.log
start_server srv_nt.log -tls1_3 -cert server.pem -key server.key
"$T" connect "$port" ca.der --time 1000000000 > cli_nt.log 2>&1; rc=$?
stop_server
refused "not-yet-valid server cert refused (time hook = 2001)" cli_nt.log "$rc"

start_server srv_12.log -tls1_2 -cert server.pem -key server.key
"$T" connect "$port" ca.der > cli_12.log 2>&1; rc=$?
stop_server
refused "TLS 1.2-only server refused" cli_12.log "$rc"
check "TLS 1.2 refusal reported as a version error (rc=-8)" grep -q 'rc=-8' cli_12.log
check "TLS 1.2 server: no TLS 1.2 session on the server" bash -c "! grep -q '^Protocol version: TLSv1.2' srv_12.log"

start_server srv_n.log -tls1_3 -cert server.pem -key server.key
"$T" connect "$port" ca.der --sni not-the-gateway.example > cli_n.log 2>&1; rc=$?
stop_server
refused "server name mismatch refused" cli_n.log "$rc"

start_server srv_nc.log -tls1_3 -Verify 1 -CAfile ca.pem -cert server.pem -key server.key
"$T" connect "$port" ca.der > cli_nc.log 2>&1; rc=$?
stop_server
check "server requiring a client cert rejects a device without one" \
  bash -c "[ $rc -ne 0 ] && ! grep -q '^reply: .\\+' cli_nc.log"

# ---- 32-bit host build: heap figures closer to the 32-bit device -----------------
if ! echo 'int main(void){return 0;}' | gcc -m32 -x c - -o "$work/m32" > /dev/null 2>&1; then
  echo "  (32-bit host build skipped: gcc -m32 unavailable)"
elif ! make -s -C "$tls" -j2 host BUILD="$tls/build/host32" EXTRA_CFLAGS=-m32 > "$work/build32.log" 2>&1; then
  tail -n 10 "$work/build32.log"; bad "32-bit host build"
else
  T32="$tls/build/host32/host/wbtls_test"
  start_server srv_32.log -tls1_3 -Verify 1 -CAfile ca.pem -cert server.pem -key server.key
  "$T32" connect "$port" ca.der --cert dev.der --key dev.key.der --msg "m32
" > cli_32.log 2>&1; rc=$?
  stop_server
  check "32-bit build: mutual TLS 1.3 ($(grep -h '^handshake ok' cli_32.log))" test "$rc" -eq 0
  "$T32" keygen k32.der c32.der dev32 > keygen32.log 2>&1
  echo "  32-bit keygen+CSR: $(cat keygen32.log)"
fi

# ---- (e) the project's gateway (optional: needs Node deps from scripts/setup.sh) --
repo="$(cd "$fw/.." && pwd)"
if command -v npm > /dev/null && [ -d "$repo/node_modules" ] && [ -f "$repo/gateway/src/fixture/cli.ts" ]; then
  gd="$work/gw"; mkdir -p "$gd"
  gp=$((20000 + RANDOM % 40000))
  ( cd "$repo" && exec setsid timeout 90 npm run -s gateway:fixture -- --port "$gp" --data "$gd" ) > "$work/gw.log" 2>&1 &
  gw_pid=$!
  for i in $(seq 1 120); do
    grep -q 'admin API ready' "$work/gw.log" && [ -f "$gd/ca/ca.crt.pem" ] && break
    sleep 0.25
  done
  if [ -f "$gd/ca/ca.crt.pem" ]; then
    openssl x509 -in "$gd/ca/ca.crt.pem" -outform DER -out gwca.der
    "$T" connect $((gp + 1)) gwca.der --msg "x" > cli_gwe.log 2>&1
    check "gateway enrollment port: TLS 1.3 handshake, server verified ($(grep -h '^handshake ok' cli_gwe.log | cut -d' ' -f3))" \
      grep -q '^handshake ok' cli_gwe.log
    # mutual TLS on the device port with a cert the gateway's CA issued from the device CSR
    gdev="wb-gwdev-$RANDOM"
    "$T" keygen gk.der gcsr.der "$gdev" > /dev/null 2>&1
    mk x509 -req -in gcsr.der -inform DER -CA "$gd/ca/ca.crt.pem" -CAkey "$gd/ca/ca.key.pem" \
      -CAcreateserial -out gdev.pem -days 30
    mk x509 -in gdev.pem -outform DER -out gdev.der
    "$T" connect "$gp" gwca.der --cert gdev.der --key gk.der --msg "x" > cli_gwd.log 2>&1
    sleep 0.5
    check "gateway device port: mutual TLS 1.3, gateway read the device cert (CN $gdev)" \
      bash -c "grep -q '^handshake ok' cli_gwd.log && grep -q '\"device\":\"$gdev\"' '$work/gw.log'"
  else
    tail -n 5 "$work/gw.log"; bad "gateway started"
  fi
  kill -- -"$gw_pid" 2>/dev/null || kill "$gw_pid" 2>/dev/null
  wait "$gw_pid" 2>/dev/null
else
  echo "  (gateway check skipped: run scripts/setup.sh for the Node dependencies)"
fi

# ---- (d) Cortex-M3 cross build -----------------------------------------------------
if command -v arm-none-eabi-gcc > /dev/null; then
  if make -C "$tls" -j2 m3 > "$work/m3.log" 2>&1; then ok "Cortex-M3 build"
  else tail -n 20 "$work/m3.log"; bad "Cortex-M3 build"; fi
  if grep -qi 'warning' "$work/m3.log"; then grep -i -A3 warning "$work/m3.log" | head -20; bad "Cortex-M3 build has no warnings"
  else ok "Cortex-M3 build has no warnings"; fi
  make -s -C "$tls" size | sed 's/^/  m3 size: /'
  text=$(make -s -C "$tls" size | sed -n 's/.*probe - baseline): text=\([0-9]*\).*/\1/p')
  check "TLS layer text on Cortex-M3 <= 120 KiB (${text:-?} bytes)" test "${text:-999999}" -le 122880
else
  bad "arm-none-eabi-gcc available"
fi

echo "  handshake heap peak (host 64-bit): ${peak:-?} bytes"
finish
