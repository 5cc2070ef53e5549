#!/usr/bin/env bash
# A real Kubernetes control plane (kube-apiserver + etcd) on loopback, for the project's tests.
#
#   bash test/cluster/kube.sh build       build or reuse kube-apiserver and kubectl v1.32.13, and etcd
#   bash test/cluster/kube.sh start DIR   start etcd + kube-apiserver (CRDs and RBAC applied);
#                                         prints DIR/kubeconfig (admin) once ready
#   bash test/cluster/kube.sh stop DIR    stop what `start DIR` started and remove its temp data
#   bash test/cluster/kube.sh paths       print the binaries' paths (for scripts)
#
# Binaries live under .tools/, keyed on their version, so only the first build is slow.
set -euo pipefail

KUBE_VERSION=v1.32.13
ETCD_DEB_VERSION=3.4.23-4+b4

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
KUBE_DIR="$ROOT/.tools/kubernetes-$KUBE_VERSION"
KUBE_BIN="$KUBE_DIR/bin"
# The version with ':' and '+' made file-name safe.
ETCD_DIR="$ROOT/.tools/etcd-${ETCD_DEB_VERSION//[:+]/_}"
ETCD_BIN="$ETCD_DIR/usr/bin/etcd"
GO="${GO:-/usr/local/go/bin/go}"

log() { echo "kube.sh: $*" >&2; }

# `go build -v` names each package as it compiles it; a counter of those lines every 15 s
# is the progress report (a cold kube-apiserver build compiles ~2000 packages in ~5 min).
build_command() {
  local name="$1" pkg="$2" out="$KUBE_BIN/$1"
  if [ -x "$out" ]; then
    log "$name $KUBE_VERSION: reusing $out"
    return
  fi
  if ! "$GO" version >/dev/null 2>&1; then
    log "Go not found at $GO (set GO=/path/to/go); it builds $name"
    exit 1
  fi
  mkdir -p "$KUBE_BIN"
  # Written under a temporary name and renamed only when complete, so an interrupted build
  # never leaves a binary that looks done.
  local tmp="$out.partial.$$" logf="$KUBE_DIR/build-$name.log"
  local ldflags="" p
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $p.gitVersion=$KUBE_VERSION -X $p.gitMajor=1 -X $p.gitMinor=32"
    ldflags+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  log "$name $KUBE_VERSION: building (cold: ~5 min on 2 cores; log $logf)"
  local start=$SECONDS
  (cd "$HERE/kube" && GOTOOLCHAIN=local GOFLAGS=-mod=readonly \
    "$GO" build -v -ldflags "$ldflags" -o "$tmp" "$pkg") >"$logf" 2>&1 &
  local pid=$!
  # Whatever ends this script (Ctrl-C included) also ends the build and its partial output.
  trap 'kill $pid 2>/dev/null; rm -f "$tmp"' EXIT
  while kill -0 "$pid" 2>/dev/null; do
    sleep 15
    kill -0 "$pid" 2>/dev/null || break
    log "$name: $(grep -c . "$logf" || true) packages compiled, $((SECONDS - start)) s"
  done
  if ! wait "$pid"; then
    trap - EXIT
    rm -f "$tmp"
    tail -30 "$logf" >&2
    log "$name: build failed (log $logf)"
    exit 1
  fi
  trap - EXIT
  mv -f "$tmp" "$out"
  log "$name: built in $((SECONDS - start)) s -> $out"
}

# etcd comes from Debian bookworm's etcd-server package, unpacked into .tools/ rather than
# installed: installing it would also start a system etcd on 127.0.0.1:2379 (a daemon
# nobody asked for, holding a well-known port), needs root, and could drift with apt
# upgrades; unpacked, the version is pinned next to the kube binaries.
fetch_etcd() {
  if [ -x "$ETCD_BIN" ]; then
    log "etcd $ETCD_DEB_VERSION: reusing $ETCD_BIN"
    return
  fi
  local tmp
  tmp="$(mktemp -d)"
  log "etcd $ETCD_DEB_VERSION: downloading the Debian package"
  if ! (cd "$tmp" && apt-get download -q "etcd-server=$ETCD_DEB_VERSION" >&2); then
    log "apt-get download failed; refreshing the package lists"
    local sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq >&2
    (cd "$tmp" && apt-get download -q "etcd-server=$ETCD_DEB_VERSION" >&2)
  fi
  rm -rf "$ETCD_DIR.partial"
  mkdir -p "$(dirname "$ETCD_DIR")"
  dpkg -x "$tmp"/etcd-server_*.deb "$ETCD_DIR.partial"
  rm -rf "$tmp" "$ETCD_DIR"
  mv "$ETCD_DIR.partial" "$ETCD_DIR"
  log "etcd: $("$ETCD_BIN" --version | head -1)"
}

