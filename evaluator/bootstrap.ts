/**
 * How sure is a score: per-image bootstrap intervals for the official metrics.
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
 * compared resample by resample.
 */
import { createHash } from 'node:crypto';
import type { ImageContribution } from './accumulator.ts';

export const BOOTSTRAP_METRICS = ['mIoU', 'mBIoU', 'Acc', 'FMeasure', 'S', 'MS', 'ML', 'L', 'BS', 'BMS', 'BML', 'BL'] as const;
export type BootstrapMetric = (typeof BOOTSTRAP_METRICS)[number];

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
  return createHash('sha256').update(masks.join('\n')).digest('hex').slice(0, 16);
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
export function resampleWeights(seed: string, b: number, n: number, out = new Int32Array(n)): Int32Array {
  out.fill(0);
  const r = rng(seed, b);
  for (let i = 0; i < n; i++) out[Math.floor(r() * n)]++;
  return out;
}

const EPS10 = 1e-10;

/** Dense sums of one resample (reused across resamples). */
class ResampleScratch {
  readonly all: Float64Array;
  readonly groups: Float64Array[];
  constructor(readonly K: number) {
    this.all = new Float64Array(6 * K);
    this.groups = [0, 1, 2, 3].map(() => new Float64Array(6 * K));
  }
}

function add(dst: Float64Array, c: { classes: Int32Array; values: Float64Array }, weight: number): void {
  for (let j = 0; j < c.classes.length; j++) {
    const base = c.classes[j] * 6, v = j * 6;
    for (let a = 0; a < 6; a++) dst[base + a] += weight * c.values[v + a];
  }
}

function iou(h: Float64Array, k: number, boundary: boolean): number {
  const o = k * 6 + (boundary ? 3 : 0);
  return h[o + 2] / (h[o] + h[o + 1] - h[o + 2] + EPS10);
}

/** The classes with GT pixels (and with GT boundary pixels) in the full set. */
export interface Reference { gt: Uint8Array; bGt: Uint8Array }

export function referenceOf(contribs: ImageContribution[], classes: number): Reference {
  const gt = new Uint8Array(classes + 1), bGt = new Uint8Array(classes + 1);
  for (const c of contribs) {
    for (let j = 0; j < c.classes.length; j++) {
      if (c.values[j * 6 + 1] > 0) gt[c.classes[j]] = 1;
      if (c.values[j * 6 + 4] > 0) bGt[c.classes[j]] = 1;
    }
  }
  return { gt, bGt };
}

/** Every metric of the test set that draws image i `weights[i]` times (percent; NaN: empty size group). */
export function resampleMetrics(contribs: ImageContribution[], classes: number, weights: ArrayLike<number>, s = new ResampleScratch(classes + 1), ref = referenceOf(contribs, classes)): Record<BootstrapMetric, number> {
  const n = contribs.length, K = classes + 1;
  s.all.fill(0);
  for (const g of s.groups) g.fill(0);
  let F = 0, acc = 0, drawn = 0;
  for (let i = 0; i < n; i++) {
    const wi = weights[i];
    if (wi === 0) continue;
    drawn += wi;
    const c = contribs[i];
    add(s.all, c, wi);
    c.groups.forEach((g, k) => { if (g) add(s.groups[k], g, wi); });
    F += wi * c.fmeasure;
    if (c.hit) acc += wi;
  }
  let m = 0, mb = 0, count = 0, bCount = 0;
  for (let k = 0; k < K; k++) {
    const o = k * 6;
    // counted unless the class has GT in the full set and none in this resample
    if (!ref.gt[k] || s.all[o + 1] > 0) { m += iou(s.all, k, false); count++; }
    if (!ref.bGt[k] || s.all[o + 4] > 0) { mb += iou(s.all, k, true); bCount++; }
  }
  const out = { mIoU: count ? (m / count) * 100 : NaN, mBIoU: bCount ? (mb / bCount) * 100 : NaN, Acc: (acc / drawn) * 100, FMeasure: (F / drawn) * 100 } as Record<BootstrapMetric, number>;
  (['S', 'MS', 'ML', 'L'] as const).forEach((name, g) => {
    const h = s.groups[g];
    let sum = 0, cnt = 0, bsum = 0, bcnt = 0;
    for (let k = 0; k < K; k++) {
      if (h[k * 6 + 1] > 0) { sum += iou(h, k, false); cnt++; }
      if (h[k * 6 + 4] > 0) { bsum += iou(h, k, true); bcnt++; }
    }
    out[name] = cnt ? (sum / cnt) * 100 : NaN;
    out[`B${name}` as BootstrapMetric] = bcnt ? (bsum / bcnt) * 100 : NaN;
  });
  return out;
}

export function bootstrap(contribs: ImageContribution[], classes: number, opts: { seed: string; B?: number }): BootstrapResult {
  const B = opts.B ?? 1000;
  const samples = Object.fromEntries(BOOTSTRAP_METRICS.map((m) => [m, new Float64Array(B)])) as Record<BootstrapMetric, Float64Array>;
  const scratch = new ResampleScratch(classes + 1);
  const ref = referenceOf(contribs, classes);
  const w = new Int32Array(contribs.length);
  for (let b = 0; b < B; b++) {
    const m = resampleMetrics(contribs, classes, resampleWeights(opts.seed, b, contribs.length, w), scratch, ref);
    for (const k of BOOTSTRAP_METRICS) samples[k][b] = m[k];
  }
  const ci = Object.fromEntries(BOOTSTRAP_METRICS.map((m) => [m, percentileInterval(samples[m])])) as BootstrapResult['ci'];
  return { B, seed: opts.seed, samples, ci };
}

/** The 2.5th and 97.5th percentiles (nearest rank) of the finite values; null when there are none. */
export function percentileInterval(values: Float64Array, level = 0.95): [number, number] | null {
  const v = Array.from(values).filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const at = (q: number) => v[Math.min(v.length - 1, Math.max(0, Math.ceil(q * v.length) - 1))];
  return [at((1 - level) / 2), at(1 - (1 - level) / 2)];
}
