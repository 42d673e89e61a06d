// `shared: true` across a page and a dedicated worker: a module worker of the scratch app
// (`/app/shared-worker.mjs`, written by prepare-app.mjs) and a page of the same browser context
// open the same source; they share one connection, each gets every event once, in order, and
// when the leading context goes away (the worker terminated, or the page closed) the other takes
// over. The companion server's `/publish` answer counts the streams open on the channel.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { SERVER, publish, subscribeShared, unique, useContext } from './helpers.mjs';

/** A page of the scratch app in the shared context, with `window.lib` loaded. */
const { openPage } = useContext();
const subscribe = subscribeShared;

/**
 * Starts the shared worker in `page` as `window.w` (what it got: `got`, `errors`, `opens`) and
 * opens `path` in it; resolves once its source is open.
 */
async function startWorker(page, path) {
  await page.evaluate(async (path) => {
    const worker = new Worker('/app/shared-worker.mjs', { type: 'module' });
    const w = { worker, got: [], errors: [], opens: 0, replies: [] };
    await new Promise((resolve, reject) => {
      worker.onmessage = ({ data }) => (data.ready ? resolve() : reject(new Error(data.error)));
      worker.onerror = (e) => reject(new Error(e.message));
    });
    worker.onmessage = ({ data }) => {
      if ('data' in data) w.got.push(data.data);
      else if ('error' in data) w.errors.push(data.error);
      else if (data.open) w.opens++;
      else w.replies.push(data);
    };
    /** The worker's source's `sharing` and readyState. */
    w.ask = () => new Promise((resolve) => {
      const n = w.replies.length;
      const poll = () => (w.replies.length > n ? resolve(w.replies[n]) : setTimeout(poll, 5));
      worker.postMessage({ command: 'sharing' });
      poll();
    });
    window.w = w;
    worker.postMessage({ command: 'open', url: path });
  }, path);
  await page.waitForFunction(() => window.w.opens === 1 || window.w.errors.length > 0, null, { timeout: 10000 });
  assert.deepEqual(await page.evaluate(() => window.w.errors), [], 'the worker\'s source opened');
}

const pageSharing = (page) => page.evaluate(() => window.es.sharing);
const workerSharing = (page) => page.evaluate(() => window.w.ask());
const stats = async () => (await fetch(`${SERVER}/stats`)).json();

/** `got` is 1..to, each once, in order. */
function assertRun(got, to) {
  assert.deepEqual(got, Array.from({ length: to }, (_, i) => String(i + 1)));
}

/** Publishes 1..count on `channel`; `at(n)` runs after event n is published. Returns the receivers of each. */
async function publishAll(channel, count, at) {
  const receivers = [];
  for (let n = 1; n <= count; n++) {
    receivers.push((await publish(channel, String(n))).receivers);
    await at(n);
    if (n % 4 === 0) await new Promise((r) => setTimeout(r, 1));
  }
  return receivers;
}

/** Publishes until the channel has one stream again (a closed context's may linger a moment). */
async function settle(channel) {
  let receivers = (await publish(channel, 'settle')).receivers;
  for (const t0 = Date.now(); receivers > 1 && Date.now() - t0 < 15000;) {
    await new Promise((r) => setTimeout(r, 200));
    receivers = (await publish(channel, 'settle')).receivers;
  }
  return receivers;
}

describe('shared: a page and a dedicated worker share one connection', () => {
  test('the worker leads, the page follows; the worker terminated mid-stream: the page takes over, every event once', async () => {
    const channel = unique('shared-worker-leads');
    const path = `/events?channel=${channel}`;
    const page = await openPage();
    await startWorker(page, path);
    await subscribe(page, path);
    assert.equal((await workerSharing(page)).sharing.leader, true, 'the worker opened first: it leads');
    assert.equal((await pageSharing(page)).leader, false);
    // The leader counts the contexts once a second: the page and the worker.
    await page.waitForFunction(() => window.es.sharing.tabs === 2, null, { timeout: 5000 });
    const before = (await stats()).total_connections;
    let terminatedAt = 0;
    const receivers = await publishAll(channel, 600, async (n) => {
      if (n === 100) await page.waitForFunction(() => window.w.got.at(-1) === '100');
      if (n === 200) {
        await page.evaluate(() => window.w.worker.terminate());
        terminatedAt = n;
      }
    });
    await page.waitForFunction(() => window.got.at(-1) === '600', null, { timeout: 15000 });
    const r = await page.evaluate(() => ({ got: window.got, errors: window.errors, opens: window.opens, workerGot: window.w.got }));
    assertRun(r.got.filter((x) => x !== 'settle'), 600);
    assert.deepEqual(r.errors, [], 'no error event: the takeover is seamless');
    assert.equal(r.opens, 1);
    assertRun(r.workerGot, r.workerGot.length);
    assert.ok(r.workerGot.length >= 100 && r.workerGot.length <= terminatedAt, `the worker got 1..${r.workerGot.length} before it ended`);
    assert.deepEqual(receivers.slice(0, 100), Array(100).fill(1), 'one stream while both were there');
    assert.equal((await pageSharing(page)).leader, true, 'the page leads now');
    assert.equal((await stats()).total_connections - before, 1, 'one new stream: the page\'s');
    assert.equal(await settle(channel), 1);
    await page.close();
  });

  test('the page leads, a worker of another page follows; the leading page closed: the worker takes over, every event once; then the worker terminated: a new page takes over', async () => {
    const channel = unique('shared-worker-follows');
    const path = `/events?channel=${channel}`;
    const leader = await openPage();
    await subscribe(leader, path);
    const host = await openPage();
    await startWorker(host, path);
    assert.equal((await pageSharing(leader)).leader, true);
    assert.equal((await workerSharing(host)).sharing.leader, false, 'the worker follows');
    const before = (await stats()).total_connections;
    const receivers = await publishAll(channel, 600, async (n) => {
      if (n === 100) await host.waitForFunction(() => window.w.got.at(-1) === '100');
      if (n === 200) await leader.close();
    });
    await host.waitForFunction(() => window.w.got.at(-1) === '600', null, { timeout: 15000 });
    const w = await host.evaluate(() => ({ got: window.w.got, errors: window.w.errors, opens: window.w.opens }));
    assertRun(w.got, 600);
    assert.deepEqual(w.errors, [], 'no error event in the worker: the takeover is seamless');
    assert.equal(w.opens, 1);
    assert.deepEqual(receivers.slice(0, 100), Array(100).fill(1), 'one stream while both were there');
    const { sharing, readyState } = await workerSharing(host);
    assert.equal(sharing.leader, true, 'the worker leads now');
    assert.equal(readyState, 1);
    assert.equal((await stats()).total_connections - before, 1, 'one new stream: the worker\'s');
    assert.equal(await settle(channel), 1);

    // The other way round: a page follows the worker, and the worker is terminated.
    const next = await openPage();
    await subscribe(next, path);
    assert.equal((await pageSharing(next)).leader, false);
    await publish(channel, 'a');
    await next.waitForFunction(() => window.got.at(-1) === 'a');
    await host.evaluate(() => window.w.worker.terminate());
    await publish(channel, 'b');
    await next.waitForFunction(() => window.got.at(-1) === 'b', null, { timeout: 10000 });
    assert.deepEqual(await next.evaluate(() => [window.got, window.errors]), [['a', 'b'], []]);
    assert.equal((await pageSharing(next)).leader, true);
    assert.equal(await settle(channel), 1);
    await host.close();
    await next.close();
  });
});
