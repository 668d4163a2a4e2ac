/**
 * The intervals' validity study, fast and seeded (the full table: `npm run bench -- --sections
 * intervals`): synthetic populations whose metrics are known (test/helpers/interval-study.ts), test
 * sets drawn from them as ImageNet-S's are (a fixed number of images per class), and the share of
 * sets whose interval holds the truth. Deterministic, so a run either holds the property or shows
 * that the code changed; each check is paired with the former method failing where it failed, so
 * the study can tell methods apart at this size.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boardStudy, coverageStudy, pairedStudy, STUDY_METRICS, studyPopulation, type Scenario } from './helpers/interval-study.ts';
import { symmetricPair } from './helpers/population.ts';
import { bootstrap, bootstrapSeed, resampleMetrics, selectRows } from '../evaluator/statistics/bootstrap.ts';
import { paired, pairSpread } from '../evaluator/statistics/intervals.ts';
import { rng } from '../datasets/imagenet-s/synth-image.ts';

const TEN: Scenario = { label: '50 classes, 10 images a class', classes: 50, freq: 'balanced', n: 500, sampling: 'per-class' };
const pop50 = studyPopulation(50, 'balanced', 40, 2);

test('95 % intervals hold the population value in ≥ 93 % of 160 test sets of 10 images a class (mIoU, b-mIoU, Img-Acc, F-measure)', () => {
  const [row] = coverageStudy(TEN, pop50, { sets: 160, B: 300, designs: ['rescaled'], methods: ['studentized'], seed: 31 });
  for (const k of STUDY_METRICS) assert.ok(row.covered[k] >= 0.93, `${k}: covered in ${(row.covered[k] * 100).toFixed(1)} % of the sets`);
});

// 200 sets: a coverage share has a standard error of 1.5 points there, so the bound is 91 %;
// the bench's 400-set table holds the 93 % goal
test('on 120 classes of ~13 images (biased b-mIoU), the studentized interval covers ≥ 91 % of 200 sets, more than plain percentiles', () => {
  const s: Scenario = { label: '120 classes, 13 a class', classes: 120, freq: 'balanced', n: 1560, sampling: 'per-class' };
  const rows = coverageStudy(s, studyPopulation(120, 'balanced', 40, 1), { sets: 200, B: 300, designs: ['rescaled'], methods: ['studentized', 'percentile'], seed: 5 });
  const now = rows.find((r) => r.method === 'studentized')!, before = rows.find((r) => r.method === 'percentile')!;
  for (const k of STUDY_METRICS) assert.ok(now.covered[k] >= 0.91, `studentized ${k}: ${(now.covered[k] * 100).toFixed(1)} %`);
  assert.ok(before.covered.mBIoU < now.covered.mBIoU, `percentiles ${(before.covered.mBIoU * 100).toFixed(1)} % against ${(now.covered.mBIoU * 100).toFixed(1)} %`);
});

test('the paired interval of a difference covers the population difference in ≥ 90 % of 120 test sets', () => {
  const p = pairedStudy(TEN, pop50, { sets: 120, B: 300, seed: 8 });
  for (const k of STUDY_METRICS) assert.ok(p.covered[k] >= 0.9, `${k}: ${(p.covered[k] * 100).toFixed(1)} % (true b − a ${p.truth[k].toFixed(2)})`);
});

test('the paired test calls two submissions of equal population quality different in ≤ 7 % of 150 test sets', () => {
  const [A, B] = symmetricPair(pop50);
  const all = new Float64Array(A.n).fill(1);
  assert.equal(resampleMetrics(A, all).mIoU, resampleMetrics(B, all).mIoU, 'equal in the population');
  const r = rng(999), size = pop50.folder.length;
  const positives = Object.fromEntries(STUDY_METRICS.map((k) => [k, 0])) as Record<(typeof STUDY_METRICS)[number], number>;
  let differentOnTheSet = 0;
  for (let s = 0; s < 150; s++) {
    const rows = Int32Array.from({ length: 500 }, () => Math.floor(r() * 2 * size));
    const seed = bootstrapSeed([`pair ${s}`]);
    const a = selectRows(A, rows), b = selectRows(B, rows);
    const ea = resampleMetrics(a, new Float64Array(500).fill(1)), eb = resampleMetrics(b, new Float64Array(500).fill(1));
    const ra = bootstrap(a, { seed, B: 300 }), rb = bootstrap(b, { seed, B: 300 });
    if (ea.mIoU !== eb.mIoU) differentOnTheSet++;
    for (const k of STUDY_METRICS) if (paired(ra.samples[k], rb.samples[k], eb[k] - ea[k], pairSpread(ra.spread[k], rb.spread[k])).significant) positives[k]++;
  }
  assert.ok(differentOnTheSet > 135, 'the two submissions do differ on a test set');
  for (const k of STUDY_METRICS) assert.ok(positives[k] / 150 <= 0.07, `${k}: false positives in ${(positives[k] / 150 * 100).toFixed(1)} % of the sets`);
});

test('boards of 8 equal entries: the leader called better in ≤ 5 % of comparisons; "≈ #1" and the rank interval never disagree', () => {
  const b = boardStudy(TEN, studyPopulation(50, 'balanced', 20, 8), 8, { sets: 40, B: 300, seed: 3 });
  assert.ok(b.falsePositives <= 0.05, `false "better" calls: ${(b.falsePositives * 100).toFixed(1)} %`);
  assert.equal(b.contradictions, 0);
});
