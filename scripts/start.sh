#!/usr/bin/env bash
# Builds everything, starts the companion server and serves the demo page.
# PORT (default 8787) picks the port.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
bash scripts/setup.sh
bash scripts/build.sh
port=${PORT:-8787}
echo
echo "Demo: http://127.0.0.1:$port/   (Ctrl-C stops the server)"
exec target/release/sse-server --port "$port"
