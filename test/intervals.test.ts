/**
 * Intervals from resamples (evaluator/statistics/intervals.ts) on hand-made resamples whose answers are
 * known: BC equals plain percentiles when nothing is biased, a studentized interval follows its
 * pivots, the paired interval widens by the spread factor, and rank intervals come from one
 * simultaneous procedure whose "≈ #1" set is exactly the rows whose interval starts at 1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bcInterval, intervalsUnreliable, paired, rankIntervals, spreadFactor, studentizedInterval } from '../evaluator/statistics/intervals.ts';
import { rng } from '../datasets/imagenet-s/synth-image.ts';

/** B normal draws around `mean` with SD `sd` (Box–Muller on a seeded generator). */
function normal(B: number, mean: number, sd: number, seed: number): Float64Array {
  const r = rng(seed);
  return Float64Array.from({ length: B }, () => mean + sd * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()));
}

test('BC: resamples centred on the estimate give the plain 2.5th–97.5th percentiles; resamples biased low move it up', () => {
  const v = Float64Array.from({ length: 1000 }, (_, i) => 50 + (i - 499.5) / 100); // symmetric about 50
  const [lo, hi] = bcInterval(50, v)!;
  assert.equal(lo, v[24]); assert.equal(hi, v[974]);
  const low = Float64Array.from(v, (x) => x - 1); // the resamples sit 1 below the estimate
  const [blo, bhi] = bcInterval(50, low)!;
  assert.ok(blo > lo - 1 && bhi > hi - 1, `moved up: [${blo}, ${bhi}] against percentiles [${lo - 1}, ${hi - 1}]`);
  assert.equal(bcInterval(50, new Float64Array([NaN, NaN])), null);
});

test('studentized: pivots of a known spread give estimate ∓ their quantiles × se; no spread gives the estimate itself', () => {
  const B = 2000, se = 0.5, est = 60;
  const samples = normal(B, est, se, 1), errors = new Float64Array(B).fill(se);
  const [lo, hi] = studentizedInterval(est, est, se, samples, errors)!;
  assert.ok(Math.abs(lo - (est - 1.96 * se)) < 0.08 && Math.abs(hi - (est + 1.96 * se)) < 0.08, `[${lo}, ${hi}]`);
  // heavier pivots (resamples whose own se is too small half the time) widen it
  const jumpy = Float64Array.from(errors, (e, b) => (b % 2 ? e / 2 : e));
  const [wlo, whi] = studentizedInterval(est, est, se, samples, jumpy)!;
  assert.ok(whi - wlo > (hi - lo) * 1.2, `${whi - wlo} against ${hi - lo}`);
  assert.deepEqual(studentizedInterval(est, est, 0, samples, errors), [est, est]);
  assert.deepEqual(studentizedInterval(70, 70, 1, new Float64Array(10).fill(70), new Float64Array(10)), [70, 70]);
  // the spread factor reports the widening, never below 1
  assert.ok(spreadFactor([wlo, whi], samples) > 1.2);
  assert.equal(spreadFactor([est - 0.01, est + 0.01], samples), 1);
});

test('paired: b − a resample by resample; the spread factor widens the interval about the difference', () => {
  const a = normal(1000, 50, 1, 2), b = Float64Array.from(a, (x, i) => x + 0.4 + 0.15 * Math.sin(i));
  const p = paired(a, b, 0.4);
  assert.ok(p.significant && p.ci![0] > 0, `[${p.ci}] excludes 0`);
  const wide = paired(a, b, 0.4, 4);
  assert.ok(!wide.significant && wide.ci![0] < 0, `[${wide.ci}] includes 0 at 4× the spread`);
  assert.ok(Math.abs((wide.ci![1] - 0.4) - 4 * (p.ci![1] - 0.4)) < 1e-12);
});

test('rank intervals: separated entries get their own rank; equal entries share "≈ #1"; the badge and the interval agree; direction respected', () => {
  const noise = [0, 1, 2, 3].map((s) => normal(500, 0, 0.2, 10 + s));
  // entries 0 and 1 identical resamples (tied), 2 and 3 far below
  const base = [70, 70, 60, 50];
  const samples = base.map((m, e) => Float64Array.from(noise[e === 1 ? 0 : e], (x) => x + m));
  const r = rankIntervals(base, samples);
  assert.deepEqual(r.map((x) => x.rank), [[1, 2], [1, 2], [3, 3], [4, 4]]);
  assert.deepEqual(r.map((x) => x.better.length === 0), [true, true, false, false]);
  for (const x of r) assert.equal(x.better.length === 0, x.rank[0] === 1);
  // lower is better: the order turns round
  const flipped = rankIntervals(base, samples, false);
  assert.deepEqual(flipped.map((x) => x.rank), [[3, 4], [3, 4], [2, 2], [1, 1]]);
  // entries within noise of each other: nobody is shown better than anybody
  const close = rankIntervals([50, 50.05, 49.95], [0, 1, 2].map((e) => Float64Array.from(noise[e], (x) => x + 50)));
  assert.deepEqual(close.map((x) => x.rank), [[1, 3], [1, 3], [1, 3]]);
});

test('the small-set rule: intervals are flagged below 10 images a class', () => {
  assert.equal(intervalsUnreliable(12_419, 919), false);
  assert.equal(intervalsUnreliable(752, 50), false);
  assert.equal(intervalsUnreliable(300, 50), true);
});
