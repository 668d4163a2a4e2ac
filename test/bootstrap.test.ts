/**
 * Bootstrap intervals (evaluator/bootstrap.ts): the resample formulas reproduce the official
 * metrics on the unresampled set, resamples are fixed by the names list (the same for every
 * submission), and intervals shrink as the test set grows.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeMiniSplit } from '../datasets/imagenet-s/mini.ts';
import { bootstrap, bootstrapSeed, BOOTSTRAP_METRICS, DirectorySource, evaluate, resampleMetrics, resampleWeights, type EvaluationResult } from '../evaluator/index.ts';

const work = mkdtempSync(join(tmpdir(), 'isb-boot-'));
let big: EvaluationResult, masks: string[], dirs: { gt: string; pred: string };
before(async () => {
  const m = await writeMiniSplit(join(work, 'big'), { validation: 360, test: 1, withPredictions: true });
  const v = m.subsets.validation;
  masks = v.masks;
  dirs = { gt: v.masksDir, pred: v.predictionsDir! };
  big = await evaluate({ gtRoot: v.masksDir, pred: await DirectorySource.open(v.predictionsDir!), masks, classes: m.classes, workers: 2, contributions: true });
});
after(() => rmSync(work, { recursive: true, force: true }));

test('with every image drawn once, the resample formulas give the official metrics (to float32 rounding)', () => {
  const m = resampleMetrics(big.accumulator.contributions, 6, new Int32Array(masks.length).fill(1));
  for (const k of BOOTSTRAP_METRICS) {
    const official = big.metrics[k];
    if (official === null) assert.ok(Number.isNaN(m[k]), k);
    else assert.ok(Math.abs(m[k] - official) < 1e-3, `${k}: ${m[k]} vs ${official}`);
  }
});

test('resamples are fixed by the names list: the same weights for every submission, n images each', () => {
  const seed = bootstrapSeed(masks);
  assert.equal(seed, bootstrapSeed([...masks]));
  assert.notEqual(seed, bootstrapSeed(masks.slice(1)));
  for (const b of [0, 1, 999]) {
    const w = resampleWeights(seed, b, masks.length);
    assert.deepEqual(w, resampleWeights(seed, b, masks.length));
    assert.equal(w.reduce((s, x) => s + x, 0), masks.length);
  }
  assert.notDeepEqual(resampleWeights(seed, 0, masks.length), resampleWeights(seed, 1, masks.length));
  const a = bootstrap(big.accumulator.contributions, 6, { seed, B: 200 });
  const again = bootstrap(big.accumulator.contributions, 6, { seed, B: 200 });
  assert.deepEqual(a.ci, again.ci, 'deterministic');
});

test('intervals hold the estimate and shrink as the test set grows (all images against a 10 % subset)', async () => {
  const full = bootstrap(big.accumulator.contributions, 6, { seed: bootstrapSeed(masks) });
  const sub = masks.slice(0, 36);
  const small = await evaluate({ gtRoot: dirs.gt, pred: await DirectorySource.open(dirs.pred), masks: sub, classes: 6, workers: 2, contributions: true });
  const part = bootstrap(small.accumulator.contributions, 6, { seed: bootstrapSeed(sub) });
  for (const k of ['mIoU', 'mBIoU', 'Acc', 'FMeasure'] as const) {
    const [lo, hi] = full.ci[k]!;
    assert.ok(lo <= (big.metrics[k] as number) && (big.metrics[k] as number) <= hi, `${k} estimate inside its interval`);
    const [plo, phi] = part.ci[k]!;
    assert.ok(hi - lo < phi - plo, `${k}: ${hi - lo} (360 images) < ${phi - plo} (36 images)`);
  }
});
