// A module worker (lib WebWorker, no DOM): start init() at load, await it where it is needed.
import init, { EventSource, isSupported } from 'eventsource-wasm';

const ready = init();

self.addEventListener('message', async (event: MessageEvent<{ url: string }>) => {
  await ready;
  const es = new EventSource(event.data.url, { transport: isSupported() ? 'auto' : 'fetch' });
  es.onJson<{ n: number }>('tick', (tick) => postMessage(tick.n));
  es.onerror = (error) => {
    if (error.kind === 'connection' && error.fatal) postMessage(`gave up: ${error.message}`);
  };
});
