// `node bench/ab.mjs DIR_A DIR_B [--rounds=N] [--clients=a,b] [--micro]`: compares two builds of the npm
// package's browser files (each DIR like pkg/web: index.js, eventsource_wasm.js, the wasm,
// snippets/) side by side in one headless Chromium, on bench/stream-server.mjs's streams. One
// page per build, the same bench page code (bench/browser.mjs); every round runs each client
// once on A and once on B, in alternating order, so a busy machine slows both alike. Prints
// events/s per build and the median of the per-round ratios B/A, and the wasm memory after the
// runs. For deciding on a change that should not cost speed (e.g. the allocator), where two
// separate `npm run bench` runs differ by more than the change. Needs the peer bundles of a
// previous `npm run bench` (bench/.work/www/peers); starts its own servers on free ports.
//
// --micro: both builds in one page instead (bench/ab-page.mjs), on streams made in memory:
// createParser and the fetch transport (an injected fetch), 20,000 × 100 B and 1,000 × 10 KB,
// --rounds (default 60) alternating runs of a few milliseconds each; prints the median of the
// per-round speed ratios B/A and their interquartile range. The steadiest comparison when
// other work shares the machine: an A/A run stays within ±2% there.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from '../tests/js/chromium.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const [dirA, dirB] = args.filter((a) => !a.startsWith('--')).map((d) => resolve(d));
const opt = (name, fallback) => (args.find((a) => a.startsWith(`--${name}=`)) || `=${fallback}`).split('=')[1];
const ROUNDS = Number(opt('rounds', 9));
const CLIENTS = opt('clients', 'ours-fetch,ours-parser-fetch,ours-eventsource').split(',');
const STREAMS = [
  { n: 100_000, size: 100 },
  { n: 10_000, size: 10_000 },
];
if (!dirA || !dirB) {
  console.error('usage: node bench/ab.mjs DIR_A DIR_B [--rounds=N] [--clients=a,b]');
  process.exit(2);
}
const MICRO = args.includes('--micro');
const peers = join(here, '.work/www/peers');
if (!MICRO && !existsSync(peers)) {
  console.error('bench/.work/www/peers is missing: run `npm run bench -- --smoke --only=5` once first');
  process.exit(2);
}

