import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [react()],
  // `npm run dev`: /events comes from the companion server (or yours: SSE_ORIGIN=http://host:port).
  server: { proxy: { '/events': { target: process.env.SSE_ORIGIN ?? 'http://127.0.0.1:8787', changeOrigin: true } } },
});
