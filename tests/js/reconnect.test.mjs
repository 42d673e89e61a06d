// Reconnection through the JS API of the packed package, in headless Chromium: the retry
// policy, `reconnecting` events, `shouldRetry`, and the lifecycle triggers.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { publish, unique, usePage } from './helpers.mjs';

const ctx = usePage();

// A failed attempt of the browser's EventSource is followed by one probe request that learns
// the status it hides; the fetch transport sees it at once.
const perAttempt = (transport) => (transport === 'fetch' ? 1 : 2);

const requests = (path) => ctx.page.evaluate(async (path) => ((await (await fetch('/stats')).json()).requests[path] ?? 0), path);

describe('retry policy', () => {
  for (const transport of ['eventsource', 'fetch']) {
    test(`${transport}: reconnecting events with growing delays, then a fatal error after maxRetries`, async () => {
      const before = await requests('/status/500');
      const r = await ctx.page.evaluate(async (transport) => {
        const es = new window.lib.EventSource('/status/500', { transport, retry: { initialDelay: 20, jitter: 0, maxRetries: 2 } });
        const log = [];
        es.addEventListener('reconnecting', (e) => log.push(['reconnecting', e.attempt, e.delay, e.target === es, es.readyState]));
        es.onerror = (e) => log.push(['error', e.fatal, e.reconnecting, es.readyState]);
        const start = Date.now();
        while (!log.some((l) => l[0] === 'error' && l[1]) && Date.now() - start < 5000) await new Promise((r) => setTimeout(r, 20));
        await new Promise((r) => setTimeout(r, 200));
        return { log, state: es.readyState };
      }, transport);
      assert.deepEqual(r.log, [
        ['error', false, true, 0], ['reconnecting', 1, 20, true, 0],
        ['error', false, true, 0], ['reconnecting', 2, 40, true, 0],
        ['error', true, false, 2],
      ]);
      assert.equal(r.state, 2);
      assert.equal(await requests('/status/500') - before, 3 * perAttempt(transport));
    });
  }

  test('shouldRetry overrides the classification', async () => {
    const r = await ctx.page.evaluate(async () => {
      const asked = [];
      const es = new window.lib.EventSource('/status/401', {
        transport: 'fetch',
        retry: { initialDelay: 10, maxRetries: 1 },
        shouldRetry: (failure) => { asked.push(failure); return failure.status === 401; },
      });
      const attempts = [];
      es.addEventListener('reconnecting', (e) => attempts.push([e.attempt, e.reason, e.status]));
      const fatal = await new Promise((resolve) => es.addEventListener('error', (e) => e.fatal && resolve(e.message)));
      return { asked, attempts, fatal };
    });
    assert.deepEqual(r.asked[0], { kind: 'status', status: 401, retryable: false });
    assert.deepEqual(r.attempts, [[1, 'status', 401]]);
    assert.match(r.fatal, /401.*gave up after 1 retries/);
  });

  test('bad retry options are TypeErrors', async () => {
    const r = await ctx.page.evaluate(() => {
      const attempt = (options) => { try { new window.lib.EventSource('/echo', options).close(); return null; } catch (e) { return e.name; } };
      return [attempt({ retry: 'yes' }), attempt({ retry: { maxDelay: -1 } }), attempt({ retry: { jitter: 2 } }), attempt({ shouldRetry: 1 }), attempt({ idleTimeout: 0 })];
    });
    assert.deepEqual(r, ['TypeError', 'TypeError', 'TypeError', 'TypeError', 'TypeError']);
  });

  for (const transport of ['eventsource', 'fetch']) {
    test(`${transport}: close() during the backoff wait leaves no timer and makes no request`, async () => {
      const before = await requests('/status/503');
      const r = await ctx.page.evaluate(async (transport) => {
        const es = new window.lib.EventSource('/status/503', { transport, retry: { initialDelay: 300, jitter: 0 } });
        const events = [];
        es.addEventListener('reconnecting', (e) => { events.push(['reconnecting', e.delay]); es.close(); });
        es.addEventListener('error', (e) => events.push(['error', e.fatal]));
        await new Promise((r) => setTimeout(r, 900));
        return { events, state: es.readyState };
      }, transport);
      assert.deepEqual(r.events, [['error', false], ['reconnecting', 300]]);
      assert.equal(r.state, 2);
      assert.equal(await requests('/status/503') - before, perAttempt(transport), 'no request after close()');
    });
  }

  test('eventsource: after maxRetries the fatal error says the policy gave up', async () => {
    const r = await ctx.page.evaluate(async () => {
      const es = new window.lib.EventSource('/status/500', { transport: 'eventsource', retry: { initialDelay: 10, jitter: 0, maxRetries: 1 } });
      return new Promise((resolve) => es.addEventListener('error', (e) => e.fatal && resolve(e.message)));
    });
    assert.match(r, /gave up after 1 retries/);
  });

  test('eventsource: a seeded lastEventId travels in the query parameter named by lastEventIdParam', async () => {
    const r = await ctx.page.evaluate(async () => {
      const read = (options) => new Promise((resolve) => {
        const es = new window.lib.EventSource('/echo?x=1', { transport: 'eventsource', ...options });
        es.addEventListener('message', (e) => { es.close(); resolve(JSON.parse(e.data).query); }, { once: true });
      });
      return [await read({ lastEventId: '7', lastEventIdParam: 'cursor' }), await read({ lastEventId: '8' }), await read({})];
    });
    assert.deepEqual(r, ['x=1&cursor=7', 'x=1&lastEventId=8', 'x=1']);
  });

  test('eventsource: the browser\'s own reconnects never carry a stale lastEventId query parameter', async () => {
    // Each stream sends one event with `id: a2` (or a cleared id) and ends. The first request
    // carries the seeded ID in the query; the browser's reconnect would reuse that URL, so the
    // library reopens with the current ID (or the plain URL) instead, once; a URL whose ID is
    // current is left to the browser's own reconnect (which adds the Last-Event-ID header).
    const r = await ctx.page.evaluate(async () => {
      const read = (path, n) => new Promise((resolve) => {
        const got = [];
        const es = new window.lib.EventSource(path, { transport: 'eventsource', lastEventId: 'a0' });
        es.onmessage = (e) => {
          const { query, lastEventId } = JSON.parse(e.data);
          got.push([query, lastEventId, e.lastEventId]);
          if (got.length === n) { es.close(); resolve(got); }
        };
        setTimeout(() => { es.close(); resolve(got); }, 9000);
      });
      return Promise.all([read('/id-echo?retry=20&id=a2', 3), read('/id-echo?retry=20&id=', 3)]);
    });
    assert.deepEqual(r[0], [
      ['retry=20&id=a2&lastEventId=a0', null, 'a2'],
      ['retry=20&id=a2&lastEventId=a2', null, 'a2'],
      ['retry=20&id=a2&lastEventId=a2', 'a2', 'a2'],
    ]);
    assert.deepEqual(r[1], [
      ['retry=20&id=&lastEventId=a0', null, ''],
      ['retry=20&id=', null, ''],
      ['retry=20&id=', null, ''],
    ]);
  });

  for (const transport of ['eventsource', 'fetch']) {
    test(`${transport}: maxRetries counts a stream that ended as a failed attempt`, async () => {
      const before = await requests('/id-echo');
      const r = await ctx.page.evaluate(async (transport) => {
        const es = new window.lib.EventSource('/id-echo', { transport, retry: { initialDelay: 20, jitter: 0, maxRetries: 2 } });
        const log = [];
        es.onmessage = () => log.push('message');
        es.addEventListener('reconnecting', (e) => log.push(['reconnecting', e.attempt, e.delay, e.reason]));
        await new Promise((resolve) => {
          es.onerror = (e) => { log.push(['error', e.fatal, es.readyState]); if (e.fatal) resolve(); };
          setTimeout(resolve, 3000);
        });
        es.close();
        return log;
      }, transport);
      assert.deepEqual(r, [
        'message', ['error', false, 0], ['reconnecting', 1, 20, 'network'],
        'message', ['error', false, 0], ['reconnecting', 2, 40, 'network'],
        'message', ['error', true, 2],
      ]);
      assert.equal(await requests('/id-echo') - before, 3, 'one request and two retries');
    });

    test(`${transport}: under a retry policy a 401 is fatal at once, and the error carries the status`, async () => {
      const before = await requests('/status/401');
      const r = await ctx.page.evaluate(async (transport) => {
        const es = new window.lib.EventSource('/status/401', { transport, retry: { initialDelay: 20, jitter: 0 } });
        const log = [];
        es.addEventListener('reconnecting', (e) => log.push(['reconnecting', e.attempt, e.status]));
        await new Promise((resolve) => {
          es.onerror = (e) => { log.push(['error', e.fatal, e.status, es.readyState, /401/.test(e.message)]); if (e.fatal) resolve(); };
          setTimeout(resolve, 3000);
        });
        es.close();
        return log;
      }, transport);
      assert.deepEqual(r, [['error', true, 401, 2, true]]);
      assert.equal(await requests('/status/401') - before, perAttempt(transport));
    });
  }

  test('eventsource: without a policy, the fatal error carries the status too', async () => {
    const r = await ctx.page.evaluate(async () => {
      const statusOf = (path) => new Promise((resolve) => {
        const es = new window.lib.EventSource(path, { transport: 'eventsource' });
        es.onerror = (e) => resolve([e.fatal, e.status, es.readyState]);
      });
      return [await statusOf('/status/404'), await statusOf('/status/500?retry_after=1'), await statusOf('/wrong-type')];
    });
    assert.deepEqual(r, [[true, 404, 2], [true, 500, 2], [true, 200, 2]]);
    // Nobody listens for errors and no policy decides: no probe request.
    const before = await requests('/status/410');
    const state = await ctx.page.evaluate(async () => {
      const es = new window.lib.EventSource('/status/410', { transport: 'eventsource' });
      const start = Date.now();
      while (es.readyState !== 2 && Date.now() - start < 3000) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 200));
      return es.readyState;
    });
    assert.equal(state, 2);
    assert.equal(await requests('/status/410') - before, 1);
  });

});

