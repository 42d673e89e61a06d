// Every code snippet of README.md compiles as written: each ```js/```ts block (and each module
// script of a ```html block) is written to its own module file in the scratch app that
// installed the packed tarball, and type-checked by `tsc` (strict; JS with checkJs) in the
// environment the comment before the block names: `<!-- check: browser -->` (the default:
// ES2022 + DOM), `node` (@types/node 20, NodeNext), `config` (a build tool's config file:
// @types/node, Bundler resolution), `worker` or `serviceworker` (ES2022 + WebWorker), `json`
// (must parse). Import maps must parse and name files the package ships.
// Shell and Rust blocks are not checked here.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const app = join(root, 'tests/.work/app');
const work = join(app, 'readme');
const readme = readFileSync(join(root, 'README.md'), 'utf8').split('\n');

/** The fenced blocks: { lang, env, line (1-based, of the first code line), code }. */
function blocks() {
  const found = [];
  for (let i = 0; i < readme.length; i++) {
    const open = /^```(\S*)\s*$/.exec(readme[i]);
    if (!open) continue;
    const start = i + 1;
    let end = start;
    while (end < readme.length && readme[end] !== '```') end++;
    const marker = /^<!-- check: (\w+) -->$/.exec(readme[i - 1] ?? '');
    found.push({ lang: open[1], env: marker ? marker[1] : 'browser', line: start + 1, code: readme.slice(start, end).join('\n') });
    i = end;
  }
  return found;
}

// The lib for a Node.js snippet: without DOM, unless the generated declarations still name
// DOM-only types (src/js/types.rs; tests/types/types.test.mjs tracks that).
const generated = readFileSync(join(app, 'node_modules/eventsource-wasm/pkg/web/eventsource_wasm.d.ts'), 'utf8');
const nodeNeedsDom = /\b(HeadersInit|BodyInit|RequestCredentials|AddEventListenerOptions|EventListenerObject)\b|MessageEvent</.test(
  generated.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, ''), // code, not comments
);

const ENVS = {
  browser: { lib: ['ES2022', 'DOM'], module: 'ESNext', moduleResolution: 'Bundler', types: [] },
  worker: { lib: ['ES2022', 'WebWorker'], module: 'ESNext', moduleResolution: 'Bundler', types: [] },
  serviceworker: { lib: ['ES2022', 'WebWorker'], module: 'ESNext', moduleResolution: 'Bundler', types: [] },
  // Build tool configs (rollup.config.mjs…), checked as tools' own tsconfig.node.json files do.
  config: { lib: ['ES2022'], module: 'ESNext', moduleResolution: 'Bundler', types: ['node'] },
  node: { lib: nodeNeedsDom ? ['ES2022', 'DOM'] : ['ES2022'], module: 'NodeNext', moduleResolution: 'NodeNext', types: ['node'] },
};

test('every js/ts/html/json snippet of README.md compiles as written', () => {
  rmSync(work, { recursive: true, force: true });
  const files = {};
  let checked = 0;
  for (const [n, block] of blocks().entries()) {
    const where = `README.md:${block.line}`;
    if (['sh', 'bash', 'rust', 'rust,ignore', 'text', ''].includes(block.lang)) continue;
    if (block.lang === 'json') {
      assert.doesNotThrow(() => JSON.parse(block.code), where);
      checked++;
      continue;
    }
    let sources = [];
    if (block.lang === 'html') {
      for (const match of block.code.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)) {
        const [, attrs, body] = match;
        const bodyLine = block.line + block.code.slice(0, match.index + match[0].indexOf('>') + 1).split('\n').length - 1;
        if (/type="importmap"/.test(attrs)) {
          const { imports } = JSON.parse(body);
          for (const [name, path] of Object.entries(imports)) {
            const file = path.replace(/^\/node_modules\//, '');
            assert.ok(existsSync(join(app, 'node_modules', file)), `${where}: the import map's ${name} → ${path} is not in the package`);
          }
        } else if (/type="module"/.test(attrs)) {
          sources.push({ ext: 'js', code: body, line: bodyLine });
        }
      }
      checked++;
    } else if (['js', 'mjs', 'ts', 'jsx', 'tsx', 'cjs'].includes(block.lang)) {
      sources.push({ ext: block.lang, code: block.code, line: block.line });
    } else {
      assert.fail(`${where}: a \`\`\`${block.lang} block: say how to check it (or use sh/text)`);
    }
    const env = ENVS[block.env];
    assert.ok(env || block.env === 'json', `${where}: unknown check environment ${block.env}`);
    for (const [k, { ext, code, line }] of sources.entries()) {
      // A CommonJS snippet (require) is a .cts/.cjs file; the rest are ES modules.
      const cjs = /\brequire\(/.test(code) && !/^\s*import\s/m.test(code);
      const extension = block.env === 'node' ? (cjs ? (ext === 'ts' ? 'cts' : 'cjs') : ext === 'ts' ? 'mts' : 'mjs') : ext;
      const name = `snippet-${line}-${k}.${extension}`;
      mkdirSync(join(work, block.env), { recursive: true });
      // `export {}` makes a snippet without imports a module too (top-level await, own scope).
      writeFileSync(join(work, block.env, name), `${code}\n${cjs ? '' : 'export {};\n'}`);
      (files[block.env] ||= []).push(name);
      checked++;
    }
  }
  assert.ok(checked >= 8, `only ${checked} snippets found`);
  for (const [envName, names] of Object.entries(files)) {
    const env = ENVS[envName];
    const config = {
      compilerOptions: {
        strict: true, noEmit: true, allowJs: true, checkJs: true, skipLibCheck: false,
        target: 'ES2022', module: env.module, moduleResolution: env.moduleResolution, lib: env.lib, types: env.types,
        jsx: 'react-jsx',
      },
      files: names,
    };
    writeFileSync(join(work, envName, 'tsconfig.json'), JSON.stringify(config, null, 2));
    try {
      execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(work, envName)], { encoding: 'utf8' });
    } catch (error) {
      // Point at README lines: snippet-LINE-K.ext(row,col) → README.md:LINE+row-1.
      const text = `${error.stdout}${error.stderr}`.replace(/snippet-(\d+)-\d+\.\w+\((\d+),(\d+)\)/g, (_, line, row, col) => `README.md:${Number(line) + Number(row) - 1}:${col}`);
      assert.fail(`README snippets (${envName}) do not compile:\n${text}`);
    }
  }
});
