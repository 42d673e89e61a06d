// Builds and runs every app in examples/ as a user would, against the companion server, and
// checks that events arrive. The packed tarball (tests/js/prepare-app.mjs) is installed once
// into tests/.work/examples/, each example is copied beside it, and the bundlers, frameworks,
// Deno and Bun are the repo's devDependencies, found up the folder tree (one shared install:
// the examples' package.json files must declare the same versions, checked first). Rust
// examples are built with cargo (`--release --target wasm32-unknown-unknown`, into
// target/examples) and the wasm-bindgen CLI (`--target web`, into the copy's dist/). Browser
// examples run in one headless Chromium (a fresh context each), each served as the site root
// by its own sse-server (`--www`, plus `/node_modules` for the import-map page) on
// SSE_EXAMPLES_PORT (default 18789); Node.js, Deno and Bun examples read SSE_URL.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { launch } from '../js/chromium.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const work = join(root, 'tests/.work/examples');
const PORT = Number(process.env.SSE_EXAMPLES_PORT || 18789);
const ORIGIN = `http://127.0.0.1:${PORT}`;
const TICK = /^(worker |sw )?tick \d+$/;

/**
 * name → how it is checked. `serve`: the folder served as the site root after `npm run build`
 * (if the example has a build script); `lists`: selectors of lists that must fill with ticks;
 * `script`: an npm script that must print ticks and exit; `ssr`: a server whose page must
 * contain a tick rendered on the server; `dev`: also checked under `npm run dev`; `cargo`: a
 * Rust example (its package in the workspace), built with cargo and wasm-bindgen instead of
 * npm; `workspace`: a Cargo workspace other than the root's (frameworks/, target folder
 * target/frameworks), `profile`: its Cargo profile (`dev` for the Leptos app: a release build of
 * Leptos takes minutes more); `stop`: a button that must close the connection (the server counts
 * no open stream afterwards, and no more ticks arrive); `hook`: the checks of
 * eventsource-wasm-leptos's hook (see checkHook).
 */
const EXAMPLES = {
  vite: { serve: 'dist', lists: ['#page', '#worker'], dev: true },
  webpack: { serve: '.', lists: ['#events'] },
  esbuild: { serve: '.', lists: ['#events'] },
  rollup: { serve: '.', lists: ['#events'] },
  'service-worker': { serve: '.', lists: ['#events'] },
  'import-map': { serve: '.', lists: ['#events'] },
  react: { serve: 'dist', lists: ['#events'] },
  vue: { serve: 'dist', lists: ['#events'] },
  'node-ssr': { ssr: true },
  deno: { script: 'start' },
  bun: { script: 'start' },
  'rust-wasm-bindgen': { cargo: 'rust-wasm-bindgen-example', serve: '.', lists: ['#events', '#stream'], stop: '#stop' },
  leptos: { cargo: 'leptos-example', workspace: 'frameworks', profile: 'dev', serve: '.', lists: ['#events'], hook: true, stop: '#listening' },
};

/** Examples checked elsewhere, and how. */
const CHECKED_ELSEWHERE = {
  yew: 'scripts/test.sh: cargo clippy --target wasm32-unknown-unknown in frameworks/ (a type check; a full build is too slow)',
  dioxus: 'scripts/test.sh: cargo clippy --target wasm32-unknown-unknown in frameworks/ (a type check; a full build is too slow)',
};

const run = promisify(execFile);
const npm = (args, cwd, env = {}) =>
  run('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, env: { ...process.env, ...env }, maxBuffer: 64 << 20, timeout: 300_000 });
const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const timings = {};

let browser;
before(async () => {
  const tarballs = readdirSync(join(root, 'tests/.work')).filter((f) => /^eventsource-wasm-.*\.tgz$/.test(f));
  assert.ok(tarballs.length, 'no packed tarball in tests/.work: run `node tests/js/prepare-app.mjs` first');
  const tarball = tarballs.map((f) => join(root, 'tests/.work', f)).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'examples', private: true, dependencies: { 'eventsource-wasm': `file:${tarball}` } }, null, 2));
  await npm(['install'], work);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  const total = Object.values(timings).reduce((s, t) => s + t, 0);
  console.log(`examples: ${Object.entries(timings).map(([n, t]) => `${n} ${(t / 1000).toFixed(1)} s`).join(', ')}; total ${(total / 1000).toFixed(1)} s`);
});

