// A Node.js CommonJS module (compiled to require(), which gets pkg/node/index.cjs and its .d.cts).
import { EventSource, isSupported } from 'eventsource-wasm';

const es = new EventSource('https://example.com/stream');
es.onmessage = (event) => console.log(event.data, isSupported());
es.close();
