// Caller input that must never trap or poison the wasm module, and the drop-in fidelity of the
// JS API against Chromium's own EventSource, in headless Chromium, against the companion server.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { SERVER, usePage } from './helpers.mjs';

const ctx = usePage();

/** Runs `fn(lib, arg)` in the page, `lib` being the package module. */
const run = (fn, arg) => ctx.page.evaluate(
  async ([source, arg]) => new Function('lib', 'arg', `return (${source})(lib, arg);`)(window.lib, arg),
  [fn.toString(), arg],
);

/** What a call threw, as plain data (or null). */
const THROWN = `(f) => { try { f(); return null; } catch (e) {
  return { name: e.name, isTypeError: e instanceof TypeError, isDOMException: typeof DOMException === 'function' && e instanceof DOMException, message: String(e.message) };
} }`;

describe('caller input never traps the module', () => {
  test('event types are converted as the browser converts them (String(), a Symbol is a TypeError), same as Chromium', async () => {
    const r = await run(async (lib, THROWN) => {
      const thrown = eval(THROWN);
      const scenario = (Class) => {
        const es = new Class('/fixture/basic');
        const seen = [];
        const types = [123, 12n, { toString: () => 'obj' }, null, undefined, true, 'plain'];
        for (const type of types) es.addEventListener(type, (e) => seen.push(e.type));
        for (const type of ['123', '12', 'obj', 'null', 'undefined', 'true', 'plain']) es.dispatchEvent(new Event(type));
        const removed = thrown(() => es.removeEventListener(123, () => {}));
        const symbol = thrown(() => es.addEventListener(Symbol('s'), () => {}));
        const removeSymbol = thrown(() => es.removeEventListener(Symbol('s'), () => {}));
        const toStringThrows = thrown(() => es.addEventListener({ toString() { throw new RangeError('no'); } }, () => {}));
        const badListener = thrown(() => es.addEventListener('x', 42));
        const badSignal = thrown(() => es.addEventListener('x', () => {}, { signal: {} }));
        const proxySignal = thrown(() => es.addEventListener('x', () => {}, { signal: new Proxy(new AbortController().signal, {}) }));
        const nullListener = thrown(() => es.addEventListener('x', null));
        es.close();
        return {
          seen, removed, nullListener,
          symbol: symbol && symbol.isTypeError,
          removeSymbol: removeSymbol && removeSymbol.isTypeError,
          toStringThrows: toStringThrows && toStringThrows.name,
          badListener: badListener && badListener.isTypeError,
          badSignal: badSignal && badSignal.isTypeError,
          proxySignal: proxySignal && proxySignal.isTypeError,
        };
      };
      return { ours: scenario(lib.EventSource), chromium: scenario(window.EventSource) };
    }, THROWN);
    assert.deepEqual(r.ours.seen, ['123', '12', 'obj', 'null', 'undefined', 'true', 'plain']);
    assert.equal(r.ours.symbol, true);
    assert.equal(r.ours.toStringThrows, 'RangeError', 'the exception of toString() is rethrown');
    assert.deepEqual(r.ours, r.chromium);
  });

  test('on() and onJson() convert their type the same way; dispatchEvent takes only a genuine Event, as Chromium', async () => {
    const r = await run(async (lib, THROWN) => {
      const thrown = eval(THROWN);
      const es = new lib.EventSource('/fixture/basic');
      const onSymbol = thrown(() => es.on(Symbol('x'), () => {}));
      const onJsonSymbol = thrown(() => es.onJson(Symbol('x'), () => {}));
      const off = es.on(123, () => {});
      const offJson = es.onJson(7n, () => {});
      off(); offJson();
      const dispatch = (Class) => {
        const target = new Class('/fixture/basic');
        const results = [null, undefined, {}, { type: 'x' }, new Proxy(new Event('x'), {}), 'x']
          .map((value) => { const t = thrown(() => target.dispatchEvent(value)); return t && t.isTypeError; });
        target.close();
        return results;
      };
      es.close();
      return {
        onSymbol: onSymbol.isTypeError, onJsonSymbol: onJsonSymbol.isTypeError,
        ours: dispatch(lib.EventSource), chromium: dispatch(window.EventSource),
      };
    }, THROWN);
    assert.equal(r.onSymbol, true);
    assert.equal(r.onJsonSymbol, true);
    assert.deepEqual(r.ours, [true, true, true, true, true, true]);
    assert.deepEqual(r.ours, r.chromium);
  });

  test('50,000 failing calls of each throwing path leak no wasm stack: the module still works after them (it died after ~13,000 before)', async () => {
    const r = await run(async (lib) => {
      const es = new lib.EventSource('/fixture/basic');
      const parser = lib.createParser({ onEvent() {} });
      const throwingParser = lib.createParser({ onEvent() { throw new Error('listener'); } });
      const u8 = new TextEncoder().encode('data: x\n\n');
      const throwingLength = new Uint8Array(u8);
      Object.defineProperty(throwingLength, 'length', { get() { throw new Error('length'); } });
      const hostile = { toString() { throw new Error('toString'); } };
      const paths = {
        'dispatchEvent(null)': () => es.dispatchEvent(null),
        'dispatchEvent(Proxy of an Event)': () => es.dispatchEvent(new Proxy(new Event('x'), {})),
        'addEventListener(Symbol)': () => es.addEventListener(Symbol('t'), () => {}),
        'addEventListener(type whose toString throws)': () => es.addEventListener(hostile, () => {}),
        'addEventListener(options whose getter throws)': () => es.addEventListener('x', () => {}, { get once() { throw new Error('once'); } }),
        'addEventListener(options.signal not a signal)': () => es.addEventListener('x', () => {}, { signal: 1 }),
        'removeEventListener(Symbol)': () => es.removeEventListener(Symbol('t'), () => {}),
        'on(Symbol)': () => es.on(Symbol('t'), () => {}),
        'onJson(type whose toString throws)': () => es.onJson(hostile, () => {}),
        'feed(Proxy of a Uint8Array)': () => parser.feed(new Proxy(u8, { get() { throw new Error('trap'); } })),
        'feed(a number)': () => parser.feed(123),
        'feed(Uint8Array whose length throws) to a throwing onEvent': () => throwingParser.feed(throwingLength),
        'createParser(options whose getter throws)': () => lib.createParser({ get onEvent() { throw new Error('getter'); } }),
        'new EventSource(invalid URL)': () => new lib.EventSource('http://['),
        'new EventSource(URL whose toString throws)': () => new lib.EventSource(hostile),
        'new EventSource(options whose getter throws)': () => new lib.EventSource('/x', { get withCredentials() { throw new Error('getter'); } }),
        'a method on the wrong receiver': () => lib.EventSource.prototype.close.call(parser),
        'parser.feed on an EventSource': () => parser.feed.call(es, 'x'),
      };
      const failures = {};
      for (const [name, path] of Object.entries(paths)) {
        let threw = 0;
        for (let i = 0; i < 50000; i++) {
          try { path(); } catch { threw++; }
        }
        failures[name] = threw;
      }
      es.close();
      // The module still works: a fresh source gets its events, a fresh parser parses.
      const fresh = new lib.EventSource('/fixture/basic');
      const data = await new Promise((resolve, reject) => {
        fresh.onmessage = (e) => resolve(e.data);
        fresh.onerror = (e) => { if (e.fatal) reject(new Error(e.message)); };
      });
      fresh.close();
      const parsed = [];
      lib.createParser({ onEvent: (e) => parsed.push(e.data) }).feed('data: still parsing\n\n');
      return { failures, data, parsed };
    });
    for (const [name, count] of Object.entries(r.failures)) assert.equal(count, 50000, `${name} throws every time`);
    assert.equal(r.data, 'one');
    assert.deepEqual(r.parsed, ['still parsing']);
  });

  test('feed() reads bytes from the view itself: a lying length or subarray changes nothing, a Proxy is a TypeError, and no error leaves the parser busy', async () => {
    const r = await run(async (lib, THROWN) => {
      const thrown = eval(THROWN);
      const events = [];
      const parser = lib.createParser({ onEvent: (e) => events.push(e.data) });
      const bytes = (text) => new TextEncoder().encode(text);
      const long = bytes('data: length lies\n\n');
      Object.defineProperty(long, 'length', { value: 1000 });
      parser.feed(long);
      const short = bytes('data: length lies low\n\n');
      Object.defineProperty(short, 'length', { value: 1 });
      parser.feed(short);
      class Sly extends Uint8Array { subarray() { return new Uint8Array(1); } }
      parser.feed(new Sly(bytes('data: subclass\n\n')));
      const throwing = bytes('data: throwing length\n\n');
      Object.defineProperty(throwing, 'length', { get() { throw new Error('length'); } });
      parser.feed(throwing);
      const proxy = thrown(() => parser.feed(new Proxy(bytes('data: proxy\n\n'), {})));
      const dataView = thrown(() => parser.feed(new DataView(new ArrayBuffer(4))));
      parser.feed(bytes('data: after\n\n'));
      // A view into the middle of a buffer: only its own bytes.
      const buffer = bytes('XXdata: window\n\nYY');
      parser.feed(new Uint8Array(buffer.buffer, 2, buffer.length - 4));
      return { events, proxy: proxy && proxy.isTypeError, dataView: dataView && dataView.isTypeError };
    }, THROWN);
    assert.deepEqual(r.events, ['length lies', 'length lies low', 'subclass', 'throwing length', 'after', 'window']);
    assert.equal(r.proxy, true);
    assert.equal(r.dataView, true);
  });

  test('chunks from an injected fetch\'s body are read from the view too; a Proxy chunk is a fatal request error, not a trap', async () => {
    const r = await run(async (lib) => {
      const bytes = (text) => new TextEncoder().encode(text);
      const lying = bytes('data: a\n\n');
      Object.defineProperty(lying, 'length', { value: 1000 });
      class Sly extends Uint8Array { subarray() { return new Uint8Array(0); } }
      const chunks = [lying, new Sly(bytes('data: b\n\n')), new Proxy(bytes('data: c\n\n'), {})];
      const fetch = async () => new Response(new ReadableStream({
        pull(controller) {
          if (chunks.length) controller.enqueue(chunks.shift());
          else controller.close();
        },
      }), { headers: { 'content-type': 'text/event-stream' } });
      const es = new lib.EventSource('/ignored', { fetch });
      const seen = [];
      es.onmessage = (e) => seen.push(e.data);
      const error = await new Promise((resolve) => { es.onerror = (e) => resolve({ fatal: e.fatal, message: e.message }); });
      const state = es.readyState;
      es.close();
      return { seen, error, state };
    });
    assert.deepEqual(r.seen, ['a', 'b']);
    assert.equal(r.error.fatal, true);
    assert.match(r.error.message, /not bytes \(Uint8Array\)/);
    assert.equal(r.state, 2);
  });

  test('createParser().feed() of one 10 MB chunk of 1.3 M tiny events (bytes or text) keeps wasm memory bounded', async () => {
    const r = await run(async (lib) => {
      const memory = () => window.wasm.memory.buffer.byteLength;
      const event = 'data:x\n\n';
      const count = 1_300_000;
      const text = event.repeat(count);
      const chunk = new TextEncoder().encode(text);
      const before = memory();
      let n = 0;
      lib.createParser({ onEvent: () => { n++; } }).feed(chunk);
      const afterBytes = memory();
      let m = 0;
      lib.createParser({ onEvent: () => { m++; } }).feed(text);
      return { n, m, before, afterBytes, afterText: memory(), size: chunk.length };
    });
    assert.equal(r.n, 1_300_000);
    assert.equal(r.m, 1_300_000);
    const grown = r.afterText - r.before;
    assert.ok(grown <= 8 * 1024 * 1024, `wasm memory grew by ${grown} bytes for a ${r.size}-byte chunk (it was 209 MB before)`);
  });

  test('free() from inside a callback waits for the call to end (freeing an object in use would throw through wasm)', async () => {
    const r = await run(async (lib, THROWN) => {
      const thrown = eval(THROWN);
      const seen = [];
      const parser = lib.createParser({ onEvent: (e) => { seen.push(e.data); if (e.data === 'a') parser.free(); } });
      const fed = thrown(() => parser.feed('data: a\n\ndata: b\n\n'));
      const afterFree = thrown(() => parser.feed('data: c\n\n'));
      const es = new lib.EventSource('/fixture/basic');
      es.addEventListener('x', () => es.free());
      const dispatched = thrown(() => es.dispatchEvent(new Event('x')));
      const state = es.readyState;
      const closed = thrown(() => es.close());
      const parsed = [];
      lib.createParser({ onEvent: (e) => parsed.push(e.data) }).feed('data: fine\n\n');
      return { seen, fed, afterFree: afterFree && afterFree.isTypeError, dispatched, state, closed: closed && closed.isTypeError, parsed };
    }, THROWN);
    assert.deepEqual(r, { seen: ['a', 'b'], fed: null, afterFree: true, dispatched: null, state: 2, closed: true, parsed: ['fine'] });
  });

  test('a chunk fed from inside a callback is parsed after the current one, in order', async () => {
    const r = await run(async (lib) => {
      const seen = [];
      const parser = lib.createParser({
        onEvent: (e) => {
          seen.push(e.data);
          if (e.data === 'a') parser.feed('data: nested\n\n');
        },
      });
      parser.feed('data: a\n\ndata: b\n\n');
      return seen;
    });
    assert.deepEqual(r, ['a', 'b', 'nested']);
  });
});

