// The packed npm package in Node.js (no EventSource there: the fetch transport), against the
// companion server. The package is imported by name from inside the scratch app, as a user would.
import assert from 'node:assert/strict';
import { dirname, join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const SERVER = process.env.SSE_SERVER_URL;
if (!SERVER) throw new Error('SSE_SERVER_URL is not set: run these tests through `npm test`');
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const lib = await import(pathToFileURL(join(root, 'tests/.work/app/entry.mjs')).href);
const { EventSource, isSupported, createParser } = lib;

const waitFor = async (what, check, ms = 5000) => {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

const firstMessage = (es) => new Promise((resolve, reject) => {
  es.addEventListener('message', (e) => resolve(e), { once: true });
  es.addEventListener('error', (e) => { if (e.fatal) reject(new Error(e.message)); });
});

describe('Node.js', () => {
  test('no EventSource here: isSupported() is false and auto picks fetch', async () => {
    assert.equal(isSupported(), false);
    await lib.default(); // init() is harmless after the synchronous start
    const es = new EventSource(`${SERVER}/fixture/basic`);
    const seen = [];
    es.onmessage = (e) => seen.push([e.type, e.data, e.lastEventId, e.origin, e.target === es]);
    await waitFor('3 messages', () => seen.length === 3);
    assert.equal(es.readyState, EventSource.OPEN);
    assert.equal(es.lastEventId, '3');
    es.close();
    assert.equal(es.readyState, EventSource.CLOSED);
    assert.deepEqual(seen, [
      ['message', 'one', '1', SERVER, true],
      ['message', 'two', '2', SERVER, true],
      ['message', 'three', '3', SERVER, true],
    ]);
  });

  test('a relative URL is an actionable error (no page to resolve it against)', () => {
    assert.throws(() => new EventSource('/events'), (e) => e.name === 'SyntaxError' && /absolute URL/.test(e.message));
  });

  test('an invalid absolute URL is a DOMException "SyntaxError" that does not talk about a page location', () => {
    assert.throws(() => new EventSource('http://['), (e) =>
      e instanceof DOMException && e.name === 'SyntaxError' && /http:\/\/\[/.test(e.message) && !/page location|absolute URL/.test(e.message));
  });

  test('headers reach the server; POST body arrives', async () => {
    const es = new EventSource(`${SERVER}/echo`, {
      method: 'POST',
      body: 'hello body',
      headers: { Authorization: 'Bearer abc', 'X-Trace': '42' },
    });
    const echo = JSON.parse((await firstMessage(es)).data);
    es.close();
    assert.equal(echo.method, 'POST');
    assert.equal(echo.body, 'hello body');
    assert.equal(echo.headers.authorization, 'Bearer abc');
    assert.equal(echo.headers['x-trace'], '42');
    assert.equal(echo.headers.accept, 'text/event-stream');
  });

  test('the header function is called again on every reconnect, with Last-Event-ID', async () => {
    const tokens = [];
    const es = new EventSource(`${SERVER}/finite?n=1&retry=30`, {
      headers: async () => {
        tokens.push(`token-${tokens.length + 1}`);
        return { Authorization: `Bearer ${tokens.at(-1)}` };
      },
    });
    const ids = [];
    es.onmessage = (e) => ids.push(e.lastEventId);
    await waitFor('3 connections', () => ids.length >= 3);
    es.close();
    assert.deepEqual(ids.slice(0, 3), ['1', '2', '3'], 'each reconnect resumed after the last id');
    assert.ok(tokens.length >= 3, `called ${tokens.length} times`);
  });

  test('401 is fatal and carries the status', async () => {
    const es = new EventSource(`${SERVER}/status/401`);
    const error = await new Promise((resolve) => { es.onerror = resolve; });
    assert.equal(error.fatal, true);
    assert.equal(error.status, 401);
    assert.equal(error.statusText, 'Unauthorized');
    assert.equal(es.readyState, EventSource.CLOSED);
  });

  test('204 stops for good; a wrong Content-Type fails', async () => {
    for (const [path, pattern] of [['/status/204', /204/], ['/wrong-type', /text\/html/]]) {
      const es = new EventSource(`${SERVER}${path}`);
      const errors = [];
      es.onerror = (e) => errors.push(e);
      await waitFor(`the error of ${path}`, () => errors.length === 1);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(errors.length, 1, path);
      assert.equal(errors[0].fatal, true, path);
      assert.match(errors[0].message, pattern);
      assert.equal(es.readyState, EventSource.CLOSED, path);
    }
  });

  test('a header function that throws is retried (a token refresh may fail for a moment)', async () => {
    let calls = 0;
    const es = new EventSource(`${SERVER}/echo`, {
      headers: () => { calls += 1; throw new Error(`no token (${calls})`); },
      retry: { initialDelay: 10, jitter: 0, maxRetries: 1 },
    });
    const errors = [];
    es.onerror = (e) => errors.push([e.fatal, e.message]);
    const reasons = [];
    es.addEventListener('reconnecting', (e) => reasons.push(e.reason));
    await waitFor('the fatal error', () => errors.some(([fatal]) => fatal));
    assert.equal(calls, 2);
    assert.deepEqual(reasons, ['headers']);
    assert.equal(errors[0][0], false);
    assert.match(errors[0][1], /no token \(1\)/);
    assert.match(errors[1][1], /no token \(2\).*gave up after 1 retries/);
  });

  test('a seeded lastEventId survives an attempt that failed before its request', async () => {
    let calls = 0;
    const es = new EventSource(`${SERVER}/echo?close=1`, {
      lastEventId: '41',
      headers: () => { calls += 1; if (calls === 1) throw new Error('not yet'); return {}; },
      retry: { initialDelay: 10, jitter: 0 },
    });
    const echo = await new Promise((resolve) => { es.onmessage = (e) => resolve(JSON.parse(e.data)); });
    es.close();
    assert.equal(calls, 2);
    assert.equal(echo.headers['last-event-id'], '41');
  });

  test('the refreshed token of each reconnect reaches the server', async () => {
    let n = 0;
    const es = new EventSource(`${SERVER}/echo?close=1`, {
      headers: async () => ({ Authorization: `Bearer token-${++n}` }),
      retry: { initialDelay: 10, jitter: 0 },
    });
    const seen = [];
    es.onmessage = (e) => seen.push(JSON.parse(e.data).headers.authorization);
    await waitFor('3 connections', () => seen.length >= 3);
    es.close();
    assert.deepEqual(seen.slice(0, 3), ['Bearer token-1', 'Bearer token-2', 'Bearer token-3']);
  });

  test('credentials, a body with GET, and a forbidden method are checked up front', () => {
    assert.throws(() => new EventSource(`${SERVER}/echo`, { body: 'x' }), (e) => e.name === 'TypeError' && /method other than GET/.test(e.message));
    assert.throws(() => new EventSource(`${SERVER}/echo`, { method: 'CONNECT' }), (e) => e.name === 'TypeError' && /forbids/.test(e.message));
    assert.throws(() => new EventSource(`${SERVER}/echo`, { method: 'HEAD' }), (e) => e.name === 'TypeError' && /HEAD response has no body/.test(e.message));
    assert.throws(() => new EventSource(`${SERVER}/echo`, { credentials: 'sometimes' }), (e) => e.name === 'TypeError' && /credentials/.test(e.message));
  });
});

describe('createParser in Node', () => {
  test('parses strings and bytes in any chunking', () => {
    const events = [];
    const retries = [];
    const comments = [];
    const parser = createParser({
      onEvent: (e) => events.push([e.type, e.data, e.lastEventId]),
      onRetry: (ms) => retries.push(ms),
      onComment: (c) => comments.push(c),
    });
    const stream = '\uFEFFretry: 1500\n: hi\nid: 7\nevent: tick\ndata: a\ndata: b\r\n\rdata: é🚀\n\n';
    const bytes = new TextEncoder().encode(stream);
    for (const byte of bytes) parser.feed(new Uint8Array([byte]));
    parser.reset();
    parser.feed(stream);
    const expected = [['tick', 'a\nb', '7'], ['message', 'é🚀', '7']];
    assert.deepEqual(events, [...expected, ...expected]);
    assert.deepEqual(retries, [1500, 1500]);
    // A comment's text is what follows the colon, less one leading space.
    assert.deepEqual(comments, ['hi', 'hi']);
  });

  test('an oversized event is an error, then parsing recovers', () => {
    const events = [];
    const errors = [];
    const parser = createParser({ onEvent: (e) => events.push(e.data), onError: (e) => errors.push(e), maxEventSize: 16 });
    parser.feed(`data: ${'x'.repeat(100)}\n\ndata: ok\n\n`);
    assert.deepEqual(events, ['ok']);
    assert.equal(errors.length, 1);
    assert.match(errors[0].message, /16/);
  });

  test('many events in one chunk, in order with comments and retries, non-ASCII intact', () => {
    const log = [];
    const parser = createParser({
      onEvent: (e) => log.push(`${e.type}|${e.data}|${e.lastEventId}`),
      onRetry: (ms) => log.push(`retry ${ms}`),
      onComment: (c) => log.push(`comment ${c}`),
    });
    let stream = '';
    const expected = [];
    for (let i = 0; i < 500; i++) {
      const data = i % 7 === 0 ? `ünï ${i} 🚀` : `event ${i}`;
      const type = i % 5 === 0 ? 'tick' : 'message';
      stream += `${type === 'tick' ? 'event: tick\n' : ''}id: ${i}\ndata: ${data}\n\n`;
      expected.push(`${type}|${data}|${i}`);
      if (i === 250) { stream += ': half\nretry: 10\n'; expected.push('comment half', 'retry 10'); }
    }
    parser.feed(stream);
    assert.deepEqual(log, expected);
  });

  test('a throwing onEvent does not lose the other events of the chunk; the error is rethrown', () => {
    const seen = [];
    const parser = createParser({ onEvent: (e) => { seen.push(e.data); if (e.data === 'b') throw new Error('boom'); } });
    assert.throws(() => parser.feed('data: a\n\ndata: b\n\ndata: c\n\n'), /boom/);
    assert.deepEqual(seen, ['a', 'b', 'c']);
    parser.feed('data: d\n\n');
    assert.deepEqual(seen, ['a', 'b', 'c', 'd']);
  });

  test('bad arguments are TypeErrors', () => {
    assert.throws(() => createParser(), TypeError);
    assert.throws(() => createParser({ onEvent: 1 }), TypeError);
    const parser = createParser({ onEvent() {} });
    assert.throws(() => parser.feed(42), TypeError);
  });
});
