// The package's default entry (browsers, workers, bundlers): init() fetches the .wasm next to
// this file. Bundlers that understand `new URL('./file', import.meta.url)` (Vite, webpack 5,
// Parcel) emit the .wasm as an asset by themselves; see the README for esbuild and Rollup, or
// use the `eventsource-wasm/inline` entry, which needs no file.
import { initFrom } from './api.js';

export { createParser, EventSource, EventStreamParser, initSync, isSupported } from './api.js';

/**
 * Loads and instantiates the WebAssembly module: from `input` when given (a URL, a `Response`,
 * bytes or a `WebAssembly.Module`), else by fetching `eventsource_wasm_bg.wasm` next to this
 * file. Safe to call many times, also concurrently: every call returns the first call's promise
 * (a failed one may be retried).
 */
export default function init(input) {
  return initFrom(input, () => new URL('./eventsource_wasm_bg.wasm', import.meta.url));
}
