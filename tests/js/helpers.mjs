// Shared by the JS and end-to-end tests: the companion server's URL and a headless Chromium.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';

import { launch } from './chromium.mjs';

export { launch };

export const SERVER = process.env.SSE_SERVER_URL;
if (!SERVER) {
  throw new Error('SSE_SERVER_URL is not set: run these tests through `npm test`, which starts the companion server');
}

/**
 * A page of the scratch app that imported the packed package; `window.lib` is the module.
 * `browser` may be a browser or a browser context; the page's uncaught errors go into
 * `problems` (also `page.problems`).
 */
export async function openApp(browser, problems = []) {
  const page = await browser.newPage();
  page.on('pageerror', (error) => problems.push(String(error)));
  await page.goto(`${SERVER}/app/index.html`);
  await page.waitForFunction(() => window.ready || window.initError, null, { timeout: 15000 });
  const initError = await page.evaluate(() => window.initError);
  if (initError) throw new Error(`the package failed to initialise: ${initError}`);
  page.problems = problems;
  return page;
}

export async function publish(channel, data, event) {
  const response = await fetch(`${SERVER}/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ channel, data, ...(event ? { event } : {}) }),
  });
  if (response.status !== 200) throw new Error(`publish answered ${response.status}: ${await response.text()}`);
  return response.json();
}

/**
 * Opens `window.es` with `shared: true` (and `options`) on `path` in `page`, logging its data
 * (`window.got`), error messages (`window.errors`) and `open` events (`window.opens`); resolves
 * once it is open.
 */
export async function subscribeShared(page, path, options = {}) {
  await page.evaluate(({ path, options }) => {
    window.got = [];
    window.errors = [];
    window.opens = 0;
    window.es = new window.lib.EventSource(path, { shared: true, ...options });
    window.es.onmessage = (e) => window.got.push(e.data);
    window.es.onerror = (e) => window.errors.push(e.message);
    window.es.onopen = () => window.opens++;
  }, { path, options });
  await page.waitForFunction(() => window.es.readyState === 1, null, { timeout: 10000 });
}

export const unique = (prefix) => `${prefix}-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;

/**
 * For a test file whose pages share one browser context (so they share Web Locks and
 * BroadcastChannel): a fresh browser before its tests, closed after them, failing if any page
 * had uncaught errors. `openPage(inContext?)` opens the scratch app in that context (or in
 * `inContext`, whose pages' errors count too).
 */
export function useContext() {
  const problems = [];
  let browser;
  let context;
  before(async () => {
    browser = await launch();
    context = await browser.newContext();
  });
  after(async () => {
    await browser?.close();
    assert.deepEqual(problems, [], 'no uncaught errors in the pages');
  });
  return { openPage: (inContext = context) => openApp(inContext, problems) };
}

/**
 * For a test file: opens the scratch app in a fresh browser before its tests and closes it
 * after them, failing if the page had uncaught errors. `ctx.page` is set once the tests run.
 */
export function usePage() {
  const ctx = { browser: null, page: null };
  before(async () => {
    ctx.browser = await launch();
    ctx.page = await openApp(ctx.browser);
  });
  after(async () => {
    const problems = ctx.page?.problems ?? [];
    await ctx.browser?.close();
    assert.deepEqual(problems, [], 'no uncaught errors in the page');
  });
  return ctx;
}
