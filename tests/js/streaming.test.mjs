// Streams that end on purpose, resume without re-sending their request, iterate, batch at frame
// rate and expose one state: the packed package in headless Chromium, on both transports where
// the feature applies. (Node.js: tests/node/streaming.test.mjs.)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { unique, usePage } from './helpers.mjs';

const ctx = usePage();
const requests = (path) => ctx.page.evaluate(async (path) => ((await (await fetch('/stats')).json()).requests[path] ?? 0), path);

// A quick retry policy: the browser's EventSource learns nothing of the server's `retry:`.
const quick = { initialDelay: 10, jitter: 0 };

describe('closeOn and truncation', () => {
  for (const transport of ['eventsource', 'fetch']) {
    test(`${transport}: truncated streams resume until the closing event; then close (done) and no reconnect`, async () => {
      const path = `/finite`;
      const r = await ctx.page.evaluate(async ({ transport, quick, path, t }) => {
        const es = new window.lib.EventSource(`${path}?n=3&retry=10&t=${t}`, { transport, retry: quick, closeOn: (e) => e.data === 'event 7' });
        const log = [];
        es.onmessage = (e) => log.push(e.data);
        es.onerror = (e) => log.push(`error ${e.kind} ${e.reconnecting} ${e.fatal}`);
        const close = await new Promise((resolve) => es.addEventListener('close', (e) => resolve([e.reason, es.readyState])));
        await new Promise((r) => setTimeout(r, 100));
        return { log, close, state: es.readyState };
      }, { transport, quick, path, t: unique('t') });
      const truncated = 'error truncated true false';
      assert.deepEqual(r.log, ['event 1', 'event 2', 'event 3', truncated, 'event 4', 'event 5', 'event 6', truncated, 'event 7']);
      assert.deepEqual(r.close, ['done', 2]);
    });
  }

  test('eventsource: a type to close on needs no listener of its own', async () => {
    const r = await ctx.page.evaluate(async () => {
      const es = new window.lib.EventSource('/finite?n=2&event=done', { closeOn: 'done' });
      const close = await new Promise((resolve) => es.addEventListener('close', (e) => resolve(e.reason)));
      return [close, es.lastEventId, es.readyState];
    });
    assert.deepEqual(r, ['done', '1', 2]);
  });
});

describe('resume (fetch transport)', () => {
  test('a POST stream continues by GET with Last-Event-ID; the POST is sent once', async () => {
    const t = unique('chat');
    const before = await requests('/echo');
    const r = await ctx.page.evaluate(async (t) => {
      const es = new window.lib.EventSource(`/echo?close=1&t=${t}`, {
        method: 'POST',
        body: 'prompt',
        retry: { initialDelay: 10, jitter: 0 },
        resume: { url: (id) => `/finite?n=2&retry=10&t=${t}&after=${id}` },
        closeOn: (e) => e.data === 'event 5',
      });
      const seen = [];
      es.onmessage = (e) => seen.push(e.data.startsWith('{') ? JSON.parse(e.data).body : e.data);
      await new Promise((resolve) => es.addEventListener('close', resolve));
      return seen;
    }, t);
    assert.deepEqual(r, ['prompt', 'event 1', 'event 2', 'event 3', 'event 4', 'event 5']);
    assert.equal(await requests('/echo') - before, 1);
  });

  test('a POST /chat reply cut after 50 of 200 tokens resumes by GET: none lost or repeated, one POST', async () => {
    const r = await ctx.page.evaluate(async () => {
      const es = new window.lib.EventSource('/chat?cut_after=50', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'a b c', tokens: 200, interval_ms: 1 }),
        resume: { url: (id) => `/chat/${id.split(':')[0]}` },
        closeOn: 'done',
        retry: { initialDelay: 10, jitter: 0 },
      });
      const ids = [];
      es.addEventListener('token', (e) => ids.push(e.lastEventId));
      await new Promise((resolve) => es.addEventListener('close', resolve));
      const reply = ids[0].split(':')[0];
      const stats = await (await fetch(`/chat/${reply}/stats`)).json();
      return { ids, reply, posts: stats.posts, resumes: stats.resumes };
    });
    assert.deepEqual(r.ids, Array.from({ length: 200 }, (_, i) => `${r.reply}:${i + 1}`));
    assert.equal(r.posts, 1);
    assert.equal(r.resumes, 1);
  });

  test('without resume a POST is not sent again after its first event', async () => {
    const before = await requests('/echo');
    const r = await ctx.page.evaluate(async () => {
      const es = new window.lib.EventSource('/echo?close=1', { method: 'POST', body: 'x', retry: { initialDelay: 10 } });
      const errors = [];
      es.onerror = (e) => errors.push([e.fatal, e.message]);
      await new Promise((resolve) => es.addEventListener('close', resolve));
      return errors;
    });
    assert.equal(r.length, 1);
    assert.equal(r[0][0], true);
    assert.match(r[0][1], /not sent again/);
    assert.equal(await requests('/echo') - before, 1);
  });
});

