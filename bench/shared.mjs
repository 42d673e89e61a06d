// Row 10: eight tabs (pages of one browser context) on one stream, shared (`shared: true`: one
// connection, the others fed over a BroadcastChannel) against private (one connection each;
// over HTTP/1.1 Chromium allows six per host, so two tabs get nothing). Measured with a
// companion server of its own (test mode, for `POST /burst`): the connections it holds, and
// for each tab the events per second from the burst's start to its last event.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Starts `sse-server` in test mode on a free port; resolves to { url, stop }. */
async function startServer() {
  const child = spawn(join(root, 'target/release/sse-server'), [
    // BENCH_SHARED_PORT: a fixed port instead of a free one.
    '--port', process.env.BENCH_SHARED_PORT || '0', '--test-mode', '--tick-ms', '0', '--replay', '100000', '--mount', `/app=${join(root, 'tests/.work/app')}`,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const url = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`sse-server did not start: ${out}`)), 10_000);
    const look = (chunk) => {
      out += chunk;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1].replace(/\/$/, ''));
      }
    };
    child.stdout.on('data', look);
    child.stderr.on('data', look);
    child.once('exit', (code) => reject(new Error(`sse-server exited (${code}): ${out}`)));
  });
  return {
    url,
    stop: async () => {
      child.kill();
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}

async function openApp(context, url) {
  const page = await context.newPage();
  await page.goto(`${url}/app/index.html`);
  await page.waitForFunction(() => window.ready || window.initError, null, { timeout: 30_000 });
  const error = await page.evaluate(() => window.initError);
  if (error) throw new Error(`the package failed to load: ${error}`);
  return page;
}

/** One mode: `tabs` pages on one channel, `n` events in one burst. */
async function measure(browser, url, { tabs, n, shared }) {
  const context = await browser.newContext();
  try {
    // Every page is loaded first: with six private streams open, a seventh page could not load.
    const pages = [];
    for (let i = 0; i < tabs; i++) pages.push(await openApp(context, url));
    const channel = `bench-shared-${shared}-${Date.now()}`;
    for (const page of pages) {
      await page.evaluate(({ channel, shared, n }) => {
        window.bench = { count: 0, last: 0 };
        const es = new window.lib.EventSource(`/events?channel=${channel}`, { transport: 'fetch', shared });
        es.onmessage = () => {
          if (++window.bench.count === n) window.bench.last = Date.now();
        };
        window.benchSource = es;
      }, { channel, shared, n });
    }
    // Those that can open do so at once (a private seventh waits for a free connection).
    const deadline = Date.now() + 3000;
    let open = 0;
    while (Date.now() < deadline) {
      const states = await Promise.all(pages.map((page) => page.evaluate(() => window.benchSource.readyState)));
      open = states.filter((s) => s === 1).length;
      if (open === tabs) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const stats = await (await fetch(`${url}/stats`)).json();
    const connections = stats.open_connections;
    const t0 = Date.now();
    const burst = await fetch(`${url}/burst?channel=${channel}&n=${n}`, { method: 'POST' });
    if (burst.status !== 200) throw new Error(`burst answered ${burst.status}`);
    const rates = [];
    for (const page of pages) {
      const last = await page
        .waitForFunction(() => window.bench.last, null, { timeout: 5000 + n })
        .then((handle) => handle.jsonValue())
        .catch(() => 0);
      rates.push(last ? n / (Math.max(1, last - t0) / 1000) : 0);
    }
    const counts = await Promise.all(pages.map((page) => page.evaluate(() => window.bench.count)));
    return { tabs, open, connections, rates, counts };
  } finally {
    await context.close();
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : 0;
};

/** Row 10: returns the row (for `row()` in run.mjs) and the raw figures. */
export async function sharedRow(browser, { smoke }) {
  const server = await startServer();
  try {
    const options = { tabs: 8, n: smoke ? 500 : 20_000 };
    const privateRun = await measure(browser, server.url, { ...options, shared: false });
    const sharedRun = await measure(browser, server.url, { ...options, shared: true });
    const int = (x) => Math.round(x).toLocaleString('en-US');
    const describe = (r) => {
      const receiving = r.rates.filter((x) => x > 0);
      return `${r.connections} connection${r.connections === 1 ? '' : 's'}; ${receiving.length} of ${r.tabs} tabs get events, ` +
        `median ${int(median(r.rates))} ev/s per tab (min ${int(Math.min(...r.rates))}, max ${int(Math.max(...r.rates))})`;
    };
    const ok = sharedRun.connections === 1 && sharedRun.rates.every((x) => x > 0);
    return {
      raw: { n: options.n, private: privateRun, shared: sharedRun },
      row: {
        id: '10',
        title: `Shared connection: ${options.tabs} tabs (pages of one browser context) on one stream, ${int(options.n)} events in one burst, fetch transport, HTTP/1.1`,
        ours: `shared: ${describe(sharedRun)}`,
        peers: `private: ${describe(privateRun)}`,
        ratio: null,
        target: 'shared: 1 connection, every tab gets every event',
        met: ok,
        verdict: ok ? 'met' : `missed: ${describe(sharedRun)}`,
      },
    };
  } finally {
    await server.stop();
  }
}
