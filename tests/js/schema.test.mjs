// onJson(type, callback, { schema }) with real Standard Schema validators (zod and valibot,
// bundled for the page from the dev dependencies), in headless Chromium, on both transports.
import assert from 'node:assert/strict';
import { dirname, join, resolve } from 'node:path';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';

import { publish, unique, usePage } from './helpers.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ctx = usePage();

// The validators as one ES module in the scratch app (which the companion server serves at
// /app), imported by the page as `import('/app/validators.mjs')`.
before(async () => {
  await build({
    stdin: { contents: "export * as z from 'zod';\nexport * as v from 'valibot';\n", resolveDir: root, loader: 'js' },
    bundle: true,
    format: 'esm',
    outfile: join(root, 'tests/.work/app/validators.mjs'),
    logLevel: 'error',
  });
});

/** Runs `fn` in the page with the package module, helpers and the validators. */
const run = (fn, arg) => ctx.page.evaluate(
  async ([source, arg]) => {
    const lib = window.lib;
    const { z, v } = await import('/app/validators.mjs');
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    const until = async (what, check, ms = 5000) => {
      const start = Date.now();
      while (!check()) {
        if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
        await sleep(20);
      }
    };
    // eslint-disable-next-line no-new-func
    return new Function('lib', 'z', 'v', 'sleep', 'until', 'arg', `return (${source})(lib, z, v, sleep, until, arg);`)(
      lib, z, v, sleep, until, arg,
    );
  },
  [fn.toString(), arg],
);

/** Publishes `items` ([data, event type]) one after another; returns their event IDs. */
async function publishAll(channel, items) {
  const ids = [];
  for (const [data, event] of items) ids.push(String((await publish(channel, data, event)).id));
  return ids;
}

/** Opens a source on `channel` in the page (kept as `window.__es`) and registers `setup`. */
const open = (channel, transport, setup) => run(async (lib, z, v, sleep, until, [channel, transport, setup]) => {
  const es = new lib.EventSource(`/events?channel=${channel}`, { transport });
  window.__es = es;
  window.__log = [];
  window.__uncaught = 0;
  window.__onUncaught ??= () => { window.__uncaught += 1; };
  window.addEventListener('error', window.__onUncaught);
  // eslint-disable-next-line no-new-func
  new Function('es', 'z', 'v', 'sleep', 'log', `(${setup})(es, z, v, sleep, log);`)(es, z, v, sleep, window.__log);
  await until('open', () => es.readyState === 1);
}, [channel, transport, setup.toString()]);

/** Waits for `count` log entries, closes the source and returns the log. */
const collect = (count) => run(async (lib, z, v, sleep, until, count) => {
  await until(`${count} log entries`, () => window.__log.length >= count);
  await sleep(150); // nothing more arrives
  window.__es.close();
  window.removeEventListener('error', window.__onUncaught);
  return { log: window.__log, uncaught: window.__uncaught };
}, count);

/** An `error` event as plain data for the log. */
const errorEntry = `(e) => ({
  error: e.kind, fatal: e.fatal, reconnecting: e.reconnecting, message: e.message,
  issues: e.issues === undefined ? undefined : JSON.parse(JSON.stringify(e.issues, (k, x) => (k === 'input' ? undefined : x))),
  data: e.data, eventType: e.eventType, lastEventId: e.lastEventId, target: e.target === window.__es,
  cause: e.cause === undefined ? undefined : String(e.cause && e.cause.message || e.cause),
  isEvent: e instanceof Event,
})`;

