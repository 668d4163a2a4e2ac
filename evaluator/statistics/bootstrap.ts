/**
 * How sure is a score: bootstrap resamples of the test images for every official metric, from which
 * intervals (intervals.ts), paired comparisons and a board's rank intervals are drawn.
 *
 * The sampling model. ImageNet-S fixes how many images of each class a split holds (its class
 * folders: 3 to 30 images a class on S-919 validation), so a resample draws within each class
 * folder as many images as it holds, less one, each weighted n_h/(n_h − 1) (stratified, rescaled:
 * Rao and Wu 1988; `Design`). Every official statistic is a sum of per-image contributions
 * (accumulator.ts, ImageContribution), so a resample re-sums them with its weights and evaluates the
 * official formulas (metrics/formulas.ts) on those sums, in double precision:
 *   - the class-set rule is the official one, in every resample as on the full set: mIoU and
 *     b-mIoU average over all C + 1 classes (a class without GT pixels scores 0), a size group over
 *     the classes with GT pixels in that group. Drawing within class folders keeps each folder's
 *     class in every resample (drawing from the whole set lost small classes, which then scored 0);
 *   - Img-Acc and F-measure: the weighted mean of the per-image decisions and values.
 * Which sampling and which interval: chosen by simulation on populations whose metrics are known
 * (`npm run bench -- --sections intervals`; README "How far to trust an interval").
 *
 * The draws: a counter-based generator keyed by the full 256-bit names-list hash (random.ts), so
 * every submission to a benchmark sees the same resamples, resample b is the same whatever thread
 * computes it, and two submissions can be compared resample by resample.
 *
 * Speed: the contributions are packed into flat typed arrays (`packContributions`), one pass per
 * resample visits only the drawn images, and resamples split across the evaluation's worker threads
 * (`bootstrapParallel`); see `npm run bench -- bootstrap`.
 */
import { namesHash } from '../input/names.ts';
import { METRIC_KEYS, type MetricKey } from '../metrics/metrics.ts';
import { DOUBLE, scalarMetrics } from '../metrics/formulas.ts';
import type { ImageContribution } from '../metrics/accumulator.ts';
import { Stream, streamKey } from './random.ts';
import { bcInterval, spreadFactor, studentizedInterval } from './intervals.ts';

/**
 * The metrics whose interval is studentized: those over a fixed class set (all C + 1 classes) or
 * over images. A size group's mean runs over the classes with GT in that group, a set that moves
 * between resamples, so its linearised standard error does not describe it: BC intervals there.
 */
const STUDENTIZED = new Set<MetricKey>(['mIoU', 'mBIoU', 'Acc', 'FMeasure']);

/** Every metric of the table is resampled, in its order (the order resamples are stored in). */
export const BOOTSTRAP_METRICS = METRIC_KEYS;
export type BootstrapMetric = MetricKey;
const M = BOOTSTRAP_METRICS.length;

/** The number of resamples of every interval the project reports. */
export const BOOTSTRAP_B = 1000;

export interface BootstrapResult {
  /** Resamples drawn. */
  B: number;
  seed: string;
  /** Per metric, the B resampled values (percent; NaN where a size group is empty in a resample). */
  samples: Record<BootstrapMetric, Float64Array>;
  /** Per metric, the 95 % studentized interval (intervals.ts `studentizedInterval`); null where no resample has a value. */
  ci: Record<BootstrapMetric, [number, number] | null>;
  /**
   * Per metric, how much wider the studentized interval is than the resamples' own 95 % range
   * (intervals.ts `spreadFactor`): paired comparisons and rank intervals, which can only use the
   * resamples, widen by it.
   */
  spread: Record<BootstrapMetric, number | null>;
}

/**
 * Each image's stratum: its class folder in the names list ("n01443537/ILSVRC…" → n01443537), numbered
 * in order of first appearance; names without a folder share one stratum.
 */
export function strataOf(masks: string[]): Int32Array {
  const ids = new Map<string, number>();
  return Int32Array.from(masks, (m) => {
    const folder = m.slice(0, Math.max(0, m.lastIndexOf('/')));
    let id = ids.get(folder);
    if (id === undefined) ids.set(folder, (id = ids.size));
    return id;
  });
}

