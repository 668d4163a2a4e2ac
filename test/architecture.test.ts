/**
 * The layers, read from the imports themselves: every folder imports only from the folders below
 * it, no module imports itself through others (no circle), and HTTP stays in the server's http
 * layer. A change that breaks one of these fails here, naming the import.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');

/** Lowest first: a folder may import from the folders before it, never after. */
const LAYERS = [['util'], ['evaluator'], ['datasets', 'baselines'], ['leaderboard-ui'], ['server'], ['scripts']];
const layerOf = (path: string): number => LAYERS.findIndex((l) => l.includes(path.split('/')[0]));

function files(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((f) => {
    const p = join(dir, f);
    if (f === 'node_modules') return [];
    return statSync(join(ROOT, p)).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Relative imports and re-exports of a module (static, dynamic and worker URLs), as project paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specs = [
    ...text.matchAll(/^\s*(?:import|export)\b[^'"]*?\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]/gm),
    ...text.matchAll(/\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g),
    ...text.matchAll(/new URL\(\s*['"](\.{1,2}\/[^'"]+\.ts)['"]\s*,\s*import\.meta\.url\s*\)/g),
  ].map((m) => m[1]);
  return specs.map((s) => relative(ROOT, resolve(ROOT, dirname(file), s)));
}

const MODULES = LAYERS.flat().flatMap(files);
const GRAPH = new Map(MODULES.map((f) => [f, importsOf(f)]));

test('the import graph is read: every relative import names a module that exists', () => {
  assert.ok(MODULES.length > 100, `${MODULES.length} modules`);
  const missing = [...GRAPH].flatMap(([f, deps]) => deps.filter((d) => d.endsWith('.ts') && !GRAPH.has(d) && !d.startsWith('test/')).map((d) => `${f} → ${d}`));
  assert.deepEqual(missing, []);
});

test('each folder imports only from the folders below it (util ← evaluator ← datasets, baselines ← leaderboard-ui ← server ← scripts)', () => {
  const upward = [...GRAPH].flatMap(([f, deps]) => deps.filter((d) => layerOf(d) > layerOf(f) || (layerOf(d) === -1 && !d.startsWith('test/'))).map((d) => `${f} → ${d}`));
  // the bench and the fuzzer reuse test helpers (hostile zips, big boards, mutations); nothing else may
  const fromTests = [...GRAPH].flatMap(([f, deps]) => deps.filter((d) => d.startsWith('test/') && !/^scripts\/(bench|fuzz)/.test(f)).map((d) => `${f} → ${d}`));
  assert.deepEqual([...upward, ...fromTests], []);
});

test('no import circle, type imports included', () => {
  const state = new Map<string, 1 | 2>();
  const circles: string[] = [];
  const visit = (f: string, path: string[]): void => {
    state.set(f, 1);
    for (const d of GRAPH.get(f) ?? []) {
      if (state.get(d) === 1) circles.push([...path.slice(path.indexOf(d)), d].join(' → '));
      else if (!state.has(d) && GRAPH.has(d)) visit(d, [...path, d]);
    }
    state.set(f, 2);
  };
  for (const f of GRAPH.keys()) if (!state.has(f)) visit(f, [f]);
  assert.deepEqual(circles, []);
});

test('the evaluator knows nothing of HTTP or SQL; the pages nothing of the server', () => {
  const offending = MODULES.filter((f) => f.startsWith('evaluator/') || f.startsWith('leaderboard-ui/') || f.startsWith('datasets/'))
    .filter((f) => /from\s+['"](express|better-sqlite3|bullmq|ioredis)['"]/.test(readFileSync(join(ROOT, f), 'utf8')));
  assert.deepEqual(offending, []);
});

test('docs/architecture.md lists the modules as they are (npm run -s docs:architecture)', async () => {
  const { DOC, withMap } = await import('../scripts/architecture-map.ts');
  const doc = readFileSync(DOC, 'utf8');
  assert.equal(doc, withMap(doc), 'the module map is stale: run npm run -s docs:architecture');
});
