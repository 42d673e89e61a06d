// Streams that end on purpose, resume without re-sending their request, iterate, batch and
// expose one state: the packed package in Node.js (the fetch transport) against the companion
// server. The same behaviours in Chromium, on both transports: tests/js/streaming.test.mjs.
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { dirname, join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const SERVER = process.env.SSE_SERVER_URL;
if (!SERVER) throw new Error('SSE_SERVER_URL is not set: run these tests through `npm test`');
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { EventSource } = await import(pathToFileURL(join(root, 'tests/.work/app/entry.mjs')).href);

const waitFor = async (what, check, ms = 5000) => {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};
const closed = (es) => new Promise((resolve) => es.addEventListener('close', resolve, { once: true }));
const requests = async (path) => (await (await fetch(`${SERVER}/stats`)).json()).requests[path] ?? 0;
const tag = () => Math.floor(Math.random() * 1e9);

describe('closeOn', () => {
  test('a stream completes after the matching event: close (reason done), no reconnect', async () => {
    const es = new EventSource(`${SERVER}/finite?n=5&t=${tag()}`, { closeOn: (e) => e.data === 'event 3' });
    const seen = [];
    es.onmessage = (e) => seen.push(e.data);
    const close = await closed(es);
    assert.equal(close.reason, 'done');
    assert.equal(es.readyState, EventSource.CLOSED);
    assert.deepEqual(seen, ['event 1', 'event 2', 'event 3']);
  });

  test('a named event type completes it, even with no listener of that type', async () => {
    const es = new EventSource(`${SERVER}/finite?n=2&event=done&t=${tag()}`, { closeOn: 'done' });
    const close = await closed(es);
    assert.equal(close.reason, 'done');
    assert.equal(es.lastEventId, '1');
  });

  test('a stream that ends before it is truncated: kind truncated, resumed with no event lost or repeated', async () => {
    const es = new EventSource(`${SERVER}/finite?n=3&retry=10&t=${tag()}`, { closeOn: (e) => e.data === 'event 7' });
    const seen = [];
    const errors = [];
    es.onmessage = (e) => seen.push(e.data);
    es.onerror = (e) => errors.push([e.kind, e.reconnecting, e.fatal]);
    await closed(es);
    assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7].map((n) => `event ${n}`));
    assert.deepEqual(errors, [['truncated', true, false], ['truncated', true, false]]);
  });

  test('without closeOn the end of a stream is a plain reconnect (the browser behaviour)', async () => {
    const es = new EventSource(`${SERVER}/finite?n=1&retry=10&t=${tag()}`);
    const errors = [];
    es.onerror = (e) => errors.push(e.kind);
    await waitFor('a reconnect', () => errors.length >= 1);
    es.close();
    assert.equal(errors[0], 'connection');
  });
});