test('every example is listed here, and declares the versions CI installs (the repo devDependencies)', () => {
  const found = readdirSync(join(root, 'examples')).filter((d) => statSync(join(root, 'examples', d)).isDirectory()).sort();
  assert.deepEqual(found, [...Object.keys(EXAMPLES), ...Object.keys(CHECKED_ELSEWHERE)].sort());
  for (const name of found) {
    const readme = readFileSync(join(root, 'examples', name, 'README.md'), 'utf8').trimEnd().split('\n');
    assert.equal(readme.length, 3, `${name}/README.md has three lines`);
    if (!existsSync(join(root, 'examples', name, 'package.json'))) {
      assert.ok(existsSync(join(root, 'examples', name, 'Cargo.toml')), `${name} has a package.json or a Cargo.toml`);
      continue;
    }
    const manifest = JSON.parse(readFileSync(join(root, 'examples', name, 'package.json'), 'utf8'));
    assert.equal(manifest.dependencies?.['eventsource-wasm'], `^${rootManifest.version}`, `${name}: eventsource-wasm`);
    for (const [dep, range] of Object.entries({ ...manifest.devDependencies, ...manifest.dependencies })) {
      if (dep === 'eventsource-wasm') continue;
      const ours = rootManifest.devDependencies[dep];
      assert.ok(ours, `${name} uses ${dep}, which is not a devDependency of the repo (CI would not have it)`);
      assert.equal(range, `^${ours}`, `${name}: ${dep} ${range}, CI installs ${ours}`);
    }
  }
});

/** The scripts a build wrote: everything under dist/, and the service worker. */
function builtScripts(dir) {
  const found = existsSync(join(dir, 'sw.js')) ? [join(dir, 'sw.js')] : [];
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.[cm]?js$/.test(entry.name)) found.push(path);
    }
  };
  if (existsSync(join(dir, 'dist'))) walk(join(dir, 'dist'));
  return found;
}

const servers = new Set();
process.on('exit', () => {
  for (const server of servers) server.kill();
});

/** Starts sse-server serving `www` at / (and the shared node_modules); resolves to a stop(). */
async function serve(www) {
  // A server left by a test that timed out would hold the port.
  const left = [...servers].filter((server) => server.exitCode === null && server.signalCode === null);
  servers.clear();
  await Promise.all(left.map((server) => new Promise((resolve) => {
    server.removeAllListeners('exit');
    server.on('exit', resolve);
    server.kill();
  })));
  const args = ['--port', String(PORT), '--www', www, '--mount', `/node_modules=${join(work, 'node_modules')}`, '--tick-ms', '100'];
  const server = spawn(join(root, 'target/release/sse-server'), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  // A test that timed out never reaches its `finally`: its server must not hold the port for
  // the next example, nor keep this process alive.
  servers.add(server);
  server.on('exit', () => servers.delete(server));
  let output = '';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sse-server did not start: ${output}`)), 10_000);
    const onData = (chunk) => {
      output += chunk;
      if (output.includes('listening on')) { clearTimeout(timer); resolve(); }
    };
    server.stdout.on('data', onData);
    server.stderr.on('data', onData);
    server.on('exit', (code) => { clearTimeout(timer); reject(new Error(`sse-server exited with ${code}: ${output}`)); });
  });
  return () => new Promise((resolve) => {
    servers.delete(server);
    server.removeAllListeners('exit');
    if (server.exitCode !== null || server.signalCode !== null) return resolve();
    server.on('exit', resolve);
    server.kill();
  });
}

/** Runs `command` until it exits; rejects with its output on failure. */
function exec(command, args, options) {
  return run(command, args, { maxBuffer: 16 << 20, timeout: 120_000, ...options }).catch((error) => {
    throw new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${error.stdout ?? ''}\n${error.stderr ?? ''}`);
  });
}

