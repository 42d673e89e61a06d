#!/usr/bin/env bash
# scripts/wasm-opt.sh FILE.wasm: the project's wasm-opt pass, in place, with npm's binaryen
# (newer than Debian's). One place for the flags: scripts/build.sh runs it on the npm package's
# wasm and bench/run.mjs on row 5's Rust apps. Each flag was measured (bench row 5, and the
# size levers in the commit that chose them):
#   -Oz --converge            passes for size, repeated while they still shrink the module
#   --strip-debug             names and DWARF (the release build keeps the function names)
#   --strip-producers         the toolchain versions
#   --strip-target-features   the features section (only for tools; wasm-opt reads it first)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/node_modules/.bin/wasm-opt" -Oz --converge --strip-debug --strip-producers --strip-target-features \
  "$1" -o "$1"
