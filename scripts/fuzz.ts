/**
 * `npm run fuzz [-- --runs N --seed S]`: the suite's fuzz properties (test/helpers/fuzz.ts) with
 * many more cases and a fresh seed each run (printed, so a failure reproduces with --seed).
 */
import { Command } from 'commander';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Catalogue } from '../server/domain/catalogue.ts';
import { fuzzMasks, fuzzUploads } from '../test/helpers/fuzz.ts';
import { miniPredictions } from '../test/helpers/server.ts';

const o = new Command('fuzz')
  .option('--runs <n>', 'cases per property (masks get 10× as many: they are cheaper)', (v) => parseInt(v, 10), 2000)
  .option('--seed <n>', 'seed (default: random)', (v) => parseInt(v, 10))
  .parse().opts<{ runs: number; seed?: number }>();
const seed = o.seed ?? Math.floor(Math.random() * 2 ** 31);
const work = mkdtempSync(join(tmpdir(), 'isb-fuzz-'));
try {
  const catalogue = await Catalogue.load({ dataDir: join(work, 'data') });
  const benchmark = catalogue.benchmarks.get('imagenetsmini.semi-supervised.validation')!;
  const preds = await miniPredictions(join(work, 'preds'));
  const v = preds.mini.subsets.validation;
  console.log(`seed ${seed}`);
  let t = performance.now();
  await fuzzMasks({ gtPath: join(benchmark.gtDir, v.masks[0]), pred: readFileSync(join(v.predictionsDir!, v.masks[0])), classes: benchmark.classes, numRuns: o.runs * 10, seed });
  console.log(`masks: ${o.runs * 10} cases passed in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  t = performance.now();
  await fuzzUploads({ base: readFileSync(preds.zips.validation), benchmark, dir: work, numRuns: o.runs, seed });
  console.log(`upload zips: ${o.runs} cases passed in ${((performance.now() - t) / 1000).toFixed(1)} s`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
