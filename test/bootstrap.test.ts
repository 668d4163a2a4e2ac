/**
 * Bootstrap resamples (evaluator/statistics/bootstrap.ts, random.ts): the resample formulas are the
 * official ones (metrics/formulas.ts) on the unresampled set, resamples are fixed by the names list
 * (the same for every submission), drawn within class folders from independent counter-based
 * streams, and intervals hold their estimate and shrink as the test set grows.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeMiniSplit } from '../datasets/imagenet-s/mini.ts';
import { bootstrap, bootstrapParallel, bootstrapSeed, BOOTSTRAP_METRICS, DirectorySource, evaluate, packContributions, PairPool, resamplePlan, resampleMetrics, resampleWeights, selectRows, strataOf, type ContributionTable, type EvaluationResult } from '../evaluator/index.ts';
import { streamKey, threefry4x32 } from '../evaluator/statistics/random.ts';
import { OFFICIAL, scalarMetrics } from '../evaluator/metrics/formulas.ts';

const work = mkdtempSync(join(tmpdir(), 'isb-boot-'));
let big: EvaluationResult, table: ContributionTable, masks: string[], dirs: { gt: string; pred: string };
before(async () => {
  const m = await writeMiniSplit(join(work, 'big'), { validation: 360, test: 1, withPredictions: true });
  const v = m.subsets.validation;
  masks = v.masks;
  dirs = { gt: v.masksDir, pred: v.predictionsDir! };
  big = await evaluate({ gtRoot: v.masksDir, pred: await DirectorySource.open(v.predictionsDir!), masks, classes: m.classes, workers: 2, contributions: true });
  table = packContributions(big.accumulator.contributions, m.classes, strataOf(masks));
});
after(() => rmSync(work, { recursive: true, force: true }));

test('one set of formulas: on the official float32 sums it is the official result; on double sums of every image drawn once, the same to float32 rounding', () => {
  const acc = big.accumulator, official = scalarMetrics(acc.sums(), acc.K, acc.F, acc.ACC, acc.images, OFFICIAL);
  for (const k of BOOTSTRAP_METRICS) assert.ok(Object.is(official[k], big.metrics[k]), `${k}: ${official[k]} vs ${big.metrics[k]}`);
  const m = resampleMetrics(table, new Float64Array(masks.length).fill(1));
  for (const k of BOOTSTRAP_METRICS) {
    const official = big.metrics[k];
    if (official === null) assert.ok(Number.isNaN(m[k]), k);
    else assert.ok(Math.abs(m[k] - official) < 1e-3, `${k}: ${m[k]} vs ${official}`);
  }
});

test('the generator is Threefry-4×32-20: the authors\' known-answer vectors (Random123 kat_vectors)', () => {
  const out = new Uint32Array(4), hex = () => Array.from(out, (x) => x.toString(16).padStart(8, '0')).join(' ');
  threefry4x32(streamKey('0'.repeat(64)).ks, 0, 0, 0, 0, out);
  assert.equal(hex(), '9c6ca96a e17eae66 fc10ecd4 5256a7d8');
  threefry4x32(streamKey('f'.repeat(64)).ks, -1, -1, -1, -1, out);
  assert.equal(hex(), '2a881696 57012287 f6c7446e a16a6732');
  threefry4x32(streamKey('a4093822299f31d0082efa98ec4e6c89' + '0'.repeat(32)).ks, 0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, out);
  assert.equal(hex(), '59cd1dbb b8879579 86b5d00c ac8b6d84');
});

test('resamples are fixed by the names list: the same weights for every submission, drawn within class folders', () => {
  const seed = bootstrapSeed(masks);
  assert.equal(seed, bootstrapSeed([...masks]));
  assert.notEqual(seed, bootstrapSeed(masks.slice(1)));
  const strata = strataOf(masks), plan = resamplePlan(strata, 'rescaled');
  assert.equal(new Set(strata).size, 6, 'six class folders');
  for (const b of [0, 1, 999]) {
    const w = resampleWeights(seed, b, plan);
    assert.deepEqual(w, resampleWeights(seed, b, plan));
    // every folder keeps its weight: as many images as it holds
    for (let h = 0; h < 6; h++) {
      const size = strata.filter((x) => x === h).length, got = w.reduce((s, x, i) => s + (strata[i] === h ? x : 0), 0);
      assert.ok(Math.abs(got - size) < 1e-9, `folder ${h}: ${got} of ${size}`);
    }
  }
  assert.notDeepEqual(resampleWeights(seed, 0, plan), resampleWeights(seed, 1, plan));
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
  const direct = resampleMetrics(sub, new Float64Array(rows.length).fill(1));
  const viaWeights = resampleMetrics(packContributions(rows.map((r) => big.accumulator.contributions[r]), 6), new Float64Array(rows.length).fill(1));
  assert.deepEqual(direct, viaWeights);
  assert.equal(sub.n, rows.length);
});

test('intervals hold the estimate and shrink as the test set grows (all images against a 10 % subset)', async () => {
  const full = bootstrap(table, { seed: bootstrapSeed(masks), estimate: big.metrics });
  const sub = masks.slice(0, 36);
  const small = await evaluate({ gtRoot: dirs.gt, pred: await DirectorySource.open(dirs.pred), masks: sub, classes: 6, workers: 2, contributions: true });
  const part = bootstrap(packContributions(small.accumulator.contributions, 6, strataOf(sub)), { seed: bootstrapSeed(sub), estimate: small.metrics });
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
  let F = 0, acc = 0, n = 0;
  const add = (dst: Float64Array, c: { classes: Int32Array; values: Float64Array }, wi: number) => {
    c.classes.forEach((k, j) => { for (let a = 0; a < 6; a++) dst[k * 6 + a] += wi * c.values[j * 6 + a]; });
  };
  contribs.forEach((c, i) => {
    if (!w[i]) return;
    add(all, c, w[i]);
    c.groups.forEach((g, s) => { if (g) add(groups[s], g, w[i]); });
    F += w[i] * c.fmeasure; acc += w[i] * (c.hit ? 1 : 0); n += w[i];
  });
  const iou = (h: Float64Array, k: number, b: number) => h[k * 6 + b + 2] / (h[k * 6 + b] + h[k * 6 + b + 1] - h[k * 6 + b + 2] + 1e-10);
  const mean = (xs: number[]) => (xs.length ? (xs.reduce((a, b) => a + b, 0) / xs.length) * 100 : NaN);
  const out: Record<string, number> = {
    // all C + 1 classes, a class without GT scoring 0: the official rule, in a resample as on the full set
    mIoU: mean([...Array(K).keys()].map((k) => iou(all, k, 0))),
    mBIoU: mean([...Array(K).keys()].map((k) => iou(all, k, 3))),
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
  const subStrata = strataOf(masks.filter((_, i) => i % 7 === 0));
  for (const [set, t] of [[contribs, table], [sub, packContributions(sub, 6, subStrata)]] as const) {
    for (let b = 0; b < 5; b++) {
      const w = resampleWeights(seed, b, resamplePlan(t.stratum, 'rescaled'));
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
