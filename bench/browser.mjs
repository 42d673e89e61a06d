// The in-page half of the bench (rows 1, 2, 4, 6 and 9), loaded by the bench page that
// bench/run.mjs writes into bench/.work/www (served by the companion server under /bench).
// 'eventsource-wasm' resolves, through the page's import map, to the packed package installed
// in tests/.work/app; the peers are the esbuild bundles in ./peers/.
import init, * as lib from 'eventsource-wasm';
import { fetchEventSource } from './peers/fetch-event-source.js';
import { EventSource as NpmEventSource } from './peers/eventsource.js';
import { createParser as peerCreateParser } from './peers/eventsource-parser.js';
import { events as fetchEvents } from './peers/fetch-event-stream.js';

const wasm = await init();
const now = () => performance.now();

const TIMEOUT_MS = 120_000;

/**
 * Each client connects to `url`, counts `n` message events in a JS callback (reading
 * `data.length`, so the string is materialised), closes, and resolves with the time from
 * before connecting to the n-th callback.
 */
const clients = {
  // The browser's own EventSource.
  native: (url, n, done) => standard((u) => new EventSource(u), 'native EventSource', url, n, done),
  'ours-eventsource': (url, n, done) => ours(url, n, done, 'eventsource'),
  'ours-fetch': (url, n, done) => ours(url, n, done, 'fetch'),
  // The fetch transport given a fetch that records the size of each chunk of the body (for the
  // memory row's diagnosis only).
  'ours-fetch-counted': (url, n, done) => ours(url, n, done, 'fetch', { fetch: countingFetch }),
  // Our createParser over a fetch body (bytes fed as they come; UTF-8 decoded in wasm).
  'ours-parser-fetch': (url, n, done) => overFetch(lib.createParser, () => (chunk) => chunk, url, n, done),
  '@microsoft/fetch-event-source'(url, n, done) {
    const ctrl = new AbortController();
    let count = 0;
    let bytes = 0;
    fetchEventSource(url, {
      signal: ctrl.signal,
      openWhenHidden: true,
      onmessage(e) {
        bytes += e.data.length;
        if (++count === n) {
          ctrl.abort();
          done(undefined, bytes);
        }
      },
      onerror(error) {
        throw error;
      },
    }).catch((error) => {
      if (count < n) done(error);
    });
    return () => ctrl.abort();
  },
  eventsource: (url, n, done) => standard((u) => new NpmEventSource(u), 'eventsource', url, n, done),
  // Row 9: ours with only a batch listener (fetch transport, `onBatch`, every animation frame):
  // the events are parsed in wasm and handed over as arrays of plain objects, no MessageEvent.
  'ours-batch': (url, n, done) => batch(url, n, done, 'frame'),
  // fetch-event-stream: `events(response, signal)`, an async iterator over the fetch body.
  'fetch-event-stream'(url, n, done) {
    const ctrl = new AbortController();
    let count = 0;
    let bytes = 0;
    (async () => {
      const response = await fetch(url, { signal: ctrl.signal, headers: { accept: 'text/event-stream' }, cache: 'no-store' });
      for await (const e of fetchEvents(response, ctrl.signal)) {
        bytes += e.data.length;
        if (++count === n) {
          ctrl.abort();
          done(undefined, bytes);
          return;
        }
      }
      done(new Error('the stream ended early'));
    })().catch((error) => {
      if (count < n) done(error);
    });
    return () => ctrl.abort();
  },
  // Row 9's reference, not a client: the same fetch body read to its end and dropped, nothing
  // decoded or parsed (the most events/s any client that reads the body in the page can reach).
  'fetch-body-only'(url, n, done) {
    const ctrl = new AbortController();
    (async () => {
      const response = await fetch(url, { signal: ctrl.signal, headers: { accept: 'text/event-stream' }, cache: 'no-store' });
      const reader = response.body.getReader();
      let bytes = 0;
      for (;;) {
        const { value, done: end } = await reader.read();
        if (end) break;
        bytes += value.byteLength;
      }
      done(undefined, bytes);
    })().catch(done);
    return () => ctrl.abort();
  },
  // eventsource-parser over a fetch body, decoded with a streaming TextDecoder.
  'eventsource-parser': (url, n, done) => overFetch(peerCreateParser, () => {
    const decoder = new TextDecoder();
    return (chunk) => decoder.decode(chunk, { stream: true });
  }, url, n, done),
};