describe('drop-in fidelity', () => {
  test('a method called on the wrong kind of object is a TypeError, and reads nothing', async () => {
    const r = await run(async (lib, THROWN) => {
      const thrown = eval(THROWN);
      const es = new lib.EventSource('/fixture/basic');
      const parser = lib.createParser({ onEvent() {} });
      const readyState = Object.getOwnPropertyDescriptor(lib.EventSource.prototype, 'readyState').get;
      const out = {
        feedOnSource: thrown(() => parser.feed.call(es, 'data: x\n\n')),
        closeOnParser: thrown(() => lib.EventSource.prototype.close.call(parser)),
        readyStateOnPlain: thrown(() => readyState.call({})),
        addOnNull: thrown(() => lib.EventSource.prototype.addEventListener.call(null, 'x', () => {})),
        constructParser: thrown(() => new lib.EventStreamParser()),
        stillOpen: es.readyState !== 2,
      };
      es.close();
      return out;
    }, THROWN);
    for (const key of ['feedOnSource', 'closeOnParser', 'readyStateOnPlain', 'addOnNull', 'constructParser']) {
      assert.equal(r[key] && r[key].isTypeError, true, key);
    }
    assert.equal(r.stillOpen, true);
  });

  test('argument conversion as in Chromium: new EventSource(undefined) opens ".../undefined"; no argument is a TypeError; an invalid URL is a DOMException "SyntaxError" on both transports', async () => {
    const r = await run(async (lib, THROWN) => {
      const thrown = eval(THROWN);
      const scenario = (Class, options) => {
        const undef = new Class(undefined, options);
        const url = undef.url;
        undef.close();
        const none = thrown(() => new Class());
        const invalid = thrown(() => new Class('http://[', options));
        return { url, none: none && none.isTypeError, invalid: invalid && [invalid.name, invalid.isDOMException] };
      };
      return {
        chromium: scenario(window.EventSource),
        ours: scenario(lib.EventSource),
        fetch: scenario(lib.EventSource, { transport: 'fetch' }),
      };
    }, THROWN);
    assert.equal(r.chromium.url, `${SERVER}/app/undefined`);
    assert.deepEqual(r.ours, r.chromium);
    assert.deepEqual(r.fetch, r.chromium);
  });

  test('a listener that calls close() does not hide the event from the listeners after it (both transports), as in Chromium', async () => {
    const r = await run(async (lib) => {
      const scenario = (Class, options) => new Promise((resolve) => {
        const es = new Class('/fixture/basic', options);
        const calls = [];
        es.addEventListener('message', (e) => { calls.push(`first ${e.data}`); es.close(); });
        es.addEventListener('message', (e) => calls.push(`second ${e.data}`));
        es.onmessage = (e) => calls.push(`handler ${e.data}`);
        es.addEventListener('message', (e) => calls.push(`third ${e.data} ${es.readyState}`));
        // Later events are not delivered: wait a little past the first one.
        es.addEventListener('message', () => setTimeout(() => resolve(calls), 300), { once: true });
      });
      return {
        chromium: await scenario(window.EventSource),
        ours: await scenario(lib.EventSource, { transport: 'eventsource' }),
        fetch: await scenario(lib.EventSource, { transport: 'fetch' }),
      };
    });
    assert.deepEqual(r.chromium, ['first one', 'second one', 'handler one', 'third one 2']);
    assert.deepEqual(r.ours, r.chromium);
    assert.deepEqual(r.fetch, r.chromium);
  });

  test('installed as globalThis.EventSource (the polyfill pattern), it still opens streams through the platform EventSource, in a page and in a worker', async () => {
    const r = await run(async (lib) => {
      const platform = window.EventSource;
      try {
        globalThis.EventSource = lib.EventSource;
        const es = new EventSource('/fixture/basic');
        const data = await new Promise((resolve, reject) => {
          es.onmessage = (e) => resolve(e.data);
          es.onerror = (e) => reject(new Error(e.message));
        });
        es.close();
        return { data, ours: es instanceof lib.EventSource, supported: lib.isSupported() };
      } finally {
        globalThis.EventSource = platform;
      }
    });
    assert.deepEqual(r, { data: 'one', ours: true, supported: true });
    const worker = await ctx.page.evaluate(async (url) => {
      const w = new Worker('/app/polyfill-worker.mjs', { type: 'module' });
      return new Promise((resolve) => {
        w.onmessage = ({ data }) => {
          if (data.ready) w.postMessage({ url });
          else { w.terminate(); resolve(data); }
        };
        w.onerror = (e) => resolve({ error: e.message });
      });
    }, `${SERVER}/fixture/basic`);
    assert.deepEqual(worker, { data: 'one', ours: true, supported: true });
  });

  // The iteration members (stream() and Symbol.asyncIterator) are the entry's own, in JS.
  test('the entry classes have exactly the members of the generated classes (which the TypeScript types describe), and the iteration members', async () => {
    const r = await run(async (lib) => {
      const glue = await import('/app/node_modules/eventsource-wasm/pkg/web/eventsource_wasm.js');
      const names = (o) => Reflect.ownKeys(o).map(String).filter((k) => !['constructor', '__bind', '__destroy_into_raw', 'length', 'name', 'prototype', '__wrap'].includes(k)).sort();
      return {
        source: [names(lib.EventSource.prototype), names(glue.EventSource.prototype)],
        statics: [names(lib.EventSource).filter((k) => !k.startsWith('Symbol(')), names(glue.EventSource)],
        parser: [names(lib.EventStreamParser.prototype), names(glue.EventStreamParser.prototype)],
        exports: [Object.keys(lib).sort(), Object.keys(glue).sort()],
      };
    });
    const without = (list, extra) => list.filter((k) => !extra.includes(k));
    assert.deepEqual(without(r.source[0], ['Symbol(Symbol.toStringTag)', 'Symbol(Symbol.asyncIterator)', 'stream']), r.source[1]);
    assert.deepEqual(r.statics[0], r.statics[1]);
    assert.deepEqual(without(r.parser[0], ['Symbol(Symbol.toStringTag)']), r.parser[1]);
    assert.deepEqual(r.exports[0], r.exports[1]);
  });

  test('the fetch-override marker of the `eventsource` package is on the class', async () => {
    const r = await run(async (lib) => lib.EventSource[Symbol.for('eventsource.supports-fetch-override')]);
    assert.equal(r, true);
  });
});

