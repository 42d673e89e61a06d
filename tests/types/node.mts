// A Node.js ES module (lib ES2022 and @types/node, no DOM): the package initialises itself.
import { EventSource, createParser } from 'eventsource-wasm';
import initInline from 'eventsource-wasm/inline';

await initInline();
const es = new EventSource('https://example.com/stream', {
  headers: async () => ({ authorization: `Bearer ${process.env.TOKEN ?? ''}` }),
  retry: { maxRetries: 3 },
});
es.onJson<{ n: number }>('tick', (tick, event) => console.log(tick.n, event.lastEventId));
es.addEventListener('error', (error) => {
  if (error.kind === 'connection' && error.fatal) console.error(error.status, error.body);
});
es.addEventListener('reconnecting', (event) => console.warn(event.attempt, event.delay, event.reason));
const parser = createParser({ onEvent: (event) => console.log(event.type, event.data) });
parser.feed(new TextEncoder().encode('data: x\n\n'));
es.close();
