import { EventSource } from 'eventsource-wasm';

// Bun takes the package's Node.js entry, which initialises itself (no `await init()` needed).
const source = new EventSource(process.env.SSE_URL ?? 'http://127.0.0.1:8787/events');
let seen = 0;
source.onJson('tick', (tick) => {
  console.log(`tick ${tick.n}`);
  if (++seen === 3) source.close();
});
source.onerror = (error) => {
  if (error.fatal) {
    console.error(`gave up: ${error.message}`);
    process.exit(1);
  }
};
