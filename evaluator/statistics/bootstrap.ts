/**
 * How sure is a score: per-image bootstrap intervals for the official metrics, paired comparisons
 * and rank intervals.
 *
 * A resample draws N images with replacement from the N images of the names list; every official
 * statistic is a sum of per-image contributions (accumulator.ts, ImageContribution), so a resample
 * re-sums them with multinomial weights and recomputes each metric with the official rules:
 *   - IoU per class = inter / (pred + gt − inter); mIoU / mBIoU average over the C + 1 classes as
 *     officially, except that a class with GT pixels in the full set but none in a resample is left
 *     out of that resample's mean. (A resample leaves out about a third of the images; such a class
 *     would keep only its false positives and score 0, dragging every resample down; with few
 *     images a class the official estimate would then fall outside its own interval.) Classes with
 *     no GT in the full set score 0 in every resample, as they do officially. On the full set, with
 *     every image drawn once, this is exactly the official mean;
 *   - size groups: the mean over the classes with GT pixels in that group (officially the same);
 *   - Img-Acc and F-measure: the weighted mean of the per-image decisions and values.
 * Resamples are computed in double precision (the official float32 rounding moves a metric by
 * ~1e-5, far below any interval's width). The weights depend only on the seed: every submission to
 * a benchmark (seeded by its names list) sees the same resamples, so two submissions can be
 * compared resample by resample (`paired`), and a board ranked within each resample (`rankIntervals`).
 *
 * Speed: the contributions are packed into flat typed arrays (`packContributions`), one pass per
 * resample visits only the drawn images, and resamples split across the evaluation's worker threads
 * (`bootstrapParallel`); see `npm run bench -- bootstrap`.
 */
import { namesHash } from '../input/names.ts';
import { METRIC_KEYS, metricsOf, type MetricKey } from '../metrics/metrics.ts';
import type { ImageContribution } from '../metrics/accumulator.ts';

/** Every metric of the table is resampled, in its order (the order resamples are stored in). */
export const BOOTSTRAP_METRICS = METRIC_KEYS;
export type BootstrapMetric = MetricKey;
const M = BOOTSTRAP_METRICS.length;
/** A metric's place in a resample's output. */
const AT = Object.fromEntries(BOOTSTRAP_METRICS.map((k, i) => [k, i])) as Record<MetricKey, number>;
const SIZE_AT = metricsOf('size').map((m) => AT[m.key]), BOUNDARY_SIZE_AT = metricsOf('boundary-size').map((m) => AT[m.key]);

/** The number of resamples of every interval the project reports. */
export const BOOTSTRAP_B = 1000;

export interface BootstrapResult {
  /** Resamples drawn. */
  B: number;
  seed: string;
  /** Per metric, the B resampled values (percent; NaN where a size group is empty in a resample). */
  samples: Record<BootstrapMetric, Float64Array>;
  /** Per metric, the 95 % percentile interval [2.5th, 97.5th] over the resamples that have a value. */
  ci: Record<BootstrapMetric, [number, number] | null>;
}

/**
 * The seed of a names list's resamples: a digest of the list, in order. The names list identifies
 * the ground truth a benchmark scores against, so the CLI and the server (and all protocols of one
 * split and phase) draw the same resamples for the same list.
 */
export function bootstrapSeed(masks: string[]): string {
  return namesHash(masks).slice(0, 16);
}

