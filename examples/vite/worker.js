import init, { EventSource } from 'eventsource-wasm';

// Start loading the module at once, await it where it is needed: a top-level `await` would need
// `worker: { format: 'es' }` in vite.config.js (Vite builds workers as classic scripts by default).
const ready = init();

self.onmessage = async ({ data: { url } }) => {
  await ready;
  const source = new EventSource(url);
  source.onJson('tick', (tick) => self.postMessage(`tick ${tick.n}`));
  source.onerror = (error) => { if (error.fatal) self.postMessage(`gave up: ${error.message}`); };
};
