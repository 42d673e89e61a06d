// Demo page for eventsource-wasm. Plain ES module, no dependencies.
// Everything that comes from the network is rendered with textContent, never as HTML.
import { mountChat } from './chat.js';
import { badge as coloured, clock, describeError, el, plural } from './util.js';

const MAX_ROWS = 500;
const STATE_NAMES = ['CONNECTING', 'OPEN', 'CLOSED'];
const BUILTIN_TYPES = new Set(['open', 'message', 'error', 'tick', 'notice']);
const HUES = { open: 145, message: 212, error: 0, warn: 36, tick: 268, notice: 182 };

const $ = (id) => document.getElementById(id);
const ui = {
  supported: $('supported'), fatal: $('fatal'),
  connectForm: $('connect-form'), url: $('url'), withCredentials: $('with-credentials'),
  shared: $('shared'), sharing: $('sharing'),
  connect: $('connect'), disconnect: $('disconnect'), connectError: $('connect-error'),
  state: $('state'), stateWrap: $('state-wrap'), lastId: $('last-id'), resolvedUrl: $('resolved-url'),
  subscribeForm: $('subscribe-form'), customType: $('custom-type'), addType: $('add-type'),
  subscribeError: $('subscribe-error'), customTypes: $('custom-types'),
  publishForm: $('publish-form'), publishChannel: $('publish-channel'), publishEvent: $('publish-event'),
  publishData: $('publish-data'), publishSubmit: $('publish-submit'), publishResult: $('publish-result'),
  log: $('log'), logCount: $('log-count'), counters: $('counters'),
  pause: $('pause-scroll'), clear: $('clear-log'), stats: $('stats'),
};

let lib = null;          // the wasm module's exports once init() succeeded
let es = null;           // the current EventSource wrapper (kept after close, for inspection)
let pollTimer = null;
let paused = false;
const counts = new Map();        // event type -> number of rows logged
const customSubs = new Map();    // event type -> unsubscribe function (or null while disconnected)

// The "Streaming reply" panel (chat.js), enabled once the package loads.
const chat = mountChat({ onSettled: () => refreshStats() });

window.__demo = { get es() { return es; }, get chat() { return chat.source; } };

// ---------- small helpers ----------

function hueFor(type) {
  if (Object.hasOwn(HUES, type)) return HUES[type];
  let h = 0;
  for (const ch of type) h = (h * 31 + ch.codePointAt(0)) % 360;
  return h;
}

const badge = (type, hueKey = type, neutral = false) => coloured(type, hueFor(hueKey), neutral);

// ---------- the log ----------

/**
 * Appends a row. `content` is a string or an array of [text, className] parts.
 * `variant` is 'warn' | 'error' | 'system' for styling only; data-type stays the event type.
 */
function addRow(type, content, lastEventId = '', variant = '') {
  const log = ui.log;
  const nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 48;

  const row = el('div', 'log-row');
  row.dataset.type = type;
  if (variant) row.classList.add(`is-${variant}`);
  const now = new Date();
  const time = el('time', 'log-time', clock(now));
  time.dateTime = now.toISOString();
  const hueKey = variant === 'warn' ? 'warn' : type;
  const id = el('span', 'log-id', lastEventId ? `#${lastEventId}` : '—');
  id.title = lastEventId ? `lastEventId: ${lastEventId}` : 'no lastEventId';
  const data = el('div', 'log-data');
  if (typeof content === 'string') data.textContent = content;
  else for (const [text, cls] of content) data.append(cls ? el('span', cls, text) : document.createTextNode(text));
  if (typeof content === 'string' && content === '') data.append(el('span', 'muted', '(empty data)'));
  row.append(time, badge(type, hueKey, variant === 'system'), id, data);
  log.append(row);

  while (log.childElementCount > MAX_ROWS) log.firstElementChild.remove();
  ui.logCount.textContent = String(log.childElementCount);
  if (variant !== 'system') bump(type);
  if (!paused && nearBottom) log.scrollTop = log.scrollHeight;
}

function bump(type) {
  counts.set(type, (counts.get(type) ?? 0) + 1);
  renderCounters();
}

function renderCounters() {
  if (counts.size === 0) {
    ui.counters.replaceChildren(el('span', 'muted', 'No events yet.'));
    return;
  }
  const items = [...counts].map(([type, n]) => {
    const c = el('span', 'counter');
    c.dataset.type = type;
    c.append(badge(type), el('b', 'count', String(n)));
    return c;
  });
  ui.counters.replaceChildren(...items);
}

ui.clear.addEventListener('click', () => {
  ui.log.replaceChildren();
  counts.clear();
  renderCounters();
  ui.logCount.textContent = '0';
});

ui.pause.addEventListener('click', () => {
  paused = !paused;
  ui.pause.setAttribute('aria-pressed', String(paused));
  ui.pause.textContent = paused ? 'Resume auto-scroll' : 'Pause auto-scroll';
  if (!paused) ui.log.scrollTop = ui.log.scrollHeight;
});

