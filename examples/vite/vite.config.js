import { defineConfig } from 'vite';

export default defineConfig({
  // `npm run dev`: the SSE endpoint comes from the companion server (or yours).
  server: { proxy: { '/events': { target: 'http://127.0.0.1:8787', changeOrigin: true } } },
  // Workers are built as classic scripts unless `worker: { format: 'es' }` is set here; only
  // then may worker.js `await init()` at its top level.
});
