//! The TypeScript declarations of the JS API that wasm-bindgen cannot derive from the Rust
//! signatures (the options bag, the event types, the typed `addEventListener` overloads); they
//! are emitted into the generated `.d.ts` with the rest.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** Request headers: what `fetch` accepts (an object, `[name, value]` pairs, a `Headers`). */
export type SourceHeaders = NonNullable<RequestInit["headers"]>;

/** Options for `new EventSource(url, options)`. */
export interface EventSourceOptions {
  /** Send cookies and HTTP authentication with cross-origin requests. Default: `false`. */
  withCredentials?: boolean;
  /**
   * `'auto'` (default): the browser's EventSource when it can serve the request (GET, no
   * headers, no body) and exists here, `fetch` otherwise. `'eventsource'` or `'fetch'` force one.
   */
  transport?: "auto" | "eventsource" | "fetch";
  /**
   * Request headers (fetch transport): an object, `[name, value]` pairs, a `Headers`, or a
   * function (sync or async) called on every connect, e.g. to refresh a token.
   */
  headers?: SourceHeaders | (() => SourceHeaders | Promise<SourceHeaders>);
  /** HTTP method (fetch transport). Default: `'GET'`. */
  method?: string;
  /** Request body (fetch transport; needs a method other than GET). */
  body?: RequestInit["body"];
  /** Fetch credentials mode. Default: `'include'` with `withCredentials`, else `'same-origin'`. */
  credentials?: RequestInit["credentials"];
  /**
   * A `fetch` to use instead of the global one, called as `fetch(url, init)`; `init.headers`
   * is a plain object with lower-case names, so `{ ...init.headers, authorization }` keeps
   * `accept` and `last-event-id`.
   */
  fetch?: (url: string, init: RequestInit & { headers: Record<string, string> }) => Promise<Response>;
  /** The largest event accepted by the fetch transport, in bytes. Default: 1 MiB. */
  maxEventSize?: number;
  /**
   * Reconnect with backoff and jitter instead of the browser's plain behaviour (`true` for the
   * defaults). With the browser's EventSource, a source it gave up on is reopened with the last
   * event ID in the `lastEventIdParam` query parameter; the fetch transport sends `Last-Event-ID`
   * (or, with `lastEventIdParam` set, the query parameter).
   */
  retry?: boolean | RetryOptions;
  /** Overrides which failures are retried (turns on the default `retry` policy if it is not set). */
  shouldRetry?: (failure: RetryFailure) => boolean;
  /** Reconnect when nothing (not even a comment) arrived for this many ms (fetch transport). */
  idleTimeout?: number;
  /** The last event ID to resume from, sent on the first connection too. */
  lastEventId?: string;
  /**
   * The query parameter carrying the last event ID. The browser's EventSource uses it when this
   * library reopens it (default `'lastEventId'`). The fetch transport uses it only when set:
   * then it sends the ID in this parameter and no `Last-Event-ID` header, so a cross-origin
   * resume needs no CORS preflight (nchan's parameter is `'last_event_id'`). Default: unset.
   */
  lastEventIdParam?: string;
  /** Reconnect at once (skipping a retry wait) when the browser fires `online`. */
  reconnectOnOnline?: boolean;
  /** Close while the page is hidden; resume from the last event ID when it is visible again. */
  pauseWhenHidden?: boolean;
  /** Reconnect when the page is restored from the back/forward cache. */
  reopenOnPageshow?: boolean;
  /**
   * Share one connection among all same-origin tabs, windows and dedicated workers (and all
   * sources of this page) that open the same source: same URL, method, body, credentials and
   * headers. One leads (holds the connection, elected with the Web Locks API), the others get
   * its events over a `BroadcastChannel`; when it closes or dies another takes over and resumes
   * with `Last-Event-ID`, so every source gets each event once (the server's events need IDs).
   * Each source keeps its own `readyState`, events, `lastEventId` and `close()`. Uses the fetch
   * transport. Private instead where Web Locks or BroadcastChannel is missing (Node.js, old
   * browsers), with `transport: 'eventsource'`, a headers function, `fetch`, or a body that is
   * not a string. Default: `false`.
   */
  shared?: boolean;
  /**
   * When the stream is complete: an event type (e.g. `'done'`) or a predicate of the event (e.g.
   * `(e) => e.data === '[DONE]'`). After that event is delivered the source closes without
   * reconnecting and dispatches `close` with `reason: 'done'`. A stream that ends or breaks
   * before it is *truncated*: an `error` with `kind: 'truncated'`, retried (under `retry`, by its
   * policy) and resumed from the last event ID. Without `closeOn`, a stream never completes (the
   * browser's behaviour). With the browser's EventSource a predicate sees `message` events and
   * the types that have listeners. Events still waiting for an asynchronous `onJson` schema when
   * the stream completes are delivered first: `close` comes after them (see `OnJsonOptions`).
   */
  closeOn?: string | ((event: SourceMessageEvent) => boolean);
  /**
   * How later attempts continue once a response has started (fetch transport): e.g.
   * `{ method: 'GET', url: (lastEventId) => '/chat/' + lastEventId.split(':')[0] }`, sent with
   * `Last-Event-ID` (or `lastEventIdParam`), without the body. Without it, a request whose method
   * is not idempotent (`POST`, `PATCH`) is sent again only if it failed before its response
   * started; once its stream has opened, its end or failure is fatal, with a message that says
   * to set `resume`.
   */
  resume?: ResumeOptions;
  /** Closes the source when this signal aborts (also ending its iterators and streams). */
  signal?: AbortSignal;
}

