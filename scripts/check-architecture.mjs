// Checks the layering that ARCHITECTURE.md describes, from the source:
// - no import cycle between the crate's top-level modules (a folder counts as one module);
// - the rules of the layers: transports never see the supervisor, dispatch or any API; dispatch
//   sees no transport or supervisor; the pure core (parser, retry, retry_after, response) uses
//   no web API and nothing else of the crate but itself; the Rust API never reaches into the
//   JS API;
// - no file over 500 lines and no function over 80 lines (tests excluded).
// Run by `npm test` (scripts/test.sh); exits non-zero with the list of what is wrong.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const src = join(root, 'src');
const problems = [];

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.rs') ? [path] : [];
  });
}

/** The top-level module a file belongs to: `transport` for src/transport/fetch/mod.rs. */
const moduleOf = (path) => relative(src, path).split('/')[0].replace(/\.rs$/, '');

// Names the crate root re-exports, and the module each comes from.
const lib = readFileSync(join(src, 'lib.rs'), 'utf8');
const reexports = new Map();
for (const [, module, names] of lib.matchAll(/pub use (\w+)::\{?([^;}]+)\}?;/g)) {
  for (const name of names.split(',').map((n) => n.trim()).filter(Boolean)) reexports.set(name, module);
}

/** Code without comments, string literals and `#[cfg(test)]` modules. */
function code(text) {
  const cut = text.search(/#\[cfg\((all\()?test[,)][^\]]*\]\s*mod tests/);
  const body = cut >= 0 ? text.slice(0, cut) : text;
  return body
    .replace(/\/\/[^\n]*/g, '')
    .replace(/r#"[\s\S]*?"#/g, '""')
    .replace(/"(?:\\.|[^"\\])*"/g, '""');
}

const edges = new Map();
const sources = files(src).map((path) => ({ path, module: moduleOf(path), text: readFileSync(path, 'utf8') }));
for (const { path, module, text } of sources) {
  const body = code(text);
  const targets = new Set();
  for (const [, tail] of body.matchAll(/crate::((?:\{[^}]*\}|[\w:]+))/g)) {
    for (const part of tail.replace(/[{}]/g, ',').split(',').map((p) => p.trim()).filter(Boolean)) {
      const first = part.split('::')[0];
      const target = reexports.get(first) ?? first;
      if (target !== module && target !== 'self' && /^[a-z_]+$/.test(target)) targets.add(target);
    }
  }
  for (const target of targets) {
    if (!edges.has(module)) edges.set(module, new Map());
    edges.get(module).set(target, relative(root, path));
  }
  // Sizes.
  const lines = text.split('\n');
  const testStart = lines.findIndex((l) => /^#\[cfg\((all\()?test\b/.test(l));
  const counted = testStart >= 0 ? testStart : lines.length;
  if (counted > 500) problems.push(`${relative(root, path)}: ${counted} lines (more than 500: split it by concept)`);
  lines.slice(0, counted).forEach((line, i) => {
    const m = /^(\s*)(pub(\([\w:]+\))? )?(async )?fn (\w+)/.exec(line);
    if (!m || line.trimEnd().endsWith(';')) return;
    const end = lines.findIndex((l, j) => j > i && l === `${m[1]}}`);
    if (end > 0 && end - i > 80) problems.push(`${relative(root, path)}:${i + 1}: fn ${m[5]} has ${end - i} lines (more than 80)`);
  });
}

// The rules of the layers: module → modules it must not use.
const api = ['source', 'open', 'stream', 'json_stream', 'weak', 'listener', 'js'];
const rules = {
  transport: ['supervisor', 'dispatch', ...api],
  dispatch: ['transport', 'supervisor', ...api],
  supervisor: api,
  parser: ['*'],
  retry: ['*'],
  retry_after: ['*'],
  response: ['*'],
};
const pure = new Set(['parser', 'retry', 'retry_after', 'response']);
for (const [module, banned] of Object.entries(rules)) {
  for (const [target, where] of edges.get(module) ?? []) {
    const allowed = pure.has(module) && pure.has(target);
    if ((banned.includes('*') && !allowed) || banned.includes(target)) {
      problems.push(`${where}: ${module} must not use ${target}`);
    }
  }
}
for (const { path, module, text } of sources) {
  if (pure.has(module) && /\b(web_sys|js_sys|wasm_bindgen)\b/.test(code(text))) {
    problems.push(`${relative(root, path)}: the pure module ${module} uses a web API`);
  }
}
for (const { path, module, text } of sources) {
  if (module !== 'js' && module !== 'lib' && /crate::js\b/.test(code(text))) {
    problems.push(`${relative(root, path)}: the Rust API must not use the JS API`);
  }
}

// Cycles (depth-first search over the module graph).
const state = new Map();
function visit(module, path) {
  state.set(module, 'open');
  for (const target of (edges.get(module) ?? new Map()).keys()) {
    if (state.get(target) === 'open') {
      const cycle = [...path.slice(path.indexOf(target)), target];
      problems.push(`import cycle: ${cycle.join(' → ')} (${cycle.slice(0, -1).map((m, i) => edges.get(m).get(cycle[i + 1])).join(', ')})`);
    } else if (!state.has(target)) visit(target, [...path, target]);
  }
  state.set(module, 'done');
}
for (const module of edges.keys()) if (!state.has(module)) visit(module, [module]);

if (problems.length) {
  console.error(`[architecture] ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`[architecture] ${sources.length} files, ${edges.size} modules: layers respected, no import cycle, no file over 500 lines, no function over 80`);
