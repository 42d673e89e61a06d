// The README's Rust example is a real file that CI builds and runs: the first ```rust block of
// its "## Rust" section must be examples/rust-wasm-bindgen/src/lib.rs, and the block before it
// that starts with [dependencies] (a ```text block: tests/types/readme.test.mjs knows no toml)
// that example's [dependencies] (but for eventsource-wasm, a path there). The Leptos
// example's lockfile (a workspace of its own) locks the wasm-bindgen of the root Cargo.lock,
// so the wasm-bindgen CLI that scripts/setup.sh installs builds it too.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const read = (path) => readFileSync(join(root, path), 'utf8');

/** The body of the first ```lang block after `heading` whose body starts with `first`. */
function block(markdown, heading, lang, first = '') {
  const section = markdown.slice(markdown.indexOf(`\n${heading}\n`));
  assert.ok(section.length < markdown.length, `README.md has no "${heading}" section`);
  for (const [, body] of section.matchAll(new RegExp('\\n```' + lang + '\\n([\\s\\S]*?)\\n```\\n', 'g'))) {
    if (body.startsWith(first)) return body;
  }
  assert.fail(`no \`\`\`${lang} block under "${heading}" that starts with ${first}`);
}

/** The lines of a Cargo.toml's [dependencies] table. */
function dependencies(manifest) {
  const match = /\n\[dependencies\]\n([\s\S]*?)(?:\n\[|$)/.exec(manifest);
  assert.ok(match, 'no [dependencies] table');
  return match[1].trimEnd().split('\n');
}

test("README.md's Rust example is examples/rust-wasm-bindgen/src/lib.rs", () => {
  const snippet = block(read('README.md'), '## Rust', 'rust');
  assert.equal(snippet, read('examples/rust-wasm-bindgen/src/lib.rs').trimEnd(), 'copy the file into the README (or the README into the file)');
});

test("README.md lists the example's dependencies", () => {
  const listed = block(read('README.md'), '## Rust', 'text', '[dependencies]\n').split('\n');
  const version = /^version = "(\d+\.\d+)/m.exec(read('Cargo.toml'))[1];
  const expected = dependencies(read('examples/rust-wasm-bindgen/Cargo.toml')).map((line) =>
    line.startsWith('eventsource-wasm = ') ? `eventsource-wasm = "${version}"` : line,
  );
  assert.deepEqual(listed.slice(1), expected);
});

test("the frameworks workspace (the Leptos hook and examples) locks the root's wasm-bindgen (the CLI CI installs)", () => {
  const locked = (lock) => /\nname = "wasm-bindgen"\nversion = "([^"]+)"/.exec(lock)?.[1];
  const [frameworks, ours] = [locked(read('frameworks/Cargo.lock')), locked(read('Cargo.lock'))];
  assert.equal(frameworks, ours, `frameworks/Cargo.lock locks wasm-bindgen ${frameworks}, Cargo.lock ${ours}: in frameworks/, run \`cargo update -p wasm-bindgen --precise ${ours}\``);
});
