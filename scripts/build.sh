#!/usr/bin/env bash
# Builds the npm package into pkg/web (wasm-pack --target web, then wasm-opt) and the server.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

# The npm package is the crate with its JS API (the `js` feature) and talc as its allocator.
wasm-pack --quiet build --release --target web --out-dir pkg/web --no-pack -- --features js,talc
# wasm-pack leaves a `*` .gitignore (which npm would also honour, emptying the package).
rm -f pkg/web/.gitignore pkg/web/package.json pkg/web/README.md
# The package's entry: the generated module behind a layer that checks receivers and init().
cp js/index.js pkg/web/index.js
bash scripts/wasm-opt.sh pkg/web/eventsource_wasm_bg.wasm
cargo build --quiet --release -p sse-server
printf '[build] pkg/web/eventsource_wasm_bg.wasm: %s bytes (%s gzipped)\n' \
  "$(wc -c < pkg/web/eventsource_wasm_bg.wasm)" "$(gzip -9c pkg/web/eventsource_wasm_bg.wasm | wc -c)"
