// What the fetch transport puts on the wire and how fast it fails, compared with the browser's
// own EventSource in headless Chromium: Last-Event-ID bytes, the lastEventIdParam query
// parameter, CORS, wrong responses whose body stays open, URL schemes, a huge Retry-After, and
// the headers an injected fetch receives.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { SERVER, usePage } from './helpers.mjs';

const ctx = usePage();

const utf8Hex = (text) => Buffer.from(text, 'utf8').toString('hex');

/**
 * In the page: the `/last-event-id` echoes of `url` ({ header, query } of each request) through
 * `open(url)`, until `count` messages or a fatal error (its message is then the last item).
 */
const EchoesInPage = `(open, url, count) => new Promise((resolve) => {
  const es = open(url);
  const seen = [];
  const done = (last) => { es.close(); resolve(last === undefined ? seen : [...seen, last]); };
  es.onmessage = (e) => { seen.push(JSON.parse(e.data)); if (seen.length === count) done(); };
  es.onerror = (e) => { if (e.fatal || es.readyState === 2) done(e.message ?? 'closed'); };
  setTimeout(() => done('timed out'), 5000);
})`;

describe('Last-Event-ID on the wire', () => {
  test('a non-ASCII id goes back as its UTF-8 bytes, exactly as the browser EventSource sends it', async () => {
    const ids = ['日本', 'é', 'a😀b'];
    const r = await ctx.page.evaluate(async ([ids, echoes]) => {
      const echoesOf = eval(echoes);
      const out = [];
      for (const id of ids) {
        const url = `/last-event-id?id=${encodeURIComponent(id)}`;
        const native = await echoesOf((u) => new EventSource(u), url, 2);
        const ours = await echoesOf((u) => new window.lib.EventSource(u, { transport: 'fetch' }), url, 2);
        out.push({ id, native: native.map((e) => typeof e === 'string' ? e : e.header), ours: ours.map((e) => typeof e === 'string' ? e : e.header) });
      }
      return out;
    }, [ids, EchoesInPage]);
    for (const { id, native, ours } of r) {
      assert.deepEqual(native, [null, utf8Hex(id)], `Chromium's own EventSource, id ${id}`);
      assert.deepEqual(ours, native, `the fetch transport, id ${id}`);
    }
  });

  test('a seeded lastEventId is sent as UTF-8 too', async () => {
    const r = await ctx.page.evaluate(async (echoes) => {
      const echoesOf = eval(echoes);
      return echoesOf((u) => new window.lib.EventSource(u, { transport: 'fetch', lastEventId: 'ключ' }), '/last-event-id?open=1', 1);
    }, EchoesInPage);
    assert.equal(r[0].header, utf8Hex('ключ'));
  });

  test('lastEventIdParam: the fetch transport sends the current id in the query and no header', async () => {
    const r = await ctx.page.evaluate(async (echoes) => {
      const echoesOf = eval(echoes);
      return echoesOf(
        (u) => new window.lib.EventSource(u, { transport: 'fetch', lastEventId: 'é', lastEventIdParam: 'last_event_id' }),
        `/last-event-id?id=${encodeURIComponent('日本')}`,
        3,
      );
    }, EchoesInPage);
    assert.deepEqual(r.map((e) => e.header), [null, null, null]);
    assert.deepEqual(r.map((e) => new URLSearchParams(e.query).get('last_event_id')), ['é', '日本', '日本']);
    assert.equal(new URLSearchParams(r[1].query).getAll('last_event_id').length, 1, 'replaced, not added');
  });
});

