// onJson(type, callback, { schema }) in Node.js (the fetch transport) with zod and valibot,
// against the companion server. The package is imported by name from inside the scratch app.
import assert from 'node:assert/strict';
import { dirname, join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

import * as v from 'valibot';
import * as z from 'zod';

const SERVER = process.env.SSE_SERVER_URL;
if (!SERVER) throw new Error('SSE_SERVER_URL is not set: run these tests through `npm test`');
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { EventSource } = await import(pathToFileURL(join(root, 'tests/.work/app/entry.mjs')).href);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const waitFor = async (what, check, ms = 5000) => {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
};
const unique = (prefix) => `${prefix}-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;

async function publish(channel, data, event) {
  const response = await fetch(`${SERVER}/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ channel, data, event }),
  });
  assert.equal(response.status, 200);
  return String((await response.json()).id);
}

/** An open source on a fresh channel, with `setup` registering its listeners. */
async function openChannel(setup) {
  const channel = unique('node-schema');
  const es = new EventSource(`${SERVER}/events?channel=${channel}`);
  setup(es);
  await waitFor('open', () => es.readyState === EventSource.OPEN);
  return { es, channel };
}

describe('Node.js: onJson with a schema', () => {
  test('valid data reaches the callback as the validator\'s output; invalid data is a "schema" error with the issues', async () => {
    const log = [];
    const Zod = z.object({ n: z.number(), at: z.iso.datetime().transform((text) => new Date(text)) });
    const Vali = v.pipe(v.object({ n: v.number() }), v.transform(({ n }) => n * 2));
    const { es, channel } = await openChannel((es) => {
      es.onJson('tick', (value, event) => log.push(['zod', value, event.lastEventId]), { schema: Zod });
      es.onJson('tick', (value) => log.push(['valibot', value]), { schema: Vali });
      es.addEventListener('error', (e) => log.push([e.kind, e]));
    });
    const ok = await publish(channel, { n: 1, at: '2024-05-06T07:08:09Z' }, 'tick');
    const bad = await publish(channel, '{"n":"one","at":"yesterday"}', 'tick');
    await waitFor('4 entries', () => log.length === 4);
    es.close();
    assert.equal(log[0][0], 'zod');
    assert.equal(log[0][1].n, 1);
    assert.ok(log[0][1].at instanceof Date, 'transformed by the schema');
    assert.equal(log[0][1].at.toISOString(), '2024-05-06T07:08:09.000Z');
    assert.equal(log[0][2], ok);
    assert.deepEqual(log[1], ['valibot', 2]);
    const [zodError, valiError] = [log[2][1], log[3][1]];
    for (const e of [zodError, valiError]) {
      assert.equal(e.kind, 'schema');
      assert.equal(e.fatal, false);
      assert.equal(e.reconnecting, false);
      assert.equal(e.eventType, 'tick');
      assert.equal(e.lastEventId, bad);
      assert.equal(e.data, '{"n":"one","at":"yesterday"}');
      assert.equal(e.target, es);
      assert.ok(Array.isArray(e.issues) && e.issues.length >= 1);
      assert.match(e.message, /^the data of a "tick" event does not match the schema: n: /);
    }
    assert.equal(zodError.issues.length, 2, 'zod reports both fields');
    assert.match(zodError.message, /; at: /);
    assert.equal(valiError.issues[0].path[0].key, 'n');
  });

  test('an async validator keeps the arrival order; a throwing one is reported', async () => {
    const log = [];
    let delay = 150;
    const Slow = z.object({ n: z.number() }).refine(async ({ n }) => {
      delay = Math.max(0, delay - 30);
      await sleep(delay);
      return n % 3 !== 0;
    }, 'multiple of three');
    const Throws = { '~standard': { version: 1, vendor: 'test', validate: () => { throw new Error('boom'); } } };
    const { es, channel } = await openChannel((es) => {
      es.onJson('n', (value) => log.push(value.n), { schema: Slow });
      es.onJson('x', () => log.push('never'), { schema: Throws });
      es.addEventListener('error', (e) => log.push(e.kind === 'json'
        ? `json:${e.data}`
        : `${e.kind}:${e.data}:${e.issues.map((i) => i.message)}:${e.cause?.message ?? ''}`));
    });
    for (let n = 1; n <= 6; n++) await publish(channel, { n }, 'n');
    await publish(channel, 'not json', 'n');
    await publish(channel, { any: 1 }, 'x');
    await waitFor('8 entries', () => log.length === 8);
    await sleep(100);
    es.close();
    assert.deepEqual(log.filter((entry) => !String(entry).includes('boom')), [
      1, 2, 'schema:{"n":3}:multiple of three:', 4, 5, 'schema:{"n":6}:multiple of three:', 'json:not json',
    ]);
    assert.deepEqual(log.filter((entry) => String(entry).includes('boom')), ['schema:{"any":1}::boom']);
  });

  test('closeOn: the events before done are all delivered, in order, before close', async () => {
    const log = [];
    const Delayed = {
      '~standard': {
        version: 1,
        vendor: 'test',
        validate: (value) => new Promise((settle) => {
          const go = () => settle(value % 5 === 0 ? { issues: [{ message: 'five' }] } : { value });
          const delay = Math.floor(Math.random() * 6);
          if (delay === 0) queueMicrotask(go);
          else setTimeout(go, delay);
        }),
      },
    };
    const channel = unique('node-drain');
    const es = new EventSource(`${SERVER}/events?channel=${channel}`, { closeOn: 'done' });
    es.onJson('message', (value) => log.push(value), { schema: Delayed });
    es.addEventListener('error', (e) => log.push(`${e.kind}:${e.data}`));
    const closed = new Promise((resolve) => es.addEventListener('close', (e) => {
      log.push(`close:${e.reason}`);
      resolve();
    }));
    await waitFor('open', () => es.readyState === EventSource.OPEN);
    const burst = await fetch(`${SERVER}/burst?channel=${channel}&n=30`, { method: 'POST' });
    assert.equal(burst.status, 200);
    await publish(channel, '[DONE]', 'done');
    await closed;
    await sleep(50);
    const expected = [];
    for (let n = 1; n <= 30; n++) expected.push(n % 5 === 0 ? `schema:${n}` : n);
    assert.deepEqual(log, [...expected, 'close:done']);
    assert.equal(es.readyState, EventSource.CLOSED);
  });

  test('a schema that is not a Standard Schema is a TypeError', () => {
    const es = new EventSource(`${SERVER}/events?channel=${unique('node-misuse')}`);
    try {
      for (const options of [{ schema: {} }, { schema: null }, { schema: z.number().parse }, { schema: { '~standard': {} } }, 7]) {
        assert.throws(() => es.onJson('t', () => {}, options), TypeError);
      }
      assert.equal(typeof es.onJson('t', () => {}, { schema: v.string() }), 'function');
      assert.equal(typeof es.onJson('t', () => {}, undefined), 'function');
    } finally {
      es.close();
    }
  });
});
