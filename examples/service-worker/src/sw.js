// A service worker cannot await at its top level, and has no EventSource of its own (the package
// uses its fetch transport here). Built as a classic script with the inline entry: no .wasm to
// fetch or to cache, nothing that needs `import.meta`.
import init, { EventSource } from 'eventsource-wasm/inline';

// Start instantiating when the script runs; every handler awaits the same promise.
const ready = init();

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

// A page asks for a stream; its ticks are relayed to that page until the source closes.
self.addEventListener('message', (event) => {
  const client = event.source;
  event.waitUntil(
    (async () => {
      await ready;
      const source = new EventSource(event.data.url);
      source.onJson('tick', (tick) => client.postMessage(`tick ${tick.n}`));
      await new Promise((resolve) => {
        source.onerror = (error) => {
          if (!error.fatal) return;
          client.postMessage(`gave up: ${error.message}`);
          resolve();
        };
      });
    })(),
  );
});
