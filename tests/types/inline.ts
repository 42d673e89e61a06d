// The inline entry has the same types; the .wasm subpath is a URL under a bundler's file loader.
import init, { EventSource, initSync, type InitOutput } from 'eventsource-wasm/inline';
import wasmUrl from 'eventsource-wasm/eventsource_wasm_bg.wasm';
import initDefault from 'eventsource-wasm';

async function inline(): Promise<void> {
  const output: InitOutput = await init();
  void output.memory;
  await initDefault(wasmUrl);
  await initDefault(new URL(wasmUrl, location.href));
  await initDefault({ module_or_path: fetch(wasmUrl) });
  initSync(); // the inline entry has the bytes
  initSync(new Uint8Array(8));
  initSync({ module: new ArrayBuffer(8) });
  const url: string = wasmUrl;
  void url;
  // What `using` calls: declared for every lib (init.d.ts declares Symbol.dispose where the lib does not).
  const es = new EventSource('/events');
  es[Symbol.dispose]();
}
void inline;
