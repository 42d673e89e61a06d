import init, { EventSource } from 'eventsource-wasm';

await init(); // fetches eventsource_wasm_bg.wasm next to the package's module

const list = document.getElementById('events');
const show = (text) => list.append(Object.assign(document.createElement('li'), { textContent: text }));
const source = new EventSource('/events');
source.onJson('tick', (tick) => show(`tick ${tick.n}`));
source.onerror = (error) => { if (error.fatal) show(`gave up: ${error.message}`); };
