// Node.js entry point: the same module as in browsers, initialised synchronously from the .wasm
// file beside it, so `import { EventSource } from 'eventsource-wasm'` works without `await init()`
// (calling it anyway is harmless). Node has no EventSource: the fetch transport is used.
import { readFileSync } from 'node:fs';
import { initSync } from './pkg/web/index.js';

initSync({ module: readFileSync(new URL('./pkg/web/eventsource_wasm_bg.wasm', import.meta.url)) });

export * from './pkg/web/index.js';
export { default } from './pkg/web/index.js';
