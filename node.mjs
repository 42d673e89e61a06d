// Node.js entry point (also Deno's and Bun's): the same API as in browsers, initialised
// synchronously from the .wasm inlined in the package, so `import { EventSource } from
// 'eventsource-wasm'` works without `await init()` (calling it anyway is harmless). It reads no
// file and uses no `import.meta`, so server code that bundles it (Vite SSR with `noExternal`,
// `esbuild --bundle --platform=node`, webpack) keeps working wherever the bundle goes. Node has
// no EventSource: the fetch transport is used. `require()` gets pkg/node/index.cjs, the same
// code bundled as CommonJS by scripts/build.sh.
import { initFrom, initSync } from './pkg/web/api.js';
import { wasmBytes } from './pkg/web/wasm-bytes.js';

initSync({ module: wasmBytes() });

export { createParser, EventSource, EventStreamParser, initSync, isSupported } from './pkg/web/api.js';

/** Already done when this module loads; returns the same resolved promise on every call. */
export default function init(input) {
  return initFrom(input, wasmBytes);
}