/** A client with the standard EventSource interface, made by `open(url)`. */
function standard(open, name, url, n, done) {
  const es = open(url);
  let count = 0;
  let bytes = 0;
  es.addEventListener('message', (e) => {
    bytes += e.data.length;
    if (++count === n) done(es.close(), bytes);
  });
  es.onerror = (e) => {
    if (es.readyState === 2) done(new Error(`${name} failed${e.message ? `: ${e.message}` : ''}`));
  };
  return () => es.close();
}

function ours(url, n, done, transport, extra = {}) {
  return standard((u) => new lib.EventSource(u, { transport, ...extra }), `eventsource-wasm (${transport})`, url, n, done);
}

/** How the batch client's last run was delivered: callbacks, the largest batch, callback time. */
let batchStats = { calls: 0, largest: 0, callback_ms: 0 };

/** `onBatch` on a fetch-transport source (no other listener but `onerror`). */
function batch(url, n, done, every) {
  const es = new lib.EventSource(url, { transport: 'fetch' });
  let count = 0;
  let bytes = 0;
  const stats = (batchStats = { calls: 0, largest: 0, callback_ms: 0 });
  es.onBatch((events) => {
    const t = now();
    stats.calls++;
    if (events.length > stats.largest) stats.largest = events.length;
    for (let i = 0; i < events.length; i++) bytes += events[i].data.length;
    count += events.length;
    stats.callback_ms += now() - t;
    if (count >= n) done(es.close(), bytes);
  }, { every });
  es.onerror = (e) => {
    if (es.readyState === 2) done(new Error(`eventsource-wasm (onBatch) failed${e.message ? `: ${e.message}` : ''}`));
  };
  return () => es.close();
}

function takeBatchStats() {
  return batchStats;
}

/** A parser (`createParser({ onEvent })`) fed a fetch body; `decoder()` makes chunk → input. */
function overFetch(createParser, decoder, url, n, done) {
  const ctrl = new AbortController();
  let count = 0;
  let bytes = 0;
  const parser = createParser({
    onEvent(e) {
      bytes += e.data.length;
      if (++count === n) {
        ctrl.abort();
        done(undefined, bytes);
      }
    },
  });
  const input = decoder();
  readBody(url, ctrl, (chunk) => parser.feed(input(chunk)), () => count >= n, done);
  return () => ctrl.abort();
}

const chunkStats = { count: 0, bytes: 0, max: 0 };

async function countingFetch(url, init) {
  const response = await fetch(url, init);
  const counter = new TransformStream({
    transform(chunk, controller) {
      chunkStats.count++;
      chunkStats.bytes += chunk.byteLength;
      chunkStats.max = Math.max(chunkStats.max, chunk.byteLength);
      controller.enqueue(chunk);
    },
  });
  return new Response(response.body.pipeThrough(counter), { status: response.status, statusText: response.statusText, headers: response.headers });
}

function takeChunkStats() {
  const out = { ...chunkStats };
  Object.assign(chunkStats, { count: 0, bytes: 0, max: 0 });
  return out;
}

async function readBody(url, ctrl, feed, finished, done) {
  try {
    const response = await fetch(url, { signal: ctrl.signal, headers: { accept: 'text/event-stream' }, cache: 'no-store' });
    const reader = response.body.getReader();
    for (;;) {
      const { value, done: end } = await reader.read();
      if (end) break;
      feed(value);
      if (finished()) break;
    }
    if (!finished()) done(new Error('the stream ended early'));
  } catch (error) {
    if (!finished()) done(error);
  }
}

