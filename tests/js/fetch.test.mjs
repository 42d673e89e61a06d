// The fetch transport in headless Chromium: identical events to the browser's own EventSource,
// headers, POST, honest errors, and a dedicated Web Worker.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { SERVER, usePage } from './helpers.mjs';

const ctx = usePage();

// Every event type the fixtures use; the browser's EventSource only reports types it listens to.
const TYPES = ['message', 'tick', 'notice', 'data', 'update', 'ping', 'custom', 'error', 'open'];

/**
 * Collects the events of `url` through both transports at once, each until nothing has arrived
 * for `quietMs` (the fixtures stay open, so neither reconnects).
 */
const collectBoth = (url, quietMs = 300) => ctx.page.evaluate(async ([url, types, quietMs]) => {
  const collect = async (transport) => {
    const es = new window.lib.EventSource(url, { transport });
    const events = [];
    let last = Date.now();
    for (const type of types) {
      es.addEventListener(type, (e) => {
        if (!(e instanceof MessageEvent)) return; // the connection's own open/error events
        events.push([e.type, e.data, e.lastEventId]);
        last = Date.now();
      });
    }
    const start = Date.now();
    while (Date.now() - last < quietMs || Date.now() - start < quietMs * 2) {
      await new Promise((r) => setTimeout(r, 25));
    }
    es.close();
    return events;
  };
  const [native, ours] = await Promise.all([collect('eventsource'), collect('fetch')]);
  return { native, ours };
}, [url, TYPES, quietMs]);

describe('differential: fetch transport vs. the browser EventSource', async () => {
  const names = await (await fetch(`${SERVER}/fixtures`)).json();
  let delivered = 0;
  assert.ok(names.length > 40, `the server lists its fixtures and conformance streams (${names.length})`);
  for (const name of names) {
    for (const chunking of ['', '?chunk=1', '?chunk=2&delay_ms=1', '?chunk=7']) {
      test(`${name}${chunking}`, async () => {
        const { native, ours } = await collectBoth(`/fixture/${name}${chunking}`);
        assert.deepEqual(ours, native);
        delivered += native.length;
      });
    }
  }
  test('the comparison was not vacuous: the fixtures delivered events', () => {
    assert.ok(delivered > 300, `only ${delivered} events were compared`);
  });
});