describe('async iteration', () => {
  for (const transport of ['eventsource', 'fetch']) {
    test(`${transport}: for await until closeOn; break closes the connection`, async () => {
      const r = await ctx.page.evaluate(async (transport) => {
        const done = [];
        const es = new window.lib.EventSource('/finite?n=3', { transport, closeOn: (e) => e.data === 'event 3' });
        for await (const event of es) done.push(event.data);
        const open = async () => (await (await fetch('/stats')).json()).open_connections;
        const live = new window.lib.EventSource('/events?channel=iter', { transport });
        await new Promise((resolve) => { live.onopen = resolve; });
        const during = await open();
        fetch('/publish', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ channel: 'iter', data: 'x' }) });
        for await (const event of live) {
          if (event.data === 'x') break;
        }
        let after = during;
        for (let i = 0; i < 100 && after >= during; i++) {
          await new Promise((r) => setTimeout(r, 20));
          after = await open();
        }
        return { done, state: live.readyState, fewer: after < during };
      }, transport);
      assert.deepEqual(r, { done: ['event 1', 'event 2', 'event 3'], state: 2, fewer: true });
    });
  }

  test('a fatal error is thrown from for await, and stream() errors', async () => {
    const r = await ctx.page.evaluate(async () => {
      const out = [];
      try {
        for await (const event of new window.lib.EventSource('/status/404')) out.push(event.data);
      } catch (error) {
        out.push(`threw ${error.cause.status}`);
      }
      const reader = new window.lib.EventSource('/status/500', { transport: 'fetch' }).stream().getReader();
      await reader.read().catch((error) => out.push(`stream ${error.cause.status}`));
      return out;
    });
    assert.deepEqual(r, ['threw 404', 'stream 500']);
  });
});

describe('onBatch', () => {
  for (const transport of ['eventsource', 'fetch']) {
    test(`${transport}: once per frame, every event exactly once, in order, across reconnects`, async () => {
      const r = await ctx.page.evaluate(async ({ transport, quick }) => {
        const es = new window.lib.EventSource('/finite?n=50&retry=10', { transport, retry: quick, closeOn: (e) => e.data === 'event 120' });
        const batches = [];
        let frames = 0;
        const count = () => { frames++; if (es.readyState !== 2) requestAnimationFrame(count); };
        requestAnimationFrame(count);
        es.onBatch((events) => batches.push(events));
        await new Promise((resolve) => es.addEventListener('close', resolve));
        return { data: batches.flat().map((e) => e.data), batches: batches.length, frames };
      }, { transport, quick });
      assert.deepEqual(r.data, Array.from({ length: 120 }, (_, i) => `event ${i + 1}`));
      assert.ok(r.batches <= r.frames + 1, `${r.batches} batches in ${r.frames} frames`);
    });
  }
});

describe('getSnapshot and subscribe', () => {
  for (const transport of ['eventsource', 'fetch']) {
    test(`${transport}: a new snapshot exactly when the state changes`, async () => {
      const r = await ctx.page.evaluate(async ({ transport, quick }) => {
        const es = new window.lib.EventSource('/finite?n=2&retry=10', { transport, retry: quick, closeOn: (e) => e.data === 'event 3' });
        const first = es.getSnapshot();
        const same = es.getSnapshot() === first;
        const seen = [];
        es.subscribe(() => seen.push(es.getSnapshot()));
        await new Promise((resolve) => es.addEventListener('close', resolve));
        const distinct = new Set(seen).size === seen.length;
        return {
          same,
          distinct,
          frozen: Object.isFrozen(first),
          states: seen.map((s) => [s.readyState, s.attempt, s.lastError?.kind ?? null, s.eventsReceived]),
        };
      }, { transport, quick });
      assert.equal(r.same, true);
      assert.equal(r.distinct, true);
      assert.equal(r.frozen, true);
      assert.deepEqual(r.states.at(-1), [2, 0, null, 3]);
      assert.ok(r.states.some(([state, attempt, kind]) => state === 0 && attempt === 1 && kind === 'truncated'), JSON.stringify(r.states));
      assert.ok(r.states.some(([state, , , events]) => state === 1 && events === 0), JSON.stringify(r.states));
    });
  }
});