/**
 * The seed of a names list's resamples: the list's SHA-256, in order (all 256 bits key the draws). The names list identifies
 * the ground truth a benchmark scores against, so the CLI and the server (and all protocols of one
 * split and phase) draw the same resamples for the same list.
 */
export function bootstrapSeed(masks: string[], design: Design = DESIGN): string {
  return seedFor(design, namesHash(masks));
}

/**
 * A seed names its design and its 256 bits ("rescaled:9f2c…"): two sets of resamples are comparable
 * exactly when their seeds are equal (stored resamples of an older scheme never are).
 */
export function seedFor(design: Design, hex: string): string {
  return `${design}:${hex}`;
}

export function parseSeed(seed: string): { design: Design; hex: string } {
  const m = /^(iid|stratified|rescaled):([0-9a-f]{64})$/.exec(seed);
  if (!m) throw new Error(`resample seed "${seed}": expected <design>:<64 hex digits>`);
  return { design: m[1] as Design, hex: m[2] };
}

/**
 * How resamples draw images. Images are grouped in strata (the class folders of the names list:
 * ImageNet-S fixes how many images of each class a split holds), and a resample draws from each
 * stratum as many images as it has, with replacement (`stratified`). `rescaled` draws one fewer
 * and weights each draw n_h/(n_h − 1) (Rao and Wu 1988), which makes the resampled variance of a
 * stratum's mean unbiased where plain draws shrink it by (n_h − 1)/n_h: 10 % at 10 images a class.
 * `iid` ignores the strata (one stratum of all images).
 */
export type Design = 'iid' | 'stratified' | 'rescaled';
export const DESIGN: Design = 'rescaled';

/** The images of each stratum, and how a resample draws from them. */
export interface ResamplePlan {
  n: number;
  /** Image indices grouped by stratum: stratum h is members[offsets[h] .. offsets[h + 1]). */
  members: Int32Array;
  offsets: Int32Array;
  design: Design;
}

export function resamplePlan(stratum: ArrayLike<number>, design: Design): ResamplePlan {
  const n = stratum.length;
  if (design === 'iid' || n === 0) return { n, members: Int32Array.from({ length: n }, (_, i) => i), offsets: Int32Array.of(0, n), design };
  let S = 0;
  for (let i = 0; i < n; i++) S = Math.max(S, stratum[i] + 1);
  const offsets = new Int32Array(S + 1);
  for (let i = 0; i < n; i++) offsets[stratum[i] + 1]++;
  for (let h = 0; h < S; h++) offsets[h + 1] += offsets[h];
  const members = new Int32Array(n), at = offsets.slice(0, S);
  for (let i = 0; i < n; i++) members[at[stratum[i]]++] = i;
  return { n, members, offsets, design };
}

