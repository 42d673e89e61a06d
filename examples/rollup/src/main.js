// The inline entry carries the .wasm in JS: nothing for Rollup to emit, no plugin but node-resolve.
import init, { EventSource } from 'eventsource-wasm/inline';

await init();

const list = document.getElementById('events');
const show = (text) => list.append(Object.assign(document.createElement('li'), { textContent: text }));
const source = new EventSource('/events');
source.onJson('tick', (tick) => show(`tick ${tick.n}`));
source.onerror = (error) => { if (error.fatal) show(`gave up: ${error.message}`); };
