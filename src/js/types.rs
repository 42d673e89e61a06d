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
   * resolve to a Response).
   */
  kind: "network" | "status" | "content-type" | "idle" | "unknown" | "headers" | "request";
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

/** An `error` event for the connection itself. */
export interface ConnectionErrorEvent extends Event {
  readonly type: "error";
  readonly kind: "connection";
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

/** What `error` listeners receive. */
export type SourceErrorEvent = ConnectionErrorEvent | JsonErrorEvent | ParseErrorEvent;

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
   * Calls `callback` with each event's data parsed as JSON. Data that is not JSON is not
   * thrown: it reaches the `error` listeners as a `JsonErrorEvent`. Returns an unsubscribe function.
   */
  onJson<T = unknown>(
    type: string,
    callback: (this: EventSource, value: T, event: SourceMessageEvent) => unknown,
  ): () => void;
}
"#;
