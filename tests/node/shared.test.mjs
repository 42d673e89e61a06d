// `shared: true` where there is no Web Locks API (Node.js): a private connection, documented,
// that works as any other; `sharing` is null.
import assert from 'node:assert/strict';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const SERVER = process.env.SSE_SERVER_URL;
if (!SERVER) throw new Error('SSE_SERVER_URL is not set: run these tests through `npm test`');
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { EventSource } = await import(pathToFileURL(join(root, 'tests/.work/app/entry.mjs')).href);

test('Node.js: shared falls back to a private connection', async () => {
  const hasLocks = typeof globalThis.navigator?.locks?.request === 'function';
  const es = new EventSource(`${SERVER}/finite?n=3&t=${Math.random()}`, { shared: true, closeOn: (e) => e.data === 'event 3' });
  const seen = [];
  es.onmessage = (e) => seen.push(e.data);
  await new Promise((resolve) => es.addEventListener('close', resolve, { once: true }));
  assert.deepEqual(seen, ['event 1', 'event 2', 'event 3']);
  if (!hasLocks) assert.equal(es.sharing, null);
});