describe('idle timeout', () => {
  test('comments keep the connection alive; silence reconnects, measured from the last byte', async () => {
    const r = await ctx.page.evaluate(async () => {
      let connections = 0;
      let stopCommentsAt = 0;
      const fetch = async () => {
        connections += 1;
        const enc = new TextEncoder();
        let timer;
        const body = new ReadableStream({
          start(c) {
            c.enqueue(enc.encode('data: hello\n\n'));
            let sent = 0;
            timer = setInterval(() => {
              sent += 1;
              if (connections === 1 && sent <= 10) c.enqueue(enc.encode(': keep-alive\n'));
              else if (connections === 1 && sent === 11) stopCommentsAt = Date.now();
            }, 100);
          },
          cancel() { clearInterval(timer); },
        });
        return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
      };
      const es = new window.lib.EventSource('/fixture/basic', { fetch, idleTimeout: 600, retry: { initialDelay: 10, jitter: 0 } });
      const reconnects = [];
      es.addEventListener('reconnecting', (e) => reconnects.push({ reason: e.reason, at: Date.now() }));
      const start = Date.now();
      while (reconnects.length === 0 && Date.now() - start < 5000) await new Promise((r) => setTimeout(r, 20));
      es.close();
      return { reconnects, aliveFor: reconnects[0] ? reconnects[0].at - start : null, afterSilence: reconnects[0] && stopCommentsAt ? reconnects[0].at - stopCommentsAt : null };
    });
    assert.equal(r.reconnects[0]?.reason, 'idle');
    assert.ok(r.aliveFor >= 1000, `ten comments 100 ms apart kept it open (${r.aliveFor} ms)`);
    // The last comment came ~100 ms before the eleventh tick; the timeout is 600 ms after it.
    assert.ok(r.afterSilence !== null && r.afterSilence >= 300 && r.afterSilence < 1000, `timed out ${r.afterSilence} ms after the comments stopped`);
  });
});