for (const transport of ['eventsource', 'fetch']) {
  describe(`onJson with a schema (${transport} transport)`, () => {
    test('valid data reaches the callback as the validator\'s output; invalid data is a "schema" error, bad JSON stays "json"', async () => {
      const channel = unique('schema');
      await open(channel, transport, `(es, z, v, sleep, log) => {
        const toError = ${errorEntry};
        const Zod = z.object({ n: z.number().int(), text: z.string() })
          .transform(({ n, text }) => ({ n: n * 10, label: text.toUpperCase() }));
        const Vali = v.pipe(v.object({ n: v.number(), text: v.string() }), v.transform((o) => o.text + o.n));
        es.onJson('tick', function (value, event) {
          log.push({ zod: value, id: event.lastEventId, type: event.type, self: this === es });
        }, { schema: Zod });
        es.onJson('tick', (value) => log.push({ valibot: value }), { schema: Vali });
        es.addEventListener('error', (e) => log.push(toError(e)));
      }`);
      const ids = await publishAll(channel, [
        [{ n: 1, text: 'a' }, 'tick'],
        [{ n: 'x', text: 'b' }, 'tick'],
        ['not json{', 'tick'],
        [{ n: 2, text: 'c' }, 'tick'],
      ]);
      const { log, uncaught } = await collect(8);
      assert.equal(uncaught, 0, 'nothing was thrown');
      assert.equal(log.length, 8, JSON.stringify(log));
      assert.deepEqual(log[0], { zod: { n: 10, label: 'A' }, id: ids[0], type: 'tick', self: true });
      assert.deepEqual(log[1], { valibot: 'a1' });
      // Event 2: each registration reports its validator's issues.
      for (const [entry, vendor] of [[log[2], 'zod'], [log[3], 'valibot']]) {
        assert.equal(entry.error, 'schema', vendor);
        assert.equal(entry.fatal, false);
        assert.equal(entry.reconnecting, false);
        assert.equal(entry.data, '{"n":"x","text":"b"}');
        assert.equal(entry.eventType, 'tick');
        assert.equal(entry.lastEventId, ids[1]);
        assert.equal(entry.target, true);
        assert.equal(entry.isEvent, true);
        assert.equal(entry.cause, undefined);
        assert.match(entry.message, /the data of a "tick" event does not match the schema: n: /);
        assert.ok(entry.issues.length >= 1, vendor);
        const key = entry.issues[0].path[0];
        assert.equal(typeof key === 'object' ? key.key : key, 'n', vendor);
        assert.equal(typeof entry.issues[0].message, 'string');
      }
      // Event 3 is not JSON: the "json" error of each registration, as without a schema.
      assert.deepEqual([log[4].error, log[5].error], ['json', 'json']);
      assert.equal(log[4].data, 'not json{');
      assert.deepEqual(log[6], { zod: { n: 20, label: 'C' }, id: ids[3], type: 'tick', self: true });
      assert.deepEqual(log[7], { valibot: 'c2' });
    });

    test('an async validator keeps the arrival order (callbacks and errors)', async () => {
      const channel = unique('schema-async');
      await open(channel, transport, `(es, z, v, sleep, log) => {
        // Later events settle sooner: without the chain they would overtake earlier ones.
        let delay = 200;
        const Slow = z.object({ n: z.number() }).refine(async ({ n }) => {
          delay = Math.max(0, delay - 40);
          await sleep(delay);
          return n !== 3;
        }, 'three is not allowed');
        const VSlow = v.pipeAsync(v.object({ n: v.number() }), v.checkAsync(async ({ n }) => {
          await sleep(Math.random() * 60);
          return n !== 3;
        }, 'not three'), v.transform(({ n }) => -n));
        es.onJson('tick', (value) => log.push(['zod', value.n]), { schema: Slow });
        es.onJson('tick', (value) => log.push(['valibot', value]), { schema: VSlow });
        es.addEventListener('error', (e) => log.push([e.kind, e.issues ? e.issues.map((i) => i.message).join() : '', e.data]));
      }`);
      await publishAll(channel, [1, 2, 3, 4, 5].map((n) => [{ n }, 'tick']));
      const { log, uncaught } = await collect(10);
      assert.equal(uncaught, 0);
      const zod = log.filter((entry) => entry[0] === 'zod' || (entry[0] === 'schema' && entry[1].includes('three is')));
      assert.deepEqual(zod, [['zod', 1], ['zod', 2], ['schema', 'three is not allowed', '{"n":3}'], ['zod', 4], ['zod', 5]]);
      const vali = log.filter((entry) => entry[0] === 'valibot' || (entry[0] === 'schema' && entry[1].includes('not three')));
      assert.deepEqual(vali, [['valibot', -1], ['valibot', -2], ['schema', 'not three', '{"n":3}'], ['valibot', -4], ['valibot', -5]]);
    });
  });
}