/**
 * A Rust example as its README builds it: cargo (into target/examples, apart from the npm
 * package's build) and `wasm-bindgen --target web` into the copy's dist/.
 */
async function buildRust({ cargo: pkg, workspace, profile = 'release' }, dir) {
  const targetDir = join(process.env.CARGO_TARGET_DIR || join(root, 'target'), workspace ?? 'examples');
  await exec('cargo', ['build', '--quiet', '--locked', '--profile', profile, '--target', 'wasm32-unknown-unknown', '-p', pkg], {
    cwd: workspace ? join(root, workspace) : root,
    env: { ...process.env, CARGO_TARGET_DIR: targetDir },
    timeout: 900_000,
  });
  // A library's .wasm is named with underscores, a binary's as its package.
  const out = join(targetDir, 'wasm32-unknown-unknown', profile === 'dev' ? 'debug' : profile);
  const wasm = [pkg, pkg.replaceAll('-', '_')].map((name) => join(out, `${name}.wasm`)).find(existsSync);
  assert.ok(wasm, `cargo wrote no ${pkg}.wasm into ${out}`);
  await exec('wasm-bindgen', ['--target', 'web', '--out-dir', join(dir, 'dist'), wasm]);
}

/** Polls /stats until `done(stats)` (5 s at most); returns the last stats. */
async function statsUntil(origin, done) {
  let stats;
  for (let i = 0; i < 50; i++) {
    stats = await (await fetch(`${origin}/stats`)).json();
    if (done(stats)) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return stats;
}

/**
 * eventsource-wasm-leptos's hook in examples/leptos: the readyState signal went CONNECTING →
 * OPEN; a new URL (another channel) closes the old connection and opens one to it (an event
 * published there arrives; the demo channel's ticks stop), and the same URL again keeps it; a
 * URL the browser rejects shows the error in the last-error signal (no panic: the page goes on)
 * and readyState CLOSED with no stream open; back to the demo channel, ticks arrive again.
 */
async function checkHook(page, origin) {
  const text = (selector) => page.$eval(selector, (element) => element.textContent.trim()).catch(() => '');
  const items = () => page.$$eval('#events li', (lis) => lis.map((li) => li.textContent.trim()));
  assert.equal(await text('#state'), 'connecting → open', 'the readyState signal');
  const { total_connections: total } = await statsUntil(origin, (stats) => stats.open_connections === 1);
  await page.click('#other');
  const switched = await statsUntil(origin, (stats) => stats.total_connections === total + 1 && stats.open_connections === 1);
  assert.deepEqual([switched.total_connections, switched.open_connections], [total + 1, 1], 'a new connection, the old one closed');
  await page.waitForFunction(() => document.querySelector('#state')?.textContent.trim().endsWith('open'));
  // The same URL again keeps the connection.
  await page.click('#other');
  await new Promise((resolve) => setTimeout(resolve, 300));
  const same = await statsUntil(origin, () => true);
  assert.deepEqual([same.total_connections, same.open_connections], [total + 1, 1], 'the same URL again reconnected');
  const response = await fetch(`${origin}/publish`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ channel: 'other', event: 'tick', data: { n: 1000000 } }),
  });
  assert.equal(response.status, 200, await response.text());
  await page.waitForFunction(() => [...document.querySelectorAll('#events li')].some((li) => li.textContent.trim() === 'tick 1000000'), null, { timeout: 5000 });
  await new Promise((resolve) => setTimeout(resolve, 500)); // five ticks of the demo channel
  assert.equal((await items()).at(-1), 'tick 1000000', 'no demo tick after the switch');
  await page.click('#bad');
  await page.waitForSelector('#error', { timeout: 5000 });
  assert.match(await text('#error'), /not a valid EventSource URL/);
  assert.match(await text('#state'), /closed$/);
  const closed = await statsUntil(origin, (stats) => stats.open_connections === 0);
  assert.equal(closed.open_connections, 0, 'the bad URL left a stream open');
  await page.click('#demo');
  await page.waitForFunction(() => /^tick \d+$/.test(document.querySelector('#events li:last-child')?.textContent.trim() ?? '') &&
    document.querySelector('#events li:last-child').textContent.trim() !== 'tick 1000000', null, { timeout: 5000 });
}