// ---------- connection state ----------

function refreshState() {
  const rs = es ? es.readyState : -1;
  const name = STATE_NAMES[rs] ?? '—';
  if (ui.state.textContent !== name) ui.state.textContent = name;
  ui.stateWrap.dataset.state = name === '—' ? 'none' : name.toLowerCase();
  ui.lastId.textContent = es && es.lastEventId ? es.lastEventId : '—';
  const live = Boolean(es) && rs !== 2;
  ui.connect.disabled = live || !lib;
  ui.disconnect.disabled = !live;
  ui.url.disabled = live;
  ui.withCredentials.disabled = live;
  ui.shared.disabled = live;
  ui.sharing.textContent = sharingText(live ? es.sharing : undefined);
  if (!live) stopPolling();
}

/** Whether this tab holds the shared stream and how many tabs share it; "private" if not shared. */
function sharingText(sharing) {
  if (sharing === undefined) return '—';
  if (sharing === null) return 'private connection';
  return `${sharing.leader ? 'leader' : 'follower'} · ${plural(sharing.tabs, 'tab')} on this stream`;
}

function startPolling() {
  stopPolling();
  pollTimer = setInterval(refreshState, 250);
}

function stopPolling() {
  if (pollTimer !== null) clearInterval(pollTimer);
  pollTimer = null;
}

// ---------- event handlers ----------

function tickParts(value) {
  if (!value || typeof value !== 'object' || !('n' in value)) return JSON.stringify(value, null, 2);
  const parts = [['n ', 'muted'], [String(value.n), 'tick-n']];
  const ms = Number(value.time);
  if (value.time !== undefined && Number.isFinite(ms)) {
    parts.push(['   time ', 'muted'], [clock(new Date(ms)), 'tick-time'], [`   Δ ${Math.max(0, Date.now() - ms)} ms`, 'muted']);
  } else if (value.time !== undefined) {
    parts.push(['   time ', 'muted'], [String(value.time), 'tick-time']);
  }
  parts.push([`\n${JSON.stringify(value)}`, 'raw']);
  return parts;
}

function onError(event) {
  if (event.kind === 'json') {
    addRow('error', [[`onJson('${event.eventType}'): ${event.message}\n`, ''], [event.data ?? '', 'raw']],
      event.lastEventId ?? '', 'error');
  } else if (event.fatal) {
    addRow('error', `connection closed by the browser${event.message ? `\n${event.message}` : ''}`, es?.lastEventId ?? '', 'error');
  } else if (event.reconnecting) {
    addRow('error', `reconnecting…${event.message ? `\n${event.message}` : ''}`, es?.lastEventId ?? '', 'warn');
  } else {
    addRow('error', event.message || 'error', es?.lastEventId ?? '', 'error');
  }
  refreshState();
}

const customHandler = (event) => { addRow(event.type, event.data, event.lastEventId); refreshState(); };

function subscribeCustom(source, type) {
  return source.on(type, customHandler);
}

// ---------- connect / disconnect ----------

function connect() {
  if (!lib) return;
  ui.connectError.textContent = '';
  ui.url.removeAttribute('aria-invalid');
  const url = ui.url.value.trim() || '/events';
  let source;
  try {
    source = new lib.EventSource(url, { withCredentials: ui.withCredentials.checked, shared: ui.shared.checked });
  } catch (error) {
    ui.connectError.textContent = describeError(error);
    ui.url.setAttribute('aria-invalid', 'true');
    return;
  }
  if (es) es.close();
  es = source;
  ui.resolvedUrl.textContent = `${source.url}${source.withCredentials ? '  (withCredentials)' : ''}`;
  addRow('system', `connecting to ${source.url}`, '', 'system');

  source.onopen = () => { addRow('open', `connection open · readyState ${STATE_NAMES[source.readyState] ?? source.readyState}`, source.lastEventId); refreshState(); refreshStats(); };
  source.onmessage = (event) => { addRow('message', event.data, event.lastEventId); refreshState(); };
  source.onerror = onError;
  source.onJson('tick', (value, event) => { addRow('tick', tickParts(value), event.lastEventId); refreshState(); });
  source.on('notice', (event) => { addRow('notice', event.data, event.lastEventId); refreshState(); });
  for (const type of customSubs.keys()) customSubs.set(type, subscribeCustom(source, type));

  refreshState();
  startPolling();
}

function disconnect() {
  if (!es) return;
  es.close();
  addRow('system', 'closed with es.close()', es.lastEventId, 'system');
  setTimeout(refreshStats, 200);
  refreshState();
}

ui.connectForm.addEventListener('submit', (e) => { e.preventDefault(); connect(); });
ui.disconnect.addEventListener('click', disconnect);

// ---------- custom subscriptions ----------

