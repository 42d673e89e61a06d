// Packs the npm package exactly as it would be published (`npm pack`), installs the tarball
// into a scratch app (tests/.work/app), and writes that app's page, which imports the package
// by its bare name through an import map built from the installed package's own `exports`.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const work = join(root, 'tests/.work');
const app = join(work, 'app');
rmSync(app, { recursive: true, force: true });
mkdirSync(app, { recursive: true });

const npm = (args, cwd) =>
  execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, encoding: 'utf8' });

const [{ filename, files }] = JSON.parse(npm(['pack', '--json', '--pack-destination', work], root));
const shipped = files.map((f) => f.path).sort();
const needed = [
  'node.mjs', 'pkg/node/index.cjs', 'pkg/node/index.d.cts', 'pkg/web/index.js', 'pkg/web/inline.js', 'pkg/web/api.js',
  'pkg/web/wasm-bytes.js', 'pkg/web/wasm-base64.js', 'pkg/web/eventsource_wasm.js', 'pkg/web/eventsource_wasm_bg.wasm',
  'pkg/web/index.d.ts', 'pkg/web/init.d.ts', 'pkg/web/eventsource_wasm.d.ts', 'pkg/web/wasm-url.d.ts',
];
for (const file of needed) {
  if (!shipped.includes(file)) throw new Error(`npm pack left out ${file}; it shipped: ${shipped.join(', ')}`);
}
// Nothing loads these: the wasm's raw export declarations, sources, tests.
const unwanted = shipped.filter((f) => /\.wasm\.d\.ts$|^(src|tests|js|scripts|bench|examples|server|www)\//.test(f));
if (unwanted.length) throw new Error(`npm pack shipped files no user loads: ${unwanted.join(', ')}`);
writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'scratch-app', private: true, type: 'module' }, null, 2));
npm(['install', join(work, filename)], app);

const installed = join(app, 'node_modules/eventsource-wasm');
const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
const served = (entry) => `/app/node_modules/eventsource-wasm/${manifest.exports[entry].default.replace(/^\.\//, '')}`;
const importMap = { imports: { 'eventsource-wasm': served('.'), 'eventsource-wasm/inline': served('./inline') } };
writeFileSync(
  join(app, 'index.html'),
  `<!doctype html>
<meta charset="utf-8">
<title>eventsource-wasm package test</title>
<script type="importmap">${JSON.stringify(importMap)}</script>
<script type="module">
  import init, * as lib from 'eventsource-wasm';
  try {
    window.wasm = await init();
    window.lib = lib;
    window.ready = true;
  } catch (error) {
    window.initError = String(error && error.stack || error);
  }
</script>
`,
);
// A module that imports the package by name from inside the app, as a Node user would.
writeFileSync(join(app, 'entry.mjs'), "export * from 'eventsource-wasm';\nexport { default } from 'eventsource-wasm';\n");
// A module worker cannot use the page's import map: it imports the resolved path.
writeFileSync(
  join(app, 'worker.mjs'),
  `import init, * as lib from '${importMap.imports['eventsource-wasm']}';
await init();
self.onmessage = async ({ data: { transport, url, count } }) => {
  try {
    const es = new lib.EventSource(url, { transport });
    const events = [];
    es.addEventListener('message', (e) => {
      events.push({ data: e.data, lastEventId: e.lastEventId, origin: e.origin, target: e.target === es });
      if (events.length === count) {
        es.close();
        self.postMessage({ supported: lib.isSupported(), events, readyState: es.readyState });
      }
    });
    es.onerror = (e) => { if (e.fatal) self.postMessage({ error: e.message }); };
  } catch (error) {
    self.postMessage({ error: String(error) });
  }
};
self.postMessage({ ready: true });
`,
);
// A module worker with a shared source (tests/js/shared-worker.test.mjs): it opens `url` with
// `shared: true` on `open`, posts each event's data, its errors and its open, and answers
// `sharing` and `close`.
writeFileSync(
  join(app, 'shared-worker.mjs'),
  `import init, * as lib from '${importMap.imports['eventsource-wasm']}';
await init();
let es;
self.onmessage = ({ data: { command, url } }) => {
  try {
    if (command === 'open') {
      es = new lib.EventSource(url, { shared: true });
      es.onmessage = (e) => self.postMessage({ data: e.data });
      es.onerror = (e) => self.postMessage({ error: e.message });
      es.onopen = () => self.postMessage({ open: true });
    } else if (command === 'sharing') {
      self.postMessage({ sharing: es.sharing, readyState: es.readyState });
    } else if (command === 'close') {
      es.close();
      self.postMessage({ closed: es.readyState });
    }
  } catch (error) {
    self.postMessage({ error: String(error) });
  }
};
self.postMessage({ ready: true });
`,
);
// A page that imports the package and does not initialise it (tests of calls before init()).
writeFileSync(
  join(app, 'preinit.html'),
  `<!doctype html>
<meta charset="utf-8">
<title>eventsource-wasm before init()</title>
<script type="importmap">${JSON.stringify(importMap)}</script>
`,
);
// A module worker that installs the package's EventSource as the global (the polyfill pattern)
// and opens a stream through it.
writeFileSync(
  join(app, 'polyfill-worker.mjs'),
  `import init, * as lib from '${importMap.imports['eventsource-wasm']}';
await init();
self.onmessage = ({ data: { url } }) => {
  try {
    globalThis.EventSource = lib.EventSource;
    const es = new EventSource(url);
    es.onmessage = (e) => {
      es.close();
      self.postMessage({ data: e.data, ours: es instanceof lib.EventSource, supported: lib.isSupported() });
    };
    es.onerror = (e) => { if (e.fatal) self.postMessage({ error: e.message }); };
  } catch (error) {
    self.postMessage({ error: String(error) });
  }
};
self.postMessage({ ready: true });
`,
);
console.log(`installed ${filename} (${shipped.length} files) into ${app}`);