describe('lifecycle triggers', () => {
  for (const transport of ['eventsource', 'fetch']) {
    test(`${transport}: hidden during a backoff wait, it does not reconnect until visible`, async () => {
      const path = '/status/503';
      const before = await requests(path);
      await ctx.page.evaluate(async (transport) => {
        let visibility = 'visible';
        Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => visibility });
        window.__setVisibility = (v) => { visibility = v; document.dispatchEvent(new Event('visibilitychange')); };
        const es = new window.lib.EventSource('/status/503', { transport, retry: { initialDelay: 200, jitter: 0, maxRetries: 1 }, pauseWhenHidden: true });
        window.__pb = { es, states: [] };
        await new Promise((resolve) => es.addEventListener('reconnecting', resolve, { once: true }));
        window.__setVisibility('hidden');
      }, transport);
      await new Promise((r) => setTimeout(r, 700));
      const whileHidden = await requests(path) - before;
      const state = await ctx.page.evaluate(() => window.__pb.es.readyState);
      await ctx.page.evaluate(() => window.__setVisibility('visible'));
      await new Promise((r) => setTimeout(r, 500));
      const afterVisible = await requests(path) - before;
      await ctx.page.evaluate(() => { window.__pb.es.close(); delete document.visibilityState; });
      assert.equal(whileHidden, perAttempt(transport), 'no request while hidden');
      assert.equal(state, 0, 'CONNECTING while paused');
      assert.equal(afterVisible, 2 * perAttempt(transport), 'reconnected once visible');
    });

    test(`${transport}: reconnectOnOnline skips the retry wait`, async () => {
      const path = '/status/503';
      const before = await requests(path);
      await ctx.page.evaluate(async (transport) => {
        const es = new window.lib.EventSource('/status/503', { transport, retry: { initialDelay: 20000, jitter: 0, maxRetries: 1 }, reconnectOnOnline: true });
        await new Promise((resolve) => es.addEventListener('reconnecting', resolve, { once: true }));
        window.dispatchEvent(new Event('online'));
        window.__onlineEs = es;
      }, transport);
      await new Promise((r) => setTimeout(r, 700));
      await ctx.page.evaluate(() => window.__onlineEs.close());
      assert.equal(await requests(path) - before, 2 * perAttempt(transport), 'the retry happened at once, not after 20 s');
    });

    test(`${transport}: pauseWhenHidden closes while hidden and resumes from the last id`, async () => {
      const channel = unique(`hidden-${transport}`);
      await ctx.page.evaluate(async ([transport, channel]) => {
        let visibility = 'visible';
        Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => visibility });
        window.__setVisibility = (v) => { visibility = v; document.dispatchEvent(new Event('visibilitychange')); };
        const es = new window.lib.EventSource(`/events?channel=${channel}&retry=100`, { transport, pauseWhenHidden: true });
        window.__hidden = { es, got: [] };
        es.onmessage = (e) => window.__hidden.got.push([e.data, e.lastEventId]);
        await new Promise((resolve) => { es.onopen = resolve; });
      }, [transport, channel]);
      await publish(channel, 'a');
      await ctx.page.waitForFunction(() => window.__hidden.got.length === 1);
      const openBefore = await ctx.page.evaluate(async () => (await (await fetch('/stats')).json()).open_connections);
      await ctx.page.evaluate(() => window.__setVisibility('hidden'));
      await new Promise((r) => setTimeout(r, 300));
      const whileHidden = await ctx.page.evaluate(async () => [window.__hidden.es.readyState, (await (await fetch('/stats')).json()).open_connections]);
      await publish(channel, 'b');
      await publish(channel, 'c');
      await new Promise((r) => setTimeout(r, 300));
      const gotWhileHidden = await ctx.page.evaluate(() => window.__hidden.got.length);
      await ctx.page.evaluate(() => window.__setVisibility('visible'));
      await ctx.page.waitForFunction(() => window.__hidden.got.length === 3, null, { timeout: 5000 });
      const got = await ctx.page.evaluate(() => { window.__hidden.es.close(); delete document.visibilityState; return window.__hidden.got; });
      assert.equal(whileHidden[0], 0, 'CONNECTING while paused');
      assert.equal(whileHidden[1], openBefore - 1, 'the connection was closed while hidden');
      assert.equal(gotWhileHidden, 1);
      assert.deepEqual(got, [['a', '1'], ['b', '2'], ['c', '3']]);
    });

    test(`${transport}: reopenOnPageshow reconnects after a back/forward cache restore`, async () => {
      const channel = unique(`bfcache-${transport}`);
      await ctx.page.evaluate(async ([transport, channel]) => {
        const es = new window.lib.EventSource(`/events?channel=${channel}`, { transport, reopenOnPageshow: true });
        window.__bf = { es, opens: 0, got: [], errors: [] };
        es.onopen = () => { window.__bf.opens += 1; };
        es.onerror = (e) => window.__bf.errors.push(e.message);
        es.onmessage = (e) => window.__bf.got.push(e.data);
        await new Promise((resolve) => es.addEventListener('open', resolve, { once: true }));
        window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: false }));
        window.__bf.restoredAt = Date.now();
        window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }));
      }, [transport, channel]);
      await ctx.page.waitForFunction(() => window.__bf.opens === 2, null, { timeout: 5000 });
      const reopenedIn = await ctx.page.evaluate(() => Date.now() - window.__bf.restoredAt);
      await publish(channel, 'after restore');
      await ctx.page.waitForFunction(() => window.__bf.got.length === 1, null, { timeout: 5000 });
      const r = await ctx.page.evaluate(() => { window.__bf.es.close(); return [window.__bf.opens, window.__bf.got, window.__bf.errors]; });
      assert.deepEqual(r, [2, ['after restore'], []], 'a restore is not a failure: no error event');
      assert.ok(reopenedIn < 1000, `reopened at once, not after a retry delay (${reopenedIn} ms)`);
    });
  }
});
