// The bench harness's own SSE source (the companion server is left untouched): a tiny Node
// HTTP server on 127.0.0.1 that answers
//   GET /stream?n=N&size=S  a text/event-stream of N events of S bytes
//                           each (`id: i\ndata: <filler>\n\n`), written as fast as the socket
//                           accepts it (one pre-built buffer per (N, S)), then the end;
//   GET /idle               an event stream that sends one comment and stays open (for
//                           create/close cycles), ended after 30 s at the latest;
//   OPTIONS *               a CORS preflight answer.
// Every answer allows any origin (the bench page is served by the companion server).
//
// `node bench/stream-server.mjs [--port N]` prints `bench stream server listening on
// http://127.0.0.1:PORT` once it listens, and exits on SIGTERM/SIGINT.
import { createServer } from 'node:http';

const MAX_BYTES = 256 * 1024 * 1024;
const cache = new Map();

/** The body of N events of S bytes each (S >= 16), as one Buffer. */
export function eventStream(n, size) {
  const key = `${n}:${size}`;
  let body = cache.get(key);
  if (body) return body;
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 {}":,';
  const pad = alphabet.repeat(Math.ceil((size + alphabet.length) / alphabet.length) + 1);
  const parts = [];
  for (let i = 0; i < n; i++) {
    const head = `id: ${i}\ndata: `;
    const len = Math.max(1, size - head.length - 2);
    const off = i % alphabet.length;
    parts.push(head, pad.slice(off, off + len), '\n\n');
  }
  body = Buffer.from(parts.join(''));
  if (body.length > MAX_BYTES) throw new RangeError(`stream of ${body.length} bytes is over the limit`);
  // Keep the last few streams only.
  if (cache.size >= 4) cache.delete(cache.keys().next().value);
  cache.set(key, body);
  return body;
}

function cors(req) {
  return {
    'access-control-allow-origin': req.headers.origin || '*',
    'access-control-allow-headers': '*',
    'access-control-allow-methods': 'GET, OPTIONS',
    'access-control-max-age': '600',
  };
}

const sseHeaders = (req) => ({
  'content-type': 'text/event-stream',
  'cache-control': 'no-store',
  ...cors(req),
});

export function startStreamServer(port = 0) {
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, cors(req));
      res.end();
      return;
    }
    if (url.pathname === '/stream') {
      const n = Number(url.searchParams.get('n'));
      const size = Number(url.searchParams.get('size') || 100);
      if (!Number.isInteger(n) || n < 0 || n > 2_000_000 || !Number.isInteger(size) || size < 16 || size > 1_000_000) {
        res.writeHead(400, cors(req));
        res.end('n must be 0..2000000 and size 16..1000000\n');
        return;
      }
      let body;
      try {
        body = eventStream(n, size);
      } catch (error) {
        res.writeHead(400, cors(req));
        res.end(`${error.message}\n`);
        return;
      }
      res.writeHead(200, sseHeaders(req));
      res.end(body);
      return;
    }
    if (url.pathname === '/idle') {
      res.writeHead(200, sseHeaders(req));
      res.write(': idle\n\n');
      const timer = setTimeout(() => res.end(), 30_000);
      res.on('close', () => clearTimeout(timer));
      return;
    }
    res.writeHead(404, cors(req));
    res.end('not found\n');
  });
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--port');
  const server = await startStreamServer(i > 0 ? Number(process.argv[i + 1]) : 0);
  console.log(`bench stream server listening on http://127.0.0.1:${server.address().port}`);
  const stop = () => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
