// What the fetch transport puts on the wire in Node.js (undici), against the companion server:
// the same Last-Event-ID bytes as the browser's EventSource, and schemes that cannot work.
import assert from 'node:assert/strict';
import { join, dirname, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const SERVER = process.env.SSE_SERVER_URL;
if (!SERVER) throw new Error('SSE_SERVER_URL is not set: run these tests through `npm test`');
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { EventSource } = await import(pathToFileURL(join(root, 'tests/.work/app/entry.mjs')).href);

const utf8Hex = (text) => Buffer.from(text, 'utf8').toString('hex');

/** The `/last-event-id` echoes of `url` until `count` messages or a fatal error (its message last). */
const echoes = (url, options, count) => new Promise((resolve) => {
  const es = new EventSource(url, options);
  const seen = [];
  const done = (last) => { es.close(); resolve(last === undefined ? seen : [...seen, last]); };
  es.onmessage = (e) => { seen.push(JSON.parse(e.data)); if (seen.length === count) done(); };
  es.onerror = (e) => { if (e.fatal) done(e.message); };
});

describe('Node.js: Last-Event-ID on the wire', () => {
  test('a non-ASCII id goes back as its UTF-8 bytes (as Chromium sends it)', async () => {
    for (const id of ['日本', 'é', 'a😀b']) {
      const r = await echoes(`${SERVER}/last-event-id?id=${encodeURIComponent(id)}`, {}, 2);
      assert.deepEqual(r.map((e) => typeof e === 'string' ? e : e.header), [null, utf8Hex(id)], id);
    }
  });

  test('a seeded lastEventId too; with lastEventIdParam the query carries it instead', async () => {
    const seeded = await echoes(`${SERVER}/last-event-id?open=1`, { lastEventId: 'é' }, 1);
    assert.equal(seeded[0].header, 'c3a9');
    const param = await echoes(`${SERVER}/last-event-id?open=1`, { lastEventId: 'é', lastEventIdParam: 'last_event_id' }, 1);
    assert.equal(param[0].header, null);
    assert.equal(new URLSearchParams(param[0].query).get('last_event_id'), 'é');
  });

  test('a scheme other than http(s) is fatal at once, naming the scheme', async () => {
    for (const url of ['ftp://127.0.0.1/stream', 'about:blank', 'file:///etc/hostname']) {
      const es = new EventSource(url);
      const e = await new Promise((resolve) => { es.onerror = resolve; });
      assert.equal(e.fatal, true, url);
      assert.equal(es.readyState, EventSource.CLOSED, url);
      assert.match(e.message, new RegExp(`scheme is "${url.split(':')[0]}:"`), url);
    }
  });
});