function run(client, url, n) {
  const start = clients[client];
  if (!start) throw new Error(`unknown client ${client}`);
  return new Promise((resolve, reject) => {
    let stop = () => {};
    let settled = false;
    const timer = setTimeout(() => finish(new Error(`${client}: timed out after ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
    const t0 = now();
    function finish(error, bytes) {
      if (settled) return;
      settled = true;
      const ms = now() - t0;
      clearTimeout(timer);
      if (error) {
        try { stop(); } catch {}
        reject(error);
      } else {
        resolve({ ms, bytes });
      }
    }
    stop = start(url, n, finish);
  });
}

// ---- row 4: latency from publish to callback

let latency = null;

/** Connects `client` to `url` and resolves once open; every message's data is a publish time. */
function latencyStart(client, url, n) {
  const samples = [];
  let resolveDone;
  let rejectDone;
  const finished = new Promise((res, rej) => { resolveDone = res; rejectDone = rej; });
  return new Promise((resolveOpen, rejectOpen) => {
    let es;
    const onMessage = (e) => {
      const t = performance.timeOrigin + performance.now();
      samples.push(t - Number(e.data));
      if (samples.length === n) {
        es.close();
        resolveDone(samples);
      }
    };
    if (client === 'native') {
      es = new EventSource(url);
      es.onerror = () => rejectDone(new Error('native EventSource error'));
    } else {
      es = new lib.EventSource(url, { transport: client === 'ours-fetch' ? 'fetch' : 'eventsource' });
      es.onerror = (e) => rejectDone(new Error(`eventsource-wasm error: ${e.message}`));
    }
    es.addEventListener('message', onMessage);
    es.onopen = () => resolveOpen(true);
    const timer = setTimeout(() => { es.close(); rejectOpen(new Error('open timed out')); rejectDone(new Error('timed out')); }, TIMEOUT_MS);
    finished.finally(() => clearTimeout(timer)).catch(() => {});
    latency = { es, finished };
  });
}

async function latencyResult() {
  try {
    return await latency.finished;
  } finally {
    latency.es.close();
    latency = null;
  }
}

// ---- row 6: memory

const wasmBytes = () => wasm.memory.buffer.byteLength;

/** Records the wasm memory size every `ms` until `stopSampling()`, which returns the samples. */
let sampler = null;
function startSampling(ms) {
  const t0 = now();
  const samples = [{ t: 0, wasm: wasmBytes() }];
  sampler = { samples, timer: setInterval(() => samples.push({ t: now() - t0, wasm: wasmBytes() }), ms), t0 };
}
function stopSampling() {
  clearInterval(sampler.timer);
  sampler.samples.push({ t: now() - sampler.t0, wasm: wasmBytes() });
  const { samples } = sampler;
  sampler = null;
  return samples;
}

/** `cycles` × (new EventSource, two listeners, close), yielding to the event loop every 100. */
async function createClose(url, cycles, transport) {
  for (let i = 0; i < cycles; i++) {
    const es = new lib.EventSource(url, { transport });
    es.addEventListener('message', () => {});
    es.onerror = () => {};
    es.close();
    if (i % 100 === 99) await new Promise((r) => setTimeout(r, 0));
  }
  await new Promise((r) => setTimeout(r, 500));
}

/** `cycles` × addEventListener/removeEventListener and `cycles` × on()/off() on one open source. */
async function listenerCycles(url, cycles) {
  const es = new lib.EventSource(url);
  await new Promise((resolve, reject) => {
    es.onopen = resolve;
    setTimeout(() => reject(new Error('open timed out')), 30_000);
  });
  for (let i = 0; i < cycles; i++) {
    const fn = (e) => e.data;
    es.addEventListener('message', fn);
    es.removeEventListener('message', fn);
    const off = es.on('update', (e) => e.data);
    off();
    if (i % 1000 === 999) await new Promise((r) => setTimeout(r, 0));
  }
  es.close();
  await new Promise((r) => setTimeout(r, 200));
}

window.bench = { run, latencyStart, latencyResult, wasmBytes, startSampling, stopSampling, takeChunkStats, takeBatchStats, createClose, listenerCycles, clients: Object.keys(clients) };
window.benchReady = true;
