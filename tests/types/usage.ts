// Compiled by `tsc` in `npm test` against the declarations in the packed package: the typed
// API must accept correct code and reject wrong code (each @ts-expect-error must be an error).
import init, { EventSource, isSupported, type JsonErrorEvent, type SourceErrorEvent } from 'eventsource-wasm';

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
    } else {
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
  // @ts-expect-error: options are typed
  new EventSource('/events', { withCredentials: 'yes' });
  // @ts-expect-error: readyState is read-only
  es.readyState = 1;
  // @ts-expect-error: on() needs a callback
  es.on('tick');

  es.close();
  es2.close();
  void supported; void state; void id;
}
void main;
