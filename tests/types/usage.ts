// Compiled by `tsc` in `npm test` against the declarations in the packed package, resolved the
// way a user's bundler resolves them (scripts/test.sh copies this folder into the scratch app
// that installed the tarball, so `exports["."].types` is what is read): the typed API must
// accept correct code and reject wrong code (each @ts-expect-error must be an error).
import init, {
  createParser,
  EventSource,
  isSupported,
  type JsonErrorEvent,
  type OnJsonOptions,
  type ParserOptions,
  type ReconnectingEvent,
  type SchemaErrorEvent,
  type SourceErrorEvent,
  type StandardSchemaV1,
} from 'eventsource-wasm';
import * as v from 'valibot';
import * as z from 'zod';

async function main(): Promise<void> {
  await init();
  const supported: boolean = isSupported();
  const es = new EventSource('/events', { withCredentials: true });
  const es2 = new EventSource(new URL('https://example.com/stream'));
  const state: number = es.readyState + EventSource.OPEN + es.CLOSED;
  const id: string = es.lastEventId + es.url;

  es.addEventListener('message', (event) => {
    const data: string = event.data;
    const target: EventSource = event.target;
    void data; void target;
  });
  es.addEventListener('error', (event: SourceErrorEvent) => {
    if (event.kind === 'json') {
      const raw: string = event.data;
      void raw;
    } else if (event.kind === 'schema') {
      const issues: ReadonlyArray<StandardSchemaV1.Issue> = event.issues;
      const first: string | undefined = event.issues[0]?.message;
      const raw: string = event.data + event.eventType + event.lastEventId;
      const fatal: false = event.fatal;
      void issues; void first; void raw; void fatal;
    } else if (event.kind === 'parse') {
      const message: string = event.message;
      void message;
    } else {
      const status: number | null | undefined = event.status;
      void status;
      const fatal: boolean = event.fatal && !event.reconnecting;
      void fatal;
    }
  }, { once: true, signal: new AbortController().signal });
  es.addEventListener('tick', { handleEvent: (event: Event) => void event });
  es.onmessage = (event) => void event.lastEventId;
  es.onerror = null;

  const off: () => void = es.on('tick', (event) => void event.data.toUpperCase());
  const offJson = es.onJson<{ n: number }>('tick', (value, event) => {
    const n: number = value.n;
    void n; void event.origin;
  });
  off();
  offJson();
  const jsonError: JsonErrorEvent | undefined = undefined;
  void jsonError;

  // @ts-expect-error: the payload type is checked
  es.onJson<{ n: number }>('tick', (value) => value.missing);
  // onJson with a Standard Schema: the callback's value is the schema's output type (zod's
  // transform included), with no type argument.
  const Tick = z.object({ n: z.number(), at: z.string().transform((text) => new Date(text)) });
  es.onJson('tick', (tick, event) => {
    const n: number = tick.n;
    const at: Date = tick.at;
    void n; void at; void event.lastEventId;
  }, { schema: Tick });
  const VTick = v.object({ n: v.number(), label: v.pipe(v.string(), v.transform((text) => text.length)) });
  const offValidated: () => void = es.onJson('tick', (tick) => {
    const label: number = tick.label;
    void label;
  }, { schema: VTick });
  offValidated();
  // An async validator, and a hand-written one: anything with `~standard` fits.
  es.onJson('tick', (tick) => void tick.n.toFixed(), { schema: z.object({ n: z.number() }).refine(async () => true) });
  const even: StandardSchemaV1<unknown, number> = {
    '~standard': {
      version: 1,
      vendor: 'mine',
      validate: (value) => (typeof value === 'number' && value % 2 === 0 ? { value } : { issues: [{ message: 'odd', path: [{ key: 'n' }] }] }),
    },
  };
  es.onJson('tick', (value) => { const n: number = value; void n; }, { schema: even });
  const tickOptions = { schema: Tick } satisfies OnJsonOptions<typeof Tick>;
  es.onJson('tick', (tick) => void tick.at.getTime(), tickOptions);
  es.onJson('tick', (value) => void value, {});
  es.addEventListener('error', (event) => {
    if (event.kind === 'schema') {
      const schemaError: SchemaErrorEvent = event;
      void schemaError.issues.map((issue) => issue.message + String(issue.path?.length));
    }
  });
  // @ts-expect-error: the inferred output has no such property
  es.onJson('tick', (tick) => tick.missing, { schema: Tick });
  // @ts-expect-error: zod's transform made `at` a Date, not a string
  es.onJson('tick', (tick) => tick.at.toUpperCase(), { schema: Tick });
  // @ts-expect-error: a callback whose parameter contradicts the schema is rejected
  es.onJson('tick', (tick: { n: string }) => void tick, { schema: VTick });
  // @ts-expect-error: the schema must be a Standard Schema
  es.onJson('tick', () => {}, { schema: { parse: () => 1 } });
  // @ts-expect-error: a type argument T is not combined with a schema (the schema's type wins)
  es.onJson<{ n: number }>('tick', () => {}, { schema: VTick });
  // @ts-expect-error: options are typed
  new EventSource('/events', { withCredentials: 'yes' });
  // @ts-expect-error: readyState is read-only
  es.readyState = 1;
  // @ts-expect-error: on() needs a callback
  es.on('tick');

  // The fetch transport's options, the retry policy and its events.
  const es3 = new EventSource('https://example.com/stream', {
    transport: 'fetch',
    method: 'POST',
    body: JSON.stringify({ topics: ['a'] }),
    headers: async () => ({ Authorization: 'Bearer x' }),
    credentials: 'include',
    retry: { initialDelay: 500, maxRetries: 5 },
    shouldRetry: (failure) => failure.kind !== 'headers' && failure.retryable,
    idleTimeout: 30_000,
    lastEventId: '42',
  });
  es3.addEventListener('reconnecting', (event: ReconnectingEvent) => {
    const attempt: number = event.attempt + event.delay;
    void attempt;
  });
  // An injected fetch gets plain-object headers it can spread; the ID can go in the query.
  new EventSource('https://example.com/stream', {
    fetch: (url, init) => {
      const accept: string | undefined = init.headers.accept;
      void accept;
      return fetch(url, { ...init, headers: { ...init.headers, Authorization: 'Bearer x' } });
    },
    lastEventIdParam: 'last_event_id',
  });
  // @ts-expect-error: transport names are checked
  new EventSource('/events', { transport: 'websocket' });

  const options: ParserOptions = {
    onEvent: (event) => void (event.type + event.data + event.lastEventId),
    onRetry: (ms: number) => void ms,
    maxEventSize: 1024,
  };
  const parser = createParser(options);
  parser.feed('data: x\n\n');
  parser.feed(new Uint8Array([10]));
  // @ts-expect-error: feed takes text or bytes
  parser.feed(42);
  parser.reset();

  // One connection for all tabs: `sharing` says whether this one leads, and how many share it.
  const shared = new EventSource('/events', { shared: true });
  const sharing = shared.sharing;
  if (sharing !== null) {
    const leads: boolean = sharing.leader;
    const tabs: number = sharing.tabs;
    void leads; void tabs;
  }
  // @ts-expect-error: `sharing` is read-only
  shared.sharing = null;
  // @ts-expect-error: `shared` is a boolean
  void new EventSource('/events', { shared: 'yes' });
  shared.close();

  es.close();
  es2.close();
  es3.close();
  void supported; void state; void id;
}
void main;
