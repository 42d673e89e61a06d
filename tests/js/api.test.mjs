// The JS API of the packed npm package, in headless Chromium, against the companion server.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { publish, SERVER, unique, usePage } from './helpers.mjs';

const ctx = usePage();

/** Runs `fn` in the page with the package module as its first argument. */
const run = (fn, arg) => ctx.page.evaluate(
  async ([source, arg]) => {
    const lib = window.lib;
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    const until = async (what, check, ms = 5000) => {
      const start = Date.now();
      while (!check()) {
        if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
        await sleep(20);
      }
    };
    // eslint-disable-next-line no-new-func
    return new Function('lib', 'sleep', 'until', 'arg', `return (${source})(lib, sleep, until, arg);`)(lib, sleep, until, arg);
  },
  [fn.toString(), arg],
);

describe('feature detection and construction', () => {
  test('isSupported() is true in a window; constants exist on the class and instances', async () => {
    const r = await run(async (lib) => {
      const es = new lib.EventSource('/fixture/basic');
      const out = {
        supported: lib.isSupported(),
        statics: [lib.EventSource.CONNECTING, lib.EventSource.OPEN, lib.EventSource.CLOSED],
        instance: [es.CONNECTING, es.OPEN, es.CLOSED],
        url: es.url,
        withCredentials: es.withCredentials,
        readyState: es.readyState,
        isInstance: es instanceof lib.EventSource,
      };
      es.close();
      return out;
    });
    assert.equal(r.supported, true);
    assert.deepEqual(r.statics, [0, 1, 2]);
    assert.deepEqual(r.instance, [0, 1, 2]);
    assert.equal(r.url, `${SERVER}/fixture/basic`);
    assert.equal(r.withCredentials, false);
    assert.equal(r.readyState, 0);
    assert.equal(r.isInstance, true);
  });

  test('where a page has no EventSource: isSupported() is false, auto falls back to fetch, eventsource is an Error', async () => {
    const r = await run(async (lib) => {
      const saved = window.EventSource;
      delete window.EventSource;
      try {
        const supported = lib.isSupported();
        const es = new lib.EventSource('/fixture/basic');
        const data = await new Promise((resolve) => es.addEventListener('message', (e) => resolve(e.data), { once: true }));
        es.close();
        let forced = null;
        try { new lib.EventSource('/fixture/basic', { transport: 'eventsource' }); } catch (e) { forced = [e.name, e instanceof Error, e.message]; }
        return { supported, data, forced };
      } finally {
        window.EventSource = saved;
      }
    });
    assert.equal(r.supported, false);
    assert.equal(r.data, 'one', 'the fetch transport served the stream');
    assert.equal(r.forced[1], true);
    assert.match(r.forced[2], /EventSource/);
  });

  test('bad arguments throw real, actionable errors', async () => {
    const r = await run(async (lib) => {
      const attempt = (f) => { try { f(); return null; } catch (e) { return { name: e.name, message: e.message, isError: e instanceof Error }; } };
      return {
        badUrl: attempt(() => new lib.EventSource('http://[::1')),
        noUrl: attempt(() => new lib.EventSource()),
        badOptions: attempt(() => new lib.EventSource('/fixture/basic', 'yes')),
        urlObject: (() => { const es = new lib.EventSource(new URL('/fixture/basic', location.href), { withCredentials: true }); const r = [es.url, es.withCredentials]; es.close(); return r; })(),
        badListener: (() => { const es = new lib.EventSource('/fixture/basic'); const r = attempt(() => es.on('x', 42)); es.close(); return r; })(),
      };
    });
    assert.equal(r.badUrl.name, 'SyntaxError');
    assert.match(r.badUrl.message, /http:\/\/\[::1/);
    assert.equal(r.badUrl.isError, true);
    assert.equal(r.noUrl.name, 'TypeError');
    assert.equal(r.badOptions.name, 'TypeError');
    assert.match(r.badOptions.message, /withCredentials/);
    assert.deepEqual(r.urlObject, [`${SERVER}/fixture/basic`, true]);
    assert.equal(r.badListener.name, 'TypeError');
  });
});

describe('events', () => {
  test('message events carry type, data, lastEventId, origin; target, currentTarget and this are the wrapper', async () => {
    const r = await run(async (lib, sleep, until) => {
      const es = new lib.EventSource('/fixture/basic');
      const states = [es.readyState];
      const seen = [];
      let opened = 0;
      es.addEventListener('open', function () { opened += 1; states.push(es.readyState); });
      es.addEventListener('message', function (e) {
        seen.push({
          type: e.type, data: e.data, lastEventId: e.lastEventId, origin: e.origin,
          target: e.target === es, currentTarget: e.currentTarget === es, self: this === es,
          isMessageEvent: e instanceof MessageEvent,
        });
      });
      await until('3 messages', () => seen.length === 3);
      const lastEventId = es.lastEventId;
      es.close();
      states.push(es.readyState);
      return { seen, opened, states, lastEventId };
    });
    assert.equal(r.opened, 1);
    assert.deepEqual(r.states, [0, 1, 2]);
    assert.equal(r.lastEventId, '3');
    assert.deepEqual(r.seen.map((e) => [e.type, e.data, e.lastEventId]), [['message', 'one', '1'], ['message', 'two', '2'], ['message', 'three', '3']]);
    for (const e of r.seen) {
      assert.equal(e.origin, SERVER);
      assert.ok(e.target && e.currentTarget && e.self && e.isMessageEvent, JSON.stringify(e));
    }
  });

  test('named events reach their listeners only', async () => {
    const r = await run(async (lib, sleep, until) => {
      const es = new lib.EventSource('/fixture/named');
      const seen = [];
      es.addEventListener('tick', (e) => seen.push(`tick:${e.data}`));
      es.addEventListener('notice', (e) => seen.push(`notice:${e.data}`));
      es.onmessage = (e) => seen.push(`message:${e.data}`);
      await until('3 events', () => seen.length === 3);
      es.close();
      return seen;
    });
    assert.deepEqual(r, ['tick:1', 'notice:hello', 'message:plain']);
  });
});

describe('EventTarget semantics', () => {
  test('same listener added twice is called once; capture distinguishes; once; signal; handleEvent; remove', async () => {
    const r = await run(async (lib, sleep, until) => {
      const es = new lib.EventSource('/fixture/basic');
      const calls = { twice: 0, capture: 0, once: 0, aborted: 0, abortedLater: 0, object: 0, removed: 0, all: 0 };
      const twice = () => { calls.twice += 1; };
      es.addEventListener('message', twice);
      es.addEventListener('message', twice);
      es.addEventListener('message', twice, { once: false });
      const captured = () => { calls.capture += 1; };
      es.addEventListener('message', captured);
      es.addEventListener('message', captured, true);
      es.addEventListener('message', () => { calls.once += 1; }, { once: true });
      const controller = new AbortController();
      controller.abort();
      es.addEventListener('message', () => { calls.aborted += 1; }, { signal: controller.signal });
      const later = new AbortController();
      es.addEventListener('message', () => { calls.abortedLater += 1; later.abort(); }, { signal: later.signal });
      const object = { handleEvent(e) { calls.object += 1; calls.objectThis = this === object; calls.objectTarget = e.target === es; } };
      es.addEventListener('message', object);
      const removed = () => { calls.removed += 1; };
      es.addEventListener('message', removed);
      es.removeEventListener('message', removed);
      es.addEventListener('message', () => { calls.all += 1; });
      es.addEventListener('message', null); // ignored, like the platform
      await until('3 messages', () => calls.all === 3);
      es.close();
      return calls;
    });
    assert.equal(r.twice, 3, 'deduplicated: once per event');
    assert.equal(r.capture, 6, 'capture and non-capture are different registrations');
    assert.equal(r.once, 1);
    assert.equal(r.aborted, 0);
    assert.equal(r.abortedLater, 1);
    assert.equal(r.object, 3);
    assert.equal(r.objectThis, true);
    assert.equal(r.objectTarget, true);
    assert.equal(r.removed, 0);
  });

  test('on* handler properties: getter, replace in place, null unsubscribes', async () => {
    const r = await run(async (lib, sleep, until) => {
      const es = new lib.EventSource('/fixture/basic');
      const log = [];
      const initial = [es.onopen, es.onmessage, es.onerror];
      const first = (e) => log.push(`first:${e.data}`);
      es.onmessage = first;
      const getterWorks = es.onmessage === first;
      es.addEventListener('message', (e) => {
        log.push(`listener:${e.data}`);
        if (e.data === 'one') es.onmessage = function (ev) { log.push(`second:${ev.data}:${this === es}`); };
        if (e.data === 'two') es.onmessage = null;
      });
      es.onopen = () => log.push('open');
      await until('3 messages', () => log.filter((l) => l.startsWith('listener')).length === 3);
      const after = es.onmessage;
      es.close();
      return { log, initial, getterWorks, after };
    });
    assert.deepEqual(r.initial, [null, null, null]);
    assert.equal(r.getterWorks, true);
    assert.equal(r.after, null);
    // The handler keeps its position (before the listener) when replaced.
    assert.deepEqual(r.log, ['open', 'first:one', 'listener:one', 'second:two:true', 'listener:two', 'listener:three']);
  });

  test('a throwing listener is reported and does not stop the others', async () => {
    const r = await run(async (lib, sleep, until) => {
      const reported = [];
      const onError = (e) => { reported.push(e.message); e.preventDefault(); };
      window.addEventListener('error', onError);
      const es = new lib.EventSource('/fixture/basic');
      let after = 0;
      es.addEventListener('message', () => { throw new Error('listener boom'); });
      es.addEventListener('message', () => { after += 1; });
      await until('3 messages', () => after === 3);
      es.close();
      window.removeEventListener('error', onError);
      return { reported, after };
    });
    assert.equal(r.after, 3);
    assert.equal(r.reported.length, 3);
    assert.match(r.reported[0], /listener boom/);
  });

  test('dispatchEvent delivers to listeners with the wrapper as target', async () => {
    const r = await run(async (lib) => {
      const es = new lib.EventSource('/fixture/basic');
      let got = null;
      es.addEventListener('custom', (e) => { got = { target: e.target === es, detail: e.detail }; e.preventDefault(); });
      const notCanceled = es.dispatchEvent(new CustomEvent('custom', { detail: 7, cancelable: true }));
      es.close();
      return { got, notCanceled };
    });
    assert.deepEqual(r.got, { target: true, detail: 7 });
    assert.equal(r.notCanceled, false);
  });
});

describe('typed extras', () => {
  test('on() returns an unsubscribe function', async () => {
    const channel = unique('on');
    const r = await run(async (lib, sleep, until, channel) => {
      const es = new lib.EventSource(`/events?channel=${channel}`);
      const got = [];
      const off = es.on('ping', (e) => got.push([e.type, e.data, e.target === es]));
      await until('open', () => es.readyState === 1);
      window.__off = off;
      window.__got = got;
      window.__es = es;
      return typeof off;
    }, channel);
    assert.equal(r, 'function');
    await publish(channel, 'a', 'ping');
    await ctx.page.waitForFunction(() => window.__got.length === 1);
    await ctx.page.evaluate(() => window.__off());
    await publish(channel, 'b', 'ping');
    await publish(channel, 'c', 'message');
    await new Promise((r) => setTimeout(r, 300));
    const got = await ctx.page.evaluate(() => { window.__es.close(); return window.__got; });
    assert.deepEqual(got, [['ping', 'a', true]]);
  });

  test('onJson() parses; bad JSON becomes an error event, never an exception', async () => {
    const r = await run(async (lib, sleep, until) => {
      let uncaught = 0;
      const onError = () => { uncaught += 1; };
      window.addEventListener('error', onError);
      const es = new lib.EventSource('/fixture/json');
      const values = [];
      const errors = [];
      es.onJson('data', (value, event) => values.push([value, event.lastEventId, event.type]));
      es.addEventListener('error', (e) => errors.push({ kind: e.kind, data: e.data, message: e.message, eventType: e.eventType, fatal: e.fatal, target: e.target === es }));
      await until('2 values and 1 error', () => values.length === 2 && errors.length === 1);
      es.close();
      window.removeEventListener('error', onError);
      return { values, errors, uncaught };
    });
    assert.deepEqual(r.values.map((v) => v[0]), [{ n: 1, text: 'a' }, { n: 2, text: 'b' }]);
    assert.equal(r.values[0][2], 'data');
    assert.equal(r.uncaught, 0);
    assert.equal(r.errors[0].kind, 'json');
    assert.equal(r.errors[0].data, 'not json{');
    assert.equal(r.errors[0].eventType, 'data');
    assert.equal(r.errors[0].fatal, false);
    assert.equal(r.errors[0].target, true);
    assert.match(r.errors[0].message, /not valid JSON/);
  });
});

describe('typed extras: edge cases', () => {
  test('onJson() unsubscribes; onJson/on for "error" and "open" never see connection events (no loop)', async () => {
    const r = await run(async (lib, sleep, until) => {
      // A source that fails: its connection error must not reach onJson('error') (it has no
      // data, and reporting that as bad JSON would dispatch another error event, endlessly).
      const failing = new lib.EventSource('/status/500');
      const jsonErrors = [];
      const plainErrors = [];
      const errors = [];
      failing.onJson('error', (value) => jsonErrors.push(value));
      failing.on('error', (e) => plainErrors.push(e.type));
      failing.onerror = (e) => errors.push(e.kind);
      await until('the fatal error', () => errors.length === 1);
      await sleep(100);
      // A server event named "open" with JSON data, and onJson's unsubscribe function.
      const es = new lib.EventSource('/fixture/json');
      const opens = [];
      es.onJson('open', (v) => opens.push(v));
      const values = [];
      const off = es.onJson('data', (v) => { values.push(v); off(); });
      const jsonErrorEvents = [];
      es.addEventListener('error', (e) => jsonErrorEvents.push(e.kind));
      await until('open', () => es.readyState === 1);
      await sleep(400);
      es.close();
      return { jsonErrors, plainErrors, errors, opens, values, jsonErrorEvents, offType: typeof off };
    });
    assert.deepEqual(r.jsonErrors, []);
    assert.deepEqual(r.plainErrors, []);
    assert.deepEqual(r.errors, ['connection']);
    assert.deepEqual(r.opens, [], 'the connection\'s own open event is not JSON data');
    assert.equal(r.offType, 'function');
    assert.deepEqual(r.values, [{ n: 1, text: 'a' }], 'unsubscribed after the first value');
    assert.deepEqual(r.jsonErrorEvents, [], 'the bad payload is not parsed once unsubscribed');
  });

  test('onopen = null and onerror = null unsubscribe; handlers read back after close()', async () => {
    const r = await run(async (lib, sleep, until) => {
      const es = new lib.EventSource('/status/500');
      const log = [];
      es.onopen = () => log.push('open');
      es.onerror = () => log.push('error');
      es.onopen = null;
      es.onerror = null;
      const kept = [];
      es.addEventListener('error', () => kept.push('listener'));
      await until('the error', () => kept.length === 1);
      const handler = () => {};
      es.onmessage = handler;
      const afterClose = [es.onmessage === handler, es.onopen];
      es.onmessage = null;
      return { log, kept, afterClose, cleared: es.onmessage, state: es.readyState };
    });
    assert.deepEqual(r.log, []);
    assert.deepEqual(r.kept, ['listener']);
    assert.deepEqual(r.afterClose, [true, null]);
    assert.equal(r.cleared, null);
    assert.equal(r.state, 2);
  });
});

describe('errors: reconnecting vs. given up', () => {
  for (const [path, label] of [['/status/500', 'HTTP 500'], ['/wrong-type', 'wrong Content-Type'], ['/status/204', '204 No Content'], ['/status/401', 'HTTP 401']]) {
    test(`${label} is fatal and closes`, async () => {
      const r = await run(async (lib, sleep, until, path) => {
        const es = new lib.EventSource(path);
        const errors = [];
        es.onerror = (e) => errors.push({ kind: e.kind, fatal: e.fatal, reconnecting: e.reconnecting, state: es.readyState, message: e.message });
        await until('an error', () => errors.length === 1);
        await sleep(300);
        return { errors, state: es.readyState };
      }, path);
      assert.equal(r.errors.length, 1);
      assert.deepEqual([r.errors[0].kind, r.errors[0].fatal, r.errors[0].reconnecting, r.errors[0].state], ['connection', true, false, 2]);
      assert.match(r.errors[0].message, /gave up/);
      assert.equal(r.state, 2);
    });
  }

  test('a dropped connection is reconnecting, and resumes after the last id', async () => {
    const r = await run(async (lib, sleep, until) => {
      const es = new lib.EventSource('/finite?n=2&retry=100');
      const ids = [];
      const errors = [];
      es.onmessage = (e) => ids.push(e.lastEventId);
      es.onerror = (e) => errors.push([e.kind, e.fatal, e.reconnecting, es.readyState]);
      await until('4 messages', () => ids.length >= 4, 8000);
      es.close();
      return { ids: ids.slice(0, 4), firstError: errors[0] };
    });
    assert.deepEqual(r.ids, ['1', '2', '3', '4']);
    assert.deepEqual(r.firstError, ['connection', false, true, 0]);
  });

  test('close() stops delivery and readyState stays CLOSED', async () => {
    const channel = unique('close');
    await run(async (lib, sleep, until, channel) => {
      const es = new lib.EventSource(`/events?channel=${channel}`);
      window.__closeGot = [];
      es.onmessage = (e) => window.__closeGot.push(e.data);
      await until('open', () => es.readyState === 1);
      window.__closeEs = es;
    }, channel);
    await publish(channel, 'before');
    await ctx.page.waitForFunction(() => window.__closeGot.length === 1);
    await ctx.page.evaluate(() => window.__closeEs.close());
    await publish(channel, 'after');
    await new Promise((r) => setTimeout(r, 300));
    const r = await ctx.page.evaluate(() => [window.__closeGot, window.__closeEs.readyState]);
    assert.deepEqual(r, [['before'], 2]);
  });
});