const www = join(here, '.work/ab');
rmSync(www, { recursive: true, force: true });
mkdirSync(www, { recursive: true });
if (!MICRO) cpSync(peers, join(www, 'peers'), { recursive: true });
cpSync(join(here, 'browser.mjs'), join(www, 'browser.mjs'));
cpSync(join(here, 'ab-page.mjs'), join(www, 'ab-page.mjs'));
writeFileSync(join(www, 'micro.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="/ab-page.mjs"></script>\n');
for (const [name, dir] of [['a', dirA], ['b', dirB]]) {
  cpSync(dir, join(www, name), { recursive: true });
  const entry = existsSync(join(dir, 'index.js')) ? 'index.js' : 'eventsource_wasm.js';
  writeFileSync(
    join(www, `${name}.html`),
    `<!doctype html><meta charset="utf-8"><script type="importmap">${JSON.stringify({ imports: { 'eventsource-wasm': `/${name}/${entry}` } })}</script>
<script type="module">import('./browser.mjs').catch((e) => { window.benchError = String(e && e.stack || e); });</script>\n`,
  );
}
const types = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm' };
const pages = http.createServer((req, res) => {
  const file = join(www, decodeURIComponent(new URL(req.url, 'http://x').pathname));
  if (!file.startsWith(www) || !existsSync(file)) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': types[extname(file)] || 'application/octet-stream' }).end(readFileSync(file));
});
await new Promise((r) => pages.listen(0, '127.0.0.1', r));
const pagesUrl = `http://127.0.0.1:${pages.address().port}`;

const streamServer = spawn(process.execPath, [join(here, 'stream-server.mjs'), '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const streamUrl = await new Promise((resolveUrl, reject) => {
  let text = '';
  streamServer.stdout.on('data', (d) => {
    text += d;
    const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(text);
    if (m) resolveUrl(m[1]);
  });
  streamServer.on('exit', (code) => reject(new Error(`the stream server exited (${code})`)));
});

const median = (xs) => {
  const s = xs.slice().sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const browser = await launch();
try {
  if (MICRO) await micro();
  else await pages2();
} finally {
  await browser.close();
  streamServer.kill();
  pages.close();
}

async function micro() {
  const rounds = Number(opt('rounds', 60));
  const page = await browser.newPage();
  page.on('pageerror', (error) => console.error(`page error: ${error}`));
  await page.goto(`${pagesUrl}/micro.html`);
  await page.waitForFunction(() => window.microReady, null, { timeout: 30_000 });
  const once = (kind, which, size) => page.evaluate(([k, w, s]) => window.micro(k, w, s), [kind, which, size]);
  const out = [];
  for (const kind of ['parser', 'fetch']) {
    for (const size of ['small', 'large']) {
      for (let i = 0; i < 3; i++) for (const which of ['a', 'b']) await once(kind, which, size);
      const ms = { a: [], b: [] };
      const speed = [];
      for (let r = 0; r < rounds; r++) {
        const t = {};
        for (const which of r % 2 ? ['b', 'a'] : ['a', 'b']) t[which] = await once(kind, which, size);
        ms.a.push(t.a);
        ms.b.push(t.b);
        speed.push(t.a / t.b);
      }
      const s = speed.slice().sort((x, y) => x - y);
      const line = {
        kind: kind === 'parser' ? 'createParser' : 'EventSource (fetch transport, injected fetch)',
        stream: size === 'small' ? '20,000 × 100 B' : '1,000 × 10 KB',
        a_ms: Number(median(ms.a).toFixed(2)),
        b_ms: Number(median(ms.b).toFixed(2)),
        speed_b_over_a: Number(median(speed).toFixed(3)),
        iqr: [s[Math.floor(rounds / 4)], s[Math.floor((3 * rounds) / 4)]].map((x) => Number(x.toFixed(3))),
      };
      out.push(line);
      console.log(JSON.stringify(line));
    }
  }
  writeFileSync(join(here, '.work/ab-micro.json'), `${JSON.stringify({ a: dirA, b: dirB, rounds, results: out }, null, 2)}\n`);
}

/** One page per build, on the stream server's streams. */
async function pages2() {
  const open = async (name) => {
    const page = await browser.newPage();
    await page.goto(`${pagesUrl}/${name}.html`);
    await page.waitForFunction(() => window.benchReady || window.benchError, null, { timeout: 30_000 });
    const error = await page.evaluate(() => window.benchError);
    if (error) throw new Error(`page ${name}: ${error}`);
    return page;
  };
  const page = { a: await open('a'), b: await open('b') };
  // The page in front runs (a tab in the background is throttled: in an A/A run without this,
  // the last opened page was 3–9% faster).
  const run = async (p, client, url, n) => {
    await page[p].bringToFront();
    return page[p].evaluate(([c, u, k]) => window.bench.run(c, u, k), [client, url, n]);
  };
  const out = [];
  for (const stream of STREAMS) {
    const url = `${streamUrl}/stream?n=${stream.n}&size=${stream.size}`;
    await fetch(url).then((r) => r.arrayBuffer());
    for (const client of CLIENTS) {
      for (const p of ['a', 'b']) await run(p, client, url, Math.min(stream.n, 2000));
      const rate = { a: [], b: [] };
      const ratios = [];
      for (let r = 0; r < ROUNDS; r++) {
        const order = r % 2 ? ['b', 'a'] : ['a', 'b'];
        const got = {};
        for (const p of order) {
          const { ms } = await run(p, client, url, stream.n);
          got[p] = (stream.n / ms) * 1000;
          rate[p].push(got[p]);
        }
        ratios.push(got.b / got.a);
      }
      const line = {
        stream: `${stream.n} x ${stream.size} B`,
        client,
        a_events_per_s: Math.round(median(rate.a)),
        b_events_per_s: Math.round(median(rate.b)),
        ratio_b_over_a: Number(median(ratios).toFixed(3)),
        ratio_range: [Math.min(...ratios), Math.max(...ratios)].map((x) => Number(x.toFixed(3))),
      };
      out.push(line);
      console.log(JSON.stringify(line));
    }
  }
  const memory = {};
  for (const p of ['a', 'b']) memory[p] = await page[p].evaluate(() => window.bench.wasmBytes());
  console.log(JSON.stringify({ wasm_memory_bytes_after: memory }));
  writeFileSync(join(here, '.work/ab.json'), `${JSON.stringify({ a: dirA, b: dirB, rounds: ROUNDS, results: out, wasm_memory_bytes_after: memory }, null, 2)}\n`);
}