/** The state of a source (`getSnapshot()`): a frozen object, replaced whenever it changes. */
export interface EventSourceSnapshot {
  /** 0 CONNECTING, 1 OPEN, 2 CLOSED. */
  readonly readyState: 0 | 1 | 2;
  /** Consecutive failed attempts since the connection was last open (0 while it is open). */
  readonly attempt: number;
  /** When the next attempt starts (`Date.now()` time), while a retry wait is pending. */
  readonly nextRetryAt: number | null;
  /** The latest connection error, until the connection opens again. */
  readonly lastError: {
    readonly kind: "connection" | "truncated";
    readonly message: string;
    readonly status: number | null;
    readonly fatal: boolean;
  } | null;
  readonly lastEventId: string;
  /** Server events received since the source was created. */
  readonly eventsReceived: number;
}

/** A server event as `onBatch` delivers it: a plain object, no `MessageEvent`. */
export interface BatchEvent {
  readonly type: string;
  readonly data: string;
  readonly lastEventId: string;
}

/** Options of `onBatch`. */
export interface BatchOptions {
  /** `'frame'` (default): at most once per animation frame (every 16 ms without frames). */
  every?: "frame" | number;
  /**
   * The event types to batch. Default: every event with the fetch transport, `message` events
   * with the browser's EventSource (which fires only the types named somewhere).
   */
  types?: string[];
}

/** How a stream continues after its first response (see `EventSourceOptions.resume`). */
export interface ResumeOptions {
  /** Default: `'GET'`. */
  method?: string;
  /** The URL, or a function of the last event ID that returns it. */
  url: string | ((lastEventId: string) => string);
}

/** The reconnection policy. */
export interface RetryOptions {
  /** First delay when the server sent no `retry:` (ms). Default: 1000. */
  initialDelay?: number;
  /** Largest delay (ms); a `Retry-After` is honoured even when larger. Default: 30000. */
  maxDelay?: number;
  /** Growth per consecutive failure. Default: 2. */
  multiplier?: number;
  /** Randomized share of the delay, 0..1 (1 = full jitter). Default: 1. */
  jitter?: number;
  /**
   * Consecutive failed attempts before giving up (a fatal error): `maxRetries: n` makes at most
   * n + 1 requests in a row, on both transports. A failed request and a stream that ended or broke
   * each count; a connection open for `resetAfter` resets the count. Default: unlimited.
   */
  maxRetries?: number;
  /** A connection open this long (ms) resets the attempt count. Default: 10000. */
  resetAfter?: number;
}

