#!/bin/sh
# Builds the net-test firmware for every QEMU MPS2 board and runs it:
# boot, UART banner, LAN9118 + lwIP, DHCP from QEMU user networking, then a
# TCP echo round trip with a python3 echo server on the host's 127.0.0.1
# (the guest reaches it as 10.0.2.2). The server's port is handed to the
# firmware in a provisioning block loaded with -device loader.
# Traffic stays on this machine: slirp's own DHCP plus host loopback.
# Prints one line per board (result and arm-none-eabi-size text/data/bss),
# last line "boards: N passed, M failed"; exits non-zero on any failure.
# Usage: board-test.sh [BOARD...]    (default: all four)
set -u
HERE=$(cd "$(dirname "$0")/.." && pwd)
BOARDS=${*:-mps2-an385 mps2-an386 mps2-an500 mps2-an505}
TIMEOUT=${BOARD_TEST_TIMEOUT:-40}
OUT="$HERE/build/board"

sh "$HERE/scripts/ensure-deps.sh" gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm make >&2 || exit 1
sh "$HERE/scripts/fetch-lwip.sh" >/dev/null || { echo "board-test: lwIP fetch failed" >&2; exit 1; }
make -s -C "$HERE/board" >&2 || { echo "board-test: build failed" >&2; echo "boards: 0 passed, $(echo $BOARDS | wc -w) failed"; exit 1; }

prov_addr() {
  case "$1" in
    mps2-an505) echo 0x381FF000 ;;
    *) echo 0x203FF000 ;;
  esac
}

ECHO_PY='
import socketserver, sys
class Echo(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(self.rfile.readline())
socketserver.TCPServer.allow_reuse_address = True
srv = socketserver.TCPServer(("127.0.0.1", 0), Echo)
print(srv.server_address[1], flush=True)
srv.serve_forever()
'

pass=0; fail=0
TMP=$(mktemp -d)
ECHO_PID=""; QEMU_PID=""
cleanup() {
  [ -n "$QEMU_PID" ] && kill "$QEMU_PID" 2>/dev/null
  [ -n "$ECHO_PID" ] && kill "$ECHO_PID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

for b in $BOARDS; do
  elf="$OUT/$b/net-test.elf"
  log="$OUT/$b/net-test.log"
  if [ ! -f "$elf" ]; then
    fail=$((fail + 1)); echo "$b: FAIL (no image $elf; unknown board?)"; continue
  fi
  sizes=$(arm-none-eabi-size "$elf" 2>/dev/null | awk 'NR==2{printf "text %s data %s bss %s", $1, $2, $3}')
  # Echo server on a free loopback port; it prints the port first.
  python3 -c "$ECHO_PY" > "$TMP/port" 2>/dev/null &
  ECHO_PID=$!
  i=0; while [ ! -s "$TMP/port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
  port=$(head -1 "$TMP/port")
  printf 'WBP1echo_port=%s\n\0' "$port" > "$TMP/prov.bin"
  : > "$log"
  qemu-system-arm -M "$b" -nographic -monitor none -kernel "$elf" \
    -nic user,model=lan9118 \
    -device loader,file="$TMP/prov.bin",addr="$(prov_addr "$b")" \
    < /dev/null > "$log" 2>&1 &
  QEMU_PID=$!
  t=0; result=""
  while [ $t -lt $((TIMEOUT * 10)) ]; do
    if grep -q 'NET-TEST PASS' "$log"; then result=PASS; break; fi
    if grep -q 'NET-TEST FAIL' "$log"; then result=FAIL; break; fi
    kill -0 "$QEMU_PID" 2>/dev/null || break
    sleep 0.1; t=$((t + 1))
  done
  kill "$QEMU_PID" 2>/dev/null; wait "$QEMU_PID" 2>/dev/null; QEMU_PID=""
  kill "$ECHO_PID" 2>/dev/null; wait "$ECHO_PID" 2>/dev/null; ECHO_PID=""
  rm -f "$TMP/port"
  lease=$(sed -n 's/^dhcp: ip \([0-9.]*\).*/\1/p' "$log" | head -1 | tr -d '\r')
  if [ "$result" = PASS ]; then
    pass=$((pass + 1))
    echo "$b: PASS (dhcp ${lease:-?}, echo via 10.0.2.2:$port) $sizes"
  else
    fail=$((fail + 1))
    why=$(grep -a 'NET-TEST FAIL' "$log" | head -1 | tr -d '\r')
    echo "$b: FAIL (${why:-no result within ${TIMEOUT}s}; log $log) $sizes"
  fi
done
echo "boards: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