describe('onJson with a schema: order, failures and misuse', () => {
  test('a burst of events through a validator that settles in reverse order is delivered in order', async () => {
    const r = await run(async (lib, z, v, sleep, until) => {
      const es = new lib.EventSource(`/events?channel=burst-${Math.random()}`);
      const log = [];
      const Reverse = {
        '~standard': {
          version: 1,
          vendor: 'test',
          validate(value) {
            // `this` is the `~standard` object, as in `schema['~standard'].validate(value)`.
            const self = this === Reverse['~standard'];
            return new Promise((settle) => setTimeout(() => settle(value.ok
              ? { value: { i: value.i, self } }
              : { issues: [{ message: 'not ok', path: [{ key: 'ok' }] }] }), 200 - value.i * 20));
          },
        },
      };
      es.onJson('item', (value) => log.push(value.self ? value.i : 'wrong this'), { schema: Reverse });
      es.addEventListener('error', (e) => log.push(`${e.kind}:${e.data}`));
      const items = ['{"i":0,"ok":true}', '{"i":1,"ok":true}', '{"i":2,"ok":false}', 'nope', '{"i":4,"ok":true}', '{"i":5,"ok":true}'];
      for (const data of items) es.dispatchEvent(new MessageEvent('item', { data }));
      await until('6 entries', () => log.length === 6);
      await sleep(100);
      es.close();
      return log;
    });
    assert.deepEqual(r, [0, 1, 'schema:{"i":2,"ok":false}', 'json:nope', 4, 5]);
  });

  test('a validator that throws, rejects or returns nonsense is a "schema" error, never an exception', async () => {
    const r = await run(async (lib, z, v, sleep, until) => {
      let uncaught = 0;
      const onUncaught = () => { uncaught += 1; };
      window.addEventListener('error', onUncaught);
      window.addEventListener('unhandledrejection', onUncaught);
      const es = new lib.EventSource(`/events?channel=fail-${Math.random()}`);
      const errors = [];
      const values = [];
      es.addEventListener('error', (e) => errors.push({
        kind: e.kind, message: e.message, issues: e.issues, eventType: e.eventType, data: e.data,
        cause: e.cause instanceof Error ? `${e.cause.name}: ${e.cause.message}` : String(e.cause), fatal: e.fatal,
      }));
      const schema = (validate) => ({ '~standard': { version: 1, vendor: 'test', validate } });
      const hostilePromise = Promise.resolve({ value: 'x' });
      hostilePromise.then = () => { throw new Error('own then'); };
      const registrations = {
        throws: schema(() => { throw new Error('boom'); }),
        rejects: schema(() => Promise.reject(new TypeError('nope'))),
        number: schema(() => 42),
        getter: schema(() => ({ get issues() { throw new RangeError('issues getter'); } })),
        proxy: schema(() => new Proxy({}, { getPrototypeOf() { throw new Error('trap'); }, get() { throw new Error('get trap'); } })),
        thenGetter: schema(() => ({ get then() { throw new Error('then getter'); } })),
        ownThen: schema(() => hostilePromise),
        badThenable: schema(() => ({ then(ok, fail) { fail(new Error('thenable failed')); } })),
      };
      for (const [type, s] of Object.entries(registrations)) es.onJson(type, (value) => values.push([type, value]), { schema: s });
      for (const type of Object.keys(registrations)) es.dispatchEvent(new MessageEvent(type, { data: '{"a":1}' }));
      await until('8 errors', () => errors.length + values.length >= 8);
      await sleep(100);
      es.close();
      window.removeEventListener('error', onUncaught);
      window.removeEventListener('unhandledrejection', onUncaught);
      return { errors, values, uncaught };
    });
    assert.equal(r.uncaught, 0);
    const byType = Object.fromEntries(r.errors.map((e) => [e.eventType, e]));
    for (const e of r.errors) {
      assert.equal(e.kind, 'schema');
      assert.equal(e.fatal, false);
      assert.deepEqual(e.issues, []);
      assert.equal(e.data, '{"a":1}');
    }
    assert.equal(byType.throws.cause, 'Error: boom');
    assert.match(byType.throws.message, /validate\(\) threw on the data of a "throws" event: boom/);
    assert.equal(byType.rejects.cause, 'TypeError: nope');
    assert.match(byType.rejects.message, /validate\(\) rejected/);
    assert.match(byType.number.message, /returned number, not \{ value \} or \{ issues \}/);
    assert.equal(byType.number.cause.startsWith('TypeError'), true);
    assert.equal(byType.getter.cause, 'RangeError: issues getter');
    assert.match(byType.proxy.cause, /trap/);
    assert.match(byType.thenGetter.cause, /then getter/);
    assert.equal(byType.badThenable.cause, 'Error: thenable failed');
    // A genuine promise is followed through the built-in `then`, not its own.
    assert.deepEqual(r.values, [['ownThen', 'x']]);
    assert.equal(r.errors.length, 7);
  });

  test('a schema that is not a Standard Schema is a TypeError at registration; no schema means plain JSON', async () => {
    const r = await run(async (lib, z, v) => {
      const es = new lib.EventSource(`/events?channel=misuse-${Math.random()}`);
      const thrown = (f) => { try { f(); return null; } catch (e) { return { name: e.name, message: e.message, isTypeError: e instanceof TypeError }; } };
      const cb = () => {};
      const bad = {
        'schema: {}': { schema: {} },
        'schema: null': { schema: null },
        'schema: 5': { schema: 5 },
        'schema: "zod"': { schema: 'zod' },
        '~standard: null': { schema: { '~standard': null } },
        'validate: 1': { schema: { '~standard': { validate: 1 } } },
        'a zod parse function': { schema: { parse: z.string().parse } },
        'options: 5': 5,
        'options: "x"': 'x',
      };
      const out = {};
      for (const [name, options] of Object.entries(bad)) out[name] = thrown(() => es.onJson('t', cb, options));
      // A getter that throws throws its own error to the caller.
      const boom = new Error('getter');
      out.optionsGetter = thrown(() => es.onJson('t', cb, { get schema() { throw boom; } }));
      out.standardGetter = thrown(() => es.onJson('t', cb, { schema: { get '~standard'() { throw boom; } } }));
      out.revoked = (() => { const { proxy, revoke } = Proxy.revocable({}, {}); revoke(); return thrown(() => es.onJson('t', cb, { schema: proxy })); })();
      // Accepted: no options, undefined, null, {}, { schema: undefined }, a function with
      // `~standard` (arktype's schemas are functions), zod and valibot.
      const fnSchema = Object.assign((x) => x, { '~standard': { version: 1, vendor: 'fn', validate: (value) => ({ value }) } });
      const fine = [undefined, null, {}, { schema: undefined }, { schema: fnSchema }, { schema: z.number() }, { schema: v.number() }]
        .map((options) => thrown(() => es.onJson('t', cb, options)));
      const offType = typeof es.onJson('t', cb, { schema: z.any() });
      es.close();
      return { out, fine, offType };
    });
    for (const [name, result] of Object.entries(r.out)) {
      if (name === 'optionsGetter' || name === 'standardGetter') continue;
      assert.equal(result?.isTypeError, true, `${name}: ${JSON.stringify(result)}`);
    }
    assert.match(r.out['schema: {}'].message, /not a Standard Schema.*'~standard'/);
    assert.match(r.out['options: 5'].message, /options/);
    assert.deepEqual(r.out.optionsGetter, { name: 'Error', message: 'getter', isTypeError: false });
    assert.deepEqual(r.out.standardGetter, { name: 'Error', message: 'getter', isTypeError: false });
    assert.deepEqual(r.fine, [null, null, null, null, null, null, null]);
    assert.equal(r.offType, 'function');
  });

  test('the package entry forwards the third argument and still requires two', async () => {
    const r = await run(async (lib, z) => {
      const es = new lib.EventSource(`/events?channel=entry-${Math.random()}`);
      const got = [];
      es.onJson('t', (value) => got.push(value), { schema: z.coerce.number() });
      es.dispatchEvent(new MessageEvent('t', { data: '"7"' }));
      let missing = null;
      try { es.onJson('t'); } catch (e) { missing = e instanceof TypeError && /2 arguments required/.test(e.message); }
      es.close();
      return { got, missing };
    });
    assert.deepEqual(r.got, [7], 'the callback ran synchronously with the coerced value');
    assert.equal(r.missing, true);
  });

  test('nothing is delivered after unsubscribing or closing while a validation is pending', async () => {
    const r = await run(async (lib, z, v, sleep) => {
      const slow = { '~standard': { version: 1, vendor: 'test', validate: (value) => sleep(50).then(() => ({ value })) } };
      const es = new lib.EventSource(`/events?channel=pending-${Math.random()}`);
      const got = [];
      const errors = [];
      const off = es.onJson('t', (value) => got.push(['off', value]), { schema: slow });
      es.onJson('u', (value) => got.push(['closed', value]), { schema: slow });
      es.onJson('w', (value) => got.push(['kept', value]), { schema: slow });
      es.addEventListener('error', (e) => errors.push(e.kind));
      for (const type of ['t', 'u', 'w']) {
        es.dispatchEvent(new MessageEvent(type, { data: '1' }));
        es.dispatchEvent(new MessageEvent(type, { data: '2' }));
      }
      off();
      await sleep(75);
      const beforeClose = got.slice();
      es.close();
      await sleep(200);
      return { beforeClose, got, errors };
    });
    // 'u' and 'w' delivered their first value before close(); their second was pending then,
    // and 't' was unsubscribed with both pending.
    assert.deepEqual(r.beforeClose, [['closed', 1], ['kept', 1]]);
    assert.deepEqual(r.got, r.beforeClose);
    assert.deepEqual(r.errors, []);
  });
});

