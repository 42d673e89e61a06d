// `shared: true` in Firefox ESR: three tabs of one profile share one connection; the leader tab
// closes mid-stream and another takes over without losing or repeating an event. Firefox is
// driven through geckodriver's WebDriver HTTP API (playwright-core cannot drive Firefox ESR).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { after, before, test } from 'node:test';

import { SERVER, publish, unique } from './helpers.mjs';

const GECKODRIVER = process.env.GECKODRIVER || 'geckodriver';
const FIREFOX = process.env.FIREFOX || '/usr/bin/firefox-esr';

let driver;
let base;
let session;

const freePort = () => new Promise((resolve, reject) => {
  const server = createServer();
  server.once('error', reject);
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address();
    server.close(() => resolve(port));
  });
});

async function wd(method, path, body) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const { value } = await response.json();
  if (value?.error) throw new Error(`WebDriver ${method} ${path}: ${value.error}: ${value.message}`);
  return value;
}

/** Runs `body` (an async function's body, with `args`) in the current tab; returns its result. */
const run = (body, ...args) => wd('POST', `/session/${session}/execute/async`, {
  script: `const done = arguments[arguments.length - 1];
    (async (...args) => { ${body} })(...Array.from(arguments).slice(0, -1)).then(done, (e) => done({ error: String(e) }));`,
  args,
});

before(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  driver = spawn(GECKODRIVER, ['--port', String(port), '--host', '127.0.0.1'], { stdio: 'ignore' });
  driver.on('error', () => {});
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(`${base}/status`);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const created = await wd('POST', '/session', {
    capabilities: { alwaysMatch: { browserName: 'firefox', 'moz:firefoxOptions': { binary: FIREFOX, args: ['-headless'] } } },
  });
  session = created.sessionId;
  await wd('POST', `/session/${session}/timeouts`, { script: 20000 });
});

after(async () => {
  if (session) await wd('DELETE', `/session/${session}`).catch(() => {});
  driver?.kill();
});

/** Opens the scratch app in the current tab and a shared source on `path` in it. */
async function subscribe(path) {
  await wd('POST', `/session/${session}/url`, { url: `${SERVER}/app/index.html` });
  const r = await run(`
    while (!window.ready && !window.initError) await new Promise((r) => setTimeout(r, 20));
    if (window.initError) return { error: String(window.initError) };
    window.got = [];
    window.errors = [];
    window.es = new window.lib.EventSource(args[0], { shared: true });
    window.es.onmessage = (e) => window.got.push(e.data);
    window.es.onerror = (e) => window.errors.push(e.message);
    while (window.es.readyState !== 1) await new Promise((r) => setTimeout(r, 20));
    return { ok: true };`, path);
  assert.deepEqual(r, { ok: true });
}

test('Firefox: 3 tabs share one stream; the leader tab closes and another takes over: every event once, in order', async () => {
  const channel = unique('shared-ff');
  const path = `/events?channel=${channel}`;
  const tabs = [await wd('GET', `/session/${session}/window`)];
  await subscribe(path);
  for (let i = 0; i < 2; i++) {
    const { handle } = await wd('POST', `/session/${session}/window/new`, { type: 'tab' });
    await wd('POST', `/session/${session}/window`, { handle });
    await subscribe(path);
    tabs.push(handle);
  }
  const roles = [];
  for (const handle of tabs) {
    await wd('POST', `/session/${session}/window`, { handle });
    roles.push((await run('return window.es.sharing;')).leader);
  }
  assert.deepEqual(roles.filter(Boolean).length, 1, 'one tab leads');
  const leader = tabs[roles.indexOf(true)];
  for (let n = 1; n <= 300; n++) {
    const { receivers } = await publish(channel, String(n));
    assert.ok(receivers <= 1 || n > 150, `one stream before the takeover (${receivers} at ${n})`);
    if (n === 150) {
      await wd('POST', `/session/${session}/window`, { handle: leader });
      await wd('DELETE', `/session/${session}/window`);
    }
  }
  const expected = Array.from({ length: 300 }, (_, i) => String(i + 1));
  for (const handle of tabs.filter((h) => h !== leader)) {
    await wd('POST', `/session/${session}/window`, { handle });
    const r = await run(`
      const deadline = Date.now() + 15000;
      while (window.got.at(-1) !== '300' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      return { got: window.got, errors: window.errors, readyState: window.es.readyState };`);
    assert.deepEqual(r.got, expected);
    assert.deepEqual(r.errors, []);
    assert.equal(r.readyState, 1);
  }
  let receivers = 2;
  for (let i = 0; i < 50 && receivers > 1; i++) {
    await new Promise((r) => setTimeout(r, 100));
    receivers = (await publish(channel, 'settle')).receivers;
  }
  assert.equal(receivers, 1, 'one stream after the takeover');
});
