// The package's Node.js entries, as installed from the tarball into the scratch app: import (node.mjs),
// require() on a Node.js that cannot require() ES modules (pkg/node/index.cjs), the inline subpath,
// and server code bundled with esbuild (CommonJS and ESM output) run from another folder, where
// nothing of the package's is left beside it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const SERVER = process.env.SSE_SERVER_URL;
if (!SERVER) throw new Error('SSE_SERVER_URL is not set: run these tests through `npm test`');
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const app = join(root, 'tests/.work/app');
const work = join(root, 'tests/.work/node-entries');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

// A script that prints the first three messages of /fixture/basic and what it resolved.
const script = (style) => `${style === 'cjs'
  ? "const lib = require('eventsource-wasm');\nconst resolved = require.resolve('eventsource-wasm');"
  : "import * as lib from 'eventsource-wasm';\nconst resolved = import.meta.resolve?.('eventsource-wasm') ?? '';"}
const seen = [];
const es = new lib.EventSource(process.argv[2] + '/fixture/basic');
es.onmessage = (e) => {
  seen.push(e.data);
  if (seen.length === 3) {
    es.close();
    console.log(JSON.stringify({ seen, resolved, supported: lib.isSupported(), init: typeof lib.default }));
  }
};
es.onerror = (e) => { if (e.fatal) { console.error(e.message); process.exit(1); } };
`;
const run = (file, ...flags) => JSON.parse(execFileSync(process.execPath, [...flags, file, SERVER], { encoding: 'utf8', timeout: 20_000 }));

describe('Node.js entries', () => {
  test('require() where Node cannot require() ES modules gets the CommonJS build', () => {
    const file = join(app, 'require-test.cjs');
    writeFileSync(file, script('cjs'));
    const r = run(file, '--no-experimental-require-module');
    assert.deepEqual(r.seen, ['one', 'two', 'three']);
    assert.match(r.resolved, /eventsource-wasm[/\\]pkg[/\\]node[/\\]index\.cjs$/);
    assert.equal(r.supported, false);
    assert.equal(r.init, 'function');
  });

  test('import gets node.mjs, initialised on import; the inline subpath is the same module; init() is one promise', async () => {
    const lib = await import(pathToFileURL(join(app, 'entry.mjs')).href);
    const file = join(app, 'import-test.mjs');
    writeFileSync(file, script('esm'));
    const r = run(file);
    assert.deepEqual(r.seen, ['one', 'two', 'three']);
    assert.match(r.resolved, /eventsource-wasm\/node\.mjs$/);
    writeFileSync(join(app, 'inline-entry.mjs'), "export * from 'eventsource-wasm/inline';\nexport { default } from 'eventsource-wasm/inline';\n");
    const inline = await import(pathToFileURL(join(app, 'inline-entry.mjs')).href);
    assert.equal(inline.EventSource, lib.EventSource);
    const first = lib.default();
    assert.equal(inline.default(), first);
    assert.equal(lib.default(), first);
    await first;
  });

  for (const format of ['cjs', 'esm']) {
    test(`server code bundled by esbuild --bundle --platform=node --format=${format}, run from another folder`, async () => {
      const entry = join(app, `server-${format}.mjs`);
      writeFileSync(entry, script('esm').replace("import.meta.resolve?.('eventsource-wasm') ?? ''", "'bundled'"));
      const out = join(work, format, format === 'cjs' ? 'server.cjs' : 'server.mjs');
      const result = await build({ entryPoints: [entry], bundle: true, platform: 'node', format, outfile: out, logLevel: 'silent' });
      assert.deepEqual(result.warnings.map((w) => w.text), [], 'esbuild had no warnings');
      const r = run(out);
      assert.deepEqual(r.seen, ['one', 'two', 'three']);
    });
  }
});
