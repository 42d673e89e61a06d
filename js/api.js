// The package's API, shared by its entries (index.js fetches the .wasm, inline.js carries it,
// node.mjs initialises itself): the module wasm-bindgen generates (./eventsource_wasm.js), behind
// a thin layer that no caller can break. scripts/build.sh copies the js/ folder into pkg/web/.
//
// - Every method checks its receiver with a private field, so `EventSource.prototype.close
//   .call(other)` is a TypeError raised here, before any wasm frame (the generated classes
//   would read `other`'s memory as their own).
// - Nothing reaches wasm before init(): each call says to call init() first, and
//   isSupported() answers from JS.
// - Argument counts are checked as the browser's WebIDL bindings check them
//   (`new EventSource()` is a TypeError, `new EventSource(undefined)` opens ".../undefined").
// - The generated objects are never freed while a wrapper can still reach them.
//
// Everything else (argument conversion, options, EventTarget semantics) is the Rust code's;
// the TypeScript declarations are generated from it (eventsource_wasm.d.ts) and describe
// these classes, which have the same members.
import initWasm, * as wasm from './eventsource_wasm.js';

let ready = false;
// The first init() in flight (or done): later and concurrent calls share it, so the module is
// instantiated once. Cleared when it fails, so init() can be tried again.
let initializing = null;

function requireInit(what) {
  if (!ready) {
    throw new Error(
      `eventsource-wasm: ${what} was used before the module was initialised: ` +
        'call (and await) init() first, e.g. `import init, { EventSource } from ' +
        "'eventsource-wasm'; await init();` (in Node.js, Deno and Bun the package initialises itself)",
    );
  }
}

function requireArguments(given, needed, what) {
  if (given < needed) {
    throw new TypeError(
      `Failed to ${what}: ${needed} argument${needed > 1 ? 's' : ''} required, but only ${given} present.`,
    );
  }
}

/**
 * Instantiates the module from `input` (a URL, a `Response`, bytes, a `WebAssembly.Module`, a
 * promise of one, or wasm-bindgen's `{ module_or_path }`), or from `fallback()` when `input` is
 * `undefined`. The entries' `init()`: the first call starts the instantiation and every later or
 * concurrent call returns its promise (a failed one may be retried), so awaiting `init()` in
 * every handler costs one microtask once it has resolved.
 */
export function initFrom(input, fallback) {
  if (initializing === null) {
    let source = input;
    if (source !== null && typeof source === 'object' && Object.getPrototypeOf(source) === Object.prototype) {
      source = source.module_or_path;
    }
    initializing = (async () => initWasm({ module_or_path: source === undefined ? fallback() : source }))().then(
      (exports) => {
        ready = true;
        return exports;
      },
      (error) => {
        initializing = null;
        throw error;
      },
    );
  }
  return initializing;
}

/**
 * Instantiates the module synchronously from its bytes or a compiled `WebAssembly.Module` (or
 * wasm-bindgen's `{ module }`). Counts as the first init(): later init() calls resolve at once.
 */
export function initSync(module) {
  if (module !== null && typeof module === 'object' && Object.getPrototypeOf(module) === Object.prototype) {
    module = module.module;
  }
  if (module === undefined && !ready) {
    throw new TypeError(
      "eventsource-wasm: initSync() needs the module's bytes or a WebAssembly.Module (the " +
        "'eventsource-wasm/inline' entry's initSync() has them); or call (and await) init()",
    );
  }
  const exports = wasm.initSync({ module });
  ready = true;
  initializing ??= Promise.resolve(exports);
  return exports;
}

/**
 * Whether this environment has its own EventSource (browser windows and workers: yes; Node.js,
 * service workers: no). Never throws, before or after init().
 */
export function isSupported() {
  if (ready) return wasm.isSupported();
  return typeof globalThis.EventSource === 'function';
}

