// The in-page half of `node bench/ab.mjs --micro`: both builds in one page (/a/ and /b/),
// timed on streams made in memory (no network), so that rounds of a few milliseconds can
// alternate between the builds many times.
import initA, * as A from '/a/index.js';
import initB, * as B from '/b/index.js';

await initA();
await initB();
const libs = { a: A, b: B };

function makeBody(n, size) {
  const parts = [];
  for (let i = 0; i < n; i++) {
    const head = `id: ${i}\ndata: `;
    parts.push(`${head}${'x'.repeat(Math.max(1, size - head.length - 2))}\n\n`);
  }
  return new TextEncoder().encode(parts.join(''));
}
const BODIES = { small: { n: 20_000, body: makeBody(20_000, 100) }, large: { n: 1_000, body: makeBody(1_000, 10_000) } };
const CHUNK = 16_384;

/** createParser fed the body in 16 KiB chunks; every event's data read in the callback. */
function parser(lib, { body }) {
  let bytes = 0;
  const p = lib.createParser({ onEvent: (e) => (bytes += e.data.length) });
  for (let at = 0; at < body.length; at += CHUNK) p.feed(body.subarray(at, at + CHUNK));
  return bytes;
}

/** An EventSource on the fetch transport, given a fetch that answers with the body at once. */
function fetchSource(lib, { n, body }) {
  return new Promise((resolve, reject) => {
    let count = 0;
    const fetch = () => Promise.resolve(new Response(body, { headers: { 'content-type': 'text/event-stream' } }));
    const es = new lib.EventSource('http://127.0.0.1:9/stream', { transport: 'fetch', fetch });
    es.onmessage = (e) => {
      count += e.data.length > 0;
      if (count === n) resolve(es.close());
    };
    es.onerror = () => es.readyState === 2 && reject(new Error('the source failed'));
  });
}

window.micro = async (kind, which, size) => {
  const t0 = performance.now();
  if (kind === 'parser') parser(libs[which], BODIES[size]);
  else await fetchSource(libs[which], BODIES[size]);
  return performance.now() - t0;
};
window.microReady = true;
