import init, { EventSource } from 'eventsource-wasm';

// webpack 5 emits the .wasm as an asset by itself (the package loads it with `new URL(…, import.meta.url)`).
await init();

const list = document.getElementById('events');
const show = (text) => list.append(Object.assign(document.createElement('li'), { textContent: text }));
const source = new EventSource('/events');
source.onJson('tick', (tick) => show(`tick ${tick.n}`));
source.onerror = (error) => { if (error.fatal) show(`gave up: ${error.message}`); };
