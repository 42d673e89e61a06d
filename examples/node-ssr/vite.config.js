import { defineConfig } from 'vite';

export default defineConfig({
  // Bundle the package into the server build instead of importing it from node_modules at run time.
  ssr: { noExternal: ['eventsource-wasm'] },
});