/** What `shouldRetry` is asked about. */
export interface RetryFailure {
  /**
   * `network` (no answer, or the stream broke), `status` (an HTTP status other than 200),
   * `content-type` (not text/event-stream), `idle` (the idle timeout), `unknown` (the browser's
   * EventSource gave up, and a probe request could not tell why), `headers` (the headers function failed),
   * `request` (the request cannot be made: an invalid header, or an injected fetch that did not
   * resolve to a Response), `truncated` (with `closeOn`: the stream ended before its last event).
   */
  kind: "network" | "status" | "content-type" | "idle" | "unknown" | "headers" | "request" | "truncated";
  status: number | null;
  /** The default classification. */
  retryable: boolean;
}

/** Dispatched before each reconnection attempt made by the `retry` policy. */
export interface ReconnectingEvent extends Event {
  readonly type: "reconnecting";
  /** Attempt number, from 1. */
  readonly attempt: number;
  /** Milliseconds until the attempt. */
  readonly delay: number;
  readonly reason: RetryFailure["kind"];
  readonly message: string;
  readonly status: number | null;
  readonly target: EventSource;
}

/**
 * An `error` event for the connection itself; `kind: 'truncated'` when, with `closeOn`, the
 * stream ended or broke before the event that completes it.
 */
export interface ConnectionErrorEvent extends Event {
  readonly type: "error";
  readonly kind: "connection" | "truncated";
  /** `true` while the browser reconnects on its own (readyState CONNECTING). */
  readonly reconnecting: boolean;
  /** `true` when the browser gave up (readyState CLOSED): HTTP error, wrong Content-Type, 204. */
  readonly fatal: boolean;
  readonly message: string;
  /**
   * The HTTP status of a failed response (`null` for network errors). The browser's EventSource
   * hides it: after it gives up, one request of the same URL (aborted once the headers arrive)
   * learns it. Absent on the browser's own reconnects.
   */
  readonly status?: number | null;
  /** Fetch transport: the status text of a failed response. */
  readonly statusText?: string | null;
  /** Fetch transport: the headers of a failed response (lower-case names). */
  readonly headers?: Record<string, string> | null;
  /**
   * Fetch transport: the first kilobyte of a failed response's body. The error is not delayed
   * for it: what has not arrived yet when the event is dispatched is added to it later.
   */
  readonly body?: string | null;
  readonly target: EventSource;
}

/** An `error` event for an `onJson` payload that is not valid JSON. */
export interface JsonErrorEvent extends Event {
  readonly type: "error";
  readonly kind: "json";
  readonly reconnecting: false;
  readonly fatal: false;
  /** `JSON.parse`'s message. */
  readonly message: string;
  /** The raw event data. */
  readonly data: string;
  /** The type of the event whose data failed to parse. */
  readonly eventType: string;
  readonly lastEventId: string;
  readonly target: EventSource;
}

/**
 * The Standard Schema interface (https://standardschema.dev), which zod, valibot, arktype and
 * many other validators implement: what `onJson(type, callback, { schema })` accepts. Declared
 * here (the part this package uses) so that it needs no dependency; any validator that
 * implements the standard fits it.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly "~standard": StandardSchemaV1.Props<Input, Output>;
}

export declare namespace StandardSchemaV1 {
  interface Props<Input = unknown, Output = Input> {
    readonly version: 1;
    readonly vendor: string;
    /** Checks a value: `{ value }` (the output) or `{ issues }`, or a promise of one. */
    readonly validate: (value: unknown) => Result<Output> | Promise<Result<Output>>;
    /** The inferred input and output types (type-level only). */
    readonly types?: Types<Input, Output> | undefined;
  }
  type Result<Output> = SuccessResult<Output> | FailureResult;
  interface SuccessResult<Output> {
    readonly value: Output;
    readonly issues?: undefined;
  }
  interface FailureResult {
    readonly issues: ReadonlyArray<Issue>;
  }
  /** One problem the validator found. */
  interface Issue {
    readonly message: string;
    /** Where in the value: property keys, or `{ key }` segments. */
    readonly path?: ReadonlyArray<PropertyKey | PathSegment> | undefined;
  }
  interface PathSegment {
    readonly key: PropertyKey;
  }
  interface Types<Input = unknown, Output = Input> {
    readonly input: Input;
    readonly output: Output;
  }
  /** The type a schema's `validate` produces (what `onJson` callbacks receive). */
  type InferOutput<Schema extends StandardSchemaV1> = NonNullable<
    Schema["~standard"]["types"]
  >["output"];
}

