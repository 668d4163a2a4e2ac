/**
 * The metric formulas (§6 of the metrics contract), written once. The official reduction calls them
 * with float32 rounding after every operation, in the official order (`OFFICIAL`), on its float32
 * sums; the bootstrap calls the same functions on each resample's double sums without rounding
 * (`DOUBLE`): a resample differs from the official rule only in the arithmetic, and the class set
 * of every mean is decided by the same lines (mIoU and b-mIoU over all C + 1 classes, a class with
 * no GT scoring 0; a size group's mean over the classes with GT pixels in that group).
 */
import type { ScalarMetrics } from './metrics.ts';

/** The arithmetic: applied to the result of every operation. */
export type Rounding = (x: number) => number;
export const OFFICIAL: Rounding = Math.fround;
export const DOUBLE: Rounding = (x) => x;

/**
 * Sums of one set of images, interleaved: set s (0 = whole images, 1 + g = size group g), class k
 * at (s·K + k)·6, six values: pred, gt, inter, bPred, bGt, bInter (pixels).
 */
export type Sums = Float64Array;
export const SUM_WIDTH = 6;
export const SETS = 5;

/** IoU of one class from its sums at o (boundary: the boundary sums), a fraction. */
export function classRatio(s: Sums, o: number, boundary: boolean, round: Rounding): number {
  const a = boundary ? 3 : 0;
  const pred = s[o + a], gt = s[o + a + 1], inter = s[o + a + 2];
  return round(inter / round(round(round(pred + gt) - inter) + round(1e-10)));
}

/** Per class of set 0, percent: the official IoUs / BIoUs arrays. */
export function classIoUs(s: Sums, K: number, boundary: boolean, round: Rounding): number[] {
  return Array.from({ length: K }, (_, k) => round(classRatio(s, k * SUM_WIDTH, boundary, round) * 100));
}

/** float32 mean as the official reduction takes it (§8); plain mean in double. */
function mean(sum: number, count: number, round: Rounding): number {
  return round(sum / count);
}

/**
 * Every scalar metric from a set's sums and the image-level totals (F: Σ per-image F-measure,
 * hits: Σ Img-Acc hits, N: images, all weighted alike in a resample).
 */
export function scalarMetrics(s: Sums, K: number, F: number, hits: number, N: number, round: Rounding): ScalarMetrics {
  let iou = 0, biou = 0;
  for (let k = 0; k < K; k++) {
    iou += round(classRatio(s, k * SUM_WIDTH, false, round) * 100);
    biou += round(classRatio(s, k * SUM_WIDTH, true, round) * 100);
  }
  const group = (g: number, boundary: boolean): number | null => {
    let sum = 0, count = 0;
    for (let k = 0; k < K; k++) {
      const o = ((1 + g) * K + k) * SUM_WIDTH;
      if (s[o + (boundary ? 4 : 1)] > 0) { sum += classRatio(s, o, boundary, round); count++; }
    }
    return count === 0 ? null : mean(sum, count, round) * 100;
  };
  // every row of the metric table; the type asks for a new row's value here
  return {
    Acc: round(hits / round(N)) * 100,
    mIoU: mean(iou, K, round),
    mBIoU: mean(biou, K, round),
    S: group(0, false), MS: group(1, false), ML: group(2, false), L: group(3, false),
    BS: group(0, true), BMS: group(1, true), BML: group(2, true), BL: group(3, true),
    FMeasure: round(F / round(N)) * 100,
  };
}
