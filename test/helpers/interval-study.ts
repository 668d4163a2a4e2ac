/**
 * The intervals' validity study on synthetic populations whose metrics are known: test sets are drawn
 * from a population as a benchmark's are drawn from the world's images, each gets its intervals, and
 * we count how often an interval holds the population's value. Used by `npm run bench -- --sections
 * intervals` (the full table) and by test/bootstrap-validity.test.ts (a fast seeded version).
 */
import { population, symmetricBoard, type Population } from './population.ts';
import { bootstrap, DESIGN, resampleMetrics, seedFor, selectRows, type ContributionTable, type Design } from '../../evaluator/statistics/bootstrap.ts';
import { bcInterval, paired, pairSpread, quantile, rankIntervals } from '../../evaluator/statistics/intervals.ts';
import { rng } from '../../datasets/imagenet-s/synth-image.ts';
import { createHash } from 'node:crypto';

export const STUDY_METRICS = ['mIoU', 'mBIoU', 'Acc', 'FMeasure'] as const;
export type StudyMetric = (typeof STUDY_METRICS)[number];

export interface Scenario {
  label: string;
  classes: number;
  /** Class frequencies: equal, or Zipf(1) (class c ∝ 1/c). */
  freq: 'balanced' | 'zipf';
  /** Test-set size. */
  n: number;
  /** How a test set is drawn: a fixed count per class (as ImageNet-S), or n images at random. */
  sampling: 'per-class' | 'random';
}

/** A population for a scenario's classes and frequencies: `perClass` images per class on average. */
export function studyPopulation(classes: number, freq: Scenario['freq'], perClass: number, predictions: number, seed = 11): Population & { weightOf: Float64Array } {
  const p = Array.from({ length: classes }, (_, c) => (freq === 'zipf' ? 1 / (c + 1) : 1));
  const total = p.reduce((a, b) => a + b, 0);
  const pool = p.map((x) => Math.max(4, Math.round((x / total) * perClass * classes)));
  const classOf: number[] = pool.flatMap((size, c) => Array.from({ length: size }, () => c + 1));
  const pop = population(classOf.length, classes, predictions, seed, (i) => classOf[i]);
  return { ...pop, weightOf: Float64Array.from(p, (x) => x / total) };
}

/** Per-class test-set counts of a scenario (at least one image a class). */
function counts(s: Scenario, weightOf: Float64Array): number[] {
  return Array.from(weightOf, (w) => Math.max(1, Math.round(w * s.n)));
}

/** The rows of one test set (with replacement from the population: an infinite world). */
export function drawSet(s: Scenario, pop: Population & { weightOf: Float64Array }, r: () => number, rows = pop.folder.length): Int32Array {
  const size = pop.folder.length, copies = rows / size;
  if (s.sampling === 'random') return Int32Array.from({ length: s.n }, () => Math.floor(r() * rows));
  const members: number[][] = Array.from({ length: s.classes }, () => []);
  pop.folder.forEach((f, i) => members[f].push(i));
  return Int32Array.from(counts(s, pop.weightOf).flatMap((m, c) => Array.from({ length: m }, () => {
    const i = members[c][Math.floor(r() * members[c].length)];
    return i + size * Math.floor(r() * copies);
  })));
}

/** The population's value: what a test set of the scenario estimates (each image weighted by its expected draws). */
export function truth(s: Scenario, pop: Population & { weightOf: Float64Array }, table: ContributionTable): Record<StudyMetric, number> {
  const size = pop.folder.length, copies = table.n / size;
  const per = pop.folder.reduce((acc, f) => { acc[f]++; return acc; }, new Array<number>(s.classes).fill(0));
  const want = s.sampling === 'random' ? null : counts(s, pop.weightOf);
  const w = Float64Array.from({ length: table.n }, (_, i) => { const f = pop.folder[i % size]; return want ? want[f] / per[f] / copies : 1; });
  const m = resampleMetrics(table, w);
  return Object.fromEntries(STUDY_METRICS.map((k) => [k, m[k]])) as Record<StudyMetric, number>;
}

