// The `eventsource-wasm/inline` entry: the same API, with the .wasm inlined in JS (base64), so
// that nothing but JavaScript has to be bundled or served: zero configuration in every bundler,
// in classic (non-module) workers and service workers. Costs about a third more bytes than the
// .wasm and one decode at init(); see the README's bundler section and `npm run bench`.
import { initFrom, initSync as initSyncFrom } from './api.js';
import { wasmBytes } from './wasm-bytes.js';

export { createParser, EventSource, EventStreamParser, isSupported } from './api.js';

/**
 * Instantiates the WebAssembly module from the bytes inlined in this package (or from `input`
 * when given). Safe to call many times, also concurrently: every call returns the first call's
 * promise (a failed one may be retried). It fetches nothing.
 */
export default function init(input) {
  return initFrom(input, wasmBytes);
}

/**
 * Instantiates the module synchronously from the inlined bytes (or from `module` when given):
 * for workers, service workers and Node.js, which may compile synchronously, so nothing has to
 * be awaited afterwards. Counts as the first init().
 */
export function initSync(module) {
  return initSyncFrom(module === undefined ? wasmBytes() : module);
}
