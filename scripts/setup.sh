#!/usr/bin/env bash
# Installs what building and testing need, skipping whatever is already there.
# Safe to run again and again; a warm machine takes a second or two.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '[setup] %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "[setup] need root to run: $*" >&2; exit 1; fi
}

# 1. The wasm32 target.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# 2. wasm-bindgen-cli, at exactly the version Cargo.lock pins (they must match). It also builds
#    examples/rust-wasm-bindgen (a workspace member) and examples/leptos (in the frameworks/
#    workspace, whose own lockfile locks the same version; tests/examples/readme-rust.test.mjs
#    checks).
wb_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ -z "$wb_version" ]; then echo "[setup] cannot read the wasm-bindgen version from Cargo.lock" >&2; exit 1; fi
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wb_version" ]; then
  say "installing wasm-bindgen-cli $wb_version (a few minutes, once)"
  cargo install --locked --force wasm-bindgen-cli --version "$wb_version"
fi

# 3. wasm-pack (it finds wasm-bindgen on PATH; wasm-opt runs from npm's binaryen in build.sh).
if ! command -v wasm-pack >/dev/null; then
  say "installing wasm-pack (a few minutes, once)"
  cargo install --locked wasm-pack
fi

# 4. Chromium and its driver, from Debian.
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  say "installing chromium and chromium-driver"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# 5. Firefox ESR from Debian, and geckodriver from crates.io (pinned), for the Firefox run.
if ! command -v firefox-esr >/dev/null && ! command -v firefox >/dev/null; then
  say "installing firefox-esr"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq firefox-esr >/dev/null
fi
geckodriver_version=0.37.1
if [ "$(geckodriver --version 2>/dev/null | awk 'NR==1 {print $2}')" != "$geckodriver_version" ]; then
  say "installing geckodriver $geckodriver_version (a few minutes, once)"
  cargo install --locked --force geckodriver --version "$geckodriver_version"
fi

# 6. cargo-hack from crates.io (pinned): npm test builds and lints every Cargo feature combination.
hack_version=0.6.46
if [ "$(cargo hack --version 2>/dev/null | awk '{print $2}')" != "$hack_version" ]; then
  say "installing cargo-hack $hack_version (a minute, once)"
  cargo install --locked --force cargo-hack --version "$hack_version"
fi

# 7. twiggy (pinned), which bench row 5 uses to name what is big in the wasm.
twiggy_version=0.8.0
if [ "$(twiggy --version 2>/dev/null | awk '{print $2}')" != "$twiggy_version" ]; then
  say "installing twiggy $twiggy_version (a few minutes, once)"
  cargo install --locked --force twiggy --version "$twiggy_version"
fi

# 8. npm packages (playwright-core drives the system Chromium; it never downloads a browser).
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] \
   || [ package.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
fi
say "ok"
