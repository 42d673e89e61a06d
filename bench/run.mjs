// `npm run bench` (through scripts/bench.sh, which builds, packs, starts the servers and then
// runs this): measures rows 1–7 of the benchmark issue, row 8 (the inline entry), row 9 (batched
// delivery, `onBatch`) and row 10 (8 tabs on one stream, `shared`) in one run, prints one Markdown table
// and writes bench/results.json. `--smoke` (or BENCH_SMOKE=1): every benchmark on a tiny size,
// written to bench/.work/results.smoke.json instead; the exit status is non-zero when any part
// of the harness failed.
//
// Environment (set by scripts/bench.sh): BENCH_SERVER_URL (companion server serving the packed
// app under /app and bench/.work/www under /bench), BENCH_STREAM_URL (bench/stream-server.mjs),
// BENCH_FANOUT_URL and BENCH_FANOUT_PID (a dedicated sse-server for row 7).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { launch } from '../tests/js/chromium.mjs';
import { fanout } from './fanout.mjs';
import { sharedRow } from './shared.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const work = join(here, '.work');
const www = join(work, 'www');
const SMOKE = process.argv.includes('--smoke') || !['', '0', undefined].includes(process.env.BENCH_SMOKE);
// `--only=1,5`: measure only these rows (by prefix), for working on one of them; the results
// then go to bench/.work/results.partial.json, never to bench/results.json.
const ONLY = (process.argv.find((a) => a.startsWith('--only=')) || '').slice('--only='.length).split(',').filter(Boolean);
// `--only=5 --update`: also put these rows (and their raw data) into bench/results.json, in place
// of the same rows of the last full run, each marked with the date it was measured; the other
// rows keep theirs. For rows that do not depend on the machine's load (the sizes), so that they
// can be refreshed without re-running every benchmark.
const UPDATE = process.argv.includes('--update');
const SERVER = process.env.BENCH_SERVER_URL;
const STREAM = process.env.BENCH_STREAM_URL;
const FANOUT = process.env.BENCH_FANOUT_URL;
const FANOUT_PID = Number(process.env.BENCH_FANOUT_PID);
if (!SERVER || !STREAM || !FANOUT || !FANOUT_PID) {
  console.error('run this through `npm run bench` (scripts/bench.sh), which starts the servers');
  process.exit(2);
}

// Row 5, the npm package: "≤ 30 KB gzipped (stretch 20)", read as bytes (1 KB = 1,000 B).
const SIZE_TARGET = 30_000;
const SIZE_STRETCH = 20_000;
const CFG = SMOKE
  ? {
      streams: [
        { id: 'a', n: 500, size: 100 },
        { id: 'b', n: 50, size: 10_000 },
      ],
      rounds1: 1,
      rounds2: 1,
      warmupEvents: 50,
      latency: { n: 100, warmup: 20, rate: 1000, rounds: 1, warmRun: 100 },
      memory: { events: 5_000, createClose: 200, listeners: 1_000, warm: { events: 500, createClose: 20, listeners: 100 } },
      fanout: { conns: 100, events: 3 },
      startup: { rounds: 2 },
    }
  : {
      streams: [
        { id: 'a', n: 100_000, size: 100 },
        { id: 'b', n: 10_000, size: 10_000 },
      ],
      rounds1: 21,
      rounds2: 5,
      warmupEvents: 2_000,
      latency: { n: 10_000, warmup: 300, rate: 1000, rounds: 4, warmRun: 4_000 },
      memory: { events: 1_000_000, createClose: 10_000, listeners: 100_000, warm: { events: 20_000, createClose: 500, listeners: 5_000 } },
      fanout: { conns: 10_000, events: 20 },
      startup: { rounds: 15 },
    };

const PEERS_JS = {
  '@microsoft/fetch-event-source': 'fetch-event-source',
  eventsource: 'eventsource',
  'eventsource-parser': 'eventsource-parser',
  'fetch-event-stream': 'fetch-event-stream',
};
const FETCH_PEERS = ['@microsoft/fetch-event-source', 'eventsource', 'eventsource-parser', 'fetch-event-stream'];

// ---------------------------------------------------------------------------------------------
// helpers

const log = (...args) => console.error('[bench]', ...args);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const percentile = (xs, p) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const int = (x) => Math.round(x).toLocaleString('en-US');
const fix = (x, d = 2) => (x == null || Number.isNaN(x) ? '—' : x.toFixed(d));
const kb = (bytes) => `${(bytes / 1000).toFixed(1)} KB`;
const signedKb = (bytes) => `${bytes >= 0 ? '+' : '−'}${(Math.abs(bytes) / 1024).toFixed(1)} KiB`;
const version = (pkg) => JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')).version;
const gzipSize = (file) => execFileSync('gzip', ['-9c', file], { maxBuffer: 1 << 28 }).length;
const streamUrl = (s) => `${STREAM}/stream?n=${s.n}&size=${s.size}`;
const streamLabel = (s) => `${s.n.toLocaleString('en-US')} × ${s.size >= 1000 ? `${s.size / 1000} KB` : `${s.size} B`}`;

const results = {
  date: new Date().toISOString(),
  smoke: SMOKE,
  machine: {
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model,
    memory_bytes: os.totalmem(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
  },
  config: CFG,
  versions: {},
  rows: [],
  raw: {},
  failures: [],
};

/** Runs one part; a failure marks its rows as errors and the run as failed, then goes on. */
async function part(name, rowIds, fn) {
  if (ONLY.length && !rowIds.some(([id]) => ONLY.some((o) => byPrefix(id, o)))) return;
  const t0 = performance.now();
  log(`${name}…`);
  try {
    await fn();
  } catch (error) {
    const message = String(error?.stack || error).split('\n').slice(0, 3).join(' | ');
    log(`${name} FAILED: ${message}`);
    results.failures.push({ part: name, error: message });
    for (const [id, title] of rowIds) {
      if (!results.rows.some((r) => r.id === id)) {
        results.rows.push({ id, title, status: 'error', ours: '—', peers: '—', ratio: null, target: '—', verdict: `harness error: ${message.slice(0, 160)}` });
      }
    }
  }
  log(`${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

function row(r) {
  results.rows.push({ status: 'ok', ...r });
}

// ---------------------------------------------------------------------------------------------
// the bench page and the peer bundles

async function preparePage() {
  rmSync(www, { recursive: true, force: true });
  mkdirSync(join(www, 'peers'), { recursive: true });
  for (const [pkg, file] of Object.entries(PEERS_JS)) {
    await build({
      stdin: { contents: `export * from '${pkg}';\n`, resolveDir: root, loader: 'js' },
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      outfile: join(www, 'peers', `${file}.js`),
      logLevel: 'error',
    });
    results.versions[pkg] = version(pkg);
  }
  results.versions.esbuild = version('esbuild');
  copyFileSync(join(here, 'browser.mjs'), join(www, 'browser.mjs'));
  const installed = join(root, 'tests/.work/app/node_modules/eventsource-wasm');
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
  const entry = manifest.exports['.'].default.replace(/^\.\//, '');
  const importMap = { imports: { 'eventsource-wasm': `/app/node_modules/eventsource-wasm/${entry}` } };
  writeFileSync(
    join(www, 'index.html'),
    `<!doctype html>
<meta charset="utf-8">
<title>eventsource-wasm bench</title>
<script type="importmap">${JSON.stringify(importMap)}</script>
<script type="module">
  import('./browser.mjs').catch((error) => { window.benchError = String(error && error.stack || error); });
</script>
`,
  );
}

async function openPage(browser) {
  const page = await browser.newPage();
  const problems = [];
  page.on('pageerror', (error) => problems.push(String(error)));
  await page.goto(`${SERVER}/bench/index.html`);
  await page.waitForFunction(() => window.benchReady || window.benchError, null, { timeout: 30_000 });
  const error = await page.evaluate(() => window.benchError);
  if (error) throw new Error(`the bench page failed to load: ${error}`);
  page.problems = problems;
  return page;
}

/** Uncaught errors seen in the page while a client ran, by client (e.g. unhandled rejections). */
const pageErrors = {};

/** One timed run in the page: { ms, bytes }. */
async function runClient(page, client, url, n) {
  const seen = page.problems.length;
  const r = await page.evaluate(([c, u, k]) => window.bench.run(c, u, k), [client, url, n]);
  await sleep(20);
  if (page.problems.length > seen) {
    const e = (pageErrors[client] ||= { count: 0, first: page.problems[seen] });
    e.count += page.problems.length - seen;
  }
  return r;
}

/** Rounds of every client on one stream, in rotating order; events/s per client. */
async function throughput(page, clients, stream, rounds) {
  const url = streamUrl(stream);
  // Build the stream once on the server and warm every client up (JIT, connection).
  await fetch(url).then((r) => r.arrayBuffer());
  for (const c of clients) await runClient(page, c, url, Math.min(stream.n, CFG.warmupEvents));
  const samples = Object.fromEntries(clients.map((c) => [c, []]));
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < clients.length; i++) {
      const c = clients[(i + r) % clients.length];
      const { ms, bytes } = await runClient(page, c, url, stream.n);
      const expected = stream.n * (stream.size - `id: ${0}\ndata: `.length - 2);
      if (Math.abs(bytes - expected) > stream.n * 8) throw new Error(`${c} delivered ${bytes} data characters, expected about ${expected}`);
      samples[c].push((stream.n / ms) * 1000);
    }
  }
  const out = {};
  for (const c of clients) {
    const rates = samples[c];
    out[c] = { events_per_s: median(rates), min: Math.min(...rates), max: Math.max(...rates), samples: rates, mb_per_s: (median(rates) * stream.size) / 1e6 };
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// CPU profiles: where the time of one (extra, untimed) run goes

let glueLines = null;
function glueName(lineNumber) {
  if (!glueLines) {
    const installed = join(root, 'tests/.work/app/node_modules/eventsource-wasm/pkg/web/eventsource_wasm.js');
    glueLines = readFileSync(installed, 'utf8').split('\n');
  }
  for (let l = lineNumber; l >= Math.max(0, lineNumber - 2); l--) {
    const m = /__wbg_(\w+?)_[0-9a-f]{16}/.exec(glueLines[l] || '');
    if (m) return m[1];
  }
  return `glue line ${lineNumber + 1}`;
}

const GLUE_LABELS = {
  defineProperties: 'Object.defineProperties (target/currentTarget on each event)',
  lastEventId: 'event.lastEventId copied into wasm',
  new_with_event_init_dict: 'new MessageEvent',
  call: 'calling the listener',
  data: 'event.data read from wasm',
};

/** Self time by category for one profiled run of `client`, in ms and µs per event. */
async function profileRun(page, client, url, n) {
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    await cdp.send('Profiler.start');
    const run = await page.evaluate(([c, u, k]) => window.bench.run(c, u, k), [client, url, n]);
    const { profile } = await cdp.send('Profiler.stop');
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    const self = new Map();
    let sampled = 0;
    profile.samples.forEach((id, i) => {
      const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
      sampled += dt;
      const { functionName: name, url: src, lineNumber } = nodes.get(id).callFrame;
      const file = src.split('/').pop();
      let label;
      if (name === '(idle)') label = 'main thread idle';
      else if (name === '(program)' || name === '(root)' || name === '') label = file ? `${file}:${lineNumber + 1}` : 'browser internals (program)';
      else if (name === '(garbage collector)') label = 'garbage collector';
      else if (file.endsWith('.wasm') || name.startsWith('wasm-function')) label = 'wasm code';
      else if (/^(wasm-to-js|js-to-wasm)/.test(name)) label = 'wasm↔JS transitions';
      else if (name === 'decode' || name === 'decodeText' || name === 'getStringFromWasm0') label = 'TextDecoder (strings out of wasm memory)';
      else if (name === 'encodeInto' || name === 'passStringToWasm0' || name === 'encode') label = 'TextEncoder (strings into wasm memory)';
      else if (name === 'MessageEvent') label = 'new MessageEvent';
      else if (file === 'browser.mjs') label = 'the bench callback';
      else if (file === 'api.js' || file === 'index.js') label = 'package entry (receiver checks)';
      else if (file === 'eventsource_wasm.js') {
        const glue = /^__wbg_(\w+?)_[0-9a-f]{16}$/.exec(name)?.[1] || (name ? name : glueName(lineNumber));
        label = GLUE_LABELS[glue] || `glue: ${glue}`;
      } else label = `${name || 'anonymous'} (${file || 'native'})`;
      if (/^eventsource_wasm\.js:/.test(label)) label = GLUE_LABELS[glueName(lineNumber)] || `glue: ${glueName(lineNumber)}`;
      if (label === 'glue: real') label = 'wasm-bindgen closure trampoline';
      self.set(label, (self.get(label) || 0) + dt);
    });
    // `ours`: time in the package (wasm, its JS glue, the strings and events it makes).
    const ours = (label) =>
      /^(wasm code|wasm↔JS transitions|TextDecoder|TextEncoder|new MessageEvent|glue: |wasm-bindgen closure|package entry)/.test(label) ||
      Object.values(GLUE_LABELS).includes(label);
    const items = [...self]
      .map(([label, ms]) => ({ label, ms, us_per_event: (ms * 1000) / n, ours: ours(label) }))
      .sort((a, b) => b.ms - a.ms);
    return { client, events: n, wall_ms: run.ms, sampled_ms: sampled, items };
  } finally {
    await cdp.detach().catch(() => {});
  }
}

/** "label 1.2 µs, …" for the top items that are ours (not idle, not the bench's own callback). */
function topOurs(profile, count = 4) {
  const mine = profile.items.filter((i) => i.ours);
  const total = mine.reduce((sum, i) => sum + i.us_per_event, 0);
  return `${fix(total, 2)} µs in the package — ` + mine
    .slice(0, count)
    .map((i) => `${i.label} ${fix(i.us_per_event, 2)} µs`)
    .join(', ');
}

// ---------------------------------------------------------------------------------------------
// row 5: size

const CARGO_BIN = join(os.homedir(), '.cargo/bin');
const TARGET_DIR = process.env.CARGO_TARGET_DIR ? resolve(root, process.env.CARGO_TARGET_DIR) : join(root, 'target');
// The npm package's wasm as cargo builds it: the wrapper crate npm/ (scripts/build.sh).
const NPM_WASM = join(TARGET_DIR, 'wasm32-unknown-unknown/release/eventsource_wasm_npm.wasm');

/** Runs a command to completion; throws with the end of its output when it fails. */
function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28, ...opts });
  if (r.status !== 0) {
    const tail = `${r.stderr || ''}${r.stdout || ''}`.trim().split('\n').slice(-8).join(' | ');
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal ?? r.error}): ${tail}`);
  }
  return r.stdout;
}