describe('before init()', () => {
  test('isSupported() answers honestly; every other call says to call init() first; init() may be called again', async () => {
    const page = await ctx.browser.newPage();
    try {
      await page.goto(`${SERVER}/app/preinit.html`);
      const r = await page.evaluate(async (THROWN) => {
        const thrown = eval(THROWN);
        const lib = await import('eventsource-wasm');
        const supported = lib.isSupported();
        const construct = thrown(() => new lib.EventSource('/fixture/basic'));
        const parser = thrown(() => lib.createParser({ onEvent() {} }));
        const constants = [lib.EventSource.CONNECTING, lib.EventSource.OPEN, lib.EventSource.CLOSED];
        // Concurrent calls share one instantiation; a later call returns the same exports.
        const [first, concurrent] = await Promise.all([lib.default(), lib.default()]);
        const second = await lib.default();
        const es = new lib.EventSource('/fixture/basic');
        const data = await new Promise((resolve) => { es.onmessage = (e) => resolve(e.data); });
        es.close();
        return { supported, construct, parser, constants, same: first === second && first === concurrent, data, after: lib.isSupported() };
      }, THROWN);
      assert.equal(r.supported, true);
      assert.match(r.construct.message, /call \(and await\) init\(\) first/);
      assert.match(r.parser.message, /init\(\) first/);
      assert.deepEqual(r.constants, [0, 1, 2]);
      assert.equal(r.same, true);
      assert.equal(r.data, 'one');
      assert.equal(r.after, true);
    } finally {
      await page.close();
    }
  });
});