/** Resample b's weights: how often each of the n images is drawn (rescaled: times n_h/(n_h − 1)). */
export function resampleWeights(seed: string, b: number, plan: ResamplePlan, into?: Float64Array): Float64Array {
  const out = into ?? new Float64Array(plan.n);
  out.fill(0);
  const r = new Stream(streamKey(parseSeed(seed).hex), b), { members, offsets } = plan;
  for (let h = 0; h + 1 < offsets.length; h++) {
    const from = offsets[h], size = offsets[h + 1] - from;
    if (plan.design === 'rescaled' && size === 1) { out[members[from]] = 1; continue; }
    const draws = plan.design === 'rescaled' ? size - 1 : size, w = size / draws;
    for (let t = 0; t < draws; t++) out[members[from + r.below(size)]] += w;
  }
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
  /** Each image's stratum (class folder, `strataOf`); resamples draw within strata. */
  stratum: Int32Array;
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


export function packContributions(contribs: ImageContribution[], classes: number, stratum?: ArrayLike<number>): ContributionTable {
  if (stratum && stratum.length !== contribs.length) throw new Error(`packContributions: ${stratum.length} strata for ${contribs.length} images`);
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
  return { n, K, full: full.build(), fp: fp.build(), fp1: fp1.build(), fmeasure, hit, refGt, refBGt, stratum: Int32Array.from(stratum ?? new Int32Array(n)) };
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
export function selectRows(t: ContributionTable, rows: ArrayLike<number>, stratum?: ArrayLike<number>): ContributionTable {
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
    stratum: stratum ? Int32Array.from(stratum) : Int32Array.from(rows, (i) => t.stratum[i]),
  };
}

const EPS10 = 1e-10;

/** Dense sums of one resample, reused across resamples. */
class Scratch {
  /** Six sums per slot (the table's slots: K whole-image, 4·K size-group, 4·K both). */
  readonly sums: Float64Array;
  /** The whole image's and the size groups' sums, combined from the slots above. */
  readonly combined: Float64Array;
  readonly w: Float64Array;
  F = 0; acc = 0; drawn = 0;
  constructor(K: number, n: number) {
    this.sums = new Float64Array(9 * 6 * K);
    this.combined = new Float64Array(5 * 6 * K);
    this.w = new Float64Array(n);
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
  const x = s.sums, all = s.combined;
  all.set(x.subarray(0, 5 * 6 * K));
  for (let g = 0; g < 4; g++) {
    const both = (5 + g) * 6 * K, own = (1 + g) * 6 * K;
    for (let v = 0; v < 6 * K; v++) { const add = x[both + v]; if (add !== 0) { all[v] += add; all[own + v] += add; } }
  }
  const m = scalarMetrics(all, K, s.F, s.acc, s.drawn, DOUBLE);
  for (let i = 0; i < M; i++) out[at + i * stride] = m[BOOTSTRAP_METRICS[i]] ?? NaN;
}

const IDX = (k: MetricKey): number => BOOTSTRAP_METRICS.indexOf(k);
const I_MIOU = IDX('mIoU'), I_MBIOU = IDX('mBIoU'), I_ACC = IDX('Acc'), I_F = IDX('FMeasure');
const I_SIZE = (['S', 'MS', 'ML', 'L'] as const).map(IDX), I_BSIZE = (['BS', 'BMS', 'BML', 'BL'] as const).map(IDX);

/** Per-resample scratch of the standard errors: linearisation coefficients and per-stratum sums. */
class SeScratch {
  /** Per class: IoU coefficients of a pixel of intersection (cI) and of union (cU), whole images then the four size groups; boundary alike. */
  readonly cI: Float64Array; readonly cU: Float64Array; readonly bI: Float64Array; readonly bU: Float64Array;
  readonly z = new Float64Array(M);
  readonly W: Float64Array; readonly Z: Float64Array; readonly ZZ: Float64Array;
  constructor(K: number, readonly strata: number) {
    this.cI = new Float64Array(5 * K); this.cU = new Float64Array(5 * K); this.bI = new Float64Array(5 * K); this.bU = new Float64Array(5 * K);
    this.W = new Float64Array(strata); this.Z = new Float64Array(strata * M); this.ZZ = new Float64Array(strata * M);
  }
}

/**
 * Every metric's standard error at one resample, by linearisation (the delta method): each metric is
 * a smooth function of weighted sums, so image i moves it by z_i per unit of weight (a class's IoU
 * I/U by (I_i − IoU·U_i)/U, a mean of per-image values by (x_i − mean)/N), and its variance is
 * Σ_h W_h/(W_h − 1) Σ_{i∈h} w_i (z_i − z̄_h)² over the strata (class folders). The resamples'
 * studentized values (θ* − θ̂)/se* give the intervals (intervals.ts `studentizedInterval`). Reads
 * the sums metricsInto combined (s.combined); writes out[at + m·stride].
 */
function standardErrorsInto(t: ContributionTable, s: Scratch, e: SeScratch, metrics: Float64Array, mAt: number, mStride: number, out: Float64Array, at: number, stride: number): void {
  const { K, n } = t, x = s.combined, w = s.w;
  const { cI, cU, bI, bU, z, W, Z, ZZ } = e;
  cI.fill(0); cU.fill(0); bI.fill(0); bU.fill(0);
  // coefficients: whole images over all K classes; a size group over its classes with GT there
  for (let set = 0; set < 5; set++) {
    let count = 0, bCount = 0;
    if (set > 0) for (let k = 0; k < K; k++) { const o = (set * K + k) * 6; if (x[o + 1] > 0) count++; if (x[o + 4] > 0) bCount++; }
    for (let k = 0; k < K; k++) {
      const o = (set * K + k) * 6, c = set * K + k;
      const u = x[o] + x[o + 1] - x[o + 2], bu = x[o + 3] + x[o + 4] - x[o + 5];
      const per = set === 0 ? K : x[o + 1] > 0 ? count : 0, bPer = set === 0 ? K : x[o + 4] > 0 ? bCount : 0;
      if (per && u > 0) { cI[c] = 100 / (per * u); cU[c] = (100 * x[o + 2]) / (per * u * u); }
      if (bPer && bu > 0) { bI[c] = 100 / (bPer * bu); bU[c] = (100 * x[o + 5]) / (bPer * bu * bu); }
    }
  }
  const drawn = s.drawn, acc = s.acc / drawn, fm = s.F / drawn;
  W.fill(0); Z.fill(0); ZZ.fill(0);
  const fs = t.full.start, fslot = t.full.slot, fval = t.full.val;
  const ps = t.fp.start, pslot = t.fp.slot, pval = t.fp.val;
  const us = t.fp1.start, uslot = t.fp1.slot, uval = t.fp1.val;
  // one entry's pixels into z: its whole-image class and/or its size group's
  const add = (slot: number, p: number, g: number, i: number, bp: number, bg: number, bi: number): void => {
    const kind = (slot / K) | 0, k = slot - kind * K;
    if (kind === 0 || kind >= 5) { z[I_MIOU] += cI[k] * i - cU[k] * (p + g - i); z[I_MBIOU] += bI[k] * bi - bU[k] * (bp + bg - bi); }
    if (kind > 0) {
      const grp = kind >= 5 ? kind - 5 : kind - 1, c = (1 + grp) * K + k;
      z[I_SIZE[grp]] += cI[c] * i - cU[c] * (p + g - i); z[I_BSIZE[grp]] += bI[c] * bi - bU[c] * (bp + bg - bi);
    }
  };
  for (let im = 0; im < n; im++) {
    const wi = w[im];
    if (wi === 0) continue;
    z.fill(0);
    for (let j = fs[im], end = fs[im + 1]; j < end; j++) { const v = j * 6; add(fslot[j], fval[v], fval[v + 1], fval[v + 2], fval[v + 3], fval[v + 4], fval[v + 5]); }
    for (let j = ps[im], end = ps[im + 1]; j < end; j++) add(pslot[j], pval[j * 2], 0, 0, pval[j * 2 + 1], 0, 0);
    for (let j = us[im], end = us[im + 1]; j < end; j++) add(uslot[j], uval[j], 0, 0, uval[j], 0, 0);
    z[I_ACC] = (100 * (t.hit[im] - acc)) / drawn;
    z[I_F] = (100 * (t.fmeasure[im] - fm)) / drawn;
    const h = t.stratum[im], o = h * M;
    W[h] += wi;
    for (let m = 0; m < M; m++) { Z[o + m] += wi * z[m]; ZZ[o + m] += wi * z[m] * z[m]; }
  }
  for (let m = 0; m < M; m++) {
    let v = 0;
    for (let h = 0; h < e.strata; h++) if (W[h] > 1) v += (W[h] / (W[h] - 1)) * Math.max(0, ZZ[h * M + m] - (Z[h * M + m] * Z[h * M + m]) / W[h]);
    out[at + m * stride] = Number.isFinite(metrics[mAt + m * mStride]) ? Math.sqrt(v) : NaN;
  }
}

function strataCount(t: ContributionTable): number {
  let S = 1;
  for (let i = 0; i < t.n; i++) if (t.stratum[i] + 1 > S) S = t.stratum[i] + 1;
  return S;
}

/** Every metric of the test set that draws image i `weights[i]` times (percent; NaN: empty size group). */
export function resampleMetrics(t: ContributionTable, weights: ArrayLike<number>): Record<BootstrapMetric, number> {
  return unpackOne(resampleWithErrors(t, weights).values);
}

/** The same and every metric's standard error at those weights (linearisation, `standardErrorsInto`). */
export function resampleWithErrors(t: ContributionTable, weights: ArrayLike<number>): { values: Float64Array; se: Float64Array } {
  const values = new Float64Array(M), se = new Float64Array(M), s = new Scratch(t.K, t.n);
  s.w.set(weights);
  sumResample(t, s);
  metricsInto(t, s, values, 0, 1);
  standardErrorsInto(t, s, new SeScratch(t.K, strataCount(t)), values, 0, 1, se, 0, 1);
  return { values, se };
}

function unpackOne(v: Float64Array): Record<BootstrapMetric, number> {
  return Object.fromEntries(BOOTSTRAP_METRICS.map((k, i) => [k, v[i]])) as Record<BootstrapMetric, number>;
}

/** A range of resamples [from, to): the unit of work of one worker thread. */
export interface ResampleJob { resample: true; table: ContributionTable; seed: string; from: number; to: number }

/**
 * Resamples [from, to), metric-major: value of metric m in resample from + j at m·(to − from) + j,
 * then its standard error at M·(to − from) + m·(to − from) + j.
 */
export function resampleRange(job: Omit<ResampleJob, 'resample'>): Float64Array {
  const { table: t, seed, from, to } = job;
  const count = to - from, out = new Float64Array(2 * M * count), s = new Scratch(t.K, t.n), plan = resamplePlan(t.stratum, parseSeed(seed).design);
  const e = new SeScratch(t.K, strataCount(t));
  for (let b = from; b < to; b++) {
    resampleWeights(seed, b, plan, s.w);
    sumResample(t, s);
    metricsInto(t, s, out, b - from, count);
    standardErrorsInto(t, s, e, out, b - from, count, out, M * count + b - from, count);
  }
  return out;
}

/** The estimates intervals are drawn around: the official values where given, else the set's own (double) values. */
export type Estimates = Partial<Record<BootstrapMetric, number | null>>;

function resultOf(t: ContributionTable, seed: string, B: number, estimate: Estimates | undefined, parts: { from: number; to: number; values: Float64Array }[]): BootstrapResult {
  const samples = Object.fromEntries(BOOTSTRAP_METRICS.map((m) => [m, new Float64Array(B)])) as Record<BootstrapMetric, Float64Array>;
  const errors = Object.fromEntries(BOOTSTRAP_METRICS.map((m) => [m, new Float64Array(B)])) as Record<BootstrapMetric, Float64Array>;
  for (const { from, to, values } of parts) {
    const count = to - from;
    BOOTSTRAP_METRICS.forEach((m, i) => {
      samples[m].set(values.subarray(i * count, (i + 1) * count), from);
      errors[m].set(values.subarray((M + i) * count, (M + i + 1) * count), from);
    });
  }
  const own = resampleWithErrors(t, new Float64Array(t.n).fill(1));
  const ci = Object.fromEntries(BOOTSTRAP_METRICS.map((m, i) => {
    const e = estimate ? estimate[m] : own.values[i];
    if (e === null || e === undefined || !Number.isFinite(e)) return [m, null];
    return [m, STUDENTIZED.has(m) ? studentizedInterval(e, own.values[i], own.se[i], samples[m], errors[m]) : bcInterval(e, samples[m])];
  })) as BootstrapResult['ci'];
  const spread = Object.fromEntries(BOOTSTRAP_METRICS.map((m) => [m, ci[m] && STUDENTIZED.has(m) ? spreadFactor(ci[m], samples[m]) : null])) as BootstrapResult['spread'];
  return { B, seed, samples, ci, spread };
}
/** B resamples in the calling thread. */
export function bootstrap(t: ContributionTable, opts: { seed: string; B?: number; estimate?: Estimates }): BootstrapResult {
  const B = opts.B ?? BOOTSTRAP_B;
  return resultOf(t, opts.seed, B, opts.estimate, [{ from: 0, to: B, values: resampleRange({ table: t, seed: opts.seed, from: 0, to: B }) }]);
}

/** Something that runs resample ranges on other threads (the evaluation's PairPool). */
export interface ResampleRunner { size: number; resample(job: ResampleJob): Promise<Float64Array> }

/** B resamples split across a pool's threads; identical to `bootstrap` (each resample is seeded by its index). */
export async function bootstrapParallel(t: ContributionTable, opts: { seed: string; B?: number; estimate?: Estimates; pool: ResampleRunner }): Promise<BootstrapResult> {
  const B = opts.B ?? BOOTSTRAP_B, parts = Math.max(1, Math.min(opts.pool.size, B));
  const ranges = Array.from({ length: parts }, (_, p) => ({ from: Math.floor((p * B) / parts), to: Math.floor(((p + 1) * B) / parts) }));
  const values = await Promise.all(ranges.map((r) => opts.pool.resample({ resample: true, table: t, seed: opts.seed, ...r })));
  return resultOf(t, opts.seed, B, opts.estimate, ranges.map((r, i) => ({ ...r, values: values[i] })));
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