describe('cross-origin resume (a server that refuses the preflight, like nchan)', () => {
  // localhost is another origin than the page's 127.0.0.1; `cors=1` allows it on the GET
  // itself while the preflight (OPTIONS) is refused.
  const crossOrigin = `${SERVER.replace('127.0.0.1', 'localhost')}/last-event-id?cors=1&id=5`;

  test('the browser EventSource resumes; the fetch transport says why it cannot, and resumes with lastEventIdParam', async () => {
    const r = await ctx.page.evaluate(async ([url, echoes]) => {
      const echoesOf = eval(echoes);
      const native = await echoesOf((u) => new EventSource(u), url, 2);
      // The first error that is not the end of the first stream.
      const requestError = (options) => new Promise((resolve) => {
        const es = new window.lib.EventSource(url, { transport: 'fetch', ...options });
        let messages = 0;
        es.onmessage = () => { messages += 1; };
        es.onerror = (e) => {
          if (/closed the stream/.test(e.message)) return;
          es.close();
          resolve({ messages, message: e.message, fatal: e.fatal });
        };
      });
      const header = await requestError({});
      const fresh = await requestError({ headers: { 'X-Custom': '1' } });
      const withParam = await echoesOf((u) => new window.lib.EventSource(u, { transport: 'fetch', lastEventIdParam: 'last_event_id' }), url, 2);
      return { native: native.map((e) => typeof e === 'string' ? e : e.header), header, fresh, withParam };
    }, [crossOrigin, EchoesInPage]);
    assert.deepEqual(r.native, [null, '35'], "the browser's EventSource sends Last-Event-ID without a preflight");
    // The resume with the header needs a preflight, which is refused.
    assert.equal(r.header.messages, 1);
    assert.equal(r.header.fatal, false);
    assert.match(r.header.message, /cross-origin.*CORS or its preflight/);
    assert.match(r.header.message, /Last-Event-ID.*lastEventIdParam/);
    // Custom headers make even the first request need a preflight: the hint, without the ID.
    assert.equal(r.fresh.messages, 0);
    assert.match(r.fresh.message, /CORS or its preflight/);
    assert.doesNotMatch(r.fresh.message, /lastEventIdParam/);
    assert.deepEqual(r.withParam.map((e) => [e.header, new URLSearchParams(e.query).get('last_event_id')]), [[null, null], [null, '5']]);
  });
});

describe('a wrong response whose body stays open fails at once', () => {
  // Chromium's own EventSource is compared where it follows the HTML standard (fail at once);
  // with `text/plain` it waits for the body (MIME sniffing) before it fails, which the fetch
  // transport does not imitate.
  const cases = [
    ['type=text/html', true],
    ['type=text/event-streamx', true],
    ['status=500&type=text/html', true],
    ['status=401&type=text/event-stream', true],
    ['status=503&type=text/plain', false],
  ];
  for (const [query, compare] of cases) {
    test(`/open-body?${query}: fatal and CLOSED at once${compare ? ', as with the browser EventSource' : ''}`, async () => {
      const r = await ctx.page.evaluate(async ([url, compare]) => {
        const firstError = (es) => new Promise((resolve) => {
          const start = performance.now();
          es.onerror = (e) => { resolve({ ms: performance.now() - start, state: es.readyState, fatal: e.fatal, status: e.status, body: e.body, message: e.message }); es.close(); };
          setTimeout(() => { resolve({ timedOut: true, state: es.readyState }); es.close(); }, 4000);
        });
        const native = compare ? await firstError(new EventSource(url)) : null;
        const ours = await firstError(new window.lib.EventSource(url, { transport: 'fetch' }));
        return { native, ours };
      }, [`/open-body?${query}`, compare]);
      if (compare) {
        assert.equal(r.native.state, 2, "the browser's EventSource fails the connection");
        assert.ok(r.native.ms < 1000, `the browser's EventSource took ${r.native.ms} ms`);
      }
      assert.equal(r.ours.timedOut, undefined, 'an error event arrived');
      assert.equal(r.ours.state, 2);
      assert.equal(r.ours.fatal, true);
      assert.ok(r.ours.ms < 1000, `the error took ${r.ours.ms} ms`);
      if (query.startsWith('status')) assert.equal(r.ours.status, Number(query.slice(7, 10)));
      // The start of the body is attached when it had already arrived, never waited for.
      assert.ok(r.ours.body === '' || r.ours.body === 'start of the body\n', JSON.stringify(r.ours.body));
    });
  }

  test('the start of the body is added to the error event when it arrives', async () => {
    const r = await ctx.page.evaluate(async () => {
      const bodies = async (url) => {
        const es = new window.lib.EventSource(url, { transport: 'fetch' });
        const e = await new Promise((resolve) => { es.onerror = resolve; });
        const atDispatch = e.body;
        const start = Date.now();
        while (e.body === atDispatch && Date.now() - start < 3000) await new Promise((r) => setTimeout(r, 10));
        return [atDispatch, e.body];
      };
      return { small: await bodies('/status/401'), open: await bodies('/open-body?status=500&type=text/html') };
    });
    assert.equal(r.small[1], 'status 401');
    assert.equal(r.open[1], 'start of the body\n');
    for (const [atDispatch] of [r.small, r.open]) assert.ok(typeof atDispatch === 'string', JSON.stringify(r));
  });
});

