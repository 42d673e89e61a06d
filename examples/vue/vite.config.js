import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [vue()],
  // `npm run dev`: the SSE endpoint comes from the companion server (or yours).
  server: { proxy: { '/events': { target: 'http://127.0.0.1:8787', changeOrigin: true } } },
});