/** Clicks `button`; then the server must count no open stream, and the lists must stay as they are. */
async function checkStop(page, { lists, stop }, origin) {
  const count = () => page.$$eval(lists.map((list) => `${list} li`).join(', '), (items) => items.length);
  await page.click(stop);
  let open;
  for (let i = 0; i < 50; i++) {
    ({ open_connections: open } = await (await fetch(`${origin}/stats`)).json());
    if (open === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.equal(open, 0, `${stop}: the server still counts ${open} open stream(s) 5 s later`);
  const before = await count();
  await new Promise((resolve) => setTimeout(resolve, 500)); // five ticks of the server
  assert.equal(await count(), before, `${stop}: ticks still arrive`);
}

async function checkPage({ lists, stop, hook }, origin) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error}`));
  page.on('console', (message) => {
    // A failed request is reported below, with its URL.
    if (/^Failed to load resource/.test(message.text())) return;
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`console.${message.type()}: ${message.text()}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400 && new URL(response.url()).pathname !== '/favicon.ico') problems.push(`${response.status()} ${response.url()}`);
  });
  try {
    await page.goto(`${origin}/`);
    for (const list of lists) {
      await page.waitForFunction(
        ([selector, pattern]) => {
          const items = [...document.querySelectorAll(`${selector} li`)].map((li) => li.textContent.trim());
          return items.filter((text) => new RegExp(pattern).test(text)).length >= 2 || items.some((text) => /gave up|error/i.test(text));
        },
        [list, TICK.source],
        { timeout: 20_000 },
      ).catch(async (error) => {
        throw new Error(`${list}: ${error.message}\n${await page.content()}\n${problems.join('\n')}`);
      });
      const items = await page.$$eval(`${list} li`, (lis) => lis.map((li) => li.textContent.trim()));
      assert.ok(items.filter((text) => TICK.test(text)).length >= 2, `${list}: ${items.join(' | ')}`);
    }
    if (hook) await checkHook(page, origin);
    if (stop) await checkStop(page, { lists, stop }, origin);
    assert.deepEqual(problems, [], 'no errors or warnings in the page');
  } finally {
    await context.close();
  }
}

// EXAMPLES=vite,deno runs only those (while working on them).
const only = process.env.EXAMPLES ? process.env.EXAMPLES.split(',') : null;

