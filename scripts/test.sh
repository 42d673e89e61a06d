#!/usr/bin/env bash
# The whole suite: lints, native tests, the build, browser tests of the Rust API (wasm-pack in
# headless Chromium, the chaos test also in Firefox ESR), JS tests of the packed npm package,
# the TypeScript types and the README's snippets, an end-to-end test of the demo page, the
# examples (built and run; the Yew and Dioxus ones type-checked), and a smoke run of the benchmarks.
# Starts (and stops) the companion server itself.
#
# Environment: SSE_TEST_PORT (companion server, default 18787), SSE_RUNNER_PORT (the
# wasm-bindgen test runner's page, default 18788), SSE_EXAMPLES_PORT (the examples' own
# sse-server, default 18789; the SSR example's server listens on the port after it).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
root=$(pwd)

step() { printf '\n=== %s\n' "$*"; }

step "setup"
bash scripts/setup.sh

step "format and lints"
cargo fmt --all -- --check
# Every combination of the crate's Cargo features (fetch, reconnect, js; cargo-hack), each
# lint-clean; `js` implies the other two, so it is linted once, and so is the wrapper crate the
# npm package is built from (npm/: the crate with `js`, and its allocator).
cargo hack clippy --quiet --feature-powerset --depth 2 --exclude-features js --package eventsource-wasm \
  --target wasm32-unknown-unknown --lib --tests -- -D warnings
cargo clippy --quiet --target wasm32-unknown-unknown --lib --tests --features js -- -D warnings
cargo clippy --quiet -p eventsource-wasm-npm --target wasm32-unknown-unknown -- -D warnings
cargo clippy --quiet -p sse-server --all-targets -- -D warnings
cargo clippy --quiet -p rust-wasm-bindgen-example --target wasm32-unknown-unknown -- -D warnings
node scripts/check-architecture.mjs

# The frameworks workspace (frameworks/: the Leptos hook crate eventsource-wasm-leptos and the
# Leptos, Yew and Dioxus examples; Leptos, Yew and Dioxus stay out of our Cargo.lock), with its
# own target folder. Type-checked for wasm32 with the row-11 size apps of the benchmarks; the hook
# again without its default features, as size-leptos-hook-bare uses it (Leptos's features are
# the workspace's, so Leptos is not checked twice); the hook tested natively (its doc examples,
# and tests/server.rs: on the server, as in server-side rendering, it connects nothing and does
# not panic). The Leptos example is also built and run in Chromium by tests/examples/.
step "frameworks/: format, cargo clippy (wasm32) and the hook's native tests, in its own workspace"
(cd frameworks && cargo fmt --all --check \
  && export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}/frameworks" \
  && cargo clippy --quiet --locked --workspace --target wasm32-unknown-unknown -- -D warnings \
  && cargo clippy --quiet --locked -p size-leptos-hook-bare --target wasm32-unknown-unknown -- -D warnings \
  && cargo test --quiet --locked -p eventsource-wasm-leptos)

step "native tests: parser conformance, server, doc examples"
# (Not npm/, the wasm-only wrapper: with it, cargo would unify the crate's `js` feature into
# every test build.)
cargo test --quiet --workspace --exclude eventsource-wasm-npm
# The pure core and the doc examples in every feature combination too.
cargo hack test --quiet --feature-powerset --depth 2 --exclude-features js --package eventsource-wasm \
  --lib --test parser_conformance
cargo hack test --quiet --feature-powerset --depth 2 --exclude-features js --package eventsource-wasm --doc

step "a Rust app on the newest wasm-bindgen builds with the crate (no exact pins)"
bash scripts/check-consumer.sh

step "build the npm package and the server"
bash scripts/build.sh

step "pack the npm package and install it into a scratch app"
node tests/js/prepare-app.mjs

port=${SSE_TEST_PORT:-18787}
runner_port=${SSE_RUNNER_PORT:-18788}
server_url="http://127.0.0.1:$port"
server_log="$root/tests/.work/server.log"

step "start the companion server on $server_url"
examples_port=${SSE_EXAMPLES_PORT:-18789}
for p in "$port" "$runner_port" "$examples_port" "$((examples_port + 1))"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    echo "port $p is in use; set SSE_TEST_PORT / SSE_RUNNER_PORT / SSE_EXAMPLES_PORT to free ports" >&2
    exit 1
  fi
done
target/release/sse-server --port "$port" --test-mode --cors-origin "http://127.0.0.1:$runner_port" \
  --mount "/app=tests/.work/app" --tick-ms 500 --replay 20000 >"$server_log" 2>&1 &
server_pid=$!
cleanup() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 1 100); do
  grep -q "listening on" "$server_log" 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$server_log"; echo "the server did not start" >&2; exit 1; }
  sleep 0.1
done
grep -q "listening on" "$server_log" || { cat "$server_log"; echo "the server did not start in 10 s" >&2; exit 1; }

export WASM_BINDGEN_TEST_ADDRESS="127.0.0.1:$runner_port" WASM_BINDGEN_TEST_TIMEOUT=300 \
  SSE_SERVER_URL="$server_url"

# Three test binaries, run one after another: the API tests (concurrently inside), the chaos
# test (10,000 events over connections cut at random offsets), and a five-second outage that
# must not overlap anything else. With the `shared` feature (the default ones and `shared`), so
# the API tests include tests/browser/shared.rs; the Firefox run below uses the same features,
# so it reuses this build.
step "browser tests of the Rust API in Chromium (wasm-pack test --headless --chrome)"
CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver} \
  wasm-pack test --headless --chrome -- --features shared --test browser --test chaos --test outage

step "browser tests of the bare wrapper (--no-default-features) in Chromium"
CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver} \
  wasm-pack test --headless --chrome -- --no-default-features --test browser

step "the chaos test in Firefox ESR (wasm-pack test --headless --firefox)"
GECKODRIVER=${GECKODRIVER:-$(command -v geckodriver)} \
  wasm-pack test --headless --firefox -- --features shared --test chaos

step "TypeScript declarations under each lib a user has, and every README snippet type-checked"
node --test tests/types/

step "JS tests of the packed package and the demo page (node --test, headless Chromium)"
SSE_SERVER_URL="$server_url" node --test --test-concurrency=1 tests/js/ tests/e2e/ tests/node/

# The Rust example is built with cargo into target/examples (its first build: a few minutes)
# and wasm-bindgen; tests/examples/readme-rust.test.mjs keeps the README's Rust code its file.
step "examples/: each built as a user builds it and run against the companion server"
SSE_EXAMPLES_PORT=$examples_port node --test tests/examples/

# Benchmarks are not tests: this only checks that `npm run bench` runs end to end on a tiny size
# (it starts its own servers on free ports).
step "smoke run of the benchmarks (npm run bench -- --smoke)"
node --test bench/smoke.test.mjs
