/**
 * The bootstrap's validity study (evaluator/statistics/bootstrap.ts), on a known population: thousands of
 * synthetic images with predictions (test/helpers/population.ts), whose population metrics are
 * computed once. Test sets are drawn from it at random, as a benchmark's test set is drawn from
 * the world's images; each gets its intervals; we count how often they are right. Deterministic
 * (seeded), so a run either holds the property or shows that the code changed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { population, symmetricPair } from './helpers/population.ts';
import { bootstrap, bootstrapSeed, paired, resampleMetrics, selectRows } from '../evaluator/statistics/bootstrap.ts';
import { rng } from '../datasets/imagenet-s/synth-image.ts';

const SETS = 200, SIZE = 300;
const KEYS = ['mIoU', 'mBIoU', 'Acc', 'FMeasure'] as const;

test(`95 % intervals cover the population value in 90–99 % of ${SETS} simulated test sets`, () => {
  const pop = population(3000, 10, 1);
  const truth = resampleMetrics(pop.tables[0], new Int32Array(3000).fill(1));
  const r = rng(12345);
  const covered = Object.fromEntries(KEYS.map((k) => [k, 0])) as Record<(typeof KEYS)[number], number>;
  for (let s = 0; s < SETS; s++) {
    const rows = Int32Array.from({ length: SIZE }, () => Math.floor(r() * 3000));
    const b = bootstrap(selectRows(pop.tables[0], rows), { seed: bootstrapSeed([`set ${s}`]) });
    for (const k of KEYS) { const [lo, hi] = b.ci[k]!; if (lo <= truth[k] && truth[k] <= hi) covered[k]++; }
  }
  for (const k of KEYS) {
    const rate = covered[k] / SETS;
    assert.ok(rate >= 0.9 && rate <= 0.99, `${k}: covered in ${(rate * 100).toFixed(1)} % of the sets`);
  }
});

test(`the paired test calls two submissions of equal population quality different in ≤ 7 % of ${SETS} test sets`, () => {
  const pop = population(3000, 10, 2);
  const [A, B] = symmetricPair(pop);
  const all = new Int32Array(6000).fill(1);
  assert.equal(resampleMetrics(A, all).mIoU, resampleMetrics(B, all).mIoU, 'equal in the population');
  const r = rng(999);
  const positives = Object.fromEntries(KEYS.map((k) => [k, 0])) as Record<(typeof KEYS)[number], number>;
  let differentOnTheSet = 0;
  for (let s = 0; s < SETS; s++) {
    const rows = Int32Array.from({ length: SIZE }, () => Math.floor(r() * 6000));
    const seed = bootstrapSeed([`pair ${s}`]);
    const a = bootstrap(selectRows(A, rows), { seed }), b = bootstrap(selectRows(B, rows), { seed });
    if (a.samples.mIoU[0] !== b.samples.mIoU[0]) differentOnTheSet++;
    for (const k of KEYS) if (paired(a.samples[k], b.samples[k], 0).significant) positives[k]++;
  }
  assert.ok(differentOnTheSet > SETS * 0.9, 'the two submissions do differ on a test set');
  for (const k of KEYS) {
    const rate = positives[k] / SETS;
    assert.ok(rate <= 0.07, `${k}: false positives in ${(rate * 100).toFixed(1)} % of the sets`);
  }
});
