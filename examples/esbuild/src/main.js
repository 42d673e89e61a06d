import init, { EventSource } from 'eventsource-wasm';
// esbuild's file loader (`--loader:.wasm=file`) emits the .wasm and gives its path, relative to
// the bundle: resolve it against the bundle's own URL.
import wasmUrl from 'eventsource-wasm/eventsource_wasm_bg.wasm';

await init(new URL(wasmUrl, import.meta.url));

const list = document.getElementById('events');
const show = (text) => list.append(Object.assign(document.createElement('li'), { textContent: text }));
const source = new EventSource('/events');
source.onJson('tick', (tick) => show(`tick ${tick.n}`));
source.onerror = (error) => { if (error.fatal) show(`gave up: ${error.message}`); };
