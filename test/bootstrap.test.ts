/**
 * Bootstrap intervals (evaluator/statistics/bootstrap.ts): the resample formulas reproduce the official
 * metrics on the unresampled set, resamples are fixed by the names list (the same for every
 * submission), and intervals shrink as the test set grows.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeMiniSplit } from '../datasets/imagenet-s/mini.ts';
import { bootstrap, bootstrapParallel, bootstrapSeed, BOOTSTRAP_METRICS, DirectorySource, evaluate, packContributions, PairPool, resampleMetrics, resampleWeights, selectRows, type ContributionTable, type EvaluationResult } from '../evaluator/index.ts';

const work = mkdtempSync(join(tmpdir(), 'isb-boot-'));
let big: EvaluationResult, table: ContributionTable, masks: string[], dirs: { gt: string; pred: string };
before(async () => {
  const m = await writeMiniSplit(join(work, 'big'), { validation: 360, test: 1, withPredictions: true });
  const v = m.subsets.validation;
  masks = v.masks;
  dirs = { gt: v.masksDir, pred: v.predictionsDir! };
  big = await evaluate({ gtRoot: v.masksDir, pred: await DirectorySource.open(v.predictionsDir!), masks, classes: m.classes, workers: 2, contributions: true });
  table = packContributions(big.accumulator.contributions, m.classes);
});
after(() => rmSync(work, { recursive: true, force: true }));

test('with every image drawn once, the resample formulas give the official metrics (to float32 rounding)', () => {
  const m = resampleMetrics(table, new Int32Array(masks.length).fill(1));
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
  const a = bootstrap(table, { seed, B: 200 });
  const again = bootstrap(table, { seed, B: 200 });
  assert.deepEqual(a.ci, again.ci, 'deterministic');
});

test('resamples split across worker threads give exactly the one-thread values', async () => {
  const seed = bootstrapSeed(masks);
  const pool = new PairPool(2);
  try {
    const threads = await bootstrapParallel(table, { seed, B: 101, pool });
    const one = bootstrap(table, { seed, B: 101 });
    for (const k of BOOTSTRAP_METRICS) assert.deepEqual(threads.samples[k], one.samples[k], k);
  } finally {
    await pool.close();
  }
});

test('a table of selected rows is the table of those images (resample metrics agree)', () => {
  const rows = [5, 3, 3, 200, 17];
  const sub = selectRows(table, rows);
  // the selected rows, packed again from their contributions: the same table
  const direct = resampleMetrics(sub, new Int32Array(rows.length).fill(1));
  const viaWeights = resampleMetrics(packContributions(rows.map((r) => big.accumulator.contributions[r]), 6), new Int32Array(rows.length).fill(1));
  assert.deepEqual(direct, viaWeights);
  assert.equal(sub.n, rows.length);
});

test('intervals hold the estimate and shrink as the test set grows (all images against a 10 % subset)', async () => {
  const full = bootstrap(table, { seed: bootstrapSeed(masks) });
  const sub = masks.slice(0, 36);
  const small = await evaluate({ gtRoot: dirs.gt, pred: await DirectorySource.open(dirs.pred), masks: sub, classes: 6, workers: 2, contributions: true });
  const part = bootstrap(packContributions(small.accumulator.contributions, 6), { seed: bootstrapSeed(sub) });
  for (const k of ['mIoU', 'mBIoU', 'Acc', 'FMeasure'] as const) {
    const [lo, hi] = full.ci[k]!;
    assert.ok(lo <= (big.metrics[k] as number) && (big.metrics[k] as number) <= hi, `${k} estimate inside its interval`);
    const [plo, phi] = part.ci[k]!;
    assert.ok(hi - lo < phi - plo, `${k}: ${hi - lo} (360 images) < ${phi - plo} (36 images)`);
  }
});

/** The resample rule written plainly over the unpacked contributions: what the packed tables must equal. */
function naiveResample(contribs: EvaluationResult['accumulator']['contributions'], classes: number, w: ArrayLike<number>): Record<string, number> {
  const K = classes + 1;
  const all = new Float64Array(6 * K), groups = [0, 1, 2, 3].map(() => new Float64Array(6 * K));
  const refGt = new Uint8Array(K), refBGt = new Uint8Array(K);
  let F = 0, acc = 0, n = 0;
  const add = (dst: Float64Array, c: { classes: Int32Array; values: Float64Array }, wi: number) => {
    c.classes.forEach((k, j) => { for (let a = 0; a < 6; a++) dst[k * 6 + a] += wi * c.values[j * 6 + a]; });
  };
  contribs.forEach((c, i) => {
    c.classes.forEach((k, j) => { if (c.values[j * 6 + 1] > 0) refGt[k] = 1; if (c.values[j * 6 + 4] > 0) refBGt[k] = 1; });
    if (!w[i]) return;
    add(all, c, w[i]);
    c.groups.forEach((g, s) => { if (g) add(groups[s], g, w[i]); });
    F += w[i] * c.fmeasure; acc += w[i] * (c.hit ? 1 : 0); n += w[i];
  });
  const iou = (h: Float64Array, k: number, b: number) => h[k * 6 + b + 2] / (h[k * 6 + b] + h[k * 6 + b + 1] - h[k * 6 + b + 2] + 1e-10);
  const mean = (xs: number[]) => (xs.length ? (xs.reduce((a, b) => a + b, 0) / xs.length) * 100 : NaN);
  const out: Record<string, number> = {
    mIoU: mean([...Array(K).keys()].filter((k) => !refGt[k] || all[k * 6 + 1] > 0).map((k) => iou(all, k, 0))),
    mBIoU: mean([...Array(K).keys()].filter((k) => !refBGt[k] || all[k * 6 + 4] > 0).map((k) => iou(all, k, 3))),
    Acc: (acc / n) * 100, FMeasure: (F / n) * 100,
  };
  ['S', 'MS', 'ML', 'L'].forEach((name, s) => {
    out[name] = mean([...Array(K).keys()].filter((k) => groups[s][k * 6 + 1] > 0).map((k) => iou(groups[s], k, 0)));
    out[`B${name}`] = mean([...Array(K).keys()].filter((k) => groups[s][k * 6 + 4] > 0).map((k) => iou(groups[s], k, 3)));
  });
  return out;
}

test('packed tables (pruned entries, pred-only entries, one-group images stored once) resample exactly as the plain rule', () => {
  const contribs = big.accumulator.contributions;
  const seed = bootstrapSeed(['plain rule']);
  // a subset where some classes and size groups have no GT at all, so pruning has work to do
  const sub = contribs.filter((_, i) => i % 7 === 0);
  for (const [set, t] of [[contribs, table], [sub, packContributions(sub, 6)]] as const) {
    for (let b = 0; b < 5; b++) {
      const w = resampleWeights(seed, b, set.length);
      const packed = resampleMetrics(t, w), plain = naiveResample(set, 6, w);
      for (const k of BOOTSTRAP_METRICS) {
        if (Number.isNaN(plain[k])) assert.ok(Number.isNaN(packed[k]), k);
        else assert.ok(Math.abs(packed[k] - plain[k]) < 1e-9, `${k}: ${packed[k]} vs ${plain[k]}`);
      }
    }
  }
  const slots = [...table.full.slot, ...table.fp.slot];
  assert.ok(slots.some((x) => x >= 5 * 7) && slots.some((x) => x >= 7 && x < 5 * 7), 'images stored once and images with their own group entries both occur');
});
