// The "Streaming reply" panel: a reply of the companion server's POST /chat, streamed through the
// package's EventSource (fetch transport, `method: 'POST'`, `resume`, `closeOn: 'done'`, a quick
// `retry`), rendered at frame rate with onBatch(), its state shown from getSnapshot()/subscribe().
// "Cut connection" drops the live HTTP response; the source resumes it by GET /chat/REPLY with
// Last-Event-ID, and the page checks the token ids for a gap or a repeat.
// Everything that comes from the network is rendered with textContent, never as HTML.
import { badge, clock, describeError, el, plural } from './util.js';

const STATE_NAMES = ['CONNECTING', 'OPEN', 'CLOSED'];
// Quick, so a cut is visibly repaired at once; bounded, so a server that is gone ends the reply.
const RETRY = { initialDelay: 250, maxDelay: 2000, jitter: 0.5, maxRetries: 6 };
const HUES = { post: 212, get: 182, response: 145, cut: 36, error: 0, reconnecting: 36, resumed: 268, done: 145, server: 220, stopped: 220 };

const $ = (id) => document.getElementById(id);

/** The index of a chat event id `REPLY:INDEX`, or NaN. */
const indexOf = (id) => Number(id.slice(id.lastIndexOf(':') + 1) || NaN);
const replyOf = (id) => id.slice(0, Math.max(0, id.lastIndexOf(':')));

/**
 * A `fetch` for the source's `fetch` option whose live response the page can cut. A page cannot
 * break a fetch stream without closing the source (`close()` ends it for good), so the response
 * handed to the source reads the real one through a stream of our own: `cut()` aborts the real
 * request (the server sees its connection close, as with a dropped network) and fails the body
 * the source is reading with a network error. Nothing else differs from the global `fetch`.
 */
function cuttableFetch({ onRequest, onResponse }) {
  let cutLive = null; // cuts the response being read, while there is one

  async function cuttable(url, init) {
    onRequest(init.method ?? 'GET', url, init.headers?.['last-event-id'] ?? '');
    const request = new AbortController();
    const outer = init.signal; // the source's: it aborts when the source closes or is paused
    if (outer) {
      if (outer.aborted) request.abort(outer.reason);
      else outer.addEventListener('abort', () => request.abort(outer.reason), { once: true });
    }
    const response = await fetch(url, { ...init, signal: request.signal });
    onResponse(response);
    if (!response.ok || !response.body) return response;
    const upstream = response.body.getReader();
    let cut = null;
    const over = () => { if (cutLive === cut) cutLive = null; };
    const body = new ReadableStream({
      start(controller) {
        cut = () => {
          over();
          request.abort();
          controller.error(new DOMException('the connection was cut from the page', 'NetworkError'));
        };
      },
      async pull(controller) {
        try {
          const { done, value } = await upstream.read();
          if (done) {
            over();
            controller.close();
          } else {
            controller.enqueue(value);
          }
        } catch (error) {
          over();
          try { controller.error(error); } catch { /* cut: already errored */ }
        }
      },
      cancel(reason) {
        over();
        request.abort();
        return upstream.cancel(reason).catch(() => {});
      },
    });
    cutLive = cut;
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  }

  return {
    fetch: cuttable,
    /** Cuts the live response; false if there is none. */
    cut() {
      if (!cutLive) return false;
      cutLive();
      return true;
    },
  };
}

/**
 * Wires the panel. Its Send button stays disabled until `enable(lib)` hands it the initialised
 * package; `onSettled` is called when a reply ended (done, failed or stopped). Returns
 * `{ enable, disable, source }`.
 */