async function sizeRow() {
  const [packed] = JSON.parse(
    execFileSync('npm', ['pack', '--dry-run', '--json', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: root, encoding: 'utf8' }),
  );
  // What the default entry loads (the inline entry's base64 copy of the .wasm is row 8's).
  const runtime = packed.files.map((f) => f.path).filter((p) => /\.(wasm|m?js)$/.test(p) && !/(^|\/)(inline|wasm-bytes|wasm-base64)\.js$/.test(p));
  const files = runtime.map((p) => ({ path: p, bytes: packed.files.find((f) => f.path === p).size, gzip_bytes: gzipSize(join(root, p)) }));
  const total = files.reduce((s, f) => s + f.gzip_bytes, 0);
  const browser = files.filter((f) => f.path !== 'node.mjs').reduce((s, f) => s + f.gzip_bytes, 0);
  const wasm = files.find((f) => f.path.endsWith('.wasm'));
  const peers = {};
  for (const [pkg, file] of Object.entries(PEERS_JS)) {
    const path = join(www, 'peers', `${file}.js`);
    peers[pkg] = { min_bytes: readFileSync(path).length, gzip_bytes: gzipSize(path) };
  }
  const breakdown = await wasmBreakdown(NPM_WASM, 'npm', { boundary: true }).catch((error) => ({ error: String(error) }));
  results.raw.size = { files, gzip_total: total, gzip_browser: browser, tarball_bytes: packed.size, unpacked_bytes: packed.unpackedSize, all_files: packed.files, peers, wasm_breakdown: breakdown };
  const met = total <= SIZE_TARGET;
  let reason = '';
  if (!met) {
    const top = (breakdown.groups || []).slice(0, 6).map((g) => `${g.name} ${(g.bytes / 1000).toFixed(1)} KB`).join(', ');
    const exp = (breakdown.largest_exports || []).slice(0, 2).map((e) => `${e.name} ${(e.bytes / 1000).toFixed(1)} KB`).join(', ');
    reason = `wasm is ${kb(wasm.bytes)} raw / ${kb(wasm.gzip_bytes)} gz, JS glue ${kb(files.filter((f) => f.path.endsWith('.js')).reduce((s, f) => s + f.gzip_bytes, 0))} gz` + (breakdown.summary ? `; the wasm's code is ${shares(breakdown)}` : '') +
      (top ? `; largest parts (twiggy, raw bytes): ${top}${exp ? ` (largest entry points: ${exp}; ${breakdown.imports} imports)` : ''}` : '');
  }
  const stretch = total <= SIZE_STRETCH ? `; the stretch target ≤ ${kb(SIZE_STRETCH)} too` : `; stretch target ≤ ${kb(SIZE_STRETCH)}: ${kb(total - SIZE_STRETCH)} over`;
  row({
    id: '5',
    title: 'Size: npm package runtime files (wasm + JS glue and entry + node.mjs), gzip -9',
    ours: `${kb(total)} (browser: wasm + glue ${kb(browser)})`,
    peers: Object.entries(peers).map(([p, s]) => `${p} ${kb(s.gzip_bytes)}`).join(' · '),
    ratio: total / SIZE_TARGET,
    ratio_note: 'ours / target',
    target: `≤ ${kb(SIZE_TARGET)} (stretch ≤ ${kb(SIZE_STRETCH)})`,
    met,
    verdict: met ? `met${stretch}` : `missed: ${reason}`,
  });
}

// Row 5's Rust apps (bench/size-apps): what depending on the crate costs a Rust app, as the
// gzipped growth of each app over an empty wasm-bindgen app, both built like the npm package
// (its release profile, `wasm-bindgen --target web`, scripts/wasm-opt.sh).
const RUST_APPS = [
  { id: '5a', app: 'bare', what: 'the bare typed wrapper (`default-features = false`): EventSource::new, on_open, on_message, on(name), on_error', target: 10_000 },
  { id: '5b', app: 'fetch', what: '+ the `fetch` feature: EventSourceOptions with a header, Transport::Fetch', target: 25_000 },
  { id: '5c', app: 'reconnect', what: '+ the `reconnect` feature: a RetryPolicy (every feature but `js`)', target: 25_000 },
];
// The apps have a target directory of their own (shared by the four, so dependencies compile
// once; the crate is an rlib, whose files are named by their features, so the apps' builds
// neither overwrite each other's nor the npm build's, which is the wrapper crate npm/). A smoke
// run builds every app too: 40 s to 1.5 minutes on 2 cores, by how busy they are and whether
// target/size-apps is new.
const SIZE_APPS_DIR = join(here, 'size-apps');
const SIZE_APPS_TARGET = join(TARGET_DIR, 'size-apps');

/** The `[profile.*]` sections of a Cargo.toml, comments and blank lines left out. */
function profileSections(file) {
  const out = [];
  let inProfile = false;
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) continue;
    if (line.startsWith('[')) inProfile = line.startsWith('[profile.');
    if (inProfile) out.push(line.replace(/\s+/g, ' '));
  }
  return out.join('\n');
}

/** Builds one size app and measures it: { wasm_bytes, wasm_gzip, glue_gzip, total_gzip, … }. */
function buildSizeApp(app) {
  const t0 = performance.now();
  sh('cargo', ['build', '--quiet', '--release', '--target', 'wasm32-unknown-unknown', '-p', `size-app-${app}`], {
    cwd: SIZE_APPS_DIR,
    env: { ...process.env, CARGO_TARGET_DIR: SIZE_APPS_TARGET },
  });
  const input = join(SIZE_APPS_TARGET, 'wasm32-unknown-unknown/release', `size_app_${app}.wasm`);
  return { ...bindAndMeasure(input, join(work, 'size-apps', app)), build_seconds: (performance.now() - t0) / 1000 };
}

/** `wasm-bindgen --target web` and scripts/wasm-opt.sh on a release wasm; its gzipped sizes. */
function bindAndMeasure(input, out) {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  // One output name for every app, so that file names in the glue do not differ between them.
  sh(join(CARGO_BIN, 'wasm-bindgen'), ['--target', 'web', '--out-name', 'app', '--out-dir', out, input]);
  const wasmFile = join(out, 'app_bg.wasm');
  sh('bash', [join(root, 'scripts/wasm-opt.sh'), wasmFile]);
  const wasmGzip = gzipSize(wasmFile);
  const glueGzip = gzipSize(join(out, 'app.js'));
  return {
    input,
    wasm_bytes: readFileSync(wasmFile).length,
    wasm_gzip: wasmGzip,
    glue_gzip: glueGzip,
    total_gzip: wasmGzip + glueGzip,
  };
}