/** An async iterator over `stream`'s chunks; `return()` (a `break`) cancels the stream. */
function readAll(stream) {
  const reader = stream.getReader();
  return {
    next: () => reader.read(),
    async return() {
      await reader.cancel();
      reader.releaseLock();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/** The `types` of `stream(options)`: `['message']` unless the options name others. */
function streamTypes(options) {
  if (options === undefined || options === null) return ['message'];
  if (typeof options !== 'object') throw new TypeError('stream(options): options must be an object such as { types: ["token"] }');
  const types = options.types;
  if (types === undefined) return ['message'];
  if (!Array.isArray(types) || types.length === 0) throw new TypeError('stream(options): options.types must be a non-empty array of event types');
  return types.map(String);
}

/** A drop-in for the browser's EventSource, with typed extras (see the TypeScript types). */
export class EventSource {
  #core;
  // Calls into the generated object that can run caller code (dispatchEvent) and are still
  // running: free() waits for them (freeing an object in use would throw through wasm).
  #busy = 0;
  #freeLater = false;
  // The ends of the iterators and streams in progress (close() ends them).
  #iterators = new Set();
  // The `signal` option's abort listener, and the signal.
  #abort = null;

  constructor(url, options) {
    requireInit('new EventSource()');
    requireArguments(arguments.length, 1, "construct 'EventSource'");
    const signal = options !== null && typeof options === 'object' ? options.signal : undefined;
    if (signal !== undefined && signal !== null && !(signal instanceof AbortSignal)) {
      throw new TypeError("Failed to construct 'EventSource': options.signal must be an AbortSignal");
    }
    const core = new wasm.EventSource(url, options);
    core.__bind(this);
    this.#core = core;
    if (signal) {
      if (signal.aborted) {
        core.close();
      } else {
        const abort = () => this.close();
        this.#abort = [signal, abort];
        signal.addEventListener('abort', abort, { once: true });
        // A source that completes by itself (`closeOn`, a fatal error) lets go of the signal
        // too: a long-lived signal would otherwise keep the closed source alive.
        core.addEventListener('close', () => this.#releaseSignal(), { once: true });
      }
    }
  }

  static #of(self, member, freed = false) {
    if (typeof self !== 'object' || self === null || !(#core in self)) {
      throw new TypeError(`Illegal invocation: EventSource.prototype.${member} called on an object that is not an EventSource`);
    }
    const core = self.#core;
    if (core === null && !freed) {
      throw new TypeError(`EventSource.prototype.${member}: this EventSource was freed`);
    }
    return core;
  }

  static get CONNECTING() { return 0; }
  static get OPEN() { return 1; }
  static get CLOSED() { return 2; }
  get CONNECTING() { return 0; }
  get OPEN() { return 1; }
  get CLOSED() { return 2; }

  get readyState() {
    const core = EventSource.#of(this, 'readyState', true);
    return core === null ? 2 : core.readyState;
  }
  get url() { return EventSource.#of(this, 'url').url; }
  get withCredentials() { return EventSource.#of(this, 'withCredentials').withCredentials; }
  get lastEventId() { return EventSource.#of(this, 'lastEventId').lastEventId; }
  /** With `shared: true`: `{ leader, tabs }`; `null` for a private connection. */
  get sharing() { return EventSource.#of(this, 'sharing').sharing; }

  get onopen() { return EventSource.#of(this, 'onopen').onopen; }
  set onopen(value) { EventSource.#of(this, 'onopen').onopen = value; }
  get onmessage() { return EventSource.#of(this, 'onmessage').onmessage; }
  set onmessage(value) { EventSource.#of(this, 'onmessage').onmessage = value; }
  get onerror() { return EventSource.#of(this, 'onerror').onerror; }
  set onerror(value) { EventSource.#of(this, 'onerror').onerror = value; }

  close() {
    EventSource.#of(this, 'close').close();
    this.#ended();
  }

  // The source is closed: iterators end, the abort listener goes.
  #ended() {
    for (const end of [...this.#iterators]) end();
    this.#releaseSignal();
  }

  // Removes the `signal` option's abort listener (once).
  #releaseSignal() {
    if (this.#abort !== null) {
      const [signal, abort] = this.#abort;
      this.#abort = null;
      signal.removeEventListener('abort', abort);
    }
  }

  addEventListener(type, listener, options) {
    const core = EventSource.#of(this, 'addEventListener');
    requireArguments(arguments.length, 2, "execute 'addEventListener' on 'EventSource'");
    core.addEventListener(type, listener, options);
  }

  removeEventListener(type, listener, options) {
    const core = EventSource.#of(this, 'removeEventListener');
    requireArguments(arguments.length, 2, "execute 'removeEventListener' on 'EventSource'");
    core.removeEventListener(type, listener, options);
  }

  dispatchEvent(event) {
    const core = EventSource.#of(this, 'dispatchEvent');
    requireArguments(arguments.length, 1, "execute 'dispatchEvent' on 'EventSource'");
    this.#busy++;
    try {
      return core.dispatchEvent(event);
    } finally {
      if (--this.#busy === 0 && this.#freeLater) core.free();
    }
  }

  on(type, callback) {
    const core = EventSource.#of(this, 'on');
    requireArguments(arguments.length, 2, "execute 'on' on 'EventSource'");
    return core.on(type, callback);
  }

  onJson(type, callback, options) {
    const core = EventSource.#of(this, 'onJson');
    requireArguments(arguments.length, 2, "execute 'onJson' on 'EventSource'");
    return core.onJson(type, callback, options);
  }

  getSnapshot() {
    return EventSource.#of(this, 'getSnapshot').getSnapshot();
  }

  subscribe(callback) {
    const core = EventSource.#of(this, 'subscribe');
    requireArguments(arguments.length, 1, "execute 'subscribe' on 'EventSource'");
    return core.subscribe(callback);
  }

  onBatch(callback, options) {
    const core = EventSource.#of(this, 'onBatch');
    requireArguments(arguments.length, 1, "execute 'onBatch' on 'EventSource'");
    return core.onBatch(callback, options);
  }

  /** `for await (const event of source)`: the `message` events (see stream() for others). */
  [Symbol.asyncIterator]() {
    return this.#iterator(['message'], 'Symbol.asyncIterator');
  }

  /** A ReadableStream of the events of `options.types` (default: `['message']`). */
  stream(options) {
    const iterator = this.#iterator(streamTypes(options), 'stream');
    const stream = new ReadableStream({
      async pull(controller) {
        const { value, done } = await iterator.next();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel() {
        return iterator.return();
      },
    });
    // `for await` over the stream, also where ReadableStream is not async iterable (Safari).
    if (!(Symbol.asyncIterator in stream)) {
      Object.defineProperty(stream, Symbol.asyncIterator, { value: () => readAll(stream), configurable: true, writable: true });
    }
    return stream;
  }

  // An async iterator of the events of `types`: it ends when the source closes (close(),
  // `closeOn`, the `signal`), throws the fatal error (after the events before it), and
  // return() (a `break`) closes the source.
  #iterator(types, member) {
    const core = EventSource.#of(this, member);
    const queue = [];
    let waiting = null;
    let failure = null;
    let done = false;
    const settle = () => {
      if (waiting === null) return;
      const { resolve, reject } = waiting;
      if (queue.length > 0) {
        waiting = null;
        resolve({ value: queue.shift(), done: false });
      } else if (failure !== null) {
        waiting = null;
        const error = failure;
        failure = null;
        reject(error);
      } else if (done) {
        waiting = null;
        resolve({ value: undefined, done: true });
      }
    };
    const unsubscribe = types.map((type) =>
      core.on(type, (event) => {
        if (!done) {
          queue.push(event);
          settle();
        }
      }),
    );
    const onError = (event) => {
      if (event.fatal) {
        failure = new Error(event.message, { cause: event });
        end();
      }
    };
    const end = () => {
      if (done) return;
      done = true;
      for (const off of unsubscribe) off();
      this.removeEventListener('error', onError);
      this.removeEventListener('close', onClose);
      this.#iterators.delete(end);
      settle();
    };
    // A server event may be named `close` too: only the source's own (no `data`) ends it.
    const onClose = (event) => {
      if (!('data' in event)) end();
    };
    this.addEventListener('error', onError);
    this.addEventListener('close', onClose);
    this.#iterators.add(end);
    if (core.readyState === 2) end();
    const self = this;
    return {
      next() {
        return new Promise((resolve, reject) => {
          waiting = { resolve, reject };
          settle();
        });
      },
      return() {
        end();
        queue.length = 0;
        failure = null;
        if (self.#core !== null) self.close();
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  /** Closes the source and releases its memory now; the object is unusable afterwards. */
  free() {
    const core = EventSource.#of(this, 'free');
    this.#core = null;
    core.close();
    this.#ended();
    if (this.#busy > 0) this.#freeLater = true;
    else core.free();
  }

  get [Symbol.toStringTag]() { return 'EventSource'; }
}

// Libraries written for the `eventsource` package check this marker (defined as that package
// defines it) before passing a `fetch` option.
Object.defineProperty(EventSource, Symbol.for('eventsource.supports-fetch-override'), {
  value: true,
  writable: false,
  configurable: false,
  enumerable: false,
});

/** An incremental parser, from `createParser(options)`. */
export class EventStreamParser {
  #core;
  // As for EventSource: feed() runs caller callbacks; free() waits for it.
  #busy = 0;
  #freeLater = false;

  constructor(core, token) {
    if (token !== PARSER_TOKEN) throw new TypeError('Illegal constructor: use createParser(options)');
    this.#core = core;
  }

  static #of(self, member) {
    if (typeof self !== 'object' || self === null || !(#core in self)) {
      throw new TypeError(`Illegal invocation: EventStreamParser.prototype.${member} called on an object that is not a parser`);
    }
    const core = self.#core;
    if (core === null) throw new TypeError(`EventStreamParser.prototype.${member}: this parser was freed`);
    return core;
  }

  feed(chunk) {
    const core = EventStreamParser.#of(this, 'feed');
    requireArguments(arguments.length, 1, "execute 'feed' on 'EventStreamParser'");
    this.#busy++;
    try {
      core.feed(chunk);
    } finally {
      if (--this.#busy === 0 && this.#freeLater) core.free();
    }
  }

  reset() { EventStreamParser.#of(this, 'reset').reset(); }

  get lastEventId() { return EventStreamParser.#of(this, 'lastEventId').lastEventId; }

  /** Releases the parser's memory now; the object is unusable afterwards. */
  free() {
    const core = EventStreamParser.#of(this, 'free');
    this.#core = null;
    if (this.#busy > 0) this.#freeLater = true;
    else core.free();
  }

  get [Symbol.toStringTag]() { return 'EventStreamParser'; }
}

const PARSER_TOKEN = Symbol('EventStreamParser');

// `using source = new EventSource(...)` closes and frees it at the end of the scope.
if (typeof Symbol.dispose === 'symbol') {
  for (const Class of [EventSource, EventStreamParser]) {
    Object.defineProperty(Class.prototype, Symbol.dispose, {
      value() {
        try { this.free(); } catch { /* already freed */ }
      },
      writable: true,
      configurable: true,
    });
  }
}

/** A spec-exact incremental parser of `text/event-stream` data, for any source of chunks. */
export function createParser(options) {
  requireInit('createParser()');
  requireArguments(arguments.length, 1, "execute 'createParser'");
  return new EventStreamParser(wasm.createParser(options), PARSER_TOKEN);
}