/** Plain percentiles (the former method), bias-corrected percentiles, or the studentized interval the project reports. */
export type Method = 'percentile' | 'bc' | 'studentized';


export function candidateInterval(method: Exclude<Method, 'studentized'>, estimate: number, samples: Float64Array): [number, number] {
  if (method === 'bc') return bcInterval(estimate, samples)!;
  const v = Float64Array.from(samples.filter(Number.isFinite)).sort();
  return [quantile(v, 0.025), quantile(v, 0.975)];
}

export interface CoverageRow {
  scenario: Scenario;
  design: Design;
  method: Method;
  /** Share of sets whose interval holds the population value, per metric. */
  covered: Record<StudyMetric, number>;
  /** Misses below / above. */
  low: Record<StudyMetric, number>;
  /** (mean estimate − truth) / SD of the estimate over sets. */
  bias: Record<StudyMetric, number>;
  /** Mean resampled SD / SD of the estimate over sets (1: the resamples' spread is right). */
  spread: Record<StudyMetric, number>;
  /** Mean resampled bias (mean of the resamples − estimate) / SD of the estimate over sets. */
  resampledBias: Record<StudyMetric, number>;
}

const seedHex = (key: string): string => createHash('sha256').update(key).digest('hex');

/** Coverage of every (design, method) pair on `sets` test sets of a scenario. */
export function coverageStudy(s: Scenario, pop: Population & { weightOf: Float64Array }, opts: { sets: number; B: number; designs: Design[]; methods: Method[]; seed?: number }): CoverageRow[] {
  const table = pop.tables[0], t = truth(s, pop, table), r = rng(opts.seed ?? 2024);
  const rows = opts.designs.flatMap((design) => opts.methods.map((method) => ({ design, method, hit: zero(), low: zero() })));
  const estimates: Record<StudyMetric, number[]> = Object.fromEntries(STUDY_METRICS.map((k) => [k, []])) as never;
  const sds = zero(), rbias = zero();
  for (let set = 0; set < opts.sets; set++) {
    const picked = drawSet(s, pop, r);
    const sub = selectRows(table, picked);
    const est = resampleMetrics(sub, new Float64Array(sub.n).fill(1));
    for (const k of STUDY_METRICS) estimates[k].push(est[k]!);
    for (const design of opts.designs) {
      const b = bootstrap(sub, { seed: seedFor(design, seedHex(`${s.label} ${set}`)), B: opts.B });
      if (design === opts.designs[0]) for (const k of STUDY_METRICS) {
        const v = b.samples[k], m = v.reduce((a, x) => a + x, 0) / v.length;
        sds[k] += Math.sqrt(v.reduce((a, x) => a + (x - m) ** 2, 0) / (v.length - 1)) / opts.sets;
        rbias[k] += (m - est[k]!) / opts.sets;
      }
      for (const row of rows) {
        if (row.design !== design) continue;
        for (const k of STUDY_METRICS) {
          const [lo, hi] = row.method === 'studentized' ? b.ci[k]! : candidateInterval(row.method, est[k]!, b.samples[k]);
          if (lo <= t[k] && t[k] <= hi) row.hit[k]++;
          else if (hi < t[k]) row.low[k]++;
        }
      }
    }
  }
  const sdOf = map(zero(), () => 0), bias = zero();
  for (const k of STUDY_METRICS) {
    const e = estimates[k], mean = e.reduce((a, b) => a + b, 0) / e.length;
    sdOf[k] = Math.sqrt(e.reduce((a, b) => a + (b - mean) ** 2, 0) / (e.length - 1));
    bias[k] = (mean - t[k]) / sdOf[k];
  }
  const spread = map(sds, (x) => x), resampledBias = map(rbias, (x) => x);
  for (const k of STUDY_METRICS) { spread[k] /= sdOf[k]; resampledBias[k] /= sdOf[k]; }
  return rows.map((row) => ({
    scenario: s, design: row.design, method: row.method, bias, spread, resampledBias,
    covered: map(row.hit, (x) => x / opts.sets), low: map(row.low, (x) => x / opts.sets),
  }));
}