async function rustAppRows() {
  const mine = profileSections(join(SIZE_APPS_DIR, 'Cargo.toml'));
  const npm = profileSections(join(root, 'Cargo.toml'));
  if (mine !== npm) {
    throw new Error(`the [profile.*] sections of bench/size-apps/Cargo.toml differ from the root Cargo.toml's (the apps must be built like the npm package): copy them over`);
  }
  // Exactly the npm package's versions (and the wasm-bindgen the CLI was installed for).
  copyFileSync(join(root, 'Cargo.lock'), join(SIZE_APPS_DIR, 'Cargo.lock'));
  const built = {};
  for (const app of ['empty', 'floor', ...RUST_APPS.map((a) => a.app)]) {
    built[app] = buildSizeApp(app);
    log(`  ${app}: ${kb(built[app].total_gzip)} gz (wasm ${kb(built[app].wasm_gzip)}, glue ${kb(built[app].glue_gzip)}), built in ${fix(built[app].build_seconds, 0)} s`);
  }
  const empty = built.empty;
  const emptyParts = await wasmBreakdown(empty.input, 'empty').catch(() => null);
  results.raw.size_rust_apps = { about: 'bench/size-apps: each app built with the npm package\'s release profile, wasm-bindgen --target web, scripts/wasm-opt.sh; gzip -9 of the wasm and of the JS glue; growth = app − empty', apps: built };
  for (const { id, app, what, target } of RUST_APPS) {
    const a = built[app];
    const growth = a.total_gzip - empty.total_gzip;
    const met = growth <= target;
    let verdict = 'met';
    if (!met) {
      // What the app adds over the empty one, by part (twiggy, raw bytes after wasm-opt).
      const parts = await wasmBreakdown(a.input, app).catch((error) => ({ error: String(error) }));
      const before = new Map((emptyParts?.groups || []).map((g) => [g.name, g.bytes]));
      const added = (parts.groups || [])
        .map((g) => ({ name: g.name, bytes: g.bytes - (before.get(g.name) || 0) }))
        .filter((g) => g.bytes > 0)
        .sort((x, y) => y.bytes - x.bytes);
      a.breakdown = { tool: parts.tool, total_bytes: parts.total_bytes, imports: parts.imports, summary: parts.summary, added_by_part: added, top_items: parts.top_items, error: parts.error };
      const top = added.slice(0, 6).map((g) => `${g.name} ${kb(g.bytes)}`).join(', ');
      const items = (parts.top_items || []).filter((i) => !/^data segment|^custom section/.test(i.name)).slice(0, 3).map((i) => `${i.name.replace(/::h[0-9a-f]{16}$/, '')} ${kb(i.bytes)}`).join(', ');
      verdict = `missed by ${kb(growth - target)}` + (top ? `; largest parts it adds (twiggy, raw bytes): ${top}` : parts.error ? ` (no breakdown: ${parts.error.slice(0, 120)})` : '') + (items ? `; largest functions: ${items}` : '');
    }
    row({
      id,
      title: `Size: a Rust app using ${what} — gzipped growth over an empty wasm-bindgen app (release profile, wasm-bindgen --target web, wasm-opt as for the package; wasm + JS glue, gzip -9)`,
      ours: `+${kb(growth)} (wasm +${kb(a.wasm_gzip - empty.wasm_gzip)}, glue +${kb(a.glue_gzip - empty.glue_gzip)}; the app ${kb(a.total_gzip)}, the empty app ${kb(empty.total_gzip)})`,
      // The floor: bare's listeners hand-written on web-sys (bench/size-apps/floor), what any
      // wrapper of the browser's EventSource costs at least; the bare row's only peer.
      peers: id === '5a' ? `the same listeners hand-written on web-sys, no wrapper crate: +${kb(built.floor.total_gzip - empty.total_gzip)} (ours is +${kb(growth - (built.floor.total_gzip - empty.total_gzip))} over it)` : '—',
      ratio: growth / target,
      ratio_note: 'growth / target',
      target: `≤ ${kb(target)}`,
      met,
      verdict,
    });
  }
}

// Row 11: what eventsource-wasm-leptos's `use_event_source` costs a Leptos 0.8 app, per feature
// set, as the gzipped growth over the same app without a source (frameworks/size-apps: `plain`
// renders the same list, status and error from signals nobody writes), and gloo-net's
// EventSource in the same app as the peer. Built in the frameworks workspace (its lockfile locks
// the root's wasm-bindgen; its release profile is the npm package's) into target/frameworks,
// one `cargo build -p` per app so that features are not unified, then wasm-bindgen and
// scripts/wasm-opt.sh as for row 5a–c. Not measured in a smoke run: five release builds of a
// Leptos app (LTO, one codegen unit) take about 6 minutes on two busy cores when
// target/frameworks is fresh, and the smoke run is part of `npm test`; the apps are type-checked
// there instead (scripts/test.sh, frameworks/).
const LEPTOS_APPS = [
  { id: '11a', app: 'hook-bare', what: "the browser's EventSource only (`default-features = false`)", target: 10_000 },
  { id: '11b', app: 'hook-fetch', what: '+ the `fetch` feature (a header, Transport::Fetch)' },
  { id: '11c', app: 'hook-reconnect', what: '+ the `reconnect` feature (a RetryPolicy; every feature but `js`)' },
];
const FRAMEWORKS_DIR = join(root, 'frameworks');
const FRAMEWORKS_TARGET = join(TARGET_DIR, 'frameworks');

/** The version of `dep` that package `pkg` uses, from frameworks/Cargo.lock. */
function lockedDependency(pkg, dep) {
  const lock = readFileSync(join(FRAMEWORKS_DIR, 'Cargo.lock'), 'utf8');
  const entry = lock.split('[[package]]').find((p) => p.includes(`\nname = "${pkg}"\n`)) ?? '';
  // With one version locked, the dependency list names it alone; with several, with its version.
  const listed = new RegExp(`"${dep}(?: ([^"]+))?"`).exec(entry);
  if (listed?.[1]) return listed[1];
  return new RegExp(`\\nname = "${dep}"\\nversion = "([^"]+)"`).exec(lock)?.[1] ?? '?';
}

function buildLeptosApp(app) {
  const t0 = performance.now();
  const pkg = `size-leptos-${app}`;
  sh('cargo', ['build', '--quiet', '--locked', '--release', '--target', 'wasm32-unknown-unknown', '-p', pkg], {
    cwd: FRAMEWORKS_DIR,
    env: { ...process.env, CARGO_TARGET_DIR: FRAMEWORKS_TARGET },
  });
  const input = join(FRAMEWORKS_TARGET, 'wasm32-unknown-unknown/release', `${pkg}.wasm`);
  return { ...bindAndMeasure(input, join(work, 'size-leptos', app)), build_seconds: (performance.now() - t0) / 1000 };
}

async function leptosAppRows() {
  const title = (what) => `Size: a Leptos 0.8 app using eventsource-wasm-leptos's use_event_source with ${what} — gzipped growth over the same Leptos app without a source (release profile, wasm-bindgen --target web, wasm-opt as for the package; wasm + JS glue, gzip -9)`;
  if (SMOKE) {
    for (const { id, what } of LEPTOS_APPS) {
      row({ id, title: title(what), status: 'skipped', ours: 'not measured in a smoke run', peers: '—', ratio: null, target: '—', verdict: 'skipped in --smoke: five release builds of a Leptos app take about 6 minutes on two cores (npm test type-checks the apps instead)' });
    }
    return;
  }
  if (profileSections(join(FRAMEWORKS_DIR, 'Cargo.toml')) !== profileSections(join(root, 'Cargo.toml'))) {
    throw new Error('the [profile.*] sections of frameworks/Cargo.toml differ from the root Cargo.toml\'s (the apps must be built like the npm package): copy them over');
  }
  const built = {};
  for (const app of ['plain', 'floor', 'gloo', ...LEPTOS_APPS.map((a) => a.app)]) {
    built[app] = buildLeptosApp(app);
    log(`  leptos ${app}: ${kb(built[app].total_gzip)} gz (wasm ${kb(built[app].wasm_gzip)}, glue ${kb(built[app].glue_gzip)}), built in ${fix(built[app].build_seconds, 0)} s`);
  }
  results.raw.size_leptos_apps = { about: 'frameworks/size-apps: a Leptos 0.8 (csr) app built with the npm package\'s release profile, wasm-bindgen --target web, scripts/wasm-opt.sh; gzip -9 of the wasm and of the JS glue; growth = app − plain', apps: built };
  const plain = built.plain;
  const growth = (app) => built[app].total_gzip - plain.total_gzip;
  const split = (app) => `wasm +${kb(built[app].wasm_gzip - plain.wasm_gzip)}, glue +${kb(built[app].glue_gzip - plain.glue_gzip)}`;
  let previous = null;
  for (const { id, app, what, target } of LEPTOS_APPS) {
    const g = growth(app);
    const feature = previous ? `; this feature costs ${g >= growth(previous) ? '+' : '−'}${kb(Math.abs(g - growth(previous)))} over ${LEPTOS_APPS.find((a) => a.app === previous).id}` : '';
    row({
      id,
      title: title(what),
      ours: `+${kb(g)} (${split(app)}; the app ${kb(built[app].total_gzip)}, without a source ${kb(plain.total_gzip)})`,
      // The floor (frameworks/size-apps/floor): the app hand-written on web-sys and serde_json,
      // no wrapper crate; a target under it is out of reach of any wrapper.
      peers: id === '11a' ? `gloo-net ${lockedDependency('size-leptos-gloo', 'gloo-net')} EventSource (futures API, serde_json) in the same app: +${kb(growth('gloo'))} (${split('gloo')}) · the same app hand-written on web-sys and serde_json, no wrapper crate: +${kb(growth('floor'))} (${split('floor')})` : '—',
      ratio: target ? g / target : null,
      ratio_note: target ? 'growth / target' : undefined,
      target: target ? `≤ ${kb(target)}` : '—',
      met: target ? g <= target : undefined,
      verdict: (target ? (g <= target ? 'met' : `missed by ${kb(g - target)}`) : 'no target (the row shows the feature\'s cost)')
        + (target && growth('floor') > target ? `; the target is under the floor: the app hand-written on web-sys with no wrapper grows by ${kb(growth('floor'))}, so no wrapper can meet it; ours is +${kb(g - growth('floor'))} over the floor` : '')
        + feature,
    });
    previous = app;
  }
}

function shares(b) {
  const pct = (x) => `${Math.round((x / b.total_bytes) * 100)}%`;
  const { crate_code: c, rust_runtime: r, wasm_bindgen: w, data: d } = b.summary;
  return `${pct(c)} this crate's own code (${kb(c)} raw), ${pct(r)} Rust runtime (allocator, fmt/panics, core/alloc), ${pct(w)} wasm-bindgen/js-sys/web-sys runtime and imports, ${pct(d)} data`;
}

