// The package's browser entries, each in a fresh page that imported it and did not initialise it:
// `eventsource-wasm` (fetches the .wasm next to itself) and `eventsource-wasm/inline` (carries it).
// Every call before init() says to call init() first; init() is one instantiation however often
// and however concurrently it is called, and cheap to await again inside a handler.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { launch, SERVER } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** Runs `fn(specifier)` in a fresh page that has the app's import map; counts .wasm requests. */
async function inPage(specifier, fn) {
  const page = await browser.newPage();
  const wasmRequests = [];
  const problems = [];
  page.on('request', (request) => { if (request.url().endsWith('.wasm')) wasmRequests.push(request.url()); });
  page.on('pageerror', (error) => problems.push(String(error)));
  try {
    await page.goto(`${SERVER}/app/preinit.html`);
    const result = await page.evaluate(fn, specifier);
    assert.deepEqual(problems, [], 'no uncaught errors in the page');
    return { ...result, wasmRequests };
  } finally {
    await page.close();
  }
}

for (const [specifier, wasmFetches] of [['eventsource-wasm', 1], ['eventsource-wasm/inline', 0]]) {
  describe(`entry ${specifier}`, () => {
    test('every call before init() throws an Error that says to call init() first; isSupported() answers', async () => {
      const r = await inPage(specifier, async (name) => {
        const lib = await import(name);
        const message = (fn) => { try { fn(); return null; } catch (e) { return `${e.name}: ${e.message}`; } };
        return {
          supported: lib.isSupported(),
          construct: message(() => new lib.EventSource('/fixture/basic')),
          constructWithOptions: message(() => new lib.EventSource('/fixture/basic', { transport: 'fetch' })),
          parser: message(() => lib.createParser({ onEvent() {} })),
          constants: [lib.EventSource.CONNECTING, lib.EventSource.OPEN, lib.EventSource.CLOSED],
        };
      });
      assert.equal(r.supported, true);
      for (const key of ['construct', 'constructWithOptions', 'parser']) {
        assert.match(r[key], /^Error: eventsource-wasm: .* before the module was initialised: call \(and await\) init\(\) first/, key);
      }
      assert.deepEqual(r.constants, [0, 1, 2]);
      assert.deepEqual(r.wasmRequests, [], 'nothing was fetched before init()');
    });

    test('init(): one instantiation for many concurrent calls, the same promise every time, cheap to await again', async () => {
      const r = await inPage(specifier, async (name) => {
        const lib = await import(name);
        const promises = Array.from({ length: 20 }, () => lib.default());
        const same = promises.every((p) => p === promises[0]);
        const exports = await Promise.all(promises);
        const later = lib.default();
        const start = performance.now();
        for (let i = 0; i < 10_000; i++) await lib.default();
        const awaitMs = performance.now() - start;
        // Inside a handler, as in a service worker: await init() and use the API.
        const data = await new Promise((resolve, reject) => {
          const channel = new MessageChannel();
          channel.port1.onmessage = async () => {
            try {
              await lib.default();
              const es = new lib.EventSource('/fixture/basic');
              es.onmessage = (e) => { es.close(); resolve(e.data); };
            } catch (error) {
              reject(error);
            }
          };
          channel.port2.postMessage('go');
        });
        return {
          same: same && later === promises[0],
          sameExports: exports.every((e) => e === exports[0]),
          hasMemory: exports[0].memory instanceof WebAssembly.Memory,
          awaitMs,
          data,
        };
      });
      assert.equal(r.same, true, 'every call returned the first call\'s promise');
      assert.equal(r.sameExports, true);
      assert.equal(r.hasMemory, true);
      assert.ok(r.awaitMs < 1000, `10,000 awaits of init() took ${r.awaitMs} ms`);
      assert.equal(r.data, 'one');
      assert.equal(r.wasmRequests.length, wasmFetches, `.wasm requests: ${r.wasmRequests.join(', ')}`);
    });
  });
}

test('a failed init() can be retried; both entries share one module', async () => {
  const r = await inPage('eventsource-wasm', async (name) => {
    const lib = await import(name);
    const inline = await import(`${name}/inline`);
    const failed = await lib.default('/no-such.wasm').then(() => null, (e) => String(e));
    await inline.default();
    return { failed, shared: lib.EventSource === inline.EventSource, afterInline: await lib.default().then(() => 'ok') };
  });
  assert.match(r.failed, /404/);
  assert.equal(r.shared, true);
  assert.equal(r.afterInline, 'ok');
  // The failed attempt asked for /no-such.wasm; the inline entry then fetched nothing.
  assert.deepEqual(r.wasmRequests.map((u) => new URL(u).pathname), ['/no-such.wasm']);
});

test('initSync(): the inline entry needs no argument (a worker is ready at once); the default entry says what it needs', async () => {
  const r = await inPage('eventsource-wasm', async (name) => {
    const lib = await import(name);
    let missing;
    try { lib.initSync(); } catch (e) { missing = `${e.name}: ${e.message}`; }
    const importMap = JSON.parse(document.querySelector('script[type=importmap]').textContent);
    const inlineUrl = new URL(importMap.imports['eventsource-wasm/inline'], location.href).href;
    const source = `import { initSync, EventSource } from ${JSON.stringify(inlineUrl)};
      initSync();
      const es = new EventSource(${JSON.stringify(new URL('/fixture/basic', location.href).href)});
      es.onmessage = (e) => { es.close(); postMessage(e.data); };`;
    const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })), { type: 'module' });
    const data = await new Promise((resolve, reject) => {
      worker.onmessage = (e) => resolve(e.data);
      worker.onerror = (e) => reject(new Error(e.message));
    });
    worker.terminate();
    return { missing, data };
  });
  assert.match(r.missing, /^TypeError: eventsource-wasm: initSync\(\) needs the module's bytes .*'eventsource-wasm\/inline'/);
  assert.equal(r.data, 'one');
  assert.deepEqual(r.wasmRequests, [], 'the worker fetched no .wasm');
});
