import { defineConfig } from 'vite';

export default defineConfig({
  // `npm run dev`: /events comes from the companion server (or yours: SSE_ORIGIN=http://host:port).
  server: { proxy: { '/events': { target: process.env.SSE_ORIGIN ?? 'http://127.0.0.1:8787', changeOrigin: true } } },
  // Workers are built as classic scripts unless `worker: { format: 'es' }` is set here; only
  // then may worker.js `await init()` at its top level.
});