cmd_build() {
  fetch_etcd
  build_command kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver
  build_command kubectl k8s.io/kubernetes/cmd/kubectl
}

cmd_paths() {
  echo "kube-apiserver=$KUBE_BIN/kube-apiserver"
  echo "kubectl=$KUBE_BIN/kubectl"
  echo "etcd=$ETCD_BIN"
}

cmd_start() {
  local dir="${1:?usage: kube.sh start DIR}"
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  if [ -f "$dir/harness.pid" ] && kill -0 "$(cat "$dir/harness.pid")" 2>/dev/null; then
    log "already running in $dir (stop it with: bash test/cluster/kube.sh stop $dir)"
    exit 1
  fi
  # shellcheck source=/dev/null
  source "$ROOT/scripts/node-env.sh"
  wasmbed_ensure_node
  # The harness process (node running test/cluster/cli.ts) holds etcd and kube-apiserver
  # and stops them on SIGTERM. Started directly (no npx/tsx wrapper) in its own process
  # group (set -m), so $! is its pid and a Ctrl-C in this terminal does not reach it.
  rm -f "$dir/ready" "$dir/harness.log" "$dir/harness.pid"
  set -m
  (cd "$ROOT" && exec nohup node --import tsx test/cluster/cli.ts "$dir" >"$dir/harness.log" 2>&1 </dev/null) &
  echo $! >"$dir/harness.pid"
  set +m
  local i
  for ((i = 0; i < 600; i++)); do
    if [ -f "$dir/ready" ]; then
      cat "$dir/ready"
      return
    fi
    if ! kill -0 "$(cat "$dir/harness.pid")" 2>/dev/null; then
      tail -30 "$dir/harness.log" >&2
      log "start failed (log $dir/harness.log)"
      exit 1
    fi
    sleep 0.1
  done
  log "not ready after 60 s (log $dir/harness.log)"
  cmd_stop "$dir"
  exit 1
}

# The pids of the harness started in DIR: its pid file, or (for a harness whose pid file is
# stale) the processes running test/cluster/cli.ts for exactly this DIR.
harness_pids() {
  local dir="$1" pid
  if [ -f "$dir/harness.pid" ]; then
    pid="$(cat "$dir/harness.pid")"
    if kill -0 "$pid" 2>/dev/null; then
      echo "$pid"
      return
    fi
  fi
  pgrep -f -x ".*test/cluster/cli\.ts $dir" || true
}

cmd_stop() {
  local dir="${1:?usage: kube.sh stop DIR}"
  dir="$(cd "$dir" && pwd)"
  local pids
  pids="$(harness_pids "$dir")"
  if [ -z "$pids" ]; then
    log "nothing running in $dir"
  else
    # shellcheck disable=SC2086
    kill -TERM $pids 2>/dev/null || true
    local i pid alive
    for ((i = 0; i < 300; i++)); do
      alive=""
      for pid in $pids; do kill -0 "$pid" 2>/dev/null && alive+=" $pid"; done
      [ -z "$alive" ] && break
      sleep 0.1
    done
    if [ -n "$alive" ]; then
      log "harness still running after 30 s; killing$alive"
      # shellcheck disable=SC2086
      kill -KILL $alive 2>/dev/null || true
    fi
    log "stopped ($dir)"
  fi
  rm -f "$dir/harness.pid" "$dir/ready"
}

case "${1:-}" in
  build) cmd_build ;;
  paths) cmd_paths ;;
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  *)
    sed -n '2,9p' "$0" >&2
    exit 2
    ;;
esac
