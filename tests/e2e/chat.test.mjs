// End to end: the demo page's "Streaming reply" panel (www/chat.js), served by the companion
// server, in headless Chromium. A reply is cut mid-way with the panel's own button and must resume
// by GET with no token lost or repeated and the prompt sent once; the panel's screenshot
// (test-results/chat.png) is decoded and checked to show the reply on both sides of the cut.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { launch, SERVER } from '../js/helpers.mjs';
import { decodePng, measure } from './png.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const screenshots = join(root, 'test-results');

const WORDS = ['every', 'token', 'arrives', 'once', 'and', 'in', 'order', 'after', 'the', 'cut'];
/** The server's reply to WORDS: its words cycled, one per token, read with single spaces. */
const replyText = (tokens) => Array.from({ length: tokens }, (_, i) => WORDS[i % WORDS.length]).join(' ');

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** The demo page, light colour scheme, with the chat panel ready; `page.problems` collects page errors. */
async function openDemo() {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
  page.problems = [];
  page.on('pageerror', (error) => page.problems.push(String(error)));
  await page.goto(`${SERVER}/`);
  await page.waitForFunction(() => !document.querySelector('#chat-send')?.disabled, null, { timeout: 15000 });
  return page;
}

async function send(page, { prompt = WORDS.join(' '), tokens, interval }) {
  await page.fill('#chat-prompt', prompt);
  await page.fill('#chat-tokens', String(tokens));
  await page.fill('#chat-interval', String(interval));
  await page.click('#chat-send');
}

const phase = (page, wanted, timeout = 20000) =>
  page.waitForFunction((wanted) => document.querySelector('#chat').dataset.phase === wanted, wanted, { timeout });

/** What the panel shows once a reply settled. */
const panel = (page) => page.evaluate(() => {
  const text = (selector) => document.querySelector(selector).textContent;
  return {
    reply: document.querySelector('#chat').dataset.reply,
    text: text('#chat-reply'),
    segments: [...document.querySelectorAll('#chat-reply .seg')].map((s) => [s.dataset.via, s.textContent]),
    marks: [...document.querySelectorAll('#chat-reply .resume-mark')].map((m) => Number(m.dataset.after)),
    state: text('#chat-state'),
    count: text('#chat-count'),
    countOk: document.querySelector('#chat-count').dataset.ok,
    path: text('#chat-path'),
    timeline: [...document.querySelectorAll('#chat-timeline .tl-row')].map((row) => ({ ...row.dataset, text: row.textContent })),
  };
});