describe('fetch transport features', () => {
  test('custom headers (static and from a function), POST body and Accept reach the server', async () => {
    const r = await ctx.page.evaluate(async () => {
      let calls = 0;
      const es = new window.lib.EventSource('/echo', {
        method: 'POST',
        body: '{"topics":["a","b"]}',
        headers: async () => { calls += 1; return { Authorization: `Bearer token-${calls}`, 'X-Client': 'eventsource-wasm' }; },
      });
      const echo = await new Promise((resolve) => es.addEventListener('message', (e) => resolve(JSON.parse(e.data)), { once: true }));
      es.close();
      return { echo, calls };
    });
    assert.equal(r.echo.method, 'POST');
    assert.equal(r.echo.body, '{"topics":["a","b"]}');
    assert.equal(r.echo.headers.authorization, 'Bearer token-1');
    assert.equal(r.echo.headers['x-client'], 'eventsource-wasm');
    assert.equal(r.echo.headers.accept, 'text/event-stream');
    assert.equal(r.calls, 1);
  });

  test('transport auto picks the browser EventSource for a plain GET and fetch when headers are set', async () => {
    const r = await ctx.page.evaluate(async () => {
      const realFetch = window.fetch;
      const fetched = [];
      window.fetch = (url, init) => { fetched.push(String(url)); return realFetch(url, init); };
      try {
        const read = (es) => new Promise((resolve) => es.addEventListener('message', (e) => resolve(JSON.parse(e.data)), { once: true }));
        const plain = new window.lib.EventSource('/echo?plain', { transport: 'auto' });
        const a = await read(plain);
        const fetchedForPlain = fetched.length;
        const withHeaders = new window.lib.EventSource('/echo?headers', { headers: { 'X-A': '1' } });
        const b = await read(withHeaders);
        plain.close(); withHeaders.close();
        return { fetchedForPlain, fetched, a: a.headers['x-a'], b: b.headers['x-a'] };
      } finally {
        window.fetch = realFetch;
      }
    });
    assert.equal(r.fetchedForPlain, 0, 'a plain GET does not go through fetch');
    assert.deepEqual(r.fetched, [`${SERVER}/echo?headers`], 'headers need the fetch transport');
    assert.equal(r.a, undefined);
    assert.equal(r.b, '1');
  });

  test('the credentials option decides whether cookies are sent', async () => {
    const r = await ctx.page.evaluate(async () => {
      await fetch('/set-cookie');
      const read = (options) => new Promise((resolve) => {
        const es = new window.lib.EventSource('/echo?close=1', { transport: 'fetch', ...options });
        es.addEventListener('message', (e) => { es.close(); resolve(JSON.parse(e.data).headers.cookie ?? null); }, { once: true });
      });
      return { sameOrigin: await read({}), omit: await read({ credentials: 'omit' }), include: await read({ credentials: 'include' }) };
    });
    assert.match(r.sameOrigin ?? '', /=/, 'same-origin sends the cookie');
    assert.equal(r.omit, null, "credentials: 'omit' sends no cookie");
    assert.match(r.include ?? '', /=/);
  });

  test('an injected fetch that resolves to something other than a Response is a fatal error, not a hang', async () => {
    const r = await ctx.page.evaluate(async () => {
      const headers = () => new Headers({ 'content-type': 'text/event-stream' });
      const bad = {
        null: null,
        undefined,
        number: 42,
        'an empty object': {},
        'no status': { headers: headers(), body: new ReadableStream() },
        'no headers': { status: 200, body: new ReadableStream() },
        'no body': { status: 200, headers: headers() },
        'a string body': { status: 200, headers: headers(), body: 'not a stream' },
        'a stream of another library': { status: 200, headers: headers(), body: { pipe() {} } },
      };
      const outcomes = {};
      for (const [name, response] of Object.entries(bad)) {
        const es = new window.lib.EventSource('/fixture/basic', { fetch: async () => response });
        let opened = false;
        es.onopen = () => { opened = true; };
        const e = await new Promise((resolve) => { es.onerror = resolve; setTimeout(() => resolve(null), 3000); });
        outcomes[name] = e && { fatal: e.fatal, message: e.message, state: es.readyState, opened };
        es.close();
      }
      // The module still works afterwards.
      const ok = new window.lib.EventSource('/fixture/basic', { transport: 'fetch' });
      const data = await new Promise((resolve) => ok.addEventListener('message', (e) => resolve(e.data), { once: true }));
      ok.close();
      return { outcomes, data };
    });
    for (const [name, outcome] of Object.entries(r.outcomes)) {
      assert.ok(outcome, `${name}: an error event arrived`);
      assert.deepEqual([outcome.fatal, outcome.state, outcome.opened], [true, 2, false], `${name}: fatal, closed, never open (${outcome.message})`);
      assert.match(outcome.message, /not a Response|not a ReadableStream/, name);
    }
    assert.match(r.outcomes['a string body'].message, /body is string, not a ReadableStream/);
    assert.equal(r.data, 'one');
  });

  test("a Response whose body is null is an empty stream: open, then the browser's reconnection, as for an empty 200 from a server", async () => {
    const r = await ctx.page.evaluate(async () => {
      let requests = 0;
      const fetch = async () => {
        requests += 1;
        return new Response(null, { headers: { 'content-type': 'text/event-stream' } });
      };
      const es = new window.lib.EventSource('/ignored', { fetch });
      const seen = [];
      es.onopen = () => seen.push('open');
      const error = await new Promise((resolve) => {
        es.onerror = (e) => resolve({ fatal: e.fatal, reconnecting: e.reconnecting, state: es.readyState, message: e.message });
      });
      es.close();
      return { seen, error, requests };
    });
    assert.deepEqual(r.seen, ['open']);
    assert.equal(r.error.fatal, false);
    assert.equal(r.error.state, 0, 'CONNECTING: it reconnects');
    assert.match(r.error.message, /closed the stream/);
    assert.equal(r.requests, 1);
  });

  test('an oversized event is a parse error; the connection stays open and later events arrive', async () => {
    const r = await ctx.page.evaluate(async () => {
      const es = new window.lib.EventSource('/fixture/basic', { transport: 'fetch', maxEventSize: 8 });
      const got = [];
      const errors = [];
      es.onmessage = (e) => got.push(e.data);
      es.onerror = (e) => errors.push({ kind: e.kind, fatal: e.fatal, reconnecting: e.reconnecting, state: es.readyState, message: e.message });
      const start = Date.now();
      while (errors.length < 3 && Date.now() - start < 3000) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 200));
      es.close();
      return { got, errors };
    });
    // Each "data: …" line of the fixture is 9 bytes or more, over the limit of 8: all three
    // events are dropped and reported, and the connection stays open.
    assert.deepEqual(r.got, []);
    assert.equal(r.errors.length, 3, JSON.stringify(r.errors));
    for (const e of r.errors) {
      assert.deepEqual([e.kind, e.fatal, e.reconnecting, e.state], ['parse', false, false, 1]);
      assert.match(e.message, /maximum event size of 8 bytes/);
    }
  });

  test('a body chunk of megabytes: every event arrives in order, and wasm memory does not grow to hold it', async () => {
    const r = await ctx.page.evaluate(async () => {
      const n = 30000;
      let text = '';
      for (let i = 1; i <= n; i++) text += `id: ${i}\ndata: ${'x'.repeat(80)} ${i}\n\n`;
      const body = new TextEncoder().encode(text);
      const before = window.wasm.memory.buffer.byteLength;
      const es = new window.lib.EventSource('/fixture/basic', {
        fetch: async () => new Response(new ReadableStream({ start(c) { c.enqueue(body); } }), { headers: { 'content-type': 'text/event-stream' } }),
      });
      const ids = [];
      es.onmessage = (e) => ids.push(Number(e.lastEventId));
      const start = Date.now();
      while (ids.length < n && Date.now() - start < 10000) await new Promise((r) => setTimeout(r, 20));
      es.close();
      const inOrder = ids.every((id, i) => id === i + 1);
      return { count: ids.length, inOrder, bodyBytes: body.length, growth: window.wasm.memory.buffer.byteLength - before };
    });
    assert.equal(r.count, 30000);
    assert.equal(r.inOrder, true);
    assert.ok(r.bodyBytes > 2_500_000, `the chunk is large (${r.bodyBytes} bytes)`);
    assert.ok(r.growth < 1 << 20, `wasm memory grew by ${r.growth} bytes for a ${r.bodyBytes}-byte chunk`);
  });

  test('a huge server retry: value does not turn into an immediate reconnect loop', async () => {
    const r = await ctx.page.evaluate(async () => {
      const before = (await (await fetch('/stats')).json()).requests['/finite'] ?? 0;
      const es = new window.lib.EventSource('/finite?n=1&retry=4294967296000', { transport: 'fetch' });
      const errors = [];
      es.onerror = (e) => errors.push([e.fatal, e.reconnecting]);
      await new Promise((r) => setTimeout(r, 800));
      const after = (await (await fetch('/stats')).json()).requests['/finite'] ?? 0;
      es.close();
      return { requests: after - before, errors };
    });
    assert.equal(r.requests, 1, 'one request: the retry waits (capped at 2^31-1 ms), it does not fire at once');
    assert.deepEqual(r.errors, [[false, true]]);
  });

  test('401 is fatal and carries status, status text, headers and body', async () => {
    const r = await ctx.page.evaluate(async () => {
      const es = new window.lib.EventSource('/status/401', { transport: 'fetch' });
      const e = await new Promise((resolve) => { es.onerror = resolve; });
      await new Promise((r) => setTimeout(r, 200));
      return { fatal: e.fatal, reconnecting: e.reconnecting, status: e.status, statusText: e.statusText, body: e.body, contentType: e.headers['content-type'], state: es.readyState, message: e.message, kind: e.kind, target: e.target === es };
    });
    assert.deepEqual([r.fatal, r.reconnecting, r.status, r.state, r.kind, r.target], [true, false, 401, 2, 'connection', true]);
    assert.equal(r.statusText, 'Unauthorized');
    assert.equal(r.body, 'status 401');
    assert.match(r.contentType, /text\/plain/);
    assert.match(r.message, /401/);
  });

  for (const [path, pattern] of [['/status/204', /204/], ['/wrong-type', /Content-Type/], ['/status/500', /500/]]) {
    test(`${path} fails without reconnecting`, async () => {
      const r = await ctx.page.evaluate(async (path) => {
        const before = await (await fetch('/stats')).json();
        const es = new window.lib.EventSource(path, { transport: 'fetch' });
        const errors = [];
        es.onerror = (e) => errors.push({ fatal: e.fatal, message: e.message });
        await new Promise((r) => setTimeout(r, 800));
        const after = await (await fetch('/stats')).json();
        return { errors, state: es.readyState, connections: (after.requests[path] ?? 0) - (before.requests[path] ?? 0) };
      }, path);
      assert.equal(r.errors.length, 1, JSON.stringify(r.errors));
      assert.equal(r.errors[0].fatal, true);
      assert.match(r.errors[0].message, pattern);
      assert.equal(r.state, 2);
      assert.equal(r.connections, 1, 'one request, no reconnect');
    });
  }

  test('a dropped stream reconnects with Last-Event-ID and the server retry delay', async () => {
    const r = await ctx.page.evaluate(async () => {
      const es = new window.lib.EventSource('/finite?n=2&retry=50', { transport: 'fetch' });
      const ids = [];
      const states = [];
      es.onmessage = (e) => ids.push(e.lastEventId);
      es.onerror = (e) => states.push([e.reconnecting, e.fatal, es.readyState]);
      const start = Date.now();
      while (ids.length < 6 && Date.now() - start < 5000) await new Promise((r) => setTimeout(r, 20));
      es.close();
      return { ids, states, elapsed: Date.now() - start };
    });
    assert.deepEqual(r.ids.slice(0, 6), ['1', '2', '3', '4', '5', '6']);
    assert.deepEqual(r.states[0], [true, false, 0]);
    assert.ok(r.elapsed < 3000, `the server's retry: 50 was honoured (${r.elapsed} ms)`);
  });

  test('close() aborts the request: the server sees the connection go', async () => {
    const r = await ctx.page.evaluate(async () => {
      const stats = async () => (await fetch('/stats')).json();
      const channel = `close-${Math.random()}`;
      const es = new window.lib.EventSource(`/events?channel=${channel}`, { transport: 'fetch' });
      await new Promise((resolve) => { es.onopen = resolve; });
      const open = (await stats()).open_connections;
      es.close();
      let after = open;
      for (let i = 0; i < 50 && after >= open; i++) {
        await new Promise((r) => setTimeout(r, 50));
        after = (await stats()).open_connections;
      }
      return { open, after, state: es.readyState };
    });
    assert.ok(r.after < r.open, JSON.stringify(r));
    assert.equal(r.state, 2);
  });

  test('an injected fetch is used', async () => {
    const r = await ctx.page.evaluate(async () => {
      const seen = [];
      const es = new window.lib.EventSource('/fixture/basic', {
        fetch: (url, init) => { seen.push([url, init.method, init.headers.accept]); return fetch(url, init); },
      });
      const data = await new Promise((resolve) => es.addEventListener('message', (e) => resolve(e.data), { once: true }));
      es.close();
      return { seen, data };
    });
    assert.equal(r.data, 'one');
    assert.deepEqual(r.seen, [[`${SERVER}/fixture/basic`, 'GET', 'text/event-stream']]);
  });

  test('bad fetch options are TypeErrors', async () => {
    const r = await ctx.page.evaluate(() => {
      const attempt = (options) => { try { new window.lib.EventSource('/echo', options).close(); return null; } catch (e) { return [e.name, e.message]; } };
      return [
        attempt({ transport: 'carrier-pigeon' }),
        attempt({ headers: 42 }),
        attempt({ method: 'GET', body: 'x' }),
        attempt({ transport: 'eventsource', headers: { a: 'b' } }),
        attempt({ fetch: 'not a function' }),
        attempt({ method: 'TRACE' }),
        attempt({ method: 'bad method' }),
        attempt({ method: 'HEAD', body: 'x' }),
        attempt({ method: 'POST', body: new ReadableStream() }),
        attempt({ transport: 'eventsource', idleTimeout: 1000 }),
      ];
    });
    for (const error of r) assert.equal(error?.[0], 'TypeError', JSON.stringify(r));
    assert.match(r.at(-1)[1], /idleTimeout/, 'the message names the option at fault');
    assert.match(r.at(-2)[1], /ReadableStream/);
  });
});

describe('dedicated Web Worker', () => {
  for (const transport of ['fetch', 'auto']) {
    test(`transport ${transport} in a worker`, async () => {
      const r = await ctx.page.evaluate(async (transport) => {
        const worker = new Worker('/app/worker.mjs', { type: 'module' });
        const message = () => new Promise((resolve) => { worker.onmessage = (e) => resolve(e.data); });
        const ready = await message();
        worker.postMessage({ transport, url: `${location.origin}/fixture/basic`, count: 3 });
        const result = await message();
        worker.terminate();
        return { ready, result };
      }, transport);
      assert.equal(r.ready.ready, true);
      assert.equal(r.result.error, undefined);
      assert.deepEqual(r.result.events.map((e) => [e.data, e.lastEventId, e.target]), [['one', '1', true], ['two', '2', true], ['three', '3', true]]);
      assert.equal(r.result.events[0].origin, SERVER);
      assert.equal(r.result.supported, true);
      assert.equal(r.result.readyState, 2);
    });
  }
});
