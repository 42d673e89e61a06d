// `import wasmUrl from 'eventsource-wasm/eventsource_wasm_bg.wasm'` with a bundler's file or
// asset loader (esbuild `--loader:.wasm=file`, @rollup/plugin-url, webpack `asset/resource`):
// the URL of the emitted .wasm, to pass to `init(wasmUrl)`.
declare const wasmUrl: string;
export default wasmUrl;
