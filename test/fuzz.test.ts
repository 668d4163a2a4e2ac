/**
 * Fuzzing in the suite: a bounded number of mutated zips and masks (fixed seeds, so a failure
 * reproduces); `npm run fuzz` runs many more with fresh seeds.
 */
import { test, before, after } from 'node:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Catalogue, type Benchmark } from '../server/domain/catalogue.ts';
import { fuzzMasks, fuzzUploads } from './helpers/fuzz.ts';
import { miniPredictions } from './helpers/server.ts';

const work = mkdtempSync(join(tmpdir(), 'isb-fuzz-'));
let benchmark: Benchmark;
let preds: Awaited<ReturnType<typeof miniPredictions>>;
before(async () => {
  const catalogue = await Catalogue.load({ dataDir: join(work, 'data') });
  benchmark = catalogue.benchmarks.get('imagenetsmini.semi-supervised.validation')!;
  preds = await miniPredictions(join(work, 'preds'));
});
after(() => rmSync(work, { recursive: true, force: true }));

test('mutated upload zips always get problems or scores, within bounds, never an exception', { timeout: 300_000 }, async () => {
  await fuzzUploads({ base: readFileSync(preds.zips.validation), benchmark, dir: work, numRuns: 150, seed: 20261127 });
});

test('mutated PNG masks (CRCs repaired or not) always get a record or problems, within bounds', { timeout: 300_000 }, async () => {
  const v = preds.mini.subsets.validation;
  await fuzzMasks({ gtPath: join(benchmark.gtDir, v.masks[0]), pred: readFileSync(join(v.predictionsDir!, v.masks[0])), classes: benchmark.classes, numRuns: 1500, seed: 20261127 });
});
