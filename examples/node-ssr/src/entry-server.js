// Server code, bundled by Vite with the package inside it (`ssr.noExternal`): the Node.js entry
// initialises itself from the .wasm it carries, so the bundle runs wherever it is deployed.
import { EventSource } from 'eventsource-wasm';

const latest = [];
let firstTick;
const arrived = new Promise((resolve) => { firstTick = resolve; });

const source = new EventSource(process.env.SSE_URL ?? 'http://127.0.0.1:8787/events');
source.onJson('tick', (tick) => {
  latest.push(tick.n);
  if (latest.length > 5) latest.shift();
  firstTick();
});
source.onerror = (error) => { if (error.fatal) console.error(`gave up: ${error.message}`); };

/** The page, rendered on the server with the latest ticks it has received. */
export async function render() {
  await arrived;
  return `<!doctype html>
<meta charset="utf-8">
<title>eventsource-wasm in server-side rendering</title>
<h1>Latest ticks, rendered on the server</h1>
<ul id="events">${latest.map((n) => `<li>tick ${n}</li>`).join('')}</ul>
`;
}
