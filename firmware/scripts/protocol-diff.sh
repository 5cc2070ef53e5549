#!/usr/bin/env bash
# Differential test of the C protocol codec against the TypeScript reference codec: every
# golden-vector frame and every fuzz-corpus input (plus any extra files/dirs given) must get
# the same verdict from both, except the documented differences in
# firmware/protocol/test/ts-known-differences.txt. Needs node + the repo's node_modules (tsx).
set -eu
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
P="$ROOT/firmware/protocol"
B="$P/build/diff"
mkdir -p "$B/vectors"
gcc -std=c99 -Wall -Wextra -Werror -O2 -I"$P/include" "$P/src/cbor.c" "$P/src/messages.c" \
  "$P/test/errname_main.c" -o "$B/errname"
node -e '
const fs = require("fs"), path = require("path");
const [root, out] = process.argv.slice(1);
for (const kind of ["valid", "malformed"]) {
  const dir = path.join(root, "test/vectors/protocol", kind);
  for (const f of fs.readdirSync(dir).filter(f => f.endsWith(".json"))) {
    const v = JSON.parse(fs.readFileSync(path.join(dir, f), "utf8"));
    fs.writeFileSync(path.join(out, kind + "-" + f.replace(/\.json$/, "")), Buffer.from(v.frame, "hex"));
  }
}' "$ROOT" "$B/vectors"
files=("$B/vectors"/* "$P/fuzz/corpus"/*)
for extra in "$@"; do
  if [ -d "$extra" ]; then files+=("$(cd "$extra" && pwd)"/*); else files+=("$(cd "$(dirname "$extra")" && pwd)/$(basename "$extra")"); fi
done
"$B/errname" "${files[@]}" > "$B/c-verdicts.txt"
cd "$P/test" && "$ROOT/node_modules/.bin/tsx" diff_ts.ts "$B/c-verdicts.txt" "$P/test/ts-known-differences.txt"