function addChip(type) {
  const chip = el('li', 'chip');
  chip.dataset.type = type;
  const dot = el('span', 'chip-dot');
  dot.style.setProperty('--hue', hueFor(type));
  const remove = el('button', 'chip-remove', '×');
  remove.type = 'button';
  remove.title = `Unsubscribe from "${type}"`;
  remove.setAttribute('aria-label', `Unsubscribe from ${type}`);
  remove.addEventListener('click', () => {
    const off = customSubs.get(type);
    if (typeof off === 'function') off();
    customSubs.delete(type);
    chip.remove();
    addRow('system', `unsubscribed from "${type}"`, '', 'system');
  });
  chip.append(dot, el('code', '', `on('${type}')`), remove);
  ui.customTypes.append(chip);
}

ui.subscribeForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const type = ui.customType.value.trim();
  ui.subscribeError.textContent = '';
  if (!type) { ui.subscribeError.textContent = 'Enter an event type.'; return; }
  if (/[\r\n]/.test(type)) { ui.subscribeError.textContent = 'Event types cannot contain line breaks.'; return; }
  if (BUILTIN_TYPES.has(type) || customSubs.has(type)) {
    ui.subscribeError.textContent = `Already subscribed to "${type}".`;
    return;
  }
  let off = null;
  if (es && es.readyState !== 2) {
    try { off = subscribeCustom(es, type); } catch (error) { ui.subscribeError.textContent = describeError(error); return; }
  }
  customSubs.set(type, off);
  addChip(type);
  addRow('system', `subscribed to "${type}"${off ? '' : ' (active on the next connect)'}`, '', 'system');
  ui.customType.value = '';
});

// ---------- publish ----------

ui.publishForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  const channel = ui.publishChannel.value.trim() || 'demo';
  const event = ui.publishEvent.value.trim();
  const body = { channel, data: ui.publishData.value };
  if (event) body.event = event;
  ui.publishSubmit.disabled = true;
  ui.publishResult.className = 'result';
  ui.publishResult.textContent = 'Publishing…';
  try {
    // The server takes only JSON (a cross-site form cannot send it); same origin, so no preflight.
    const response = await fetch('/publish', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${response.status} ${response.statusText}${text ? ` — ${text.trim()}` : ''}`);
    let answer;
    try { answer = JSON.parse(text); } catch { throw new Error(`unexpected answer: ${text.slice(0, 200)}`); }
    const receivers = Number(answer.receivers);
    ui.publishResult.classList.add('ok');
    ui.publishResult.textContent = `Published id ${answer.id} to "${answer.channel}" as ${event || 'message'} · ` +
      `${receivers} receiver${receivers === 1 ? '' : 's'}`;
  } catch (error) {
    ui.publishResult.classList.add('err');
    ui.publishResult.textContent = `Publish failed: ${error && error.message ? error.message : error}`;
  } finally {
    ui.publishSubmit.disabled = false;
  }
});

ui.publishData.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
    e.preventDefault();
    ui.publishForm.requestSubmit();
  }
});

// ---------- server stats ----------

async function refreshStats() {
  try {
    const response = await fetch('/stats', { cache: 'no-store' });
    if (!response.ok) throw new Error(String(response.status));
    const s = await response.json();
    ui.stats.textContent = `server: ${s.open_connections} open connection${s.open_connections === 1 ? '' : 's'} · ` +
      `${s.total_connections} total · ${s.channels} channel${s.channels === 1 ? '' : 's'}` +
      (s.chat ? ` · chat: ${plural(s.chat.posts, 'POST')}, ${plural(s.chat.resumes, 'resume')}` : '');
  } catch (error) {
    ui.stats.textContent = `server stats unavailable (${error && error.message ? error.message : error})`;
  }
}

// ---------- start-up ----------

function showFatal(message) {
  ui.fatal.textContent = message;
  ui.fatal.hidden = false;
  ui.connect.disabled = true;
  ui.addType.disabled = true;
  chat.disable();
}

async function start() {
  refreshState();
  refreshStats();
  setInterval(refreshStats, 5000);
  try {
    // A dynamic import so that a missing or broken package is reported instead of blanking the page.
    const mod = await import('/pkg/index.js');
    await mod.default();
    if (!mod.isSupported()) {
      ui.supported.textContent = 'not supported';
      ui.supported.dataset.status = 'no';
      showFatal('This browser has no usable EventSource, so the demo cannot connect. Publishing still works.');
      return;
    }
    lib = mod;
    chat.enable(mod);
    ui.supported.textContent = 'EventSource supported';
    ui.supported.dataset.status = 'yes';
    refreshState();
  } catch (error) {
    ui.supported.textContent = 'wasm failed to load';
    ui.supported.dataset.status = 'no';
    showFatal(`Could not load the eventsource-wasm package from /pkg/: ${describeError(error)}`);
  }
}

start();