/** The options of `onJson(type, callback, options)`. */
export interface OnJsonOptions<Schema extends StandardSchemaV1 = StandardSchemaV1> {
  /**
   * A Standard Schema validator (zod, valibot, arktype, ...) that checks each parsed value. The
   * callback gets the validator's output (transformed values included); data it rejects reaches
   * the `error` listeners as a `SchemaErrorEvent`. An asynchronous validator does not reorder
   * events: the callbacks of one `onJson` run in the order the events arrived. When the source
   * closes by itself (`closeOn` completed the stream, or the fatal error), the events that
   * arrived before are still delivered (or reported), and the fatal `error` and `close` events
   * are dispatched after them: the wait ends when none is pending, or when none has settled for
   * 1 s (the rest are then dropped, reported as one `SchemaErrorEvent` with `dropped` per
   * registration). `close()` drops the pending ones, as does unsubscribing. Default: none.
   */
  schema?: Schema;
}

/**
 * An `error` event for `onJson` data that its `schema` rejected, or that the validator could not
 * check (it threw, its promise rejected, or it returned something other than `{ value }` or
 * `{ issues }`). Never fatal: the connection is not affected.
 */
export interface SchemaErrorEvent extends Event {
  readonly type: "error";
  readonly kind: "schema";
  readonly reconnecting: false;
  readonly fatal: false;
  /** A summary of the first issues, or what the validator threw. */
  readonly message: string;
  /** The validator's issues (empty when it threw or rejected). */
  readonly issues: ReadonlyArray<StandardSchemaV1.Issue>;
  /** The raw event data. */
  readonly data: string;
  /** The type of the event whose data was rejected. */
  readonly eventType: string;
  readonly lastEventId: string;
  /** What the validator threw or rejected with (absent when it reported issues). */
  readonly cause?: unknown;
  /**
   * Set when the source completed by itself and the validator did not settle within 1 s: how
   * many events of `eventType` were dropped (`issues`, `data` and `lastEventId` are empty).
   */
  readonly dropped?: number;
  readonly target: EventSource;
}

/**
 * An `error` event for an event the fetch transport dropped because it was larger than
 * `maxEventSize`. The connection stays open and parsing resumes at the next event.
 */
export interface ParseErrorEvent extends Event {
  readonly type: "error";
  readonly kind: "parse";
  readonly reconnecting: false;
  readonly fatal: false;
  readonly message: string;
  readonly target: EventSource;
}

/**
 * Dispatched when the source closes by itself: `reason: 'done'` after the event `closeOn` waits
 * for, `'error'` after the fatal `error` event; after the `onJson` callbacks of the events that
 * arrived before, when an asynchronous schema was still checking them (`readyState` is already
 * `CLOSED` then). (Not dispatched by `close()`.)
 */
export interface SourceCloseEvent extends Event {
  readonly type: "close";
  readonly reason: "done" | "error";
  readonly message: string;
  readonly target: EventSource;
}

/** What `error` listeners receive. */
export type SourceErrorEvent =
  | ConnectionErrorEvent
  | JsonErrorEvent
  | SchemaErrorEvent
  | ParseErrorEvent;

/** A server message; `target` is the `EventSource` wrapper. */
export interface SourceMessageEvent extends MessageEvent {
  readonly data: string;
  readonly target: EventSource;
}

/** `addEventListener`'s options (the DOM's `AddEventListenerOptions`). */
export interface SourceListenerOptions {
  capture?: boolean;
  once?: boolean;
  passive?: boolean;
  signal?: AbortSignal;
}

/** A listener object (the DOM's `EventListenerObject`). */
export interface SourceListenerObject {
  handleEvent(event: SourceMessageEvent): unknown;
}

/** Event types and the events their listeners receive. */
export interface EventSourceEventMap {
  open: Event;
  message: SourceMessageEvent;
  error: SourceErrorEvent;
  reconnecting: ReconnectingEvent;
  close: SourceCloseEvent;
}

