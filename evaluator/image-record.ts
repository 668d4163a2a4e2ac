/**
 * Per-image work (the parallel phase): from a decoded GT and prediction, build a small joint table
 *
 *     count[(pred id, GT id, pred-boundary?, GT-boundary?)]  over non-ignored pixels
 *
 * Every official statistic of the image (§4: histograms, boundary histograms, size groups,
 * F-measure, Img-Acc) is a sum over this table *after* mapping pred ids through a match (§2.3),
 * so one data pass serves both `--match auto` (co-occurrence → Hungarian) and the evaluation under
 * the resulting match, and re-scoring under another match needs no decoding.
 *
 * Predicted ids > C are collapsed into one bucket (id C + 1): without a match they all behave
 * alike (§3), and with a match any of them is an error (no key may exceed C). The raw ids are kept
 * (a few) for the report.
 */
import { boundaryFlags, dilationWidth } from './boundary.ts';
import type { IdMap } from './png.ts';

export const IGNORE_ID = 1000;
const MAX_REPORTED_IDS = 16;

export interface ImageRecord {
  width: number;
  height: number;
  /** Non-ignored pixel count (M in §4.1). */
  pixels: number;
  /** Distinct prediction ids on non-ignored pixels; ids > C collapsed to C + 1. */
  predIds: Int32Array;
  /** Distinct GT ids on non-ignored pixels (raw; 1000 excluded). */
  gtIds: Int32Array;
  /** Non-zero table cells: key = ((flag · nP) + lp) · nG + lg with flag = 2·predBoundary + gtBoundary. */
  keys: Int32Array;
  counts: Int32Array;
  /** Non-ignored pixels whose predicted id exceeds C, and up to 16 such ids. */
  oorPixels: number;
  oorIds: number[];
  /** Pixels (anywhere in the prediction) whose blue channel is non-zero. */
  blueNonZero: number;
}

/** Reusable buffers of one worker: one image's arrays plus id look-up tables. */
export class RecordScratch {
  readonly gtLut = new Int32Array(65536).fill(-1);
  readonly predLut = new Int32Array(65536).fill(-1);
  bg = new Uint8Array(0);
  bp = new Uint8Array(0);
  cnt = new Int32Array(0);
  table = new Int32Array(0);
  /** Decode targets for the GT and prediction ids. */
  gtDecode = new Uint16Array(0);
  predDecode = new Uint16Array(0);

  ensureDecode(pixels: number): void {
    if (this.gtDecode.length < pixels) {
      this.gtDecode = new Uint16Array(pixels);
      this.predDecode = new Uint16Array(pixels);
    }
  }

  ensure(pixels: number, width: number): void {
    if (this.bg.length < pixels) {
      this.bg = new Uint8Array(pixels);
      this.bp = new Uint8Array(pixels);
    }
    if (this.cnt.length < width) this.cnt = new Int32Array(width);
  }
}

/** GT and prediction must have the same width and height (checked by the caller). */
export function buildImageRecord(gt: IdMap, pred: IdMap, classes: number, scratch = new RecordScratch()): ImageRecord {
  const { width, height } = gt;
  const len = width * height;
  scratch.ensure(len, width);
  const n = dilationWidth(height, width);
  const bg = boundaryFlags(gt.ids, width, height, n, scratch.bg, scratch.cnt);
  const bp = boundaryFlags(pred.ids, width, height, n, scratch.bp, scratch.cnt);
  const G = gt.ids, P = pred.ids;
  const gl = scratch.gtLut, pl = scratch.predLut;
  const oorBucket = classes + 1;

  // Pass 1: distinct ids on non-ignored pixels (runs make the checks cheap).
  const gtIds: number[] = [];
  const predIds: number[] = [];
  const rawPred: number[] = []; // raw ids whose LUT entry we set, to reset afterwards
  const oorIds: number[] = [];
  let oorPixels = 0;
  let oorLocal = -1;
  let pixels = 0;
  let lastG = -1, lastP = -1;
  for (let i = 0; i < len; i++) {
    const g = G[i];
    if (g === IGNORE_ID) continue;
    pixels++;
    const p = P[i];
    if (p > classes) oorPixels++;
    if (g === lastG && p === lastP) continue;
    lastG = g; lastP = p;
    if (gl[g] < 0) { gl[g] = gtIds.length; gtIds.push(g); }
    if (pl[p] < 0) {
      rawPred.push(p);
      if (p > classes) {
        if (oorIds.length < MAX_REPORTED_IDS) oorIds.push(p);
        if (oorLocal < 0) { oorLocal = predIds.length; predIds.push(oorBucket); }
        pl[p] = oorLocal;
      } else {
        pl[p] = predIds.length;
        predIds.push(p);
      }
    }
  }

  // Pass 2: the joint table, dense while counting (nP · nG is small), sparse when stored.
  const nP = predIds.length, nG = gtIds.length;
  const plane = nP * nG;
  const size = 4 * plane;
  if (scratch.table.length < size) scratch.table = new Int32Array(size);
  const table = scratch.table;
  table.fill(0, 0, size);
  for (const p of rawPred) pl[p] *= nG; // premultiply: pl[p] = lp · nG
  const o1 = plane, o2 = 2 * plane, o3 = 3 * plane;
  for (let i = 0; i < len; i++) {
    const g = G[i];
    if (g === IGNORE_ID) continue;
    const f = (bp[i] << 1) | bg[i];
    const base = f === 0 ? 0 : f === 1 ? o1 : f === 2 ? o2 : o3;
    table[base + pl[P[i]] + gl[g]]++;
  }

  let nz = 0;
  for (let k = 0; k < size; k++) if (table[k] !== 0) nz++;
  const keys = new Int32Array(nz), counts = new Int32Array(nz);
  for (let k = 0, j = 0; k < size; k++) if (table[k] !== 0) { keys[j] = k; counts[j++] = table[k]; }

  for (const g of gtIds) gl[g] = -1;
  for (const p of rawPred) pl[p] = -1;
  return {
    width, height, pixels,
    predIds: Int32Array.from(predIds),
    gtIds: Int32Array.from(gtIds),
    keys, counts, oorPixels, oorIds,
    blueNonZero: pred.blueNonZero,
  };
}