describe('URL schemes', () => {
  test('a scheme other than http(s) fails at once (CLOSED), as with the browser EventSource, naming the scheme', async () => {
    const urls = ['about:blank', 'ftp://127.0.0.1/stream', 'mailto:someone@example.com', 'javascript:void 0'];
    const r = await ctx.page.evaluate(async (urls) => {
      const firstError = (make) => new Promise((resolve) => {
        let es;
        try { es = make(); } catch (error) { resolve({ threw: error.name }); return; }
        es.onerror = (e) => { resolve({ state: es.readyState, fatal: e.fatal, message: e.message }); es.close(); };
        setTimeout(() => { resolve({ timedOut: true, state: es.readyState }); es.close(); }, 3000);
      });
      const out = [];
      for (const url of urls) {
        out.push({
          url,
          native: await firstError(() => new EventSource(url)),
          ours: await firstError(() => new window.lib.EventSource(url, { transport: 'fetch' })),
        });
      }
      return out;
    }, urls);
    for (const { url, native, ours } of r) {
      assert.deepEqual(native, { state: 2, fatal: undefined, message: undefined }, `the browser's EventSource fails ${url}`);
      assert.equal(ours.state, 2, url);
      assert.equal(ours.fatal, true, url);
      assert.match(ours.message, new RegExp(`scheme is "${url.split(':')[0]}:"`), url);
    }
  });

  test('data: and blob: URLs load as with the browser EventSource (which reconnects after them)', async () => {
    const r = await ctx.page.evaluate(async () => {
      const run = (make) => new Promise((resolve) => {
        const es = make();
        const log = [];
        es.onopen = () => log.push('open');
        es.onmessage = (e) => log.push(`message ${e.data}`);
        es.onerror = () => { log.push(`error ${es.readyState}`); es.close(); resolve(log); };
      });
      const out = [];
      for (const url of ['data:text/event-stream,data:%20hi%0A%0A', URL.createObjectURL(new Blob(['data: blob\n\n'], { type: 'text/event-stream' }))]) {
        out.push({ native: await run(() => new EventSource(url)), ours: await run(() => new window.lib.EventSource(url, { transport: 'fetch' })) });
      }
      return out;
    });
    assert.deepEqual(r[0].native, ['open', 'message hi', 'error 0']);
    assert.deepEqual(r[1].native, ['open', 'message blob', 'error 0']);
    for (const { native, ours } of r) assert.deepEqual(ours, native);
  });
});

describe('Retry-After', () => {
  test('a Retry-After above 2^32 s waits the longest a timer can, it does not retry at once', async () => {
    const r = await ctx.page.evaluate(async () => {
      const before = (await (await fetch('/stats')).json()).requests['/status/503'] ?? 0;
      const es = new window.lib.EventSource('/status/503?retry_after=4294967296', { transport: 'fetch', retry: { initialDelay: 10, jitter: 0 } });
      const delay = await new Promise((resolve) => es.addEventListener('reconnecting', (e) => resolve(e.delay)));
      const after = (await (await fetch('/stats')).json()).requests['/status/503'] ?? 0;
      es.close();
      return { delay, requests: after - before };
    });
    assert.equal(r.delay, 2 ** 31 - 1);
    assert.equal(r.requests, 1);
  });
});

describe('an injected fetch', () => {
  test('receives plain-object headers: spreading them keeps Accept and Last-Event-ID', async () => {
    const r = await ctx.page.evaluate(async () => {
      const es = new window.lib.EventSource('/echo', {
        lastEventId: '41',
        headers: { 'X-Client': 'a' },
        fetch: (url, init) => fetch(url, { ...init, headers: { ...init.headers, Authorization: 'Bearer t' } }),
      });
      const echo = await new Promise((resolve) => { es.onmessage = (e) => resolve(JSON.parse(e.data)); });
      es.close();
      return echo.headers;
    });
    assert.equal(r.accept, 'text/event-stream');
    assert.equal(r['last-event-id'], '41');
    assert.equal(r['x-client'], 'a');
    assert.equal(r.authorization, 'Bearer t');
  });
});

describe('imports that can throw', () => {
  test('a page whose setTimeout throws gets no reconnect storm and no exception through wasm', async () => {
    const r = await ctx.page.evaluate(async () => {
      const requests = async () => (await (await fetch('/stats')).json()).requests['/status/502'] ?? 0;
      const before = await requests();
      const realSetTimeout = window.setTimeout;
      let es;
      try {
        window.setTimeout = () => { throw new Error('timers are disabled here'); };
        es = new window.lib.EventSource('/status/502', { transport: 'fetch', retry: { initialDelay: 1, jitter: 0 } });
        await new Promise((resolve) => es.addEventListener('reconnecting', resolve));
        // A few round trips to the server: a retry without a delay would be among them.
        for (let i = 0; i < 5; i++) await requests();
      } finally {
        window.setTimeout = realSetTimeout;
      }
      const made = (await requests()) - before;
      es.close();
      return { made, state: es.readyState };
    });
    assert.equal(r.made, 1, 'the retry waits for a timer that could not be set, it does not fire at once');
    assert.equal(r.state, 2);
  });
});
