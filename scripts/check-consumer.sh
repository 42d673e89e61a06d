#!/usr/bin/env bash
# A Rust app on the newest wasm-bindgen release (asked of the registry with `cargo info`) that
# depends on this crate resolves and builds: the crate declares ranges, not exact pins (with
# `=0.2.129` such an app failed to resolve). Prints the versions it resolved. Also that the app's
# build links no wasm of ours: the crate is an rlib (the npm package's cdylib is the wrapper
# crate npm/), so no eventsource_wasm.wasm appears in the app's target folder. The app lives in
# tests/.work/consumer; its target folder is kept under target/ so later runs only rebuild what
# changed.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
root=$(pwd)
app=tests/.work/consumer
# Asked outside this workspace (inside it, `cargo info` reports the locked version).
outside=$(mktemp -d)
newest=$(cd "$outside" && cargo info --quiet wasm-bindgen 2>/dev/null | awk '/^version:/ { print $2; exit }')
rmdir "$outside"
if [ -z "$newest" ]; then echo "[consumer] cannot read the newest wasm-bindgen from the registry" >&2; exit 1; fi
rm -rf "$app"
mkdir -p "$app/src"
cat >"$app/Cargo.toml" <<TOML
[package]
name = "consumer"
version = "0.0.0"
edition = "2021"
publish = false

[lib]
crate-type = ["cdylib"]

[dependencies]
eventsource-wasm = { path = "$root" }
wasm-bindgen = "=$newest"

[workspace]
TOML
cat >"$app/src/lib.rs" <<'RS'
use wasm_bindgen::prelude::*;

/// The app's own `isSupported`: no clash with the crate, which exports nothing without `js`.
#[wasm_bindgen(js_name = isSupported)]
pub fn is_supported() -> bool {
    eventsource_wasm::is_supported()
}
RS
cd "$app"
cargo generate-lockfile --quiet
resolved=$(awk '/^name = "(wasm-bindgen|js-sys|web-sys)"$/ { n=$3; getline; gsub(/"/, "", n); print n, $3 }' Cargo.lock | tr -d '"' | tr '\n' ' ')
echo "[consumer] resolved: $resolved"
target="$root/target/consumer"
# Left by builds from before the crate was an rlib; a cdylib of ours would be written again.
find "$target" -name 'eventsource_wasm.wasm' -delete 2>/dev/null || true
CARGO_TARGET_DIR="$target" cargo build --quiet --target wasm32-unknown-unknown
if [ ! -f "$target/wasm32-unknown-unknown/debug/consumer.wasm" ]; then
  echo "[consumer] the app's build wrote no consumer.wasm" >&2
  exit 1
fi
stray=$(find "$target" -name 'eventsource_wasm*.wasm')
if [ -n "$stray" ]; then
  echo "[consumer] the app's build linked a wasm of this crate (it must be an rlib only): $stray" >&2
  exit 1
fi
echo "[consumer] an app on wasm-bindgen $newest resolves and builds with this crate (no eventsource_wasm.wasm of ours)"