// The typed members of the `EventSource` class, merged into its declaration. (The crate never
// names the global EventSource in the generated module, so the class keeps its own name.)
export interface EventSource {
  addEventListener<K extends keyof EventSourceEventMap>(
    type: K,
    listener: ((this: EventSource, event: EventSourceEventMap[K]) => unknown) | null,
    options?: boolean | SourceListenerOptions,
  ): void;
  addEventListener(
    type: string,
    listener: ((this: EventSource, event: SourceMessageEvent) => unknown) | SourceListenerObject | null,
    options?: boolean | SourceListenerOptions,
  ): void;
  removeEventListener<K extends keyof EventSourceEventMap>(
    type: K,
    listener: ((this: EventSource, event: EventSourceEventMap[K]) => unknown) | null,
    options?: boolean | { capture?: boolean },
  ): void;
  removeEventListener(
    type: string,
    listener: ((this: EventSource, event: SourceMessageEvent) => unknown) | SourceListenerObject | null,
    options?: boolean | { capture?: boolean },
  ): void;
  /** The `open` handler; assigning `null` removes it. */
  onopen: ((this: EventSource, event: Event) => unknown) | null;
  /** The `message` handler; assigning `null` removes it. */
  onmessage: ((this: EventSource, event: SourceMessageEvent) => unknown) | null;
  /** The `error` handler; assigning `null` removes it. */
  onerror: ((this: EventSource, event: SourceErrorEvent) => unknown) | null;
  /**
   * Calls `callback` for each server event of `type` (`"message"` or a custom name; `open`
   * and connection errors are not server events: use `addEventListener` for those).
   * Returns a function that unsubscribes.
   */
  on(type: string, callback: (this: EventSource, event: SourceMessageEvent) => unknown): () => void;
  /**
   * Calls `callback` with each event's data parsed as JSON and checked by `options.schema`, a
   * Standard Schema validator (zod, valibot, arktype, ...): the callback gets the validator's
   * output, typed as the schema's output. Data that is not JSON reaches the `error` listeners as
   * a `JsonErrorEvent`, data the schema rejects as a `SchemaErrorEvent`: neither is thrown. A
   * `schema` that is not a Standard Schema is a `TypeError`. Returns an unsubscribe function.
   */
  onJson<Schema extends StandardSchemaV1>(
    type: string,
    callback: (
      this: EventSource,
      value: StandardSchemaV1.InferOutput<Schema>,
      event: SourceMessageEvent,
    ) => unknown,
    options: OnJsonOptions<Schema> & { schema: Schema },
  ): () => void;
  /**
   * Calls `callback` with each event's data parsed as JSON (`T` is not checked: pass
   * `{ schema }` to validate). Data that is not JSON is not thrown: it reaches the `error`
   * listeners as a `JsonErrorEvent`. Returns an unsubscribe function.
   */
  onJson<T = unknown>(
    type: string,
    callback: (this: EventSource, value: T, event: SourceMessageEvent) => unknown,
    options?: OnJsonOptions<never>,
  ): () => void;
  /** The state as a frozen object: the same object until the state changes. */
  getSnapshot(): EventSourceSnapshot;
  /**
   * With `shared: true`: whether this page (or worker) holds the connection, and how many share
   * it (as the leader counts them, once a second); `null` for a private connection.
   */
  readonly sharing: { readonly leader: boolean; readonly tabs: number } | null;
  /**
   * Calls `callback()` after every change of the state (what `useSyncExternalStore`, Svelte
   * stores and Vue refs take). Returns a function that unsubscribes.
   */
  subscribe(callback: () => void): () => void;
  /**
   * Calls `callback(events)` with the events that arrived since its last call, in order, at most
   * once per frame (or per `every` ms); each event reaches it exactly once, across reconnects.
   * Returns a function that unsubscribes.
   */
  onBatch(callback: (this: void, events: BatchEvent[]) => unknown, options?: BatchOptions): () => void;
  /**
   * `for await (const event of source)`: the `message` events, until the source closes (or
   * `closeOn` completes it); a fatal error is thrown (after the events before it); `break`
   * closes the source.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<SourceMessageEvent>;
  /** A `ReadableStream` of the events of `options.types` (default `['message']`), ending as the iterator does. */
  stream(options?: { types?: string[] }): ReadableStream<SourceMessageEvent> & AsyncIterable<SourceMessageEvent>;
}
"#;
