// End to end: the demo page served by the companion server, in headless Chromium.
// Connect, publish through the page's form, see the event in the log, save a screenshot.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { launch, SERVER, unique } from '../js/helpers.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const screenshots = join(root, 'test-results');

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('demo: connect, publish, see the event in the log', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems = [];
  page.on('pageerror', (error) => problems.push(String(error)));
  await page.goto(`${SERVER}/`);

  await page.waitForFunction(() => /supported/i.test(document.querySelector('#supported')?.textContent ?? ''));
  assert.match(await page.textContent('#supported'), /EventSource supported/);

  await page.click('#connect');
  await page.waitForFunction(() => document.querySelector('#state')?.textContent.trim() === 'OPEN', null, { timeout: 10000 });
  // The ticker of the demo channel shows up on its own.
  await page.waitForSelector('.log-row[data-type="tick"]', { timeout: 10000 });

  const text = `hello from the e2e test ${unique('msg')}`;
  await page.fill('#publish-channel', 'demo');
  await page.fill('#publish-event', '');
  await page.fill('#publish-data', text);
  await page.click('#publish-submit');
  const row = page.locator('.log-row[data-type="message"] .log-data', { hasText: text });
  await row.first().waitFor({ timeout: 10000 });
  assert.match(await page.textContent('#publish-result'), /\d/);

  // Markup in data is shown as text, never interpreted.
  const markup = `<img src=x onerror="window.__xss=1">${unique('x')}`;
  await page.fill('#publish-event', 'notice');
  await page.fill('#publish-data', markup);
  await page.click('#publish-submit');
  await page.locator('.log-row[data-type="notice"] .log-data', { hasText: markup }).first().waitFor({ timeout: 10000 });
  assert.equal(await page.evaluate(() => window.__xss), undefined);

  mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: join(screenshots, 'demo.png'), fullPage: true });

  await page.click('#disconnect');
  await page.waitForFunction(() => document.querySelector('#state')?.textContent.trim() === 'CLOSED');
  assert.deepEqual(problems, []);
});

test('demo: with "one connection for all tabs", the first tab leads and the second follows; both count 2 tabs', async () => {
  const context = await browser.newContext();
  const problems = [];
  const open = async () => {
    const page = await context.newPage();
    page.on('pageerror', (error) => problems.push(String(error)));
    await page.goto(`${SERVER}/`);
    await page.waitForFunction(() => /supported/i.test(document.querySelector('#supported')?.textContent ?? ''));
    await page.check('#shared');
    await page.click('#connect');
    await page.waitForFunction(() => document.querySelector('#state')?.textContent.trim() === 'OPEN', null, { timeout: 10000 });
    return page;
  };
  const first = await open();
  const second = await open();
  // The leader counts the tabs once a second.
  for (const [page, role] of [[first, 'leader'], [second, 'follower']]) {
    await page.waitForFunction((role) => document.querySelector('#sharing')?.textContent === `${role} · 2 tabs on this stream`, role, { timeout: 5000 });
  }
  await first.close();
  await second.waitForFunction(() => document.querySelector('#sharing')?.textContent.startsWith('leader'), null, { timeout: 5000 });
  await context.close();
  assert.deepEqual(problems, []);
});