describe('examples', () => {
  for (const [name, how] of Object.entries(EXAMPLES)) {
    if (only && !only.includes(name)) continue;
    // A Rust example's first build compiles its dependencies (minutes on two cores).
    test(name, { timeout: how.cargo ? 900_000 : 300_000 }, async () => {
      const started = Date.now();
      const dir = join(work, name);
      cpSync(join(root, 'examples', name), dir, { recursive: true, filter: (src) => !/[/\\](node_modules|dist|pkg|target)$/.test(src) });
      if (how.cargo) {
        await buildRust(how, dir);
        const stop = await serve(join(dir, how.serve));
        try {
          await checkPage(how, ORIGIN);
        } finally {
          await stop();
        }
        timings[name] = Date.now() - started;
        return;
      }
      // The package in the example's own node_modules, as `npm install` leaves it (a dev server
      // serves files from inside the project only); everything else is found up the tree.
      cpSync(join(work, 'node_modules/eventsource-wasm'), join(dir, 'node_modules/eventsource-wasm'), { recursive: true });
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      if (manifest.scripts?.build) {
        const { stdout, stderr } = await npm(['run', 'build'], dir);
        assert.doesNotMatch(`${stdout}\n${stderr}`, /\bwarn(ing)?s?\b|\(!\)/i, `${name}: the build warned:\n${stdout}\n${stderr}`);
        // A bundle carries the inlined .wasm once at most (a bundler that copies a constant
        // string into each expression using it would multiply it).
        for (const file of builtScripts(dir)) {
          const copies = readFileSync(file, 'utf8').split('AGFzbQ').length - 1;
          assert.ok(copies <= 1, `${file} carries the inlined .wasm ${copies} times`);
        }
      }
      if (manifest.scripts?.check) await npm(['run', 'check'], dir); // a type check (deno check)
      if (how.lists) {
        const stop = await serve(join(dir, how.serve));
        try {
          await checkPage(how, ORIGIN);
          if (how.dev) await checkDev(how, dir);
        } finally {
          await stop();
        }
      } else {
        const stop = await serve(dir);
        try {
          if (how.script) {
            const { stdout } = await npm(['run', '--silent', how.script], dir, { SSE_URL: `${ORIGIN}/events` });
            const ticks = stdout.split('\n').filter((line) => TICK.test(line.trim()));
            assert.ok(ticks.length >= 3, `${name} printed:\n${stdout}`);
          } else {
            await checkSsr(name, dir);
          }
        } finally {
          await stop();
        }
      }
      timings[name] = Date.now() - started;
    });
  }
});

/** `npm run dev` (Vite's dev server, proxying /events to the example's sse-server) serves the same page. */
async function checkDev(how, dir) {
  const port = PORT + 1;
  const dev = spawn('npm', ['run', 'dev', '--', '--port', String(port), '--strictPort', '--host', '127.0.0.1'], {
    cwd: dir,
    // No colours: with CI=true Vite colours its output (escape codes inside "Local:").
    env: { ...process.env, SSE_ORIGIN: ORIGIN, NO_COLOR: '1', FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: npm, the shell and Vite stop together
  });
  let output = '';
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`npm run dev did not start in 60 s:\n${output}`)), 60_000);
      const onData = (chunk) => {
        output += chunk;
        // eslint-disable-next-line no-control-regex
        if (/Local:/.test(output.replace(/\x1b\[[0-9;]*m/g, ''))) {
          clearTimeout(timer);
          resolve();
        }
      };
      dev.stdout.on('data', onData);
      dev.stderr.on('data', onData);
      dev.on('exit', (code) => reject(new Error(`npm run dev exited with ${code}:\n${output}`)));
    });
    await checkPage(how, `http://127.0.0.1:${port}`);
  } finally {
    dev.removeAllListeners('exit');
    try { process.kill(-dev.pid); } catch { /* already gone */ }
  }
}

/** The SSR example: its bundled server, moved away from every node_modules, renders a tick. */
async function checkSsr(name, dir) {
  const moved = join(root, 'tests/.work/examples-moved', name);
  rmSync(moved, { recursive: true, force: true });
  mkdirSync(moved, { recursive: true });
  cpSync(join(dir, 'dist'), join(moved, 'dist'), { recursive: true });
  cpSync(join(dir, 'server.js'), join(moved, 'server.js'));
  writeFileSync(join(moved, 'package.json'), JSON.stringify({ type: 'module' }));
  const port = PORT + 1;
  const server = spawn(process.execPath, ['server.js'], {
    cwd: moved,
    env: { ...process.env, PORT: String(port), SSE_URL: `${ORIGIN}/events` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listening = new Promise((resolve, reject) => {
    const onData = (chunk) => {
      output += chunk;
      if (/listening on/.test(output)) resolve();
    };
    server.stdout.on('data', onData);
    server.stderr.on('data', onData);
    server.on('exit', (code) => reject(new Error(`the SSR server exited with ${code}:\n${output}`)));
  });
  try {
    await listening;
    const html = await (await fetch(`http://127.0.0.1:${port}/`)).text();
    assert.match(html, /<li>tick \d+<\/li>/, `the server rendered no tick:\n${html}\n${output}`);
  } finally {
    server.kill();
  }
}