/** The reply's counters on the server, once its streams have closed. */
async function serverStats(reply) {
  let stats;
  for (let i = 0; i < 50; i++) {
    stats = await (await fetch(`${SERVER}/chat/${reply}/stats`)).json();
    if (stats.open_streams === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return stats;
}

test('chat: a reply cut mid-way resumes by GET with no gap or repeat; the prompt is sent once; screenshot', async () => {
  const page = await openDemo();
  const tokens = 80;
  await send(page, { tokens, interval: 40 });

  // Cut once some tokens are on screen (the reply takes over 3 s in all).
  await page.waitForFunction(() => document.querySelector('#chat-reply').textContent.split(' ').length >= 15, null, { timeout: 10000 });
  await page.click('#chat-cut');
  // The snapshot shows the truncated error while the source waits to resume.
  const during = await page.waitForFunction(() => {
    const error = document.querySelector('#chat-last-error');
    return error.dataset.kind === 'truncated' && [document.querySelector('#chat-state').textContent, error.textContent];
  }, null, { polling: 'raf', timeout: 5000 });
  const [stateDuring, errorDuring] = await during.jsonValue();
  assert.equal(stateDuring, 'CONNECTING');
  assert.match(errorDuring, /^truncated · retry in \d+ ms$/);

  await phase(page, 'done');
  await page.waitForSelector('#chat-timeline .tl-row[data-kind="server"]', { timeout: 10000 });
  const p = await panel(page);

  // The reply: every token once, in order, split at the resume point.
  const expected = replyText(tokens);
  assert.equal(p.text, expected);
  assert.equal(p.marks.length, 1, 'one resume');
  const [after] = p.marks;
  assert.ok(after >= 15 && after < tokens, `resumed after token ${after}`);
  assert.deepEqual(p.segments, [['POST', replyText(after)], ['GET', expected.slice(replyText(after).length)]]);
  assert.equal(p.count, `${tokens} / ${tokens} · in order, no gap or repeat`);
  assert.equal(p.countOk, 'true');

  // The state went through the truncated error to done; the timeline says what happened, in order.
  assert.equal(p.state, 'CLOSED');
  assert.equal(p.path, 'CONNECTING → OPEN → CONNECTING · truncated → OPEN → CLOSED · done');
  assert.deepEqual(p.timeline.map((row) => row.kind),
    ['post', 'response', 'cut', 'error', 'reconnecting', 'get', 'resumed', 'done', 'server']);
  const row = (kind) => p.timeline.find((r) => r.kind === kind);
  const cutAt = Number(/after token (\d+)/.exec(row('cut').text)[1]);
  assert.ok(cutAt >= 15 && cutAt <= after, `cut after token ${cutAt}, resumed after ${after}`);
  assert.equal(row('error').errorKind, 'truncated');
  assert.match(row('get').text, new RegExp(`/chat/${p.reply} · Last-Event-ID ${p.reply}:${after}$`));
  assert.equal(row('resumed').after, String(after));
  assert.match(row('resumed').text, new RegExp(`after token ${after} · the next is #${after + 1}`));

  // The server generated the reply once, got one POST and resumed it by GET.
  const stats = await serverStats(p.reply);
  assert.equal(stats.posts, 1);
  assert.ok(stats.resumes >= 1, `resumes: ${stats.resumes}`);
  assert.equal(stats.done, true);
  assert.equal(stats.open_streams, 0);
  assert.equal(row('server').posts, '1');

  // The screenshot: the panel, with the reply's text on both sides of the resume mark.
  mkdirSync(screenshots, { recursive: true });
  const file = join(screenshots, 'chat.png');
  const chat = page.locator('#chat');
  await chat.screenshot({ path: file, animations: 'disabled' });
  const image = decodePng(readFileSync(file));
  const box = await chat.boundingBox();
  // The screenshot covers whole pixels: from the panel's first partly covered pixel row (column)
  // to its last, so a fractional box may gain up to a pixel at each edge.
  const fits = (pixels, size) => pixels >= Math.floor(size) && pixels <= Math.ceil(size) + 1;
  assert.ok(fits(image.width, box.width) && fits(image.height, box.height),
    `a ${image.width}×${image.height} image of the ${box.width}×${box.height} panel`);
  const within = async (selector) => {
    const b = await page.locator(selector).boundingBox();
    return { x: b.x - box.x, y: b.y - box.y, width: b.width, height: b.height };
  };
  const colours = {
    dark: (r, g, b) => r < 110 && g < 110 && b < 110 && Math.abs(b - r) < 40, // --text: the POST's tokens
    accent: (r, g, b) => b - r > 60 && b > 120 && r < 170, // the accent: the resumed tokens, the mark
  };
  const whole = measure(image, { x: 0, y: 0, width: image.width, height: image.height });
  assert.ok(whole.colours > 50, `the panel has ${whole.colours} colours`);
  const reply = measure(image, await within('#chat-reply'), colours);
  assert.ok(reply.ink / reply.pixels > 0.02, `text covers ${reply.ink} of the reply's ${reply.pixels} pixels`);
  assert.ok(reply.dark > 150, `POST tokens drawn (${reply.dark} pixels)`);
  assert.ok(reply.accent > 300, `resumed tokens drawn in the accent (${reply.accent} pixels)`);
  const mark = measure(image, await within('#chat-reply .resume-mark'), colours);
  assert.ok(mark.accent > 15, `the resume mark is drawn (${mark.accent} accent pixels)`);
  const timeline = measure(image, await within('#chat-timeline'));
  assert.ok(timeline.ink / timeline.pixels > 0.02, 'the timeline is drawn');

  assert.deepEqual(page.problems, []);
  await page.close();
});

test('chat: cut twice, resumed twice: still every token once, in order', async () => {
  const page = await openDemo();
  const tokens = 90;
  await send(page, { tokens, interval: 40 });
  const words = () => page.evaluate(() => document.querySelector('#chat-reply').textContent.split(' ').length);
  for (const at of [10, 35]) {
    await page.waitForFunction((at) => document.querySelector('#chat-reply').textContent.split(' ').length >= at, at, { timeout: 10000 });
    await page.click('#chat-cut');
    assert.ok(await words() < tokens, 'cut before the end');
  }
  await phase(page, 'done');
  await page.waitForSelector('#chat-timeline .tl-row[data-kind="server"]', { timeout: 10000 });
  const p = await panel(page);
  assert.equal(p.text, replyText(tokens));
  assert.equal(p.marks.length, 2);
  assert.ok(p.marks[0] < p.marks[1], `resumed after tokens ${p.marks}`);
  assert.deepEqual(p.segments.map(([via]) => via), ['POST', 'GET', 'GET']);
  assert.equal(p.segments[0][1], replyText(p.marks[0]));
  assert.equal(p.countOk, 'true');
  assert.equal(p.path, 'CONNECTING → OPEN → CONNECTING · truncated → OPEN → CONNECTING · truncated → OPEN → CLOSED · done');
  const stats = await serverStats(p.reply);
  assert.equal(stats.posts, 1);
  assert.ok(stats.resumes >= 2, `resumes: ${stats.resumes}`);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('chat: a reply without a cut is one POST and no resume', async () => {
  const page = await openDemo();
  await send(page, { tokens: 25, interval: 0 });
  await phase(page, 'done');
  await page.waitForSelector('#chat-timeline .tl-row[data-kind="server"]', { timeout: 10000 });
  const p = await panel(page);
  assert.equal(p.text, replyText(25));
  assert.deepEqual(p.marks, []);
  assert.equal(p.path, 'CONNECTING → OPEN → CLOSED · done');
  assert.deepEqual(p.timeline.map((row) => row.kind), ['post', 'response', 'done', 'server']);
  const stats = await serverStats(p.reply);
  assert.deepEqual([stats.posts, stats.resumes, stats.open_streams], [1, 0, 0]);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('chat: Stop closes the source and the server sees the stream close; Send works again', async () => {
  const page = await openDemo();
  await send(page, { tokens: 400, interval: 50 });
  await page.waitForFunction(() => document.querySelector('#chat-reply').textContent.split(' ').length >= 5, null, { timeout: 10000 });
  await page.click('#chat-stop');
  await phase(page, 'stopped');
  await page.waitForSelector('#chat-timeline .tl-row[data-kind="server"]', { timeout: 10000 });
  const p = await panel(page);
  assert.equal(p.state, 'CLOSED');
  const stats = await serverStats(p.reply);
  assert.equal(stats.open_streams, 0, 'the server saw the stream close');
  assert.equal(stats.done, false, 'the reply was still being generated');
  assert.equal(await page.isEnabled('#chat-send'), true);
  assert.equal(await page.isEnabled('#chat-cut'), false);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('chat: a request the server refuses is a fatal error with its status and message', async () => {
  const page = await openDemo();
  await send(page, { tokens: 5, interval: 10001 });
  await phase(page, 'failed');
  // The start of the response's body reaches the error event after it was dispatched.
  await page.waitForFunction(() => /interval_ms/.test(document.querySelector('#chat-timeline .tl-row[data-kind="error"]')?.textContent ?? ''));
  const p = await panel(page);
  const error = p.timeline.find((row) => row.kind === 'error');
  assert.equal(error.errorKind, 'connection');
  assert.match(error.text, /400 .*interval_ms.*\(fatal\)/);
  assert.equal(p.path, 'CONNECTING → CLOSED · connection · error');
  assert.deepEqual(page.problems, []);
  await page.close();
});