/** The crate's module a function belongs to, as `transport::fetch` for a folder's modules. */
function ourModule(name) {
  const m = /eventsource_wasm::(\w+)(?:::([a-z_]\w*))?/.exec(name);
  if (!m) return null;
  const [, top, sub] = m;
  const folder = join(root, 'src', top);
  const isModule = sub && existsSync(folder) && (existsSync(join(folder, `${sub}.rs`)) || existsSync(join(folder, sub)));
  return isModule ? `${top}::${sub}` : top;
}

/**
 * What a wasm's code is made of: the release build re-run with names kept, by crate/module.
 * `boundary`: shorten the names between the wasm and its glue as scripts/build.sh does for the
 * npm package (the apps' glue is theirs to build).
 */
async function wasmBreakdown(input, name, { boundary = false } = {}) {
  const dir = join(work, 'size', name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  sh(join(CARGO_BIN, 'wasm-bindgen'), ['--target', 'web', '--out-name', 'named', '--out-dir', dir, input]);
  const named = join(dir, 'named.wasm');
  sh(join(root, 'node_modules/.bin/wasm-opt'), ['-Oz', '-g', join(dir, 'named_bg.wasm'), '-o', named]);
  if (boundary) sh(process.execPath, [join(root, 'scripts/minify-boundary.mjs'), named, join(dir, 'named.js')]);
  const items = JSON.parse(sh(join(CARGO_BIN, 'twiggy'), ['top', '-n', '100000', '--format', 'json', named]));
  const groups = new Map();
  let total = 0;
  let imports = 0;
  const exportsBySize = [];
  for (const { name, shallow_size: size } of items) {
    if (/names" subsection|^custom section/.test(name)) continue;
    total += size;
    let group;
    const ours = ourModule(name);
    if (/^import /.test(name)) {
      group = boundary ? 'import section' : 'import section (JS glue functions with long hashed names)';
      imports++;
    } else if (/shim\b|^__wbg_\w+_free$/.test(name) || /^(eventsource|eventstreamparser|createParser|isSupported)\w*$/.test(name)) {
      group = 'exported entry points (wasm-bindgen shims with the Rust code inlined into them)';
      exportsBySize.push({ name: name.replace(/ (externref|multivalue) shim/g, ''), bytes: size });
    } else if (/^data segment/.test(name)) group = 'data segments (strings, tables)';
    else if (ours) group = `ours: ${ours}`;
    else if (/^size_app_\w+::|__wbindgen_start/.test(name)) group = 'the app\'s start function (with the crate\'s code inlined into it)';
    else if (/dlmalloc|talc|__rdl_|__rust_(alloc|dealloc|realloc)|alloc::raw_vec|RawVec/.test(name)) group = 'allocator (dlmalloc or talc, RawVec)';
    else if (/core.*::fmt|fmt::|Formatter|Display|Debug|panic/.test(name)) group = 'core::fmt and panics';
    else if (/^(wasm_bindgen|js_sys|web_sys|gloo|<wasm_bindgen|<js_sys|<web_sys|<gloo)|__wbindgen|__externref/.test(name)) group = 'wasm-bindgen / js-sys / web-sys / gloo runtime';
    else if (/serde/.test(name)) group = 'serde / serde-wasm-bindgen';
    else if (/^(elem|table|type|export|global|memory)\b|^code\[/.test(name)) group = 'tables, types, unnamed code';
    else group = 'other (core, alloc, std, memchr…)';
    groups.set(group, (groups.get(group) || 0) + size);
  }
  exportsBySize.sort((a, b) => b.bytes - a.bytes);
  const sum = (re) => [...groups].filter(([g]) => re.test(g)).reduce((acc, [, b]) => acc + b, 0);
  const summary = {
    crate_code: sum(/^(ours: |exported entry points|the app's start)/),
    rust_runtime: sum(/^(allocator|core::fmt|other|serde)/),
    wasm_bindgen: sum(/^(wasm-bindgen|import section|tables)/),
    data: sum(/^data segments/),
  };
  return {
    tool: 'twiggy top on the release wasm re-processed with wasm-bindgen and wasm-opt -Oz -g (names kept)',
    total_bytes: total,
    imports,
    summary,
    largest_exports: exportsBySize.slice(0, 5),
    groups: [...groups].map(([name, bytes]) => ({ name, bytes, share: bytes / total })).sort((a, b) => b.bytes - a.bytes),
    top_items: items.filter((i) => !/names" subsection|^custom section/.test(i.name)).slice(0, 15).map((i) => ({ name: i.name, bytes: i.shallow_size })),
  };
}

// ---------------------------------------------------------------------------------------------
// row 3: criterion

async function parserRows() {
  const dir = join(here, 'parser');
  const criterionHome = join(work, 'criterion');
  rmSync(criterionHome, { recursive: true, force: true });
  const metaPath = join(work, 'parser-meta.json');
  rmSync(metaPath, { force: true });
  // One target directory for the whole repo (builds are slow on 2 cores).
  const env = { ...process.env, CARGO_TARGET_DIR: join(root, 'target'), CRITERION_HOME: criterionHome, BENCH_PARSER_META: metaPath, BENCH_SMOKE: SMOKE ? '1' : '' };
  const output = await new Promise((resolveRun, reject) => {
    const child = spawn('cargo', ['bench', '--quiet', '--bench', 'parser', '--', '--noplot'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.stderr.on('data', (d) => (text += d));
    const timer = setTimeout(() => child.kill('SIGTERM'), 15 * 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      writeFileSync(join(work, 'parser-bench.log'), text);
      if (code === 0) resolveRun(text);
      else reject(new Error(`cargo bench (bench/parser) failed with ${code}: ${text.trim().split('\n').slice(-6).join(' | ')}`));
    });
  });
  results.versions.rustc = execFileSync('rustc', ['-V'], { encoding: 'utf8' }).trim();
  const lock = readFileSync(join(dir, 'Cargo.lock'), 'utf8');
  for (const crate of ['eventsource-stream', 'sseer', 'criterion']) {
    const m = new RegExp(`name = "${crate}"\\nversion = "([^"]+)"`).exec(lock);
    results.versions[crate] = m ? m[1] : 'unknown';
  }
  const meta = JSON.parse(readFileSync(metaPath, 'utf8'));
  const raw = {};
  for (const corpus of meta.corpora) {
    const per = {};
    for (const name of ['eventsource-wasm', 'eventsource-stream', 'sseer']) {
      const estFile = join(criterionHome, corpus.name, name, 'new', 'estimates.json');
      if (!existsSync(estFile)) {
        per[name] = { error: `no criterion estimate (see bench/.work/parser-bench.log)` };
        continue;
      }
      const est = JSON.parse(readFileSync(estFile, 'utf8'));
      const ns = est.median.point_estimate;
      per[name] = {
        ns_per_iter: ns,
        ci_ns: [est.median.confidence_interval.lower_bound, est.median.confidence_interval.upper_bound],
        mb_per_s: (corpus.bytes / ns) * 1e3,
        events_per_s: (corpus.events / ns) * 1e9,
        correct: corpus.checks[name]?.ok,
      };
    }
    raw[corpus.name] = { corpus, results: per };
    const ours = per['eventsource-wasm'];
    const peers = ['eventsource-stream', 'sseer'].filter((p) => per[p].mb_per_s);
    const fastest = peers.reduce((a, b) => (per[a].mb_per_s >= per[b].mb_per_s ? a : b));
    const ratio = ours.mb_per_s / per[fastest].mb_per_s;
    const wrong = Object.entries(corpus.checks).filter(([, c]) => !c.ok).map(([n]) => n);
    const met = ratio > 1 && !wrong.length;
    row({
      id: `3-${corpus.name}`,
      title: `Rust parser, ${corpus.name}: ${corpus.about} (${kb(corpus.bytes)} corpus, 16 KiB chunks)`,
      ours: `${int(ours.mb_per_s)} MB/s · ${int(ours.events_per_s)} ev/s`,
      peers: peers.map((p) => `${p} ${int(per[p].mb_per_s)} MB/s · ${int(per[p].events_per_s)} ev/s`).join(' · '),
      ratio,
      ratio_note: `ours / ${fastest}`,
      target: '> 1 (faster than the fastest)',
      met,
      verdict: met
        ? 'met'
        : wrong.length
          ? `missed: wrong event counts from ${wrong.join(', ')}`
          : `missed: ${fastest} is ${fix(1 / ratio)}× as fast here${parserWhy(corpus.name, fastest)}`,
    });
  }
  results.raw.parser = raw;
}

function parserWhy(corpus, fastest) {
  if (fastest !== 'sseer') return '';
  return ' (sseer hands out zero-copy `Bytes` slices of the input chunk for single-line data and ids; ours builds three owned `String`s per event — type, data, last event id)';
}

// ---------------------------------------------------------------------------------------------
// rows 1 and 2: throughput in the browser

async function throughputRows(page) {
  const raw = {};
  const profiles = {};
  for (const stream of CFG.streams) {
    log(`  native path, ${streamLabel(stream)}`);
    raw[`native ${stream.id}`] = await throughput(page, ['native', 'ours-eventsource'], stream, CFG.rounds1);
    const r = raw[`native ${stream.id}`];
    const url = streamUrl(stream);
    const pn = (profiles[`native ${stream.id}`] = await profileRun(page, 'native', url, stream.n));
    const po = (profiles[`ours-eventsource ${stream.id}`] = await profileRun(page, 'ours-eventsource', url, stream.n));
    // Paired: each round runs both clients back to back, so drift on the machine cancels out.
    const paired = r.native.samples.map((native, i) => r['ours-eventsource'].samples[i] / native);
    const ratio = median(paired);
    r.paired_ratios = paired;
    const overheadUs = 1e6 / r['ours-eventsource'].events_per_s - 1e6 / r.native.events_per_s;
    const idleMs = (p) => p.items.find((i) => i.label === 'main thread idle')?.ms || 0;
    const busyUs = (p) => ((p.sampled_ms - idleMs(p)) * 1000) / p.events;
    const why =
      `CPU profiles of one run each: the browser EventSource leaves the page's main thread ${int((idleMs(pn) / pn.sampled_ms) * 100)}% idle ` +
      `(Chromium's own delivery sets the pace); ours adds ${fix(busyUs(po) - busyUs(pn), 2)} µs of main-thread work per event, ${topOurs(po)}, ` +
      `and the rest of the wall-clock cost is the main thread waiting longer for the next events (it is the consumer of Chromium's event pipeline)`;
    row({
      id: `1${stream.id}`,
      title: `Native path (transport 'eventsource'), ${streamLabel(stream)} events, headless Chromium: events/s to a JS callback`,
      ours: `${int(r['ours-eventsource'].events_per_s)} ev/s`,
      peers: `browser EventSource ${int(r.native.events_per_s)} ev/s`,
      ratio,
      ratio_note: `ours / browser EventSource: median of ${paired.length} paired rounds, range ${fix(Math.min(...paired))}–${fix(Math.max(...paired))}`,
      target: '≥ 0.95',
      met: ratio >= 0.95,
      verdict:
        ratio >= 0.95
          ? `met (${overheadUs >= 0 ? '+' : ''}${fix(overheadUs, 2)} µs per event)`
          : `missed: +${fix(overheadUs, 2)} µs per event (from the median rates); ${why}`,
    });
  }
  for (const stream of CFG.streams) {
    log(`  fetch path, ${streamLabel(stream)}`);
    const clients = ['ours-fetch', 'ours-parser-fetch', ...FETCH_PEERS];
    raw[`fetch ${stream.id}`] = await throughput(page, clients, stream, CFG.rounds2);
    const r = raw[`fetch ${stream.id}`];
    const fastest = FETCH_PEERS.reduce((a, b) => (r[a].events_per_s >= r[b].events_per_s ? a : b));
    const url = streamUrl(stream);
    const po = (profiles[`ours-fetch ${stream.id}`] = await profileRun(page, 'ours-fetch', url, stream.n));
    profiles[`${fastest} ${stream.id}`] = await profileRun(page, fastest, url, stream.n);
    const ratio = r['ours-fetch'].events_per_s / r[fastest].events_per_s;
    const parserRatio = r['ours-parser-fetch'].events_per_s / r[fastest].events_per_s;
    row({
      id: `2${stream.id}`,
      title: `Fetch path (transport 'fetch'), ${streamLabel(stream)} events: events/s to a JS callback`,
      ours: `EventSource ${int(r['ours-fetch'].events_per_s)} ev/s (createParser over fetch ${int(r['ours-parser-fetch'].events_per_s)})`,
      peers: FETCH_PEERS.map((p) => `${p} ${int(r[p].events_per_s)}`).join(' · '),
      ratio,
      ratio_note: `ours EventSource / ${fastest} (createParser: ${fix(parserRatio)})`,
      target: '> 1 (faster than the fastest)',
      met: ratio > 1,
      verdict: (ratio > 1 ? 'met' : `missed: ${fastest} is ${fix(1 / ratio)}× as fast; ${fetchWhy(r, fastest)}; ours per event (CPU profile): ${topOurs(po, 5)}`) + abortNote(),
    });
  }
  results.raw.throughput = raw;
  results.raw.profiles = profiles;
  results.raw.page_errors = pageErrors;
}

function abortNote() {
  const e = pageErrors['ours-fetch'];
  return e ? ` (also: close() on the fetch transport left ${e.count} uncaught error(s) in the page over the whole bench, e.g. "${e.first}")` : '';
}

function fetchWhy(r, fastest) {
  const perEvent = (c) => 1e6 / r[c].events_per_s;
  return `${fix(perEvent('ours-fetch'), 2)} µs per event against ${fix(perEvent(fastest), 2)} µs (createParser over fetch: ${fix(perEvent('ours-parser-fetch'), 2)} µs)`;
}

// ---------------------------------------------------------------------------------------------
// row 4: latency at 1,000 events/s

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

function publish(channel, data) {
  return new Promise((resolvePublish, reject) => {
    const body = JSON.stringify({ channel, data });
    const req = http.request(
      `${SERVER}/publish`,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolvePublish() : reject(new Error(`publish answered ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Publishes `total` events at `rate` per second; each event's data is its send time. */
async function publishAtRate(channel, total, rate) {
  const start = performance.now();
  const pending = new Set();
  let errors = 0;
  let sent = 0;
  const deadline = start + (total / rate) * 1000 + 30_000;
  while (sent < total) {
    if (performance.now() > deadline) throw new Error('publishing fell too far behind');
    const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
    while (sent < due) {
      const p = publish(channel, String(performance.timeOrigin + performance.now())).catch(() => errors++);
      pending.add(p);
      p.finally(() => pending.delete(p));
      sent++;
    }
    await sleep(1);
  }
  await Promise.all(pending);
  if (errors) throw new Error(`${errors} publishes failed`);
  return ((performance.now() - start) / 1000);
}

async function latencyRow(page) {
  const { n, warmup, rate, rounds } = CFG.latency;
  const clients = ['native', 'ours-eventsource', 'ours-fetch'];
  // Clock check: the page's and Node's epoch clocks (both timeOrigin + monotonic now).
  const offsets = [];
  for (let i = 0; i < 5; i++) {
    const a = performance.timeOrigin + performance.now();
    const pageNow = await page.evaluate(() => performance.timeOrigin + performance.now());
    const b = performance.timeOrigin + performance.now();
    offsets.push({ offset: pageNow - (a + b) / 2, rtt: b - a });
  }
  const best = offsets.reduce((x, y) => (y.rtt < x.rtt ? y : x));
  // Warm up: the publisher's keep-alive connections, then one untimed run (the first live
  // stream a page opens shows ~10 ms latencies for its first few seconds, whichever the client).
  await publishAtRate(`bench-latency-warmup-${Date.now()}`, Math.min(500, warmup + 100), rate);
  const warmChannel = `bench-latency-warmup-${Date.now()}`;
  await page.evaluate(([c, u, k]) => window.bench.latencyStart(c, u, k), ['ours-eventsource', `${SERVER}/events?channel=${warmChannel}`, CFG.latency.warmRun]);
  await publishAtRate(warmChannel, CFG.latency.warmRun, rate);
  await page.evaluate(() => window.bench.latencyResult());
  const samples = Object.fromEntries(clients.map((c) => [c, []]));
  const roundP99 = Object.fromEntries(clients.map((c) => [c, []]));
  const rates = Object.fromEntries(clients.map((c) => [c, []]));
  const perRound = Math.ceil(n / rounds);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < clients.length; i++) {
      const client = clients[(i + r) % clients.length];
      log(`  latency ${client}, round ${r + 1}/${rounds}`);
      const channel = `bench-latency-${client}-${r}-${Date.now()}`;
      await page.evaluate(([c, u, k]) => window.bench.latencyStart(c, u, k), [client, `${SERVER}/events?channel=${channel}`, perRound + warmup]);
      const seconds = await publishAtRate(channel, perRound + warmup, rate);
      const got = (await page.evaluate(() => window.bench.latencyResult())).slice(warmup);
      samples[client].push(...got);
      roundP99[client].push(percentile(got, 99));
      rates[client].push((perRound + warmup) / seconds);
    }
  }
  const out = {};
  for (const client of clients) {
    const xs = samples[client];
    out[client] = {
      p50_ms: percentile(xs, 50),
      // p99: the median of the rounds' p99s (one stall of the machine inflates one round only).
      p99_ms: median(roundP99[client]),
      p99_rounds_ms: roundP99[client],
      p99_pooled_ms: percentile(xs, 99),
      mean_ms: xs.reduce((s, x) => s + x, 0) / xs.length,
      max_ms: Math.max(...xs),
      events: xs.length,
      achieved_rate: Math.min(...rates[client]),
    };
  }
  results.raw.latency = { ...out, clock_check: { ...best, note: 'page clock minus Node clock (ms), estimated over a page.evaluate round trip of rtt ms' } };
  const ref = out.native;
  const fmt = (c) => `p50 ${fix(out[c].p50_ms)} ms · p99 ${fix(out[c].p99_ms)} ms`;
  row({
    id: '4',
    title: `Latency from POST /publish to the JS callback at ${rate.toLocaleString('en-US')} events/s (${n.toLocaleString('en-US')} events per client in ${rounds} interleaved rounds; p99 = median of the rounds' p99; companion server)`,
    ours: `eventsource: ${fmt('ours-eventsource')}; fetch: ${fmt('ours-fetch')}`,
    peers: `browser EventSource ${fmt('native')}`,
    ratio: out['ours-eventsource'].p50_ms / ref.p50_ms,
    ratio_note: `p50 ours/browser: eventsource ${fix(out['ours-eventsource'].p50_ms / ref.p50_ms)}, fetch ${fix(out['ours-fetch'].p50_ms / ref.p50_ms)}; p99: ${fix(out['ours-eventsource'].p99_ms / ref.p99_ms)}, ${fix(out['ours-fetch'].p99_ms / ref.p99_ms)}`,
    target: 'reported (no target)',
    met: null,
    verdict: `measured at ${int(Math.min(...Object.values(out).map((o) => o.achieved_rate)))}+ events/s; pooled p99 (all rounds): browser ${fix(out.native.p99_pooled_ms)} ms, eventsource ${fix(out['ours-eventsource'].p99_pooled_ms)} ms, fetch ${fix(out['ours-fetch'].p99_pooled_ms)} ms`,
  });
}

// ---------------------------------------------------------------------------------------------
// row 6: memory

async function memoryRows(browser) {
  const page = await openPage(browser);
  const cdp = await page.context().newCDPSession(page);
  const measure = async () => {
    await sleep(300);
    for (let i = 0; i < 3; i++) await cdp.send('HeapProfiler.collectGarbage');
    const { usedSize, totalSize } = await cdp.send('Runtime.getHeapUsage');
    const wasm = await page.evaluate(() => window.bench.wasmBytes());
    return { js_heap_used: usedSize, js_heap_total: totalSize, wasm_memory: wasm };
  };
  const { memory: m } = CFG;
  const raw = {};
  const scenario = async (key, warm, full) => {
    await warm();
    const before = await measure();
    const t0 = performance.now();
    await full();
    const seconds = (performance.now() - t0) / 1000;
    const after = await measure();
    raw[key] = { before, after, seconds, js_heap_growth: after.js_heap_used - before.js_heap_used, wasm_growth: after.wasm_memory - before.wasm_memory };
    return raw[key];
  };
  const r0 = {};
  const events = { n: m.events, size: 100 };
  const eventsUrl = streamUrl(events);
  await fetch(eventsUrl).then((r) => r.arrayBuffer());
  for (const transport of ['eventsource', 'fetch']) {
    log(`  memory: ${m.events.toLocaleString('en-US')} events, transport ${transport}`);
    const r = await scenario(
      `events-${transport}`,
      () => runClient(page, `ours-${transport}`, eventsUrl, m.warm.events),
      async () => {
        await page.evaluate(() => window.bench.startSampling(250));
        try {
          await runClient(page, `ours-${transport}`, eventsUrl, m.events);
        } finally {
          r0.curve = await page.evaluate(() => window.bench.stopSampling());
        }
      },
    );
    r.wasm_curve = r0.curve;
    // When did the wasm memory reach its final size (share of the run's time)?
    const last = r.wasm_curve[r.wasm_curve.length - 1];
    const reached = r.wasm_curve.find((x) => x.wasm === last.wasm);
    r.wasm_final_reached_at = reached.t / last.t;
  }
  // Diagnosis for the fetch transport: the body's chunk sizes, through a counting `fetch`.
  log('  memory: chunk sizes the fetch transport was given (diagnosis)');
  {
    const before = await measure();
    await page.evaluate(() => window.bench.takeChunkStats());
    await runClient(page, 'ours-fetch-counted', eventsUrl, m.events);
    const chunks = await page.evaluate(() => window.bench.takeChunkStats());
    const after = await measure();
    raw['fetch-chunks'] = { chunks, wasm_before: before.wasm_memory, wasm_after: after.wasm_memory };
  }
  const idle = `${STREAM}/idle`;
  for (const transport of ['eventsource', 'fetch']) {
    log(`  memory: ${m.createClose.toLocaleString('en-US')} create/close cycles, transport ${transport}`);
    await scenario(
      `create-close-${transport}`,
      () => page.evaluate(([u, k, t]) => window.bench.createClose(u, k, t), [idle, m.warm.createClose, transport]),
      () => page.evaluate(([u, k, t]) => window.bench.createClose(u, k, t), [idle, m.createClose, transport]),
    );
  }
  log(`  memory: ${m.listeners.toLocaleString('en-US')} listener add/remove cycles`);
  await scenario(
    'listeners',
    () => page.evaluate(([u, k]) => window.bench.listenerCycles(u, k), [idle, m.warm.listeners]),
    () => page.evaluate(([u, k]) => window.bench.listenerCycles(u, k), [idle, m.listeners]),
  );
  await page.close();
  results.raw.memory = raw;

  // "Flat": JS heap and wasm linear memory each grow by less than 1 MiB over the whole run.
  const LIMIT = 1 << 20;
  const flat = (...keys) => keys.every((k) => raw[k].js_heap_growth < LIMIT && raw[k].wasm_growth < LIMIT);
  const show = (k) => `JS heap ${signedKb(raw[k].js_heap_growth)}, wasm ${signedKb(raw[k].wasm_growth)}`;
  const curveNote = (k) => {
    const r = raw[k];
    if (r.wasm_growth < LIMIT) return '';
    const c = raw['fetch-chunks'];
    return ` (${k.replace('events-', '')}: wasm reached its final size ${int(r.wasm_final_reached_at * 100)}% into the run` +
      (k === 'events-fetch' && c
        ? `; the body came in ${int(c.chunks.count)} chunks of up to ${fix(c.chunks.max / 2 ** 20, 2)} MiB, each copied whole into wasm memory, and a second ${int(m.events)}-event run grew it by ${signedKb(c.wasm_after - c.wasm_before)}: a one-time step to fit the largest chunk, bounded, not a leak)`
        : ')');
  };
  const rows = [
    ['6a', `Memory after ${m.events.toLocaleString('en-US')} events of 100 B (growth after GC, vs. after a ${m.warm.events.toLocaleString('en-US')}-event warm-up)`, ['events-eventsource', 'events-fetch'], (k) => k.replace('events-', '')],
    ['6b', `Memory after ${m.createClose.toLocaleString('en-US')} create/close cycles (new EventSource + 2 listeners + close)`, ['create-close-eventsource', 'create-close-fetch'], (k) => k.replace('create-close-', ''), m.createClose],
    ['6c', `Memory after ${m.listeners.toLocaleString('en-US')} listener add/remove cycles (addEventListener/removeEventListener + on()/off on one open source)`, ['listeners'], () => 'default transport', m.listeners],
  ];
  for (const [id, title, keys, label, cycles] of rows) {
    const ok = flat(...keys);
    row({
      id,
      title,
      ours: keys.map((k) => `${label(k)}: ${show(k)}`).join('; '),
      peers: '—',
      ratio: null,
      target: 'flat (< 1 MiB growth each)',
      met: ok,
      verdict: ok
        ? `met${cycles ? ` (${keys.map((k) => `${fix(raw[k].js_heap_growth / cycles, 1)} B`).join(' / ')} of JS heap per cycle)` : ''}`
        : `missed: grew by ${keys.map((k) => show(k)).join('; ')}${keys.map(curveNote).join('')}`,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// row 7: companion server fan-out

async function fanoutRow() {
  const r = await fanout({ url: FANOUT, pid: FANOUT_PID, conns: CFG.fanout.conns, events: CFG.fanout.events, gapMs: SMOKE ? 50 : 300 });
  results.raw.fanout = r;
  row({
    id: '7',
    title: `Companion server: ${r.connections.toLocaleString('en-US')} concurrent SSE connections on loopback, ${r.events} published events`,
    ours: `per connection p50 ${fix(r.p50_ms)} ms · p99 ${fix(r.p99_ms)} ms; all ${r.connections.toLocaleString('en-US')} reached (median of ${r.events}) ${fix(r.all_reached_median_ms)} ms, first ${fix(r.first_median_ms)} ms; server RSS ${fix(r.bytes_per_connection / 1024, 1)} KiB per connection`,
    peers: '—',
    ratio: null,
    target: 'reported (no target)',
    met: null,
    verdict: `opened in ${fix(r.open_ms / 1000, 1)} s; client: one Node process with raw sockets on the same 2 cores`,
  });
}

// ---------------------------------------------------------------------------------------------
// row 8: the inline entry against the default entry

/** gzip -9 bytes of the package files a browser loads through `entry` (its static import graph). */
function entryBytes(entry) {
  const installed = join(root, 'tests/.work/app/node_modules/eventsource-wasm');
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const [, spec] of text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s*['"](\.[^'"]+)['"]/g)) visit(join(dirname(file), spec));
  };
  visit(join(installed, entry));
  const files = [...seen];
  if (entry.endsWith('index.js')) files.push(join(installed, 'pkg/web/eventsource_wasm_bg.wasm'));
  return {
    files: files.map((f) => f.slice(installed.length + 1)),
    bytes: files.reduce((sum, f) => sum + readFileSync(f).length, 0),
    gzip_bytes: files.reduce((sum, f) => sum + gzipSize(f), 0),
  };
}

async function startupRow(browser) {
  const installed = join(root, 'tests/.work/app/node_modules/eventsource-wasm');
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
  const entries = { default: ['eventsource-wasm', '.'], inline: ['eventsource-wasm/inline', './inline'] };
  for (const [name, [specifier, subpath]] of Object.entries(entries)) {
    const file = manifest.exports[subpath].default.replace(/^\.\//, '');
    writeFileSync(
      join(www, `startup-${name}.html`),
      `<!doctype html>
<meta charset="utf-8">
<title>eventsource-wasm start-up: ${name} entry</title>
<script type="importmap">${JSON.stringify({ imports: { [specifier]: `/app/node_modules/eventsource-wasm/${file}` } })}</script>
<script type="module">
  import init, { EventSource } from '${specifier}';
  const loaded = performance.now();
  await init();
  const initialised = performance.now();
  const es = new EventSource('/fixture/basic');
  es.onmessage = () => {
    es.close();
    window.startup = { loaded, initialised, first_event: performance.now() };
  };
</script>
`,
    );
  }
  // Cold loads (a fresh context: empty HTTP and code caches), alternating the entries.
  const samples = { default: [], inline: [] };
  for (let round = 0; round < CFG.startup.rounds; round++) {
    for (const name of round % 2 ? ['inline', 'default'] : ['default', 'inline']) {
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        await page.goto(`${SERVER}/bench/startup-${name}.html`);
        await page.waitForFunction(() => window.startup, null, { timeout: 30_000 });
        samples[name].push(await page.evaluate(() => window.startup));
      } finally {
        await context.close();
      }
    }
  }
  const summary = {};
  for (const name of Object.keys(entries)) {
    const bytes = entryBytes(manifest.exports[entries[name][1]].default.replace(/^\.\//, ''));
    const pick = (key) => median(samples[name].map((s) => s[key]));
    summary[name] = { ...bytes, loaded_ms: pick('loaded'), init_ms: median(samples[name].map((s) => s.initialised - s.loaded)), first_event_ms: pick('first_event') };
  }
  results.raw.startup = { rounds: CFG.startup.rounds, samples, summary };
  const range = (name) => {
    const xs = samples[name].map((x) => x.first_event);
    return `${fix(Math.min(...xs), 0)}–${fix(Math.max(...xs), 0)}`;
  };
  const show = (x, name) =>
    `${kb(x.gzip_bytes)} gz (${kb(x.bytes)} raw); module loaded ${fix(x.loaded_ms, 1)} ms, init() ${fix(x.init_ms, 1)} ms, first event ${fix(x.first_event_ms, 1)} ms after navigation (range ${range(name)})`;
  const { default: d, inline: i } = summary;
  row({
    id: '8',
    title: `Start-up: the inline entry (eventsource-wasm/inline, the .wasm in base64) vs. the default entry (fetches the .wasm): bytes a browser loads (JS + wasm, gzip -9) and time from navigation to the first event, headless Chromium, cold cache, median of ${CFG.startup.rounds} loads each (loopback)`,
    ours: `inline: ${show(i, 'inline')}`,
    peers: `default entry: ${show(d, 'default')}`,
    ratio: i.first_event_ms / d.first_event_ms,
    ratio_note: 'inline / default, time to the first event',
    target: 'reported (no target)',
    met: null,
    verdict: `the inline entry loads ${kb(i.gzip_bytes - d.gzip_bytes)} more gzipped (${fix(((i.gzip_bytes / d.gzip_bytes) - 1) * 100, 0)}%) in one request fewer: its module graph loads in ${fix(i.loaded_ms, 1)} ms against ${fix(d.loaded_ms, 1)} ms, its init() (decoding and compiling from memory) takes ${fix(i.init_ms, 1)} ms against ${fix(d.init_ms, 1)} ms (fetching and compiling the .wasm); the first event comes ${fix(Math.abs(i.first_event_ms - d.first_event_ms), 1)} ms ${i.first_event_ms >= d.first_event_ms ? 'later' : 'sooner'} (medians; on loopback, where the extra request costs least)`,
  });
}

// ---------------------------------------------------------------------------------------------
// row 9: batched delivery (`onBatch`) against the fetch peers

const BATCH = SMOKE
  ? { stream: { id: 'batch', n: 500, size: 100 }, rounds: 1 }
  : { stream: { id: 'batch', n: 100_000, size: 100 }, rounds: 9 };
const BATCH_TARGET = 1.5;

/**
 * A second bench page whose package keeps its wasm function names (the same release build,
 * re-processed by wasm-bindgen and `wasm-opt -Oz -g`), so that a CPU profile names the Rust
 * functions; returns its path under the companion server.
 */
function prepareNamedPage() {
  const installed = join(root, 'tests/.work/app/node_modules/eventsource-wasm');
  const dir = join(www, 'named');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  execFileSync('cp', ['-r', join(installed, 'pkg'), join(dir, 'pkg')]);
  const tmp = join(work, 'named-wasm');
  rmSync(tmp, { recursive: true, force: true });
  execFileSync(join(os.homedir(), '.cargo/bin/wasm-bindgen'), ['--target', 'web', '--omit-default-module-path', '--out-name', 'eventsource_wasm', '--out-dir', tmp, NPM_WASM]);
  // scripts/wasm-opt.sh's passes, with the names kept (-g instead of --strip-debug), then the
  // boundary's names shortened as scripts/build.sh does.
  const named = join(dir, 'pkg/web/eventsource_wasm_bg.wasm');
  execFileSync(join(root, 'node_modules/.bin/wasm-opt'), ['-Oz', '--converge', '-g', '--strip-producers', '--strip-target-features', join(tmp, 'eventsource_wasm_bg.wasm'), '-o', named]);
  execFileSync(process.execPath, [join(root, 'scripts/minify-boundary.mjs'), named, join(tmp, 'eventsource_wasm.js')]);
  // The same glue as the package's (the same build): only then is the named wasm a drop-in.
  const glue = (f) => readFileSync(f, 'utf8');
  if (glue(join(tmp, 'eventsource_wasm.js')) !== glue(join(dir, 'pkg/web/eventsource_wasm.js'))) {
    throw new Error('the release wasm in target/ is not the packed one (its glue differs): run through scripts/bench.sh');
  }
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
  const entry = manifest.exports['.'].default.replace(/^\.\//, '');
  const html = readFileSync(join(www, 'index.html'), 'utf8').replace(/<script type="importmap">.*?<\/script>/s, `<script type="importmap">${JSON.stringify({ imports: { 'eventsource-wasm': `/bench/named/${entry}` } })}</script>`);
  writeFileSync(join(www, 'index-named.html'), html);
  return '/bench/index-named.html';
}

/** Where the package's own code spends its time, by Rust function (names-kept build), self µs/event. */
const RUST_GROUPS = [
  [/talc|dlmalloc|__rdl_|__rust_(alloc|dealloc|realloc)|RawVec|raw_vec|drop_in_place|alloc::alloc|Global>::alloc/, 'allocator (talc, Vec growth, drops)'],
  [/eventsource_wasm::parser::|memchr|from_utf8/, 'parser (parser/: Parser::process, process_line, dispatch)'],
  [/eventsource_wasm::batch::|event_strings::|supervisor::.*Sink>::batch/, 'batch queue (batch.rs Batches::push)'],
  [/eventsource_wasm::js::batch::/, 'batch flush (js/batch.rs on_batch)'],
  [/eventsource_wasm::transport::|eventsource_wasm::supervisor::|eventsource_wasm::bytes::|intrinsics::copy/, 'fetch read loop (transport/fetch, Deliverer::deliver)'],
];

async function profileRust(browser, path, client, url, n, runs) {
  const page = await browser.newPage();
  try {
    await page.goto(`${SERVER}${path}`);
    await page.waitForFunction(() => window.benchReady || window.benchError, null, { timeout: 30_000 });
    const error = await page.evaluate(() => window.benchError);
    if (error) throw new Error(`the named bench page failed to load: ${error}`);
    const run = () => page.evaluate(([c, u, k]) => window.bench.run(c, u, k), [client, url, n]);
    for (let i = 0; i < 3; i++) await run();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    const self = new Map();
    let sampled = 0;
    for (let r = 0; r < runs; r++) {
      await cdp.send('Profiler.start');
      await run();
      const { profile } = await cdp.send('Profiler.stop');
      const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
      profile.samples.forEach((id, i) => {
        const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
        sampled += dt;
        const { functionName: name, url: src } = nodes.get(id).callFrame;
        let label;
        if (src.endsWith('.wasm')) label = RUST_GROUPS.find(([re]) => re.test(name))?.[1] || 'other wasm';
        else if (name === 'decode') label = 'TextDecoder (the batch\'s strings out of wasm memory)';
        else if (name === 'plain_events') label = 'plain_events (JS: substrings and { type, data, lastEventId } objects)';
        else if (name === '(garbage collector)') label = 'garbage collector';
        else if (name === '(idle)') label = 'idle';
        else if (name === '(program)' || name === '(root)') label = 'browser internals (program)';
        else label = 'other JS';
        self.set(label, (self.get(label) || 0) + dt);
      });
    }
    await cdp.detach().catch(() => {});
    const events = n * runs;
    return { runs, events, sampled_ms: sampled, items: [...self].map(([label, ms]) => ({ label, ms, us_per_event: (ms * 1000) / events })).sort((a, b) => b.ms - a.ms) };
  } finally {
    await page.close();
  }
}

/** A trace event's share of the main thread: what runs page code, GC, frames, or Chromium's own tasks. */
function traceCategory(name) {
  if (/GC|Scaveng|MinorGC|MajorGC|Sweep|Marking/.test(name)) return 'gc';
  if (/FunctionCall|RunMicrotasks|RunPendingMicrotask|v8\.callFunction|v8\.run|V8\.Execute|EvaluateScript|TimerFire|FireAnimationFrame/.test(name)) return 'js';
  if (/BeginMainFrame|Animat|Paint|Layout|Style|Commit|UpdateLifecycle|Layer/.test(name)) return 'frames';
  return 'native';
}

/**
 * The page's main-thread CPU time per event of `client` (thread time of trace events, each counted
 * without its children), over `runs` traced runs: { total, js, native, gc, frames } in µs/event.
 */
async function mainThreadTime(page, client, url, n, runs) {
  const browser = page.context().browser();
  const acc = { js: 0, native: 0, gc: 0, frames: 0 };
  for (let r = 0; r < runs; r++) {
    await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8', 'v8.execute', 'blink', 'toplevel', 'loading', 'cc', 'renderer.scheduler'] });
    await page.evaluate(([c, u, k]) => window.bench.run(c, u, k), [client, url, n]);
    const { traceEvents } = JSON.parse((await browser.stopTracing()).toString());
    const threads = new Map();
    for (const e of traceEvents) if (e.ph === 'M' && e.name === 'thread_name') threads.set(`${e.pid}:${e.tid}`, e.args.name);
    const counts = new Map();
    for (const e of traceEvents) {
      const key = `${e.pid}:${e.tid}`;
      if (e.ph === 'X' && threads.get(key) === 'CrRendererMain') counts.set(key, (counts.get(key) || 0) + 1);
    }
    const main = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
    const events = traceEvents.filter((e) => `${e.pid}:${e.tid}` === main && e.ph === 'X' && e.tdur != null).sort((a, b) => a.ts - b.ts || b.dur - a.dur);
    const open = [];
    const self = events.map((e) => {
      while (open.length && open[open.length - 1].end <= e.ts) open.pop();
      const own = { category: traceCategory(e.name), us: e.tdur };
      if (open.length) open[open.length - 1].own.us -= e.tdur;
      open.push({ end: e.ts + e.dur, own });
      return own;
    });
    for (const { category, us } of self) acc[category] += us;
  }
  const per = (us) => us / (n * runs);
  const out = Object.fromEntries(Object.entries(acc).map(([k, v]) => [k, per(v)]));
  out.total = Object.values(out).reduce((a, b) => a + b, 0);
  return out;
}

async function batchRow(page) {
  const { stream, rounds } = BATCH;
  const url = streamUrl(stream);
  // Ours, the fetch peers, our createParser (context), and the body alone (the ceiling).
  const clients = ['ours-batch', ...FETCH_PEERS, 'ours-parser-fetch', 'fetch-body-only'];
  log(`  batched delivery, ${streamLabel(stream)}, ${rounds} rounds`);
  await fetch(url).then((r) => r.arrayBuffer());
  for (const c of clients) await runClient(page, c, url, Math.min(stream.n, CFG.warmupEvents));
  const samples = Object.fromEntries(clients.map((c) => [c, []]));
  const dataChars = stream.n * (stream.size - `id: ${0}\ndata: `.length - 2);
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < clients.length; i++) {
      const c = clients[(i + round) % clients.length];
      const { ms, bytes } = await runClient(page, c, url, stream.n);
      // The clients count data characters; the body-only reference counts the body's bytes.
      const [expected, slack, what] = c === 'fetch-body-only' ? [stream.n * stream.size, 0, 'body bytes'] : [dataChars, stream.n * 8, 'data characters'];
      if (Math.abs(bytes - expected) > slack) throw new Error(`${c} delivered ${bytes} ${what}, expected about ${expected}`);
      samples[c].push((stream.n / ms) * 1000);
    }
  }
  const r = {};
  for (const c of clients) {
    const rates = samples[c];
    r[c] = { events_per_s: median(rates), min: Math.min(...rates), max: Math.max(...rates), samples: rates };
  }
  const fastest = FETCH_PEERS.reduce((a, b) => (r[a].events_per_s >= r[b].events_per_s ? a : b));
  // Paired by round (every client runs once per round, back to back): drift cancels out.
  const pairedWith = (c) => r[c].samples.map((x, i) => x / r[fastest].samples[i]);
  const paired = pairedWith('ours-batch');
  const ratio = median(paired);
  const ceiling = median(pairedWith('fetch-body-only'));
  // How the batches came (one extra, untimed run), and where the time goes (one profiled run each).
  await runClient(page, 'ours-batch', url, stream.n);
  const batches = await page.evaluate(() => window.bench.takeBatchStats());
  const po = await profileRun(page, 'ours-batch', url, stream.n);
  const pf = await profileRun(page, fastest, url, stream.n);
  // The inline JS snippets of the package (e.g. plain_events, which builds the batch's objects).
  for (const item of po.items) {
    const m = /^(\w+) \(inline\d+\.js\)$/.exec(item.label);
    if (m) Object.assign(item, { label: `glue: ${m[1]}`, ours: true });
  }
  const merged = new Map();
  for (const item of po.items) {
    const seen = merged.get(item.label);
    merged.set(item.label, seen ? { ...seen, ms: seen.ms + item.ms, us_per_event: seen.us_per_event + item.us_per_event } : item);
  }
  po.items = [...merged.values()].sort((a, b) => b.ms - a.ms);
  // Main-thread CPU time per event (trace, thread time): ours, the fastest peer, the body alone.
  const traceRuns = SMOKE ? 1 : 3;
  const main = {};
  for (const c of ['ours-batch', fastest, 'fetch-body-only']) main[c] = await mainThreadTime(page, c, url, stream.n, traceRuns);
  // Ours by Rust function: the same build with names kept, profiled over a few runs.
  const rust = await profileRust(page.context().browser(), prepareNamedPage(), 'ours-batch', url, stream.n, SMOKE ? 1 : 5);
  results.raw.batch = { stream, rounds, throughput: r, fastest, paired_ratios: paired, ceiling_ratio: ceiling, batches, main_thread_us_per_event: main, profiles: { 'ours-batch': po, [fastest]: pf, 'ours-batch by Rust function': rust } };
  const us = (c) => 1e6 / r[c].events_per_s;
  const met = ratio >= BATCH_TARGET;
  const m = (c) => main[c];
  // At the target, ours may spend the fastest peer's main-thread time / 1.5 per event; the body's
  // own handling by Chromium and the TextDecoder that makes the JS strings come out of it first.
  const budget = m(fastest).total / BATCH_TARGET;
  const decoder = rust.items.find((i) => /^TextDecoder/.test(i.label))?.us_per_event || 0;
  const why =
    `${fix(us('ours-batch'), 2)} µs per event against ${fix(us(fastest), 2)} µs; ` +
    `main-thread CPU per event (trace, thread time, ${traceRuns} runs each): ours ${fix(m('ours-batch').total, 2)} µs (page code: JS + wasm ${fix(m('ours-batch').js, 2)} µs; Chromium's handling of the fetch body and tasks ${fix(m('ours-batch').native, 2)} µs; GC ${fix(m('ours-batch').gc, 2)} µs; frames ${fix(m('ours-batch').frames, 2)} µs), ` +
    `${fastest} ${fix(m(fastest).total, 2)} µs (page code ${fix(m(fastest).js, 2)} µs, Chromium ${fix(m(fastest).native, 2)} µs), the fetch body alone (read and dropped, nothing decoded or parsed) ${fix(m('fetch-body-only').total, 2)} µs ` +
    `(it comes at ${int(r['fetch-body-only'].events_per_s)} ev/s, ${fix(ceiling)}× ${fastest}); at ${fix(BATCH_TARGET, 1)}× ours would have ${fix(budget, 2)} µs per event, ` +
    `${fix(budget - m('fetch-body-only').total, 2)} µs once the body is read, for decoding (the TextDecoder alone: ${fix(decoder, 2)} µs), parsing and delivering; ` +
    `ours by Rust function (CPU profile self time per event, names-kept build, ${rust.runs} runs): ${rust.items.filter((i) => !/^(idle|browser internals|other JS)/.test(i.label)).slice(0, 7).map((i) => `${i.label} ${fix(i.us_per_event, 2)} µs`).join(', ')}; ` +
    `${int(batches.calls)} batch callbacks of up to ${int(batches.largest)} events`;
  row({
    id: '9',
    title: `Batched delivery: onBatch(cb, { every: 'frame' }) on the fetch transport, ${streamLabel(stream)} events, headless Chromium: events/s to a JS callback (time to the last event, its frame included)`,
    ours: `onBatch ${int(r['ours-batch'].events_per_s)} ev/s (createParser over fetch ${int(r['ours-parser-fetch'].events_per_s)})`,
    peers: FETCH_PEERS.map((p) => `${p} ${int(r[p].events_per_s)}`).join(' · '),
    ratio,
    ratio_note: `ours onBatch / ${fastest}: median of ${paired.length} paired rounds, range ${fix(Math.min(...paired))}–${fix(Math.max(...paired))}`,
    target: `≥ ${fix(BATCH_TARGET, 1)} (× the fastest peer)`,
    met,
    verdict: `${met ? 'met' : ratio < 1 ? `missed: ${fastest} is ${fix(1 / ratio)}× as fast as ours` : `missed: ours is ${fix(ratio)}× ${fastest}, short of ${fix(BATCH_TARGET, 1)}×`}; ${why}`,
  });
}

// ---------------------------------------------------------------------------------------------
// main

const ROWS = [
  ['1a', 'Native path, small events'],
  ['1b', 'Native path, large events'],
  ['2a', 'Fetch path, small events'],
  ['2b', 'Fetch path, large events'],
  ['3-small', 'Rust parser, small'],
  ['3-large', 'Rust parser, large'],
  ['3-comments', 'Rust parser, comments'],
  ['3-crlf', 'Rust parser, CRLF'],
  ['4', 'Latency'],
  ['5', 'Size, npm package'],
  ['5a', 'Size, Rust app: bare wrapper'],
  ['5b', 'Size, Rust app: + fetch'],
  ['5c', 'Size, Rust app: + reconnect'],
  ['6a', 'Memory, events'],
  ['6b', 'Memory, create/close'],
  ['6c', 'Memory, listeners'],
  ['7', 'Companion server fan-out'],
  ['8', 'Start-up: inline entry vs. default entry'],
  ['9', 'Batched delivery (onBatch), small events'],
  ['10', 'Shared connection: 8 tabs on one stream'],
  ['11a', "Size, Leptos app: use_event_source, browser's EventSource only"],
  ['11b', 'Size, Leptos app: + fetch'],
  ['11c', 'Size, Leptos app: + reconnect'],
];
// A prefix names whole rows: '1' is 1a and 1b, not 10 or 11a.
const byPrefix = (id, p) => id.startsWith(p) && !/\d/.test(id.charAt(p.length));
const pick = (...ids) => ROWS.filter(([id]) => ids.some((p) => byPrefix(id, p)));

const started = performance.now();
mkdirSync(work, { recursive: true });
let pageReady = false;
await part('bench page and peer bundles', pick('1a', '1b', '2', '4', '5', '6', '8', '9'), async () => {
  await preparePage();
  pageReady = true;
});
if (pageReady) await part('row 5: size of the npm package', ROWS.filter(([id]) => id === '5'), sizeRow);
await part('row 5a–c: size of three Rust apps', pick('5a', '5b', '5c'), rustAppRows);
await part('row 11a–c: size of a Leptos app using the hook', pick('11'), leptosAppRows);
await part('row 3: Rust parser (criterion)', pick('3'), parserRows);

let browser;
if (pageReady) {
  await part('rows 1, 2, 4: headless Chromium', pick('1a', '1b', '2', '4'), async () => {
    browser = await launch();
    results.versions.chromium = browser.version();
    const page = await openPage(browser);
    try {
      await part('rows 1 and 2: throughput', pick('1a', '1b', '2'), () => throughputRows(page));
      await part('row 4: latency', pick('4'), () => latencyRow(page));
    } finally {
      if (page.problems.length) log(`page errors: ${page.problems.slice(0, 5).join(' | ')}`);
      await page.close();
    }
  });
  await part('row 6: memory', pick('6'), async () => {
    if (!browser) {
      // Rows 1, 2 and 4 were skipped (--only) or failed before launching one.
      browser = await launch();
      results.versions.chromium = browser.version();
    }
    await memoryRows(browser);
  });
  await part('row 8: start-up of the inline and default entries', pick('8'), async () => {
    if (!browser) {
      browser = await launch();
      results.versions.chromium = browser.version();
    }
    await startupRow(browser);
  });
  await part('row 9: batched delivery (onBatch)', pick('9'), async () => {
    if (!browser) {
      browser = await launch();
      results.versions.chromium = browser.version();
    }
    const page = await openPage(browser);
    try {
      await batchRow(page);
    } finally {
      await page.close();
    }
  });
}
await part('row 10: 8 tabs on one stream, shared and private', pick('10'), async () => {
  if (!browser) {
    browser = await launch();
    results.versions.chromium = browser.version();
  }
  const { row: r, raw } = await sharedRow(browser, { smoke: SMOKE });
  results.raw.shared = raw;
  row(r);
});
if (browser) await browser.close();
await part('row 7: companion server fan-out', pick('7'), fanoutRow);
agent.destroy();

// Every row, in order (a part that failed before adding its rows has marked them).
for (const [id, title] of ROWS) {
  if (ONLY.length && !ONLY.some((o) => byPrefix(id, o))) continue;
  if (!results.rows.some((r) => r.id === id)) {
    results.rows.push({ id, title, status: 'error', ours: '—', peers: '—', ratio: null, target: '—', verdict: 'not measured' });
    results.failures.push({ part: id, error: 'not measured' });
  }
}
results.rows.sort((a, b) => ROWS.findIndex(([id]) => id === a.id) - ROWS.findIndex(([id]) => id === b.id));
results.seconds = (performance.now() - started) / 1000;
results.table = table();
// A smoke run's figures are meaningless: they never overwrite the committed bench/results.json.
const resultsFile = SMOKE ? join(work, 'results.smoke.json') : ONLY.length ? join(work, 'results.partial.json') : join(here, 'results.json');
writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
if (UPDATE && !SMOKE && ONLY.length && !results.failures.length) updateCommitted();
console.log(results.table);
log(`${SMOKE ? 'smoke run' : 'run'} took ${results.seconds.toFixed(0)} s; ${resultsFile.slice(root.length + 1)} written`);
if (results.failures.length) {
  log(`FAILED parts: ${results.failures.map((f) => f.part).join(', ')}`);
  process.exit(1);
}

/** `--update`: this partial run's rows replace the same rows of bench/results.json. */
function updateCommitted() {
  const file = join(here, 'results.json');
  const committed = JSON.parse(readFileSync(file, 'utf8'));
  const order = (id) => ROWS.findIndex(([r]) => r === id);
  const fresh = results.rows.map((r) => ({ ...r, measured: results.date }));
  committed.rows = [...committed.rows.filter((r) => !fresh.some((f) => f.id === r.id)), ...fresh].sort((a, b) => order(a.id) - order(b.id));
  Object.assign((committed.raw ||= {}), results.raw);
  Object.assign((committed.versions ||= {}), results.versions);
  (committed.updates ||= []).push({ date: results.date, rows: fresh.map((r) => r.id), machine: results.machine });
  committed.table = table(committed);
  writeFileSync(file, `${JSON.stringify(committed, null, 2)}\n`);
  log(`bench/results.json: rows ${fresh.map((r) => r.id).join(', ')} replaced (measured ${results.date})`);
}

function table(res = results) {
  const esc = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const updated = (res.updates || []).map((u) => `; rows ${u.rows.join(', ')} measured ${u.date.slice(0, 10)}`).join('');
  const lines = [
    `Benchmarks — ${res.date.slice(0, 10)}${updated}, ${res.machine.cpus} × ${res.machine.cpu_model}, ${(res.machine.memory_bytes / 2 ** 30).toFixed(0)} GiB, Node ${res.machine.node}, Chromium ${res.versions.chromium || '?'}${res.smoke ? ' — SMOKE RUN (tiny sizes, figures meaningless)' : ''}`,
    '',
    '| # | benchmark | eventsource-wasm | side by side (same run) | ratio | target | result |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of res.rows) {
    const ratio = r.ratio == null ? '—' : `${fix(r.ratio)}${r.ratio_note ? ` (${r.ratio_note})` : ''}`;
    lines.push(`| ${r.id} | ${esc(r.title)} | ${esc(r.ours)} | ${esc(r.peers)} | ${esc(ratio)} | ${esc(r.target)} | ${esc(r.status === 'error' ? `ERROR — ${r.verdict}` : r.verdict)} |`);
  }
  return lines.join('\n');
}
