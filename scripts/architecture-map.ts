/**
 * The module map of docs/architecture.md, made from the code: every folder of the evaluator and the
 * server with its modules and the first sentence of each one's own comment. `npm run -s
 * docs:architecture` rewrites the section; test/architecture.test.ts fails when it is stale.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
export const DOC = join(ROOT, 'docs', 'architecture.md');
const BEGIN = '<!-- modules:begin (npm run -s docs:architecture) -->', END = '<!-- modules:end -->';

/** What each part is for (the folders' own names say where; this says why). */
const PARTS: Record<string, string> = {
  'evaluator': 'the public entry, the report and the version: what datasets/, server/ and scripts/ import',
  'evaluator/input': 'what a submission may be: zip and PNG reading under limits, the names list, match.json, the input rules and their codes',
  'evaluator/metrics': 'the metric table and the official arithmetic: runs, boundaries, per-image records, the float32 accumulator, matching',
  'evaluator/statistics': 'intervals, paired comparisons and rank intervals from per-image contributions',
  'evaluator/run': 'one evaluation: the per-image pass on worker threads, ground-truth caches, the ordered reduction',
  'server': 'wiring: settings, start-up, metrics',
  'server/http': 'express: middleware, routes (JSON and pages), uploads as they arrive, errors to statuses',
  'server/domain': 'what the benchmark does, without HTTP: accounts and sessions, submissions, boards, baselines, overlays, health',
  'server/storage': 'SQLite: the schema by migrations, the queries, backups',
  'server/queue': 'scoring: the fair queue, the scoring thread, BullMQ workers, the job and its checked result',
};

function firstSentence(file: string): string {
  const m = /^\/\*\*([\s\S]*?)\*\//.exec(readFileSync(file, 'utf8'));
  if (!m) return '';
  const text = m[1].split('\n').map((l) => l.replace(/^\s*\*\s?/, '')).join(' ').replace(/\s+/g, ' ').trim();
  const end = text.search(/[.:;](\s|$)/);
  return (end > 0 ? text.slice(0, end) : text).replace(/\|/g, '\\|');
}

export function moduleMap(): string {
  const lines = ['| folder | module | what |', '|---|---|---|'];
  for (const [folder, why] of Object.entries(PARTS)) {
    const dir = join(ROOT, folder);
    const mods = readdirSync(dir).filter((f) => f.endsWith('.ts') && statSync(join(dir, f)).isFile()).sort();
    const subs = readdirSync(dir).filter((f) => statSync(join(dir, f)).isDirectory() && !Object.hasOwn(PARTS, `${folder}/${f}`)).sort();
    lines.push(`| **\`${folder}/\`** | | ${why} |`);
    for (const f of mods) lines.push(`| | \`${f}\` | ${firstSentence(join(dir, f))} |`);
    for (const s of subs) {
      // by what git would hold: .ts files, however deep (an empty folder left by a move is no part)
      const n = readdirSync(join(dir, s), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).length;
      if (n > 0) lines.push(`| | \`${s}/\` | ${n} modules |`);
    }
  }
  return lines.join('\n');
}

export function withMap(doc: string): string {
  const a = doc.indexOf(BEGIN), b = doc.indexOf(END);
  if (a < 0 || b < a) throw new Error(`docs/architecture.md has no ${BEGIN} … ${END} section`);
  return `${doc.slice(0, a + BEGIN.length)}\n${moduleMap()}\n${doc.slice(b)}`;
}

if (import.meta.url === `file://${process.argv[1]}`) writeFileSync(DOC, withMap(readFileSync(DOC, 'utf8')));