describe('resume', () => {
  test('a POST stream is not sent again once its response started: fatal, naming resume', async () => {
    const path = `/echo`;
    const before = await requests(path);
    const es = new EventSource(`${SERVER}${path}?close=1&t=${tag()}`, { method: 'POST', body: 'prompt', retry: { initialDelay: 10 } });
    const errors = [];
    es.onerror = (e) => errors.push([e.fatal, e.message]);
    const got = [];
    es.onmessage = (e) => got.push(JSON.parse(e.data).method);
    await closed(es);
    assert.deepEqual(got, ['POST']);
    assert.equal(errors.length, 1);
    assert.equal(errors[0][0], true);
    assert.match(errors[0][1], /not sent again.*resume/);
    assert.equal((await requests(path)) - before, 1);
  });

  test('with resume, later attempts continue by GET with Last-Event-ID, without the body', async () => {
    const t = tag();
    const es = new EventSource(`${SERVER}/echo?close=1&t=${t}`, {
      method: 'POST',
      body: 'prompt',
      resume: { url: (lastEventId) => `${SERVER}/finite?n=2&retry=10&t=${t}&after=${lastEventId}` },
      closeOn: (e) => e.data === 'event 3',
    });
    const seen = [];
    es.onmessage = (e) => seen.push(e.data.startsWith('{') ? JSON.parse(e.data).method : e.data);
    await closed(es);
    assert.deepEqual(seen, ['POST', 'event 1', 'event 2', 'event 3']);
  });

  test('a GET stream needs no resume: it reconnects as the browser does', async () => {
    const es = new EventSource(`${SERVER}/finite?n=2&retry=10&t=${tag()}`, { closeOn: (e) => e.data === 'event 4' });
    const seen = [];
    es.onmessage = (e) => seen.push(e.data);
    await closed(es);
    assert.deepEqual(seen, ['event 1', 'event 2', 'event 3', 'event 4']);
  });

  test('a POST /chat reply cut after 50 of 200 tokens resumes by GET: no token lost or repeated, one POST', async () => {
    const prompt = 'one two three four five six seven eight nine ten';
    const es = new EventSource(`${SERVER}/chat?cut_after=50`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt, tokens: 200, interval_ms: 1 }),
      resume: { url: (lastEventId) => `${SERVER}/chat/${lastEventId.split(':')[0]}` },
      closeOn: 'done',
      retry: { initialDelay: 10, jitter: 0 },
    });
    const ids = [];
    const tokens = [];
    es.on('token', (e) => { ids.push(e.lastEventId); tokens.push(e.data); });
    const errors = [];
    es.onerror = (e) => errors.push(e.kind);
    const close = await closed(es);
    assert.equal(close.reason, 'done');
    const reply = ids[0].split(':')[0];
    assert.deepEqual(ids, Array.from({ length: 200 }, (_, i) => `${reply}:${i + 1}`));
    const words = prompt.split(' ');
    assert.equal(tokens.join(''), Array.from({ length: 200 }, (_, i) => words[i % words.length]).join(' '));
    assert.deepEqual(errors, ['truncated']);
    const stats = await (await fetch(`${SERVER}/chat/${reply}/stats`)).json();
    assert.equal(stats.posts, 1);
    assert.equal(stats.resumes, 1);
  });

  test('a POST /chat without resume is not sent again after its first event', async () => {
    const es = new EventSource(`${SERVER}/chat?cut_after=5`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tokens: 50, interval_ms: 1 }),
      retry: { initialDelay: 10 },
    });
    const ids = [];
    es.on('token', (e) => ids.push(e.lastEventId));
    const fatal = new Promise((resolve) => { es.onerror = (e) => e.fatal && resolve(e.message); });
    assert.match(await fatal, /not sent again.*resume/);
    assert.equal(ids.length, 5);
    const stats = await (await fetch(`${SERVER}/chat/${ids[0].split(':')[0]}/stats`)).json();
    assert.equal(stats.posts, 1);
    assert.equal(stats.resumes, 0);
  });

  test('a bad resume option is a TypeError', () => {
    assert.throws(() => new EventSource(`${SERVER}/finite`, { resume: 'x' }), TypeError);
    assert.throws(() => new EventSource(`${SERVER}/finite`, { resume: { url: 3 } }), TypeError);
    assert.throws(() => new EventSource(`${SERVER}/finite`, { closeOn: 3 }), TypeError);
  });
});

describe('async iteration and streams', () => {
  test('for await yields the messages and ends when closeOn completes the stream', async () => {
    const es = new EventSource(`${SERVER}/finite?n=3&t=${tag()}`, { closeOn: (e) => e.data === 'event 3' });
    const seen = [];
    for await (const event of es) seen.push([event.data, event.lastEventId, event.target === es]);
    assert.deepEqual(seen, [['event 1', '1', true], ['event 2', '2', true], ['event 3', '3', true]]);
  });

  test('break closes the source, and the server sees the connection close', async () => {
    const channel = `iter-${tag()}`;
    const es = new EventSource(`${SERVER}/events?channel=${channel}&keepalive_ms=0`);
    await new Promise((resolve) => { es.onopen = resolve; });
    const publish = () => fetch(`${SERVER}/publish`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ channel, data: 'x' }) });
    const open = async () => (await (await fetch(`${SERVER}/stats`)).json()).open_connections;
    const during = await open();
    await publish();
    for await (const event of es) {
      assert.equal(event.data, 'x');
      break;
    }
    assert.equal(es.readyState, EventSource.CLOSED);
    let after = during;
    const start = Date.now();
    while (after >= during && Date.now() - start < 3000) {
      after = await open();
      if (after >= during) await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(after < during, `open connections ${during} → ${after}`);
  });

  test('a fatal error is thrown, after the events before it', async () => {
    const es = new EventSource(`${SERVER}/status/500`);
    await assert.rejects(async () => {
      for await (const event of es) assert.fail(`unexpected ${event.data}`);
    }, (error) => error instanceof Error && /500/.test(error.message) && error.cause?.fatal === true);
  });

  test('close() ends an iteration in progress', async () => {
    const es = new EventSource(`${SERVER}/events?channel=close-${tag()}`);
    setTimeout(() => es.close(), 50);
    const seen = [];
    for await (const event of es) seen.push(event);
    assert.deepEqual(seen, []);
  });

  test('stream() is a ReadableStream of the named types', async () => {
    const es = new EventSource(`${SERVER}/finite?n=2&event=token&t=${tag()}`, { closeOn: (e) => e.lastEventId === '2' });
    const reader = es.stream({ types: ['token'] }).getReader();
    const seen = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      seen.push(`${value.type} ${value.data}`);
    }
    assert.deepEqual(seen, ['token event 1', 'token event 2']);
  });

  test('for await over stream(), and break cancels the stream and closes the source', async () => {
    const es = new EventSource(`${SERVER}/finite?n=5&event=token&t=${tag()}`, { closeOn: (e) => e.lastEventId === '5' });
    const seen = [];
    for await (const token of es.stream({ types: ['token'] })) {
      seen.push(token.data);
      if (seen.length === 2) break;
    }
    assert.deepEqual(seen, ['event 1', 'event 2']);
    assert.equal(es.readyState, EventSource.CLOSED);
  });

  test('a server event named close is an event, not the end of the iteration', async () => {
    const es = new EventSource(`${SERVER}/finite?n=3&event=close&t=${tag()}`, { closeOn: (e) => e.lastEventId === '3' });
    const seen = [];
    for await (const event of es.stream({ types: ['close'] })) seen.push(event.data);
    assert.deepEqual(seen, ['event 1', 'event 2', 'event 3']);
  });

  test('a source that completes by itself lets go of its signal (no abort listener left)', async () => {
    const controller = new AbortController();
    const es = new EventSource(`${SERVER}/finite?n=3&t=${tag()}`, { signal: controller.signal, closeOn: (e) => e.data === 'event 2' });
    assert.equal(getEventListeners(controller.signal, 'abort').length, 1);
    await closed(es);
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0, 'closeOn released the signal');
    const other = new EventSource(`${SERVER}/finite?n=3&t=${tag()}`, { signal: controller.signal });
    other.close();
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0, 'close() released the signal');
    controller.abort();
    assert.equal(es.readyState, EventSource.CLOSED);
  });

  test('an AbortSignal closes the source and ends its iteration', async () => {
    const controller = new AbortController();
    const es = new EventSource(`${SERVER}/events?channel=abort-${tag()}`, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    for await (const event of es) assert.fail(`unexpected ${event.data}`);
    assert.equal(es.readyState, EventSource.CLOSED);
    const aborted = AbortSignal.abort();
    assert.equal(new EventSource(`${SERVER}/finite`, { signal: aborted }).readyState, EventSource.CLOSED);
    assert.throws(() => new EventSource(`${SERVER}/finite`, { signal: {} }), TypeError);
  });
});