// `closeOn` with an asynchronous validator: the events that arrived before the end are real
// data. They are all delivered (or reported), in order, before `close`; close() by the caller
// drops what is pending; a validator that never settles holds `close` for a bounded time.
describe('onJson with an async schema when the source closes', () => {
  /** Opens `/events` on a fresh channel with `closeOn: 'done'`; returns the channel. */
  const openDrain = `async (lib, transport, until) => {
    const channel = 'drain-' + Math.random();
    const es = new lib.EventSource('/events?channel=' + channel, { transport, closeOn: 'done' });
    await until('open', () => es.readyState === 1, 5000);
    return { es, channel };
  }`;
  /** Publishes the events 1..n at once, then \`done\` (unless \`done\` is false). */
  const finish = `async (channel, n, done = true) => {
    const burst = await fetch('/burst?channel=' + channel + '&n=' + n, { method: 'POST' });
    if (burst.status !== 200) throw new Error('burst: ' + burst.status);
    if (!done) return;
    const published = await fetch('/publish', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ channel, event: 'done', data: '[DONE]' }),
    });
    if (published.status !== 200) throw new Error('publish: ' + published.status);
  }`;

  for (const transport of ['eventsource', 'fetch']) {
    test(`${transport}: closeOn waits for the pending validations: every event before done is delivered once, in order, then close`, async () => {
      const r = await run(async (lib, z, v, sleep, until, [transport, openDrain, finish]) => {
        // eslint-disable-next-line no-eval
        const { es, channel } = await eval(openDrain)(lib, transport, until);
        const log = [];
        let rejected = 0;
        window.addEventListener('unhandledrejection', () => { rejected += 1; });
        // Settles after a random short delay (a microtask, or a timer of 1..5 ms): the events
        // that arrived just before `done` are still being checked when the source closes.
        const Delayed = {
          '~standard': {
            version: 1,
            vendor: 'test',
            validate: (value) => new Promise((settle) => {
              const go = () => settle(value % 7 === 0 ? { issues: [{ message: 'seven' }] } : { value });
              const delay = Math.floor(Math.random() * 6);
              if (delay === 0) queueMicrotask(go);
              else setTimeout(go, delay);
            }),
          },
        };
        es.onJson('message', (value) => log.push(value), { schema: Delayed });
        es.addEventListener('error', (e) => log.push(`${e.kind}:${e.data}`));
        const closed = new Promise((resolve) => es.addEventListener('close', (e) => {
          log.push(`close:${e.reason}:${es.readyState}`);
          resolve();
        }));
        // eslint-disable-next-line no-eval
        await eval(finish)(channel, 40);
        await closed;
        await sleep(100);
        return { log, rejected };
      }, [transport, openDrain, finish]);
      const expected = [];
      for (let n = 1; n <= 40; n++) expected.push(n % 7 === 0 ? `schema:${n}` : n);
      expected.push('close:done:2');
      assert.deepEqual(r.log, expected);
      assert.equal(r.rejected, 0);
    });
  }

  test('a fatal error: the events before it are delivered first, then the fatal error, then close', async () => {
    const r = await run(async (lib, z, v, sleep, until, [finish]) => {
      const channel = 'drain-fatal-' + Math.random();
      // A stream cut short before `done` is truncated; `maxRetries: 0` gives up at once.
      const es = new lib.EventSource('/events?channel=' + channel, {
        transport: 'fetch', closeOn: 'done', retry: { maxRetries: 0 },
      });
      await until('open', () => es.readyState === 1);
      const log = [];
      const Slow = { '~standard': { version: 1, vendor: 'test', validate: (value) => sleep(2 + (value % 5)).then(() => ({ value })) } };
      es.onJson('message', (value) => log.push(value), { schema: Slow });
      es.addEventListener('error', (e) => log.push(`error:${e.kind}:${e.fatal}:${es.readyState}`));
      const closed = new Promise((resolve) => es.addEventListener('close', (e) => {
        log.push(`close:${e.reason}`);
        resolve();
      }));
      // eslint-disable-next-line no-eval
      await eval(finish)(channel, 30, false);
      await until('a first value', () => log.length >= 1);
      const outage = await fetch('/admin/outage?ms=200', { method: 'POST' });
      if (outage.status !== 200) throw new Error('outage: ' + outage.status);
      await closed;
      await sleep(50);
      await sleep(250); // the outage is over for the next tests
      return log;
    }, [finish]);
    const values = Array.from({ length: 30 }, (_, i) => i + 1);
    assert.deepEqual(r, [...values, 'error:truncated:true:2', 'close:error']);
  });

  test('close() while validations are pending drops them: nothing is delivered after it, no close event', async () => {
    const r = await run(async (lib, z, v, sleep, until, [openDrain, finish]) => {
      // eslint-disable-next-line no-eval
      const { es, channel } = await eval(openDrain)(lib, 'fetch', until);
      const log = [];
      const Slow = { '~standard': { version: 1, vendor: 'test', validate: (value) => sleep(10).then(() => ({ value })) } };
      es.onJson('message', (value) => log.push(value), { schema: Slow });
      es.addEventListener('error', (e) => log.push(`error:${e.kind}`));
      es.addEventListener('close', (e) => log.push(`close:${e.reason}`));
      // eslint-disable-next-line no-eval
      await eval(finish)(channel, 30, false);
      await until('a first value', () => log.length >= 2);
      es.close();
      const atClose = log.slice();
      await sleep(500);
      return { atClose, log, readyState: es.readyState };
    }, [openDrain, finish]);
    assert.ok(r.atClose.length < 30, `pending ones at close(): ${JSON.stringify(r.atClose)}`);
    assert.deepEqual(r.atClose, r.atClose.map((_, i) => i + 1));
    assert.deepEqual(r.log, r.atClose, 'nothing after close()');
    assert.equal(r.readyState, 2);
  });

  test('a validator that never settles holds close for a bounded time; unsubscribing it ends the wait at once', async () => {
    const r = await run(async (lib, z, v, sleep, until, [openDrain, finish]) => {
      const Never = { '~standard': { version: 1, vendor: 'test', validate: () => new Promise(() => {}) } };
      const Quick = { '~standard': { version: 1, vendor: 'test', validate: (value) => Promise.resolve({ value }) } };
      const result = {};
      for (const unsubscribe of [false, true]) {
        // eslint-disable-next-line no-eval
        const { es, channel } = await eval(openDrain)(lib, 'fetch', until);
        const log = [];
        const off = es.onJson('message', (value) => log.push(`never:${value}`), { schema: Never });
        es.onJson('message', (value) => log.push(value), { schema: Quick });
        es.addEventListener('error', (e) => log.push(e.dropped === undefined ? `error:${e.kind}` : `error:${e.kind}:dropped ${e.dropped} ${e.eventType}:${e.message}`));
        let closedAt = 0;
        es.addEventListener('close', (e) => { closedAt = performance.now(); log.push(`close:${e.reason}`); });
        // eslint-disable-next-line no-eval
        await eval(finish)(channel, 3);
        await until('the end of the stream', () => es.readyState === 2);
        const endedAt = performance.now();
        if (unsubscribe) {
          await sleep(50);
          off();
        }
        await until('close', () => closedAt > 0, 5000);
        await sleep(50);
        result[unsubscribe ? 'unsubscribed' : 'stuck'] = { log, waited: Math.round(closedAt - endedAt) };
      }
      return result;
    }, [openDrain, finish]);
    // The stuck validator's pending events are reported as dropped, before close.
    assert.deepEqual(r.stuck.log, [1, 2, 3,
      'error:schema:dropped 3 message:the schema\'s validate() did not settle within 1000 ms of the end of the stream: 3 "message" events dropped',
      'close:done']);
    assert.ok(r.stuck.waited >= 900 && r.stuck.waited < 2500, `close after ${r.stuck.waited} ms`);
    assert.deepEqual(r.unsubscribed.log, [1, 2, 3, 'close:done']);
    assert.ok(r.unsubscribed.waited < 500, `close after ${r.unsubscribed.waited} ms`);
  });
});
