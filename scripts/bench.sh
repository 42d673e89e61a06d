#!/usr/bin/env bash
# `npm run bench [-- --smoke]`: builds the package and the server, packs the package into the
# scratch app as the tests do, starts the companion server (and a second one for the fan-out
# row) and the bench's own stream server on free loopback ports, runs bench/run.mjs — which
# prints one Markdown table and writes bench/results.json — and stops the servers.
#
# --smoke (or BENCH_SMOKE=1): every benchmark on a tiny size; exits non-zero if any part of the
# harness fails. --only=1,2: only those rows (results in bench/.work/results.partial.json);
# with --update also into bench/results.json in place of those rows (for the sizes, which do
# not depend on the machine's load).
# The full run takes about 10 minutes on a 2-core machine (plus builds).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
root=$(pwd)

smoke=${BENCH_SMOKE:-}
[ "$smoke" = 0 ] && smoke=
only=
update=
for arg in "$@"; do
  case "$arg" in
    --smoke) smoke=1 ;;
    --only=*) only=$arg ;;
    --update) update=--update ;;
    -h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: scripts/bench.sh [--smoke] [--only=ROW,ROW… [--update]]" >&2; exit 2 ;;
  esac
done

step() { printf '\n=== [bench] %s\n' "$*" >&2; }

step "setup"
bash scripts/setup.sh
step "build the npm package and the server"
bash scripts/build.sh
step "pack the npm package and install it into the scratch app"
node tests/js/prepare-app.mjs

work="$root/bench/.work"
mkdir -p "$work/www"
# 10,000 connections need 10,000 descriptors on each side (client and server).
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

# start LOG CMD...: runs CMD in the background and waits for its `listening on http://…` line;
# sets $started_url and $started_pid.
start() {
  local log=$1
  shift
  "$@" >"$log" 2>&1 &
  started_pid=$!
  pids+=("$started_pid")
  started_url=
  for _ in $(seq 1 150); do
    started_url=$(grep -o 'listening on http://127\.0\.0\.1:[0-9]*' "$log" 2>/dev/null | head -n 1 | sed 's/^listening on //') || true
    [ -n "$started_url" ] && return 0
    kill -0 "$started_pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$log" >&2
  echo "[bench] $1 did not start" >&2
  exit 1
}

step "start the servers"
start "$work/server.log" target/release/sse-server --port 0 --tick-ms 0 --max-connections 20000 \
  --mount "/app=tests/.work/app" --mount "/bench=bench/.work/www"
server_url=$started_url
start "$work/fanout-server.log" target/release/sse-server --port 0 --tick-ms 0 --keepalive-ms 0 \
  --max-connections 20000
fanout_url=$started_url
fanout_pid=$started_pid
start "$work/stream-server.log" node bench/stream-server.mjs --port 0
stream_url=$started_url
echo "[bench] companion server $server_url, fan-out server $fanout_url (pid $fanout_pid), stream server $stream_url" >&2

step "run the benchmarks${smoke:+ (smoke)}"
BENCH_SERVER_URL=$server_url BENCH_STREAM_URL=$stream_url BENCH_FANOUT_URL=$fanout_url \
  BENCH_FANOUT_PID=$fanout_pid BENCH_SMOKE=$smoke node bench/run.mjs ${smoke:+--smoke} ${only} ${update}
