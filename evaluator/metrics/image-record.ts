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
import { interiorIntervals, IntervalScratch } from './boundary-runs.ts';
import { RunBuilder, type RunMap } from './runs.ts';
import type { IdMap } from '../input/png.ts';

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
  /**
   * The same facts over every pixel, ignore included: what a phase with private GT may report,
   * since they depend on the prediction alone. Distinct ids ≤ C, pixels with ids > C, a few such ids.
   */
  anywhere: PredictionIds;
}

export interface PredictionIds { ids: Int32Array; oorPixels: number; oorIds: number[] }

/** Distinct ids (≤ C) of a whole prediction, its pixels with ids > C and up to 16 of those ids. */
export function predictionIds(pred: IdMap | RunMap, classes: number): PredictionIds {
  const seen = new Uint8Array(classes + 1);
  const ids: number[] = [];
  const oorIds: number[] = [];
  let oorPixels = 0;
  const note = (p: number, n: number): void => {
    if (p > classes) {
      oorPixels += n;
      if (oorIds.length < MAX_REPORTED_IDS && !oorIds.includes(p)) oorIds.push(p);
    } else if (!seen[p]) { seen[p] = 1; ids.push(p); }
  };
  if ('ids' in pred) for (let i = 0; i < pred.ids.length; i++) note(pred.ids[i], 1);
  else {
    for (let y = 0; y < pred.height; y++) {
      const end = pred.rowEnd[y];
      for (let k = pred.rowFirst[y]; k < end; k++) note(pred.value[k], (k + 1 < end ? pred.start[k + 1] : pred.width) - pred.start[k]);
    }
  }
  return { ids: Int32Array.from(ids.sort((a, b) => a - b)), oorPixels, oorIds };
}

/** Buffers of the per-pixel reference path: one image's arrays plus id look-up tables. */
export class RecordScratch {
  readonly gtLut = new Int32Array(65536).fill(-1);
  readonly predLut = new Int32Array(65536).fill(-1);
  bg = new Uint8Array(0);
  bp = new Uint8Array(0);
  cnt = new Int32Array(0);
  table = new Int32Array(0);
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
    anywhere: predictionIds(pred, classes),
  };
}

/** Buffers of the run-based path, one set per worker. */
export class RunRecordScratch {
  readonly gtLut = new Int32Array(65536).fill(-1);
  readonly predLut = new Int32Array(65536).fill(-1);
  readonly gtIntervals = new IntervalScratch();
  readonly predIntervals = new IntervalScratch();
  readonly gtRuns = new RunBuilder();
  readonly predRuns = new RunBuilder();
  table = new Float64Array(0);
}

/**
 * The same record as buildImageRecord, computed on runs: per row, a sweep over the breakpoints of
 * the GT runs, the prediction runs and both interior-interval lists. Equality with the per-pixel
 * version is asserted by the tests.
 */
