import init, { EventSource } from 'eventsource-wasm';

const show = (list, text) => document.getElementById(list).append(Object.assign(document.createElement('li'), { textContent: text }));

// In the page: top-level await is fine.
await init();
const source = new EventSource('/events');
source.onJson('tick', (tick) => show('page', `tick ${tick.n}`));
source.onerror = (error) => { if (error.fatal) show('page', `gave up: ${error.message}`); };

// A module worker (Vite bundles it; see worker.js for why it does not await at the top level).
const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
worker.onmessage = ({ data }) => show('worker', data);
worker.postMessage({ url: new URL('/events', location.href).href });
