import { EventSource } from 'eventsource-wasm';

// Deno takes the package's Node.js entry, which initialises itself (no `await init()` needed).
const source = new EventSource(Deno.env.get('SSE_URL') ?? 'http://127.0.0.1:8787/events');
let seen = 0;
source.onJson<{ n: number }>('tick', (tick) => {
  console.log(`tick ${tick.n}`);
  if (++seen === 3) source.close();
});
source.onerror = (error) => {
  if (error.kind === 'connection' && error.fatal) {
    console.error(`gave up: ${error.message}`);
    Deno.exit(1);
  }
};