function zero(): Record<StudyMetric, number> { return Object.fromEntries(STUDY_METRICS.map((k) => [k, 0])) as Record<StudyMetric, number>; }
function map(o: Record<StudyMetric, number>, f: (x: number) => number): Record<StudyMetric, number> {
  return Object.fromEntries(STUDY_METRICS.map((k) => [k, f(o[k])])) as Record<StudyMetric, number>;
}


export interface PairedRow { scenario: Scenario; covered: Record<StudyMetric, number>; significant: Record<StudyMetric, number>; truth: Record<StudyMetric, number> }

/** Coverage of the paired interval of b − a (two predictions of each image) of the population's difference. */
export function pairedStudy(s: Scenario, pop: Population & { weightOf: Float64Array }, opts: { sets: number; B: number; seed?: number }): PairedRow {
  const [A, Bt] = pop.tables, r = rng(opts.seed ?? 77);
  const ta = truth(s, pop, A), tb = truth(s, pop, Bt);
  const hit = zero(), sig = zero();
  for (let set = 0; set < opts.sets; set++) {
    const picked = drawSet(s, pop, r);
    const a = selectRows(A, picked), b = selectRows(Bt, picked);
    const ea = resampleMetrics(a, new Float64Array(a.n).fill(1)), eb = resampleMetrics(b, new Float64Array(b.n).fill(1));
    const seed = seedFor(DESIGN, seedHex(`paired ${s.label} ${set}`));
    const ra = bootstrap(a, { seed, B: opts.B }), rb = bootstrap(b, { seed, B: opts.B });
    for (const k of STUDY_METRICS) {
      const p = paired(ra.samples[k], rb.samples[k], eb[k]! - ea[k]!, pairSpread(ra.spread[k], rb.spread[k]));
      const d = tb[k] - ta[k];
      if (p.ci && p.ci[0] <= d && d <= p.ci[1]) hit[k]++;
      if (p.significant) sig[k]++;
    }
  }
  return { scenario: s, covered: map(hit, (x) => x / opts.sets), significant: map(sig, (x) => x / opts.sets), truth: Object.fromEntries(STUDY_METRICS.map((k) => [k, tb[k] - ta[k]])) as Record<StudyMetric, number> };
}

export interface BoardRowStudy {
  scenario: Scenario;
  entries: number;
  boards: number;
  /** Comparisons of an entry with the observed leader that call the leader better (all entries are equal: false positives). */
  falsePositives: number;
  /** Boards where every entry is in the "≈ #1" set (each truly is best). */
  allTied: number;
  /** Rows marked "≈ #1" whose rank interval leaves out 1. */
  contradictions: number;
}

/** Boards of `entries` submissions of exactly equal population quality (symmetricBoard). */
export function boardStudy(s: Scenario, pop: Population & { weightOf: Float64Array }, entries: number, opts: { sets: number; B: number; seed?: number }): BoardRowStudy {
  const tables = symmetricBoard(pop, entries), r = rng(opts.seed ?? 99);
  let fp = 0, all = 0, contradictions = 0;
  for (let set = 0; set < opts.sets; set++) {
    const picked = drawSet(s, pop, r, tables[0].n);
    const subs = tables.map((t) => selectRows(t, picked));
    const seed = seedFor(DESIGN, seedHex(`board ${s.label} ${set}`));
    const values = subs.map((t) => resampleMetrics(t, new Float64Array(t.n).fill(1)).mIoU);
    const boots = subs.map((t) => bootstrap(t, { seed, B: opts.B }));
    const ranks = rankIntervals(values, boots.map((b) => b.samples.mIoU), true, boots.map((b) => b.spread.mIoU));
    const leader = values.indexOf(Math.max(...values));
    let tied = 0;
    ranks.forEach((x, j) => {
      if (j !== leader && x.better.includes(leader)) fp++;
      if (x.better.length === 0) tied++;
      if (x.better.length === 0 && x.rank[0] !== 1) contradictions++;
    });
    if (tied === entries) all++;
  }
  return { scenario: s, entries, boards: opts.sets, falsePositives: fp / (opts.sets * (entries - 1)), allTied: all / opts.sets, contradictions };
}