export function mountChat({ onSettled = () => {} } = {}) {
  const ui = {
    panel: $('chat'), form: $('chat-form'), prompt: $('chat-prompt'), tokens: $('chat-tokens'),
    interval: $('chat-interval'), send: $('chat-send'), cut: $('chat-cut'), stop: $('chat-stop'),
    formError: $('chat-error'), reply: $('chat-reply'), replyNote: $('chat-reply-note'),
    state: $('chat-state'), stateWrap: $('chat-state-wrap'), attempt: $('chat-attempt'),
    lastError: $('chat-last-error'), received: $('chat-received'), lastId: $('chat-last-id'),
    count: $('chat-count'), path: $('chat-path'), timeline: $('chat-timeline'),
  };
  let lib = null;
  let run = null; // the reply being shown (see send())
  let frame = 0;

  // ---------- the timeline ----------

  function line(kind, label, parts) {
    const row = el('li', 'tl-row');
    row.dataset.kind = kind;
    const now = new Date();
    const time = el('time', 'log-time', clock(now));
    time.dateTime = now.toISOString();
    const text = el('span', 'tl-text');
    for (const part of [].concat(parts)) text.append(typeof part === 'string' ? part : el(part[1], part[2] ?? '', part[0]));
    row.append(time, badge(label, HUES[kind] ?? 220), text);
    ui.timeline.append(row);
    ui.timeline.scrollTop = ui.timeline.scrollHeight;
    return row;
  }

  // ---------- rendering ----------

  function setPhase(phase) {
    ui.panel.dataset.phase = phase;
    const live = phase === 'streaming' || phase === 'reconnecting';
    if (live) ui.reply.dataset.live = '';
    else delete ui.reply.dataset.live;
  }

  function renderSoon() {
    if (!frame) frame = requestAnimationFrame(() => { frame = 0; render(); });
  }

  /** The snapshot and the reply's counters, once per frame at most. */
  function render() {
    const r = run;
    const s = r?.snapshot;
    const name = s ? STATE_NAMES[s.readyState] : '—';
    ui.state.textContent = name;
    ui.stateWrap.dataset.state = s ? name.toLowerCase() : 'none';
    ui.attempt.textContent = s ? String(s.attempt) : '—';
    if (s?.lastError) {
      const e = s.lastError;
      const wait = s.nextRetryAt === null ? '' : ` · retry in ${Math.max(0, Math.round(s.nextRetryAt - Date.now()))} ms`;
      ui.lastError.textContent = `${e.kind}${e.status === null ? '' : ` ${e.status}`}${e.fatal ? ' · fatal' : wait}`;
      ui.lastError.title = e.message;
      ui.lastError.dataset.kind = e.kind;
    } else {
      ui.lastError.textContent = '—';
      ui.lastError.title = '';
      delete ui.lastError.dataset.kind;
    }
    ui.received.textContent = s ? String(s.eventsReceived) : '—';
    ui.lastId.textContent = s?.lastEventId || '—';
    ui.path.textContent = r ? r.path.map((p) => p.label).join(' → ') : '—';
    if (r) {
      const broken = r.gaps.length + r.repeats.length > 0;
      const order = broken
        ? [r.gaps.length ? `gap before #${r.gaps[0]}` : '', r.repeats.length ? `#${r.repeats[0]} repeated` : ''].filter(Boolean).join(', ')
        : 'in order, no gap or repeat';
      ui.count.textContent = `${r.received} / ${r.total} · ${order}`;
      ui.count.dataset.ok = String(!broken);
    } else {
      ui.count.textContent = '—';
      delete ui.count.dataset.ok;
    }
    const source = r?.es;
    const open = Boolean(source) && source.readyState === 1;
    const live = Boolean(source) && source.readyState !== 2;
    ui.send.disabled = !lib || live;
    ui.cut.disabled = !open || !r.connected;
    ui.stop.disabled = !live;
  }

  /** Appends the tokens of one batch: the ids must count up by one, from 1. */
  function onTokens(r, events) {
    let text = '';
    for (const { data, lastEventId } of events) {
      const index = indexOf(lastEventId);
      if (r.markAfter !== null && index === r.markAfter + 1) {
        r.segment.appendData(text);
        text = '';
        startSegment(r, 'GET', r.markAfter);
        r.markAfter = null;
      }
      if (index <= r.last) r.repeats.push(index);
      else if (index !== r.last + 1) r.gaps.push(r.last + 1);
      r.last = Math.max(r.last, index);
      r.received += 1;
      text += data;
    }
    r.segment.appendData(text);
    ui.reply.scrollTop = ui.reply.scrollHeight;
    renderSoon();
  }

  /** A span for the tokens of one response; after a resume, a mark before it. */
  function startSegment(r, via, after) {
    if (after !== undefined) {
      const mark = el('span', 'resume-mark');
      mark.dataset.after = String(after);
      mark.title = `resumed after token ${after}: GET /chat/${r.reply} with Last-Event-ID ${r.reply}:${after}`;
      mark.setAttribute('aria-hidden', 'true');
      ui.reply.append(mark);
    }
    const span = el('span', 'seg');
    span.dataset.via = via;
    r.segment = document.createTextNode('');
    span.append(r.segment);
    ui.reply.append(span);
  }

  /** Records a change of state: readyState and the error kind, as the path shows them. */
  function onSnapshot(r) {
    const s = r.es.getSnapshot();
    if (s === r.snapshot) return;
    r.snapshot = s;
    const key = `${s.readyState}${s.lastError ? ` · ${s.lastError.kind}` : ''}`;
    const last = r.path.at(-1)?.key;
    // Once closed, the close event's reason labels the end (it may come before the snapshot).
    if (last !== key && !(s.readyState === 2 && last?.startsWith('2'))) {
      r.path.push({ key, label: `${STATE_NAMES[s.readyState]}${s.lastError ? ` · ${s.lastError.kind}` : ''}` });
    }
    if (s.readyState !== 1) r.connected = false;
    if (s.readyState === 0 && r.phase === 'streaming' && s.lastError) setPhase((r.phase = 'reconnecting'));
    renderSoon();
  }

  async function showServerStats(r) {
    if (!r.reply) return;
    try {
      let stats;
      // The server ends its side of a stream just after `done`: wait for it to count that.
      for (let i = 0; i < 20; i++) {
        const response = await fetch(`/chat/${encodeURIComponent(r.reply)}/stats`, { cache: 'no-store' });
        if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
        stats = await response.json();
        if (stats.open_streams === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      if (run !== r) return;
      const row = line('server', 'server', [
        `/chat/${r.reply}/stats: ${plural(stats.posts, 'POST')} · ${plural(stats.resumes, 'resume')} · `,
        `${plural(stats.open_streams, 'open stream')}`,
        stats.posts === 1 ? ' · the prompt was sent once' : '',
      ]);
      row.dataset.posts = String(stats.posts);
      row.dataset.resumes = String(stats.resumes);
    } catch (error) {
      if (run === r) line('error', 'server', `stats unavailable: ${describeError(error)}`);
    } finally {
      onSettled();
    }
  }

  // ---------- send, cut, stop ----------

  /** The source's state, batches and events, shown as they come. */
  function listen(r, es) {
    r.unsubscribe.push(es.subscribe(() => onSnapshot(r)));
    onSnapshot(r);
    r.unsubscribe.push(es.onBatch((events) => onTokens(r, events), { every: 'frame', types: ['token'] }));
    es.addEventListener('open', () => {
      if (r.resumeAfter === undefined) return;
      r.markAfter = r.resumeAfter;
      const row = line('resumed', 'resumed', [`after token ${r.resumeAfter}`, ` · the next is #${r.resumeAfter + 1}`]);
      row.dataset.after = String(r.resumeAfter);
      r.resumeAfter = undefined;
    });
    es.addEventListener('error', (e) => {
      if (e.kind !== 'connection' && e.kind !== 'truncated') {
        line('error', e.kind, e.message);
        return;
      }
      const describe = () => {
        const status = e.status ? `${e.status} ` : '';
        const body = e.body ? ` — ${e.body.trim().split('\n')[0]}` : '';
        return `error: ${status}${e.message}${body}${e.fatal ? ' (fatal)' : ' (not fatal)'}`;
      };
      const row = line('error', e.kind, describe());
      row.dataset.errorKind = e.kind;
      // A failed response's body is not waited for: it is added to the event as it arrives.
      if (e.status && !e.body) {
        let tries = 0;
        const poll = setInterval(() => {
          if (e.body || ++tries > 20) clearInterval(poll);
          if (e.body) row.lastChild.textContent = describe();
        }, 50);
      }
      // Once the POST's response has started, the next attempt is a resume (before, it is the POST
      // again: it never reached the server's generator).
      if (!e.fatal && r.reply) r.resumeAfter = indexOf(es.lastEventId) || 0;
    });
    es.addEventListener('reconnecting', (e) => {
      line('reconnecting', 'reconnecting', `attempt ${e.attempt} in ${Math.round(e.delay)} ms`);
    });
    es.addEventListener('close', (e) => {
      const last = r.path.at(-1);
      if (last && last.key.startsWith('2')) last.label += ` · ${e.reason}`;
      else r.path.push({ key: '2', label: `CLOSED · ${e.reason}` });
      if (e.reason === 'done') {
        setPhase((r.phase = 'done'));
        const order = r.gaps.length + r.repeats.length === 0 ? 'ids in order, no gap or repeat' : 'ids out of order';
        line('done', 'done', `${plural(r.received, 'token')} of ${r.total} · ${order} · close reason "done"`);
        ui.replyNote.textContent = resumeNote(r);
      } else {
        setPhase((r.phase = 'failed'));
        line('error', 'closed', e.message);
      }
      showServerStats(r);
      renderSoon();
    });
  }


  function send() {
    if (!lib) return;
    ui.formError.textContent = '';
    const prompt = ui.prompt.value.trim();
    const tokens = Number(ui.tokens.value);
    const interval = Number(ui.interval.value);
    if (!prompt) { ui.formError.textContent = 'Enter a prompt.'; return; }
    if (!Number.isInteger(tokens) || tokens < 1) { ui.formError.textContent = 'Tokens: a whole number, at least 1.'; return; }
    if (!Number.isInteger(interval) || interval < 0) { ui.formError.textContent = 'ms per token: a whole number, at least 0.'; return; }
    close();

    const r = {
      es: null, unsubscribe: [], snapshot: null, path: [], phase: 'streaming',
      reply: '', location: '', total: tokens, received: 0, last: 0, gaps: [], repeats: [],
      segment: null, // the text node that tokens are appended to
      connected: false, // a response is being read (and can be cut)
      cut: null, // cuts it
      resumeAfter: undefined, // the last token before a resume, between the error and the open
      markAfter: null, // where the resume mark goes, until the token after it arrives
    };
    run = r;
    ui.reply.replaceChildren();
    ui.timeline.replaceChildren();
    ui.replyNote.textContent = '';
    startSegment(r, 'POST');
    setPhase('streaming');

    const cutter = cuttableFetch({
      onRequest(method, url, lastEventId) {
        if (run !== r) return;
        const path = new URL(url, location.href).pathname;
        if (method === 'POST') line('post', 'POST', [[path, 'code'], ` · ${plural(tokens, 'token')}, ${interval} ms apart`]);
        else line('get', method, [[path, 'code'], lastEventId ? ' · Last-Event-ID ' : ' · from the start', [lastEventId, 'code']]);
      },
      onResponse(response) {
        if (run !== r || !response.ok) return;
        r.connected = true;
        const at = response.headers.get('location');
        if (at && !r.location) {
          r.location = at;
          r.reply = at.slice(at.lastIndexOf('/') + 1);
          ui.panel.dataset.reply = r.reply;
          line('response', String(response.status), ['reply ', [r.reply, 'code'], ' · Location ', [at, 'code']]);
        }
        renderSoon();
      },
    });
    r.cut = cutter.cut;

    let es;
    try {
      es = new lib.EventSource('/chat', {
        transport: 'fetch',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt, tokens, interval_ms: interval }),
        fetch: cutter.fetch,
        // Continue by GET from the replay buffer, never by sending the prompt again. Before the
        // first token there is no ID yet: the POST's Location names the reply.
        resume: { url: (id) => (id ? `/chat/${encodeURIComponent(replyOf(id))}` : r.location) },
        closeOn: 'done',
        retry: RETRY,
      });
    } catch (error) {
      ui.formError.textContent = describeError(error);
      run = null;
      setPhase('idle');
      render();
      return;
    }
    r.es = es;

    listen(r, es);
    render();
  }

  function resumeNote(r) {
    const marks = [...ui.reply.querySelectorAll('.resume-mark')].map((m) => m.dataset.after);
    if (marks.length === 0) return 'One response, no cut.';
    return `Resumed after token ${marks.join(', ')} (⟲): the tokens after a mark came from GET /chat/${r.reply}.`;
  }

  function cut() {
    const r = run;
    if (!r || !r.cut()) return;
    r.connected = false;
    const at = indexOf(r.es.lastEventId) || 0;
    line('cut', 'cut', `the page dropped the connection after token ${at}; the server keeps generating into its replay buffer`);
    render();
  }

  /** Closes the current source (no `close` event: the page did it). */
  function close() {
    const r = run;
    if (!r?.es || r.es.readyState === 2) return false;
    r.es.close();
    for (const off of r.unsubscribe) off();
    return true;
  }

  function stop() {
    const r = run;
    if (!close()) return;
    const last = r.path.at(-1);
    if (last?.key.startsWith('2')) last.label += ' · close()';
    setPhase((r.phase = 'stopped'));
    line('stopped', 'stopped', `es.close() after token ${indexOf(r.es.lastEventId) || 0}`);
    showServerStats(r);
    render();
  }

  ui.form.addEventListener('submit', (e) => { e.preventDefault(); send(); });
  ui.cut.addEventListener('click', cut);
  ui.stop.addEventListener('click', stop);
  setPhase('idle');
  render();

  return {
    enable(loaded) { lib = loaded; render(); },
    disable() { lib = null; render(); },
    get source() { return run?.es ?? null; },
  };
}
