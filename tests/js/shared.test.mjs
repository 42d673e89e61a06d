// `shared: true`: one connection for all pages of a browser profile, handed over when the page
// that holds it closes, without losing or repeating an event. Several pages of one browser
// context (so they share Web Locks and BroadcastChannel) against the companion server, whose
// `/publish` answer counts the streams open on the channel.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { SERVER, launch, publish, subscribeShared, unique, useContext } from './helpers.mjs';

/** A page of the scratch app in the shared context (or `inContext`), with `window.lib` loaded. */
const { openPage } = useContext();
const subscribe = subscribeShared;

const sharing = (page) => page.evaluate(() => window.es.sharing);
const stats = async () => (await fetch(`${SERVER}/stats`)).json();

async function leaderOf(pages) {
  for (let round = 0; round < 100; round++) {
    for (const page of pages) if ((await sharing(page))?.leader) return page;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('no page leads');
}

/** A new channel and two pages of `inContext` subscribed to it, the first one leading. */
async function twoPages(inContext, prefix) {
  const channel = unique(prefix);
  const path = `/events?channel=${channel}`;
  const first = await openPage(inContext);
  await subscribe(first, path);
  const second = await openPage(inContext);
  await subscribe(second, path);
  return { channel, first, second };
}

/** `got` is the run from..to of the numbers published, each once, in order. */
function assertRun(got, to, from) {
  const numbers = got.map(Number);
  const start = from ?? numbers[0];
  const expected = Array.from({ length: to - start + 1 }, (_, i) => String(start + i));
  assert.deepEqual(got, expected);
}

describe('shared: one connection for all pages', () => {
  test('4 pages, 3000 events, the leader page closed every 400: each page gets every event once, in order', async () => {
    const channel = unique('shared');
    const path = `/events?channel=${channel}`;
    const pages = [];
    for (let i = 0; i < 4; i++) {
      const page = await openPage();
      await subscribe(page, path);
      pages.push(page);
    }
    const first = new Set(pages);
    const startedWith = new Map(pages.map((page) => [page, 1]));
    const before = (await stats()).total_connections;
    const receivers = [];
    let closes = 0;
    let published = 0;
    const t0 = Date.now();
    // The leader page is closed every 400 events while publishing goes on: the events published
    // during a takeover reach the pages through the new leader's Last-Event-ID resume.
    const closer = (async () => {
      for (let mark = 400; mark < 3000; mark += 400) {
        while (published < mark) await new Promise((r) => setTimeout(r, 2));
        const leader = await leaderOf(pages);
        pages.splice(pages.indexOf(leader), 1);
        await leader.close();
        closes++;
        const page = await openPage();
        await subscribe(page, path);
        // Open: every event published from now on must reach it.
        startedWith.set(page, published + 1);
        pages.push(page);
      }
    })();
    for (let n = 1; n <= 3000; n++) {
      const { receivers: r } = await publish(channel, String(n));
      receivers.push(r);
      published = n;
      // The last page opened gets the last 100 events at least.
      if (n === 2900) await closer;
      // About as fast as the page closes: 400 events take longer than a page takes to open.
      if (n % 4 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    for (const page of pages) {
      await page.waitForFunction(() => window.got.at(-1) === '3000', null, { timeout: 15000 }).catch(async (error) => {
        const states = await Promise.all(pages.map((p) => p.evaluate(() => ({
          n: window.got.length, first: window.got[0], last: window.got.at(-1), sharing: window.es.sharing,
          readyState: window.es.readyState, errors: window.errors,
        }))));
        throw new Error(`${error.message}\n${JSON.stringify(states)}`);
      });
    }
    const elapsed = Date.now() - t0;
    const opened = (await stats()).total_connections - before;
    for (const page of pages) {
      const { got, errors, opens, readyState } = await page.evaluate(() => ({
        got: window.got, errors: window.errors, opens: window.opens, readyState: window.es.readyState,
      }));
      if (first.has(page)) assertRun(got, 3000, 1);
      else assertRun(got, 3000);
      assert.ok(Number(got[0]) <= startedWith.get(page), `a page opened mid-way gets every event from its open on (it started at ${got[0]})`);
      assert.deepEqual(errors, [], 'no error events: a takeover is seamless');
      assert.equal(opens, 1, 'one open event per source');
      assert.equal(readyState, 1);
    }
    const most = Math.max(...receivers);
    const over = receivers.filter((r) => r > 1).length;
    // A closed page's stream may linger on the server for a few seconds (Chromium drains a
    // cancelled response to reuse its connection): it is no stream of ours, and then it goes.
    let settled = most;
    const t1 = Date.now();
    while (settled > 1 && Date.now() - t1 < 15000) {
      await new Promise((r) => setTimeout(r, 200));
      settled = (await publish(channel, 'settle')).receivers;
    }
    console.log(`# ${closes} takeovers in ${elapsed} ms; streams opened: ${opened}; open streams per publish: ` +
      `max ${most}, more than 1 at ${over} of 3000 publishes (closed pages' streams), 1 again after ${Date.now() - t1} ms`);
    // One stream at a time: one new stream per takeover, never two leaders' at once.
    assert.equal(opened, closes, 'one new stream per takeover');
    assert.equal(settled, 1, 'one stream left on the server');
    for (const page of pages) await page.close();
  });

  test('a follower\'s close() leaves the others running; the last close ends the connection', async () => {
    const channel = unique('shared-close');
    const path = `/events?channel=${channel}`;
    const pages = [await openPage(), await openPage(), await openPage()];
    for (const page of pages) await subscribe(page, path);
    const leader = await leaderOf(pages);
    const [follower, other] = pages.filter((page) => page !== leader);
    await follower.evaluate(() => window.es.close());
    assert.equal((await publish(channel, 'a')).receivers, 1);
    for (const page of [leader, other]) await page.waitForFunction(() => window.got.at(-1) === 'a');
    assert.deepEqual(await follower.evaluate(() => [window.got, window.es.readyState]), [[], 2]);
    // The leader's source closes (its page stays): the other takes over.
    await leader.evaluate(() => window.es.close());
    await other.waitForFunction(() => window.es.sharing.leader, null, { timeout: 5000 });
    await publish(channel, 'b');
    await other.waitForFunction(() => window.got.at(-1) === 'b');
    assert.deepEqual(await other.evaluate(() => [window.got, window.errors]), [['a', 'b'], []]);
    assert.deepEqual(await leader.evaluate(() => window.got), ['a']);
    // The last one closes: no stream is left.
    await other.evaluate(() => window.es.close());
    let left = 1;
    for (let i = 0; i < 50 && left > 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      left = (await publish(channel, 'c')).receivers;
    }
    assert.equal(left, 0);
    for (const page of pages) await page.close();
  });

  test('the leader page navigates away (not closed): its lock is released and a follower takes over, every event once', async () => {
    const channel = unique('shared-navigate');
    const path = `/events?channel=${channel}`;
    const pages = [await openPage(), await openPage()];
    for (const page of pages) await subscribe(page, path);
    const leader = await leaderOf(pages);
    const follower = pages.find((page) => page !== leader);
    // An app's own pagehide listener: with one, Chromium runs the unloading document's
    // abort of its fetch as a network error, which a leader must not report to the others.
    await leader.evaluate(() => addEventListener('pagehide', () => {}));
    const before = (await stats()).total_connections;
    const receivers = [];
    for (let n = 1; n <= 300; n++) {
      receivers.push((await publish(channel, String(n))).receivers);
      if (n === 100) await follower.waitForFunction(() => window.got.at(-1) === '100');
      // Still open, the page loads another document: the old one's lock goes with it.
      if (n === 150) await leader.goto('about:blank');
      if (n % 4 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    await follower.waitForFunction(() => window.got.at(-1) === '300', null, { timeout: 15000 });
    const r = await follower.evaluate(() => ({ got: window.got, errors: window.errors, opens: window.opens, sharing: window.es.sharing }));
    assertRun(r.got, 300, 1);
    assert.deepEqual(r.errors, [], 'no error events: the takeover is seamless');
    assert.equal(r.opens, 1);
    assert.equal(r.sharing.leader, true, 'the follower leads now');
    assert.deepEqual(receivers.slice(0, 150), Array(150).fill(1), 'one stream while both pages were there');
    assert.equal((await stats()).total_connections - before, 1, 'one new stream: the follower\'s');
    let settled = receivers.at(-1);
    for (const t0 = Date.now(); settled > 1 && Date.now() - t0 < 15000;) {
      await new Promise((r) => setTimeout(r, 200));
      settled = (await publish(channel, 'settle')).receivers;
    }
    assert.equal(settled, 1, 'one stream left on the server');
    for (const page of pages) await page.close();
  });

  test('the leader page goes into the back/forward cache: it gives up the lock and a follower takes over, every event once', async () => {
    // A browser of its own with the cache on (Playwright turns it off): a cached page is frozen,
    // not unloaded, and Chromium caches a page that holds a Web Lock.
    const cachingBrowser = await launch({ backForwardCache: true });
    try {
      const caching = await cachingBrowser.newContext();
      const { channel, first: leader, second: follower } = await twoPages(caching, 'shared-bfcache');
      assert.equal((await sharing(leader)).leader, true);
      // sessionStorage outlives the document in its tab: whether it was put in the cache.
      await leader.evaluate(() => addEventListener('pagehide', (e) => sessionStorage.setItem('persisted', String(e.persisted))));
      const receivers = [];
      for (let n = 1; n <= 300; n++) {
        receivers.push((await publish(channel, String(n))).receivers);
        if (n === 100) await follower.waitForFunction(() => window.got.at(-1) === '100');
        if (n === 150) await leader.goto(`${SERVER}/app/preinit.html`);
        if (n % 4 === 0) await new Promise((r) => setTimeout(r, 1));
      }
      assert.equal(await leader.evaluate(() => sessionStorage.getItem('persisted')), 'true', 'the leader page went into the cache');
      await follower.waitForFunction(() => window.got.at(-1) === '300', null, { timeout: 15000 });
      const r = await follower.evaluate(() => ({ got: window.got, errors: window.errors, sharing: window.es.sharing }));
      assertRun(r.got, 300, 1);
      assert.deepEqual(r.errors, []);
      assert.equal(r.sharing.leader, true, 'the follower leads now');
      assert.deepEqual(receivers.slice(0, 150), Array(150).fill(1));
    } finally {
      await cachingBrowser.close();
    }
  });

  test('a page back from the back/forward cache is restored, not loaded again, and gets the events it missed, once, in order', async () => {
    // Chromium evicts a cached page whose BroadcastChannel gets a message: the page's hubs close
    // theirs on pagehide. Back, a hub asks for what it missed: a short absence is filled from
    // the leader's recent events (no new stream), a long one by the leader resuming from the
    // restored page's last event (one new stream), and the later events wait for it. With no
    // other page left, the restored one leads and resumes from its own last event.
    const cachingBrowser = await launch({ backForwardCache: true });
    try {
      for (const [away, newStreams, alone] of [[150, 1, false], [1200, 2, false], [150, 2, true]]) {
        const caching = await cachingBrowser.newContext();
        const { channel, first: cached, second: other } = await twoPages(caching, 'shared-restore');
        const cdp = await caching.newCDPSession(cached);
        await cdp.send('Page.enable');
        const notRestored = [];
        cdp.on('Page.backForwardCacheNotUsed', (e) => notRestored.push(e.notRestoredExplanations));
        const before = (await stats()).total_connections;
        let n = 0;
        const send = async (count) => {
          for (let i = 0; i < count; i++) {
            await publish(channel, String(++n));
            if (n % 4 === 0) await new Promise((r) => setTimeout(r, 1));
          }
        };
        await send(150);
        await other.waitForFunction((last) => window.got.at(-1) === String(last), n);
        await cached.goto(`${SERVER}/app/preinit.html`);
        await send(away);
        await other.waitForFunction((last) => window.got.at(-1) === String(last), n, { timeout: 20000 });
        if (alone) {
          await other.close();
          while ((await publish(channel, 'gone')).receivers > 0) await new Promise((r) => setTimeout(r, 50));
          await send(50);
        }
        await cached.goBack({ waitUntil: 'commit' });
        await cached.waitForFunction(() => document.readyState === 'complete');
        assert.deepEqual(notRestored, [], `away for ${away} events: restored from the cache`);
        await send(100);
        for (const page of alone ? [cached] : [cached, other]) {
          await page.waitForFunction((last) => window.got.at(-1) === String(last), n, { timeout: 20000 });
          const r = await page.evaluate(() => ({ got: window.got.filter((data) => data !== 'gone'), errors: window.errors, opens: window.opens }));
          assertRun(r.got, n, 1);
          assert.deepEqual(r.errors, []);
          assert.equal(r.opens, 1);
        }
        assert.equal((await stats()).total_connections - before, newStreams, `away for ${away} events${alone ? ', the other page closed' : ''}: the takeover's stream${newStreams > 1 ? ' and the resumed one' : ' only'}`);
        await caching.close();
      }
    } finally {
      await cachingBrowser.close();
    }
  });

  test('sources with different headers do not share; the same headers do', async () => {
    const channel = unique('shared-keys');
    const path = `/events?channel=${channel}`;
    const [a, b, c] = [await openPage(), await openPage(), await openPage()];
    await subscribe(a, path, { headers: { authorization: 'Bearer one' } });
    await subscribe(b, path, { headers: { authorization: 'Bearer two' } });
    await subscribe(c, path, { headers: { Authorization: 'Bearer one' } });
    assert.deepEqual(await sharing(a), { leader: true, tabs: (await sharing(a)).tabs });
    assert.equal((await sharing(b)).leader, true, 'another token: its own connection');
    assert.equal((await sharing(c)).leader, false, 'the same token: shares the first');
    assert.equal((await publish(channel, 'x')).receivers, 2);
    for (const page of [a, b, c]) await page.waitForFunction(() => window.got.at(-1) === 'x');
    for (const page of [a, b, c]) await page.close();
  });

  test('in one page: two sources share one connection; closing both and opening again within the grace period keeps it', async () => {
    const channel = unique('shared-page');
    const path = `/events?channel=${channel}`;
    const page = await openPage();
    const before = (await stats()).total_connections;
    const r = await page.evaluate(async (path) => {
      const open = (es) => new Promise((resolve) => es.addEventListener('open', resolve, { once: true }));
      const one = new window.lib.EventSource(path, { shared: true });
      const two = new window.lib.EventSource(path, { shared: true });
      await Promise.all([open(one), open(two)]);
      const got = [];
      one.onmessage = (e) => got.push(`one ${e.data}`);
      two.onmessage = (e) => got.push(`two ${e.data}`);
      const receivers = (await (await fetch('/publish', {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ channel: path.split('=')[1], data: '1' }),
      })).json()).receivers;
      while (got.length < 2) await new Promise((r) => setTimeout(r, 10));
      // React StrictMode: unmounted and mounted again at once.
      one.close();
      two.close();
      const three = new window.lib.EventSource(path, { shared: true });
      await open(three);
      return { receivers, got, sharing: three.sharing };
    }, path);
    assert.equal(r.receivers, 1);
    assert.deepEqual(r.got.sort(), ['one 1', 'two 1']);
    assert.equal(r.sharing.leader, true);
    assert.equal((await stats()).total_connections - before, 1, 'one stream for all three sources');
    await page.close();
  });

  test('the idle timeout in the leading page makes the connection anew (resumed), and the source reports it as a private one does', async () => {
    const channel = unique('shared-idle');
    const path = `/events?channel=${channel}`;
    const page = await openPage();
    await subscribe(page, path, { idleTimeout: 400, retry: { initialDelay: 10, jitter: 0 } });
    await publish(channel, 'a');
    await page.waitForFunction(() => window.got.at(-1) === 'a');
    const before = (await stats()).total_connections;
    // Nothing arrives for 400 ms: an error, and the source is open again on a new connection.
    await page.waitForFunction(() => window.errors.length > 0 && window.es.readyState === 1, null, { timeout: 5000 });
    assert.ok((await stats()).total_connections > before, 'a new connection');
    await publish(channel, 'b');
    await page.waitForFunction(() => window.got.at(-1) === 'b');
    const r = await page.evaluate(() => ({ got: window.got, errors: window.errors }));
    assert.deepEqual(r.got, ['a', 'b']);
    assert.match(r.errors[0], /idle timeout/);
    await page.close();
  });

  test('the connection cut again and again: a follower that waits longer to reconnect than the leader still gets every event once', async () => {
    const channel = unique('shared-cut');
    // The server cuts each response after about 1 KB (chaos), so the stream ends every ~30 events.
    const path = `/events?channel=${channel}&chaos=7&chaos_bytes=1000`;
    const leader = await openPage();
    await subscribe(leader, path, { retry: { initialDelay: 10, maxDelay: 10, jitter: 0 } });
    const follower = await openPage();
    await subscribe(follower, path, { retry: { initialDelay: 300, maxDelay: 300, jitter: 0 } });
    assert.equal((await sharing(leader)).leader, true);
    for (let n = 1; n <= 600; n++) {
      await publish(channel, String(n));
      if (n % 10 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    for (const page of [leader, follower]) {
      await page.waitForFunction(() => window.got.at(-1) === '600', null, { timeout: 30000 }).catch(async (error) => {
        const r = await page.evaluate(() => ({ got: window.got, errors: window.errors, state: window.es.readyState, sharing: window.es.sharing }));
        const missing = Array.from({ length: 600 }, (_, i) => String(i + 1)).filter((x) => !r.got.includes(x));
        throw new Error(`${error.message}: ${page === leader ? 'leader' : 'follower'} got ${r.got.length}, last ${r.got.at(-1)}, ` +
          `missing ${missing.slice(0, 20).join(',')}; ${r.errors.length} errors, last ${r.errors.at(-1)}; readyState ${r.state}, ${JSON.stringify(r.sharing)}`);
      });
      const { got, errors } = await page.evaluate(() => ({ got: window.got, errors: window.errors }));
      assertRun(got, 600, 1);
      // The leader (10 ms to reconnect) sees nearly every cut; the follower only those that
      // come while its attempt runs, not during its 300 ms waits (how many is timing).
      const cuts = page === leader ? 3 : 0;
      assert.ok(errors.length > cuts, `the stream was cut (${errors.length} errors)`);
    }
    await leader.close();
    await follower.close();
  });
});