export function buildImageRecordFromRuns(gt: RunMap, pred: RunMap, classes: number, scratch = new RunRecordScratch()): ImageRecord {
  const { width, height } = gt;
  const n = dilationWidth(height, width);
  const gi = interiorIntervals(gt, n, scratch.gtIntervals);
  const pi = interiorIntervals(pred, n, scratch.predIntervals);
  const gl = scratch.gtLut, pl = scratch.predLut;
  const oorBucket = classes + 1;

  // Ids from the runs (cheap: few runs). Ids that only occur under ignore get a slot but no count,
  // and are dropped when the table is compacted.
  const gtIds: number[] = [], predIds: number[] = [], rawPred: number[] = [];
  let oorLocal = -1;
  for (let y = 0; y < height; y++) {
    for (let k = gt.rowFirst[y]; k < gt.rowEnd[y]; k++) {
      const g = gt.value[k];
      if (g !== IGNORE_ID && gl[g] < 0) { gl[g] = gtIds.length; gtIds.push(g); }
    }
    for (let k = pred.rowFirst[y]; k < pred.rowEnd[y]; k++) {
      const p = pred.value[k];
      if (pl[p] >= 0) continue;
      rawPred.push(p);
      if (p > classes) {
        if (oorLocal < 0) { oorLocal = predIds.length; predIds.push(oorBucket); }
        pl[p] = oorLocal;
      } else { pl[p] = predIds.length; predIds.push(p); }
    }
  }
  const nP = predIds.length, nG = gtIds.length, plane = nP * nG, size = 4 * plane;
  if (scratch.table.length < size) scratch.table = new Float64Array(size);
  const table = scratch.table;
  table.fill(0, 0, size);
  for (const p of rawPred) pl[p] *= nG;

  let pixels = 0, oorPixels = 0;
  const oorIds: number[] = [];
  const GS = gt.start, GV = gt.value, PS = pred.start, PV = pred.value;
  const GX0 = gi.x0, GX1 = gi.x1, PX0 = pi.x0, PX1 = pi.x1;
  for (let y = 0; y < height; y++) {
    let gk = gt.rowFirst[y]; const gEnd = gt.rowEnd[y];
    let pk = pred.rowFirst[y]; const pEnd = pred.rowEnd[y];
    let gq = gi.first[y]; const gqEnd = gi.end[y];
    let pq = pi.first[y]; const pqEnd = pi.end[y];
    let x = 0;
    while (x < width) {
      // current GT run, prediction run, and whether x is interior in either map
      const gNext = gk + 1 < gEnd ? GS[gk + 1] : width;
      const pNext = pk + 1 < pEnd ? PS[pk + 1] : width;
      let e = gNext < pNext ? gNext : pNext; // exclusive end of the current piece
      let gIn = false, pIn = false;
      if (gq < gqEnd) {
        if (GX0[gq] <= x) { gIn = true; if (GX1[gq] + 1 < e) e = GX1[gq] + 1; }
        else if (GX0[gq] < e) e = GX0[gq];
      }
      if (pq < pqEnd) {
        if (PX0[pq] <= x) { pIn = true; if (PX1[pq] + 1 < e) e = PX1[pq] + 1; }
        else if (PX0[pq] < e) e = PX0[pq];
      }
      const g = GV[gk];
      if (g !== IGNORE_ID) {
        const p = PV[pk];
        const len = e - x;
        const gb = gIn || g === 65535 ? 0 : 1;
        const pb = pIn || p === 65535 ? 0 : 1;
        table[((pb << 1) | gb) * plane + pl[p] + gl[g]] += len;
        pixels += len;
        if (p > classes) {
          oorPixels += len;
          if (oorIds.length < MAX_REPORTED_IDS && !oorIds.includes(p)) oorIds.push(p);
        }
      }
      x = e;
      if (x >= gNext) gk++;
      if (x >= pNext) pk++;
      if (gq < gqEnd && x > GX1[gq]) gq++;
      if (pq < pqEnd && x > PX1[pq]) pq++;
    }
  }

  for (const g of gtIds) gl[g] = -1;
  for (const p of rawPred) pl[p] = -1;
  return { ...compactRecord(width, height, pixels, predIds, gtIds, table, oorPixels, oorIds, pred.blueNonZero), anywhere: predictionIds(pred, classes) };
}

/** Sparse record from a dense 4 × nP × nG table, dropping ids without any non-ignored pixel. */
function compactRecord(
  width: number, height: number, pixels: number, predIds: number[], gtIds: number[],
  table: ArrayLike<number>, oorPixels: number, oorIds: number[], blueNonZero: number,
): Omit<ImageRecord, 'anywhere'> {
  const nP = predIds.length, nG = gtIds.length, plane = nP * nG;
  const usedP = new Int32Array(nP).fill(-1), usedG = new Int32Array(nG).fill(-1);
  let nz = 0;
  for (let k = 0; k < 4 * plane; k++) {
    if (table[k] === 0) continue;
    nz++;
    const rest = k % plane;
    usedP[(rest / nG) | 0] = 1;
    usedG[rest % nG] = 1;
  }
  const keepP: number[] = [], keepG: number[] = [];
  for (let i = 0; i < nP; i++) if (usedP[i] > 0) { usedP[i] = keepP.length; keepP.push(predIds[i]); }
  for (let i = 0; i < nG; i++) if (usedG[i] > 0) { usedG[i] = keepG.length; keepG.push(gtIds[i]); }
  const nG2 = keepG.length, plane2 = keepP.length * nG2;
  const keys = new Int32Array(nz), counts = new Int32Array(nz);
  let j = 0;
  for (let k = 0; k < 4 * plane; k++) {
    if (table[k] === 0) continue;
    const flag = (k / plane) | 0, rest = k % plane;
    const lp = (rest / nG) | 0, lg = rest % nG;
    keys[j] = flag * plane2 + usedP[lp] * nG2 + usedG[lg];
    counts[j++] = table[k];
  }
  // keys must be increasing for a stable record layout
  const order = Array.from(keys.keys()).sort((a, b) => keys[a] - keys[b]);
  return {
    width, height, pixels,
    predIds: Int32Array.from(keepP), gtIds: Int32Array.from(keepG),
    keys: Int32Array.from(order, (i) => keys[i]), counts: Int32Array.from(order, (i) => counts[i]),
    oorPixels, oorIds, blueNonZero,
  };
}