/** A small, fast, seedable generator (mulberry32) from a hex seed and a resample index. */
function rng(seed: string, b: number): () => number {
  let s = (parseInt(seed.slice(0, 8), 16) ^ Math.imul(b + 1, 0x9e3779b9)) >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Resample b's weights: how often each of the n images is drawn (they sum to n). */
export function resampleWeights(seed: string, b: number, n: number, into?: Int32Array): Int32Array {
  const out = into ?? new Int32Array(n);
  out.fill(0);
  const r = rng(seed, b);
  for (let i = 0; i < n; i++) out[Math.floor(r() * n)]++;
  return out;
}

/**
 * One kind of entry of a packed table: per image a range [start[i], start[i + 1]) of entries, each
 * a slot (class, or size group × K + class) and `width` values. Full entries carry the six sums
 * (pred, gt, inter, bPred, bGt, bInter); pred-only entries (false positives: no GT, no
 * intersection) carry two (pred, bPred), a third of the work, and are most of a noisy prediction.
 */
export interface EntryPart { width: 6 | 2 | 1; start: Int32Array; slot: Int32Array; val: Float64Array }

/**
 * The contributions of a test set, packed in plain typed arrays (a table moves to a worker thread as
 * a few buffers). Entries that cannot move any metric are left out: a class with no GT pixel in
 * the set scores 0 in every resample whatever its false positives, and likewise a size group's
 * class with no GT there.
 */
export interface ContributionTable {
  n: number;
  K: number;
  /**
   * Slots 0..K−1: whole-image sums per class; (1 + g)·K + class: size group g's; (5 + g)·K +
   * class: both at once, for images whose one size group g has the same sums as the whole image,
   * as most do (one object size): their entries are stored and added once, and the sums are
   * combined per resample (metricsInto). One image's entries of a kind are one range, one loop.
   */
  full: EntryPart; fp: EntryPart;
  /**
   * Pred-only entries whose pred and bPred are equal, one value: any false-positive region thinner
   * than twice the boundary width (3 % of the diagonal) is all boundary, so most are.
   */
  fp1: EntryPart;
  fmeasure: Float64Array;
  hit: Uint8Array;
  /** Classes with GT pixels (and GT boundary pixels) in the full set: the rule above. */
  refGt: Uint8Array;
  refBGt: Uint8Array;
}

/** Entries appended into typed arrays that double when full (no boxed numbers on the way). */
class PartBuilder {
  private slots = new Int32Array(1024);
  private vals: Float64Array;
  private count = 0;
  private readonly starts: Int32Array;
  private rows = 0;
  constructor(readonly width: 6 | 2 | 1, rows: number) {
    this.vals = new Float64Array(1024 * width);
    this.starts = new Int32Array(rows + 1);
  }
  push(slot: number, v: ArrayLike<number>, at: number): void {
    if (this.count === this.slots.length) {
      const slots = new Int32Array(this.count * 2); slots.set(this.slots); this.slots = slots;
      const vals = new Float64Array(this.count * 2 * this.width); vals.set(this.vals); this.vals = vals;
    }
    const o = this.count * this.width;
    if (this.width === 6) for (let a = 0; a < 6; a++) this.vals[o + a] = v[at + a];
    else if (this.width === 2) { this.vals[o] = v[at]; this.vals[o + 1] = v[at + 3]; }
    else this.vals[o] = v[at];
    this.slots[this.count++] = slot;
  }
  endRow(): void { this.starts[++this.rows] = this.count; }
  /** The arrays on shared memory: worker threads read the table without a copy of it each. */
  build(): EntryPart {
    const ints = (src: Int32Array, length: number): Int32Array => { const out = new Int32Array(new SharedArrayBuffer(length * 4)); out.set(src.subarray(0, length)); return out; };
    const vals = new Float64Array(new SharedArrayBuffer(this.count * this.width * 8));
    vals.set(this.vals.subarray(0, this.count * this.width));
    return { width: this.width, start: ints(this.starts, this.starts.length), slot: ints(this.slots, this.count), val: vals };
  }
}


export function packContributions(contribs: ImageContribution[], classes: number): ContributionTable {
  const n = contribs.length, K = classes + 1;
  const refGt = new Uint8Array(K), refBGt = new Uint8Array(K), grpRef = new Uint8Array(4 * K);
  for (const c of contribs) {
    for (let j = 0; j < c.classes.length; j++) {
      if (c.values[j * 6 + 1] > 0) refGt[c.classes[j]] = 1;
      if (c.values[j * 6 + 4] > 0) refBGt[c.classes[j]] = 1;
    }
    c.groups.forEach((h, s) => { if (h) for (let j = 0; j < h.classes.length; j++) if (h.values[j * 6 + 1] > 0 || h.values[j * 6 + 4] > 0) grpRef[s * K + h.classes[j]] = 1; });
  }
  const full = new PartBuilder(6, n), fp = new PartBuilder(2, n), fp1 = new PartBuilder(1, n);
  const fmeasure = new Float64Array(n), hit = new Uint8Array(n);
  // each entry to its part: full, pred-only, or pred-only with pred = bPred
  const put = (slot: number, v: Float64Array, at: number): void => {
    const part = v[at + 1] === 0 && v[at + 2] === 0 && v[at + 4] === 0 && v[at + 5] === 0 ? (v[at] === v[at + 3] ? fp1 : fp) : full;
    part.push(slot, v, at);
  };
  contribs.forEach((c, i) => {
    // one size group whose sums equal the whole image's (compared before pruning: a group slot
    // without GT anywhere in the set never counts, so adding to it changes nothing)
    let g0 = -1, groupsPresent = 0;
    c.groups.forEach((h, s) => { if (h && h.classes.length) { groupsPresent++; g0 = s; } });
    const h0 = groupsPresent === 1 ? c.groups[g0]! : null;
    const same = !!h0 && h0.classes.length === c.classes.length && h0.classes.every((k, j) => k === c.classes[j]) && h0.values.every((v, a) => v === c.values[a]);
    const base = same ? (5 + g0) * K : 0;
    for (let j = 0; j < c.classes.length; j++) {
      const k = c.classes[j];
      if (refGt[k] || refBGt[k]) put(base + k, c.values, j * 6);
    }
    if (!same) {
      c.groups.forEach((h, s) => {
        if (h) for (let j = 0; j < h.classes.length; j++) if (grpRef[s * K + h.classes[j]]) put(K + s * K + h.classes[j], h.values, j * 6);
      });
    }
    full.endRow(); fp.endRow(); fp1.endRow();
    fmeasure[i] = c.fmeasure; hit[i] = c.hit ? 1 : 0;
  });
  return { n, K, full: full.build(), fp: fp.build(), fp1: fp1.build(), fmeasure, hit, refGt, refBGt };
}

function selectPart(p: EntryPart, rows: ArrayLike<number>): EntryPart {
  const start = new Int32Array(rows.length + 1);
  for (let j = 0; j < rows.length; j++) start[j + 1] = start[j] + p.start[rows[j] + 1] - p.start[rows[j]];
  const slot = new Int32Array(start[rows.length]), val = new Float64Array(start[rows.length] * p.width);
  for (let j = 0; j < rows.length; j++) {
    const a = p.start[rows[j]], b = p.start[rows[j] + 1];
    slot.set(p.slot.subarray(a, b), start[j]);
    val.set(p.val.subarray(a * p.width, b * p.width), start[j] * p.width);
  }
  return { width: p.width, start, slot, val };
}

/** The table of a test set made of `rows` of another (repetitions allowed): simulations, subsets. */
export function selectRows(t: ContributionTable, rows: ArrayLike<number>): ContributionTable {
  const full = selectPart(t.full, rows);
  const refGt = new Uint8Array(t.K), refBGt = new Uint8Array(t.K);
  for (let j = 0; j < full.slot.length; j++) {
    const slot = full.slot[j];
    if (slot >= t.K && slot < 5 * t.K) continue; // a size group's own entries
    const k = slot % t.K;
    if (full.val[j * 6 + 1] > 0) refGt[k] = 1;
    if (full.val[j * 6 + 4] > 0) refBGt[k] = 1;
  }
  return {
    n: rows.length, K: t.K, full, fp: selectPart(t.fp, rows), fp1: selectPart(t.fp1, rows),
    fmeasure: Float64Array.from(rows, (i) => t.fmeasure[i]), hit: Uint8Array.from(rows, (i) => t.hit[i]), refGt, refBGt,
  };
}

const EPS10 = 1e-10;

/** Dense sums of one resample, reused across resamples. */
class Scratch {
  /** Six sums per slot (the table's slots: K whole-image, 4·K size-group, 4·K both). */
  readonly sums: Float64Array;
  /** The whole image's and the size groups' sums, combined from the slots above. */
  readonly combined: Float64Array;
  readonly w: Int32Array;
  F = 0; acc = 0; drawn = 0;
  constructor(K: number, n: number) {
    this.sums = new Float64Array(9 * 6 * K);
    this.combined = new Float64Array(5 * 6 * K);
    this.w = new Int32Array(n);
  }
  clear(): void { this.sums.fill(0); this.F = this.acc = this.drawn = 0; }
}

/** One resample's sums: every drawn image's entries times its weight (s.w). */
function sumResample(t: ContributionTable, s: Scratch): void {
  s.clear();
  const w = s.w, sums = s.sums, n = t.n, fmeasure = t.fmeasure, hit = t.hit;
  const fs = t.full.start, fslot = t.full.slot, fval = t.full.val;
  const ps = t.fp.start, pslot = t.fp.slot, pval = t.fp.val;
  const us = t.fp1.start, uslot = t.fp1.slot, uval = t.fp1.val;
  let drawn = 0, F = 0, acc = 0;
  // one loop, locals only: the hottest code of the bootstrap
  for (let i = 0; i < n; i++) {
    const wi = w[i];
    if (wi === 0) continue;
    drawn += wi;
    for (let j = fs[i], end = fs[i + 1]; j < end; j++) {
      const d = fslot[j] * 6, v = j * 6;
      sums[d] += wi * fval[v]; sums[d + 1] += wi * fval[v + 1]; sums[d + 2] += wi * fval[v + 2];
      sums[d + 3] += wi * fval[v + 3]; sums[d + 4] += wi * fval[v + 4]; sums[d + 5] += wi * fval[v + 5];
    }
    for (let j = ps[i], end = ps[i + 1]; j < end; j++) {
      const d = pslot[j] * 6, v = j * 2;
      sums[d] += wi * pval[v]; sums[d + 3] += wi * pval[v + 1];
    }
    for (let j = us[i], end = us[i + 1]; j < end; j++) {
      const d = uslot[j] * 6, x = wi * uval[j];
      sums[d] += x; sums[d + 3] += x;
    }
    F += wi * fmeasure[i];
    acc += wi * hit[i];
  }
  s.drawn = drawn; s.F = F; s.acc = acc;
}

/** Every metric from one resample's sums, into out[at + m·stride] (percent; NaN: empty size group). */
function metricsInto(t: ContributionTable, s: Scratch, out: Float64Array, at: number, stride: number): void {
  const { K } = t;
  // whole image = its own slots + the four "both" ranges; group g = its slots + "both" range g
  const x = s.sums, all = s.combined, grp = s.combined;
  all.set(x.subarray(0, 5 * 6 * K));
  for (let g = 0; g < 4; g++) {
    const both = (5 + g) * 6 * K, own = (1 + g) * 6 * K;
    for (let v = 0; v < 6 * K; v++) { const add = x[both + v]; if (add !== 0) { all[v] += add; all[own + v] += add; } }
  }
  let m = 0, mb = 0, count = 0, bCount = 0;
  for (let k = 0; k < K; k++) {
    const o = k * 6;
    // counted unless the class has GT in the full set and none in this resample
    if (!t.refGt[k] || all[o + 1] > 0) { m += all[o + 2] / (all[o] + all[o + 1] - all[o + 2] + EPS10); count++; }
    if (!t.refBGt[k] || all[o + 4] > 0) { mb += all[o + 5] / (all[o + 3] + all[o + 4] - all[o + 5] + EPS10); bCount++; }
  }
  out[at + AT.mIoU * stride] = count ? (m / count) * 100 : NaN;
  out[at + AT.mBIoU * stride] = bCount ? (mb / bCount) * 100 : NaN;
  out[at + AT.Acc * stride] = (s.acc / s.drawn) * 100;
  out[at + AT.FMeasure * stride] = (s.F / s.drawn) * 100;
  for (let g = 0; g < 4; g++) {
    let sum = 0, cnt = 0, bsum = 0, bcnt = 0;
    for (let k = 0; k < K; k++) {
      const o = ((1 + g) * K + k) * 6;
      if (grp[o + 1] > 0) { sum += grp[o + 2] / (grp[o] + grp[o + 1] - grp[o + 2] + EPS10); cnt++; }
      if (grp[o + 4] > 0) { bsum += grp[o + 5] / (grp[o + 3] + grp[o + 4] - grp[o + 5] + EPS10); bcnt++; }
    }
    out[at + SIZE_AT[g] * stride] = cnt ? (sum / cnt) * 100 : NaN;
    out[at + BOUNDARY_SIZE_AT[g] * stride] = bcnt ? (bsum / bcnt) * 100 : NaN;
  }
}

/** Every metric of the test set that draws image i `weights[i]` times (percent; NaN: empty size group). */
export function resampleMetrics(t: ContributionTable, weights: ArrayLike<number>): Record<BootstrapMetric, number> {
  const out = new Float64Array(M), s = new Scratch(t.K, t.n);
  s.w.set(weights);
  sumResample(t, s);
  metricsInto(t, s, out, 0, 1);
  return Object.fromEntries(BOOTSTRAP_METRICS.map((k, i) => [k, out[i]])) as Record<BootstrapMetric, number>;
}

/** A range of resamples [from, to): the unit of work of one worker thread. */
export interface ResampleJob { resample: true; table: ContributionTable; seed: string; from: number; to: number }

/** Resamples [from, to), metric-major: value of metric m in resample from + j at m·(to − from) + j. */
export function resampleRange(job: Omit<ResampleJob, 'resample'>): Float64Array {
  const { table: t, seed, from, to } = job;
  const count = to - from, out = new Float64Array(M * count), s = new Scratch(t.K, t.n);
  for (let b = from; b < to; b++) {
    resampleWeights(seed, b, t.n, s.w);
    sumResample(t, s);
    metricsInto(t, s, out, b - from, count);
  }
  return out;
}

function resultOf(seed: string, B: number, parts: { from: number; to: number; values: Float64Array }[]): BootstrapResult {
  const samples = Object.fromEntries(BOOTSTRAP_METRICS.map((m) => [m, new Float64Array(B)])) as Record<BootstrapMetric, Float64Array>;
  for (const { from, to, values } of parts) {
    BOOTSTRAP_METRICS.forEach((m, i) => samples[m].set(values.subarray(i * (to - from), (i + 1) * (to - from)), from));
  }
  const ci = Object.fromEntries(BOOTSTRAP_METRICS.map((m) => [m, percentileInterval(samples[m])])) as BootstrapResult['ci'];
  return { B, seed, samples, ci };
}

/** B resamples in the calling thread. */
export function bootstrap(t: ContributionTable, opts: { seed: string; B?: number }): BootstrapResult {
  const B = opts.B ?? BOOTSTRAP_B;
  return resultOf(opts.seed, B, [{ from: 0, to: B, values: resampleRange({ table: t, seed: opts.seed, from: 0, to: B }) }]);
}

/** Something that runs resample ranges on other threads (the evaluation's PairPool). */
export interface ResampleRunner { size: number; resample(job: ResampleJob): Promise<Float64Array> }

/** B resamples split across a pool's threads; identical to `bootstrap` (each resample is seeded by its index). */
export async function bootstrapParallel(t: ContributionTable, opts: { seed: string; B?: number; pool: ResampleRunner }): Promise<BootstrapResult> {
  const B = opts.B ?? BOOTSTRAP_B, parts = Math.max(1, Math.min(opts.pool.size, B));
  const ranges = Array.from({ length: parts }, (_, p) => ({ from: Math.floor((p * B) / parts), to: Math.floor(((p + 1) * B) / parts) }));
  const values = await Promise.all(ranges.map((r) => opts.pool.resample({ resample: true, table: t, seed: opts.seed, ...r })));
  return resultOf(opts.seed, B, ranges.map((r, i) => ({ ...r, values: values[i] })));
}

/** The 2.5th and 97.5th percentiles (nearest rank) of the finite values; null when there are none. */
export function percentileInterval(values: ArrayLike<number>, level = 0.95): [number, number] | null {
  const v = Array.from(values).filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const at = (q: number) => v[Math.min(v.length - 1, Math.max(0, Math.ceil(q * v.length) - 1))];
  return [at((1 - level) / 2), at(1 - (1 - level) / 2)];
}

export interface PairedResult {
  /** b − a on the full set (the official values). */
  diff: number;
  /** 95 % percentile interval of b − a over the shared resamples. */
  ci: [number, number] | null;
  /** The interval excludes 0. */
  significant: boolean;
}

/**
 * Paired comparison of two submissions scored against the same names list: b − a resample by
 * resample (same weights for both), so what the two have in common (hard images) cancels out.
 */
export function paired(a: ArrayLike<number>, b: ArrayLike<number>, diff: number): PairedResult {
  if (a.length !== b.length) throw new Error(`paired: ${a.length} and ${b.length} resamples`);
  const d = new Float64Array(a.length);
  for (let i = 0; i < d.length; i++) d[i] = b[i] - a[i];
  const ci = percentileInterval(d);
  return { diff, ci, significant: ci !== null && (ci[0] > 0 || ci[1] < 0) };
}

/**
 * Rank intervals: within each resample the entries are ranked (1 = best, ties share the better
 * rank); an entry's interval is the 2.5th and 97.5th percentile of its ranks.
 */
export function rankIntervals(samples: ArrayLike<number>[], higherIsBetter = true): [number, number][] {
  const E = samples.length;
  if (E === 0) return [];
  const B = samples[0].length;
  const ranks = samples.map(() => new Float64Array(B));
  const order = Array.from({ length: E }, (_, i) => i);
  const value = new Float64Array(E);
  for (let b = 0; b < B; b++) {
    for (let e = 0; e < E; e++) { const v = samples[e][b]; value[e] = Number.isFinite(v) ? (higherIsBetter ? v : -v) : -Infinity; }
    order.sort((x, y) => value[y] - value[x]);
    let rank = 1;
    for (let p = 0; p < E; p++) {
      if (p > 0 && value[order[p]] !== value[order[p - 1]]) rank = p + 1;
      ranks[order[p]][b] = rank;
    }
  }
  return ranks.map((r) => percentileInterval(r)!);
}

/** Samples stored or sent as one buffer: metric-major, in BOOTSTRAP_METRICS order. */
export function packSamples(samples: Record<BootstrapMetric, Float64Array>): Float64Array {
  const B = samples.mIoU.length, out = new Float64Array(M * B);
  BOOTSTRAP_METRICS.forEach((m, i) => out.set(samples[m], i * B));
  return out;
}

export function unpackSamples(values: Float64Array, B: number): Record<BootstrapMetric, Float64Array> {
  if (values.length !== M * B) throw new Error(`bootstrap samples: ${values.length} values for B = ${B}`);
  return Object.fromEntries(BOOTSTRAP_METRICS.map((m, i) => [m, values.subarray(i * B, (i + 1) * B)])) as Record<BootstrapMetric, Float64Array>;
}
