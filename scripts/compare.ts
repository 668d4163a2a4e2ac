/**
 * npm run -s compare -- a.json b.json [--json out.json]
 * The paired comparison of two evaluation outputs made with `evaluate --ci` on the same names list:
 * per metric, b − a, the 95 % interval of the difference over their shared resamples, and whether
 * it excludes 0. Exit status: 0 compared; 2 the two cannot be compared (said on stderr).
 */
import './stdout.ts';
import { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { BOOTSTRAP_METRICS, fmt, paired, pairSpread, type PairedResult, type ResultJson } from '../evaluator/index.ts';
import { writeJsonAtomic } from '../util/files.ts';

const program = new Command('compare')
  .description('Paired bootstrap comparison of two evaluation outputs (evaluate --ci) on the same names list.')
  .argument('<a.json>', 'the baseline result')
  .argument('<b.json>', 'the result compared with it (differences are b − a)')
  .option('--json <out.json>', 'write {metric: {diff, ci, significant}} as JSON')
  .showHelpAfterError();

async function load(path: string): Promise<ResultJson> {
  let r: ResultJson;
  try { r = JSON.parse(await readFile(path, 'utf8')) as ResultJson; } catch (e) { throw new Error(`${path}: cannot read it (${(e as Error).message})`); }
  if (!r.bootstrap) throw new Error(`${path}: no resamples; make it with evaluate --ci`);
  return r;
}

async function main(): Promise<number> {
  program.parse();
  const [pa, pb] = program.args;
  const o = program.opts<{ json?: string }>();
  let a: ResultJson, b: ResultJson;
  try { [a, b] = await Promise.all([load(pa), load(pb)]); } catch (e) { process.stderr.write(`error: ${(e as Error).message}\n`); return 2; }
  const why = a.bootstrap!.seed !== b.bootstrap!.seed || a.bootstrap!.B !== b.bootstrap!.B ? 'their resamples differ (another names list, or another B)'
    : a.provenance && b.provenance && a.provenance.namesSha256 !== b.provenance.namesSha256 ? 'they were scored against different names lists'
      : a.provenance && b.provenance && a.provenance.gtSha256 !== b.provenance.gtSha256 ? 'they were scored against different ground truth (gtSha256)' : null;
  if (why) { process.stderr.write(`error: ${pa} and ${pb} cannot be compared: ${why}\n`); return 2; }

  const out = {} as Record<string, PairedResult>;
  const nan = (v: number | null) => (v === null ? NaN : v);
  for (const m of BOOTSTRAP_METRICS) {
    const va = a[m], vb = b[m];
    if (va === null || vb === null) continue;
    out[m] = paired(a.bootstrap!.samples[m].map(nan), b.bootstrap!.samples[m].map(nan), vb - va, pairSpread(a.bootstrap!.spread?.[m], b.bootstrap!.spread?.[m]));
  }
  process.stdout.write(`paired bootstrap, ${a.bootstrap!.B} shared resamples of the ${a.images} images (test-set sampling only, not training randomness)\n`);
  process.stdout.write(`metric       a        b      b − a   95 % interval       \n`);
  for (const [m, r] of Object.entries(out)) {
    const va = a[m as keyof ResultJson] as number, vb = b[m as keyof ResultJson] as number;
    const ci = r.ci ? `[${fmt(r.ci[0])}, ${fmt(r.ci[1])}]` : 'n/a';
    process.stdout.write(`${m.padEnd(9)} ${fmt(va).padStart(6)}  ${fmt(vb).padStart(6)}  ${(r.diff >= 0 ? '+' : '') + fmt(r.diff)}`.padEnd(35) + ` ${ci.padEnd(18)} ${r.significant ? (r.diff > 0 ? 'b better' : 'a better') : 'not significant'}\n`);
  }
  if (o.json) await writeJsonAtomic(o.json, out);
  return 0;
}

main().then((code) => { process.exitCode = code; }, (e) => { process.stderr.write(`internal error: ${(e as Error).stack ?? e}\n`); process.exitCode = 1; });
