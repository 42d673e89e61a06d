// Row 7: the companion server with N concurrent SSE connections on loopback.
//
// Opens `conns` raw TCP connections to `GET /events?channel=…` of a dedicated sse-server (plain
// `net` sockets: no HTTP client overhead), checks the server counts them, reads the server's
// resident memory before and after (per connection), then publishes `events` events one at a
// time and records, for each connection, the time from just before the POST /publish until the
// event's bytes reach the socket's data callback. Everything is bounded in count and time.
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function rssBytes(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]);
  if (!Number.isFinite(kb)) throw new Error(`cannot read VmRSS of ${pid}`);
  return kb * 1024;
}

async function openConnections(port, path, count, concurrency, deadline) {
  const sockets = [];
  let next = 0;
  const request = `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\n\r\n`;
  const openOne = () =>
    new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1' });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error('a connection was not answered in 20 s'));
      }, 20_000);
      socket.setNoDelay(true);
      socket.once('connect', () => socket.write(request));
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      socket.once('data', (chunk) => {
        clearTimeout(timer);
        const head = chunk.toString('latin1', 0, Math.min(chunk.length, 64));
        if (!head.startsWith('HTTP/1.1 200')) {
          socket.destroy();
          reject(new Error(`the server answered ${JSON.stringify(head.split('\r\n')[0])}`));
        } else {
          socket.removeAllListeners('error');
          socket.on('error', () => {});
          resolve(socket);
        }
      });
    });
  async function worker() {
    while (next < count) {
      if (performance.now() > deadline) throw new Error(`opened only ${sockets.length} of ${count} connections in time`);
      next++;
      sockets.push(await openOne());
    }
  }
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } catch (error) {
    for (const s of sockets) s.destroy();
    throw error;
  }
  return sockets;
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];

/**
 * @param {{ url: string, pid: number, conns: number, events: number, gapMs?: number }} options
 */
export async function fanout({ url, pid, conns, events, gapMs = 300 }) {
  const { port } = new URL(url);
  const channel = `fanout-${Date.now()}`;
  const stats = async () => (await fetch(`${url}/stats`)).json();
  const deadline = performance.now() + 120_000;

  const before = (await stats()).open_connections;
  const rssBefore = rssBytes(pid);
  const t0 = performance.now();
  const sockets = await openConnections(Number(port), `/events?channel=${channel}`, conns, Math.min(200, conns), deadline);
  const openMs = performance.now() - t0;
  try {
    let open = 0;
    for (let i = 0; i < 100; i++) {
      open = (await stats()).open_connections - before;
      if (open >= conns) break;
      await sleep(100);
    }
    if (open < conns) throw new Error(`the server counts ${open} of ${conns} connections open`);
    await sleep(1000);
    const rssOpen = rssBytes(pid);

    let current = null;
    for (const socket of sockets) {
      socket.epoch = -1;
      socket.on('data', (chunk) => {
        if (current && socket.epoch !== current.epoch && chunk.indexOf(current.marker) !== -1) {
          socket.epoch = current.epoch;
          current.times.push(performance.now() - current.t0);
          if (current.times.length === conns) current.resolve();
        }
      });
    }

    const perEvent = [];
    const all = [];
    for (let k = 0; k < events; k++) {
      const marker = `fan-${k}-${Math.random().toString(36).slice(2)}`;
      let resolve;
      const reached = new Promise((r) => (resolve = r));
      current = { epoch: k, marker: Buffer.from(marker), times: [], resolve, t0: performance.now() };
      const response = await fetch(`${url}/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ channel, data: marker }),
      });
      const answer = await response.json();
      if (answer.receivers !== conns) throw new Error(`publish reached ${answer.receivers} receivers, expected ${conns}`);
      const timeout = sleep(30_000).then(() => 'timeout');
      if ((await Promise.race([reached, timeout])) === 'timeout') {
        throw new Error(`event ${k} reached ${current.times.length} of ${conns} connections in 30 s`);
      }
      const sorted = current.times.slice().sort((a, b) => a - b);
      perEvent.push({ p50: percentile(sorted, 50), p99: percentile(sorted, 99), all: sorted[sorted.length - 1], first: sorted[0] });
      all.push(...sorted);
      current = null;
      await sleep(gapMs);
    }
    const rssAfter = rssBytes(pid);
    all.sort((a, b) => a - b);
    const allReached = perEvent.map((e) => e.all).sort((a, b) => a - b);
    return {
      connections: conns,
      events,
      open_ms: openMs,
      p50_ms: percentile(all, 50),
      p99_ms: percentile(all, 99),
      all_reached_median_ms: percentile(allReached, 50),
      all_reached_max_ms: allReached[allReached.length - 1],
      first_median_ms: percentile(perEvent.map((e) => e.first).sort((a, b) => a - b), 50),
      per_event: perEvent,
      rss_before_bytes: rssBefore,
      rss_open_bytes: rssOpen,
      rss_after_bytes: rssAfter,
      bytes_per_connection: (rssOpen - rssBefore) / conns,
    };
  } finally {
    for (const s of sockets) s.destroy();
  }
}