describe('onBatch', () => {
  test('every event exactly once, in order, across reconnects, as plain objects', async () => {
    const es = new EventSource(`${SERVER}/finite?n=40&retry=10&t=${tag()}`, { closeOn: (e) => e.data === 'event 100' });
    const batches = [];
    es.onBatch((events) => batches.push(events), { every: 5 });
    await closed(es);
    const all = batches.flat();
    assert.deepEqual(all.map((e) => e.data), Array.from({ length: 100 }, (_, i) => `event ${i + 1}`));
    assert.deepEqual(Object.keys(all[0]).sort(), ['data', 'lastEventId', 'type']);
    assert.equal(all[99].lastEventId, '100');
    assert.ok(batches.length < 100, `${batches.length} batches for 100 events`);
  });

  test('the types option, and unsubscribing', async () => {
    const es = new EventSource(`${SERVER}/finite?n=3&event=token&t=${tag()}`, { closeOn: (e) => e.lastEventId === '3' });
    const tokens = [];
    const messages = [];
    es.onBatch((events) => tokens.push(...events.map((e) => e.type)), { types: ['token'], every: 1 });
    const off = es.onBatch((events) => messages.push(...events), { types: ['message'] });
    off();
    await closed(es);
    assert.deepEqual(tokens, ['token', 'token', 'token']);
    assert.deepEqual(messages, []);
    assert.throws(() => es.onBatch(() => {}, { every: 0 }), TypeError);
  });
});

describe('getSnapshot and subscribe', () => {
  test('one frozen object per state, replaced exactly when the state changes', async () => {
    const es = new EventSource(`${SERVER}/finite?n=2&retry=10&t=${tag()}`, { closeOn: (e) => e.data === 'event 3' });
    const first = es.getSnapshot();
    assert.ok(Object.isFrozen(first));
    assert.equal(es.getSnapshot(), first, 'the same object while nothing changed');
    assert.deepEqual({ ...first }, { readyState: 0, attempt: 0, nextRetryAt: null, lastError: null, lastEventId: '', eventsReceived: 0 });
    const snapshots = [];
    const unsubscribe = es.subscribe(() => snapshots.push(es.getSnapshot()));
    await closed(es);
    unsubscribe();
    const last = es.getSnapshot();
    assert.equal(last.readyState, 2);
    assert.equal(last.eventsReceived, 3);
    assert.equal(last.lastEventId, '3');
    // Every notification brought a new snapshot, and a truncation was seen on the way.
    assert.equal(new Set(snapshots).size, snapshots.length);
    const truncated = snapshots.find((s) => s.lastError?.kind === 'truncated');
    assert.ok(truncated, 'a truncated state');
    assert.equal(truncated.readyState, 0);
    assert.equal(truncated.attempt, 1);
    assert.ok(truncated.nextRetryAt >= Date.now() - 5000);
    assert.ok(Object.isFrozen(truncated.lastError));
    assert.ok(snapshots.some((s) => s.readyState === 1 && s.lastError === null && s.attempt === 0), 'open again after the retry');
  });
});
