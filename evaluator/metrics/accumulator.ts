/**
 * The reduction phase: folds per-image records into the official float32 accumulators (§4, §5)
 * and derives the metrics (§6).
 *
 * Order matters: the official code adds each image's histogram to float32 vectors in names-list
 * order, and past 2^24 pixels those additions round. `update()` must therefore be called in
 * names-list order; per-image work runs in parallel, this fold does not (it is sparse and cheap).
 * `merge()` is not offered for that reason: two float32 partial sums cannot be combined into the
 * sequential result. The exact integer sums are kept alongside (`exact`) for diagnostics.
 */
import { metricsOf, type ScalarMetrics } from './metrics.ts';
import { classIoUs, OFFICIAL, scalarMetrics, SETS, SUM_WIDTH, type Sums } from './formulas.ts';
import type { ImageRecord } from './image-record.ts';

const f32 = Math.fround;
const EPS20 = f32(1e-20);
const BETA = f32(0.3);
const ONE_PLUS_BETA = f32(1.3);

/** The object-size groups, smallest first: the metric table's size metrics, in its order. */
export const SIZE_GROUPS = metricsOf('size').map((m) => m.key);

/**
 * Six histograms of length K = C + 1: predicted pixels per class, GT pixels, their intersection,
 * and the same on boundary pixels. The official code (and its diagnostics) calls them T, P, TP,
 * BT, BP, BTP: OFFICIAL_HIST_NAMES maps ours to theirs.
 */
export class HistSet {
  readonly pred: Float64Array;
  readonly gt: Float64Array;
  readonly inter: Float64Array;
  readonly bPred: Float64Array;
  readonly bGt: Float64Array;
  readonly bInter: Float64Array;
  constructor(k: number) {
    this.pred = new Float64Array(k); this.gt = new Float64Array(k); this.inter = new Float64Array(k);
    this.bPred = new Float64Array(k); this.bGt = new Float64Array(k); this.bInter = new Float64Array(k);
  }
  arrays(): Float64Array[] { return [this.pred, this.gt, this.inter, this.bPred, this.bGt, this.bInter]; }
}

/** Our histogram names → the official code's (diagnostics.json keys). */
export const OFFICIAL_HIST_NAMES = { pred: 'T', gt: 'P', inter: 'TP', bPred: 'BT', bGt: 'BP', bInter: 'BTP' } as const;

/** How predicted ids map to evaluated ids: `lut[id]` for id in 0..C+1 (C+1 = the out-of-range bucket). */
export type MatchLut = Int32Array;

export function identityLut(classes: number): MatchLut {
  const lut = new Int32Array(classes + 2);
  for (let i = 0; i < lut.length; i++) lut[i] = i;
  return lut;
}

export interface PerImageResult {
  fmeasure: number;
  imgLabel: number;
  hit: boolean;
}

/**
 * One image's share of every statistic, sparse: the classes it touches and, per class, its six
 * histogram values (pred, gt, inter, bPred, bGt, bInter, in that order), for the whole image and
 * for each size group it feeds. Every official metric is a function of the sums of these over the
 * images: what the bootstrap (bootstrap.ts) resamples.
 */
export interface ImageContribution {
  classes: Int32Array;
  values: Float64Array;
  groups: ({ classes: Int32Array; values: Float64Array } | null)[];
  fmeasure: number;
  hit: boolean;
}

/** The metric table's scalars (metrics.ts) and the per-class arrays, class 0 = other. */
export type Metrics = ScalarMetrics & {
  IoUs: number[];
  BIoUs: number[];
};

export class OfficialAccumulator {
  readonly K: number;
  readonly all: HistSet;
  readonly groups: HistSet[];
  readonly exact: HistSet;
  F = 0;
  ACC = 0;
  images = 0;
  readonly perImage: PerImageResult[] = [];
  /** Filled when the accumulator is made with `{ contributions: true }`. */
  readonly contributions: ImageContribution[] = [];
  /**
   * With contributions: confused pixels, GT class → evaluated class (both in 0..C, different), key
   * gt·K + predicted. Error analysis reads the largest (confusionPairs).
   */
  readonly confusion = new Map<number, number>();

  // per-image scratch, sparse via the touched lists
  private readonly img: HistSet;
  private readonly imgGroups: HistSet[];
  private readonly gtCount: Float64Array;
  private readonly groupOf: Int8Array;

  constructor(readonly classes: number, private readonly opts: { contributions?: boolean } = {}) {
    const K = (this.K = classes + 1);
    this.all = new HistSet(K);
    this.exact = new HistSet(K);
    this.groups = SIZE_GROUPS.map(() => new HistSet(K));
    this.img = new HistSet(K);
    this.imgGroups = SIZE_GROUPS.map(() => new HistSet(K));
    this.gtCount = new Float64Array(65536);
    this.groupOf = new Int8Array(65536);
  }

  /** Adds one image; `lut` maps predicted ids (C+1 = out of range) to evaluated ids. */
  update(r: ImageRecord, lut: MatchLut): void {
    const C = this.classes;
    const nP = r.predIds.length, nG = r.gtIds.length, plane = nP * nG;
    const img = this.img;
    const touched = new Set<number>();

    // GT pixel counts per GT id → size group per class (§4.1), in float32.
    for (const g of r.gtIds) this.gtCount[g] = 0;
    for (let j = 0; j < r.keys.length; j++) {
      const lg = r.keys[j] % nG;
      this.gtCount[r.gtIds[lg]] += r.counts[j];
    }
    const M = f32(r.pixels);
    const used = [false, false, false, false];
    for (const g of r.gtIds) {
      if (g === 0) continue;
      const pct = Math.ceil(f32(f32(100 * this.gtCount[g]) / M));
      const grp = pct <= 5 ? 0 : pct <= 25 ? 1 : pct <= 50 ? 2 : 3;
      this.groupOf[g] = grp;
      used[grp] = true;
    }

    let t = 0, pp = 0, tp = 0;
    for (let j = 0; j < r.keys.length; j++) {
      const key = r.keys[j], c = r.counts[j];
      const flag = (key / plane) | 0;
      const rest = key - flag * plane;
      const lp = (rest / nG) | 0, lg = rest - lp * nG;
      const q = lut[r.predIds[lp]];
      const g = r.gtIds[lg];
      const pb = flag >> 1, gb = flag & 1;
      if (g > 0) { t += c; if (q > 0) tp += c; }
      if (q > 0) pp += c;
      const qIn = q <= C, gIn = g <= C;
      if (qIn) { touched.add(q); }
      if (gIn) { touched.add(g); }
      if (qIn && gIn && q !== g && this.opts.contributions) { const key = g * this.K + q; this.confusion.set(key, (this.confusion.get(key) ?? 0) + c); }
      // which histogram sets this pixel group feeds: the image's, and its size groups'
      const targets: HistSet[] = [img];
      if (g === 0) { for (let s = 0; s < 4; s++) if (used[s]) targets.push(this.imgGroups[s]); }
      else targets.push(this.imgGroups[this.groupOf[g]]);
      for (const h of targets) {
        if (qIn) h.pred[q] += c;
        if (gIn) h.gt[g] += c;
        if (qIn && q === g) h.inter[q] += c;
        if (pb && qIn) h.bPred[q] += c;
        if (gb && gIn) h.bGt[g] += c;
        if (pb && gb && qIn && q === g) h.bInter[q] += c;
      }
    }

    // Img-Acc (§4.3): first maximum of out[1..C] wins.
    // With all counts zero torch.argmax returns index 0, i.e. label 1.
    let label = 1, best = 0;
    for (const k of touched) {
      if (k === 0) continue;
      const v = img.pred[k];
      if (v > best || (v === best && v > 0 && k < label)) { best = v; label = k; }
    }
    const hit = img.gt[label] > 0 && img.pred[label] > 0;

    // F-measure (§4.2), float32 in the official operation order.
    const recall = f32(tp / f32(t + EPS20));
    const precision = f32(tp / f32(pp + EPS20));
    const num = f32(f32(ONE_PLUS_BETA * precision) * recall);
    const den = f32(f32(f32(BETA * precision) + recall) + EPS20);
    const fImg = f32(num / den);

    if (this.opts.contributions) {
      this.contributions.push({
        ...sparse(img, touched),
        groups: this.imgGroups.map((h, s) => (used[s] ? sparse(h, touched) : null)),
        fmeasure: fImg, hit,
      });
    }
    // Fold into the float32 accumulators (§5), then clear the scratch.
    fold(this.all, img, touched, this.exact);
    for (let s = 0; s < 4; s++) if (used[s]) fold(this.groups[s], this.imgGroups[s], touched, null);
    this.F = f32(this.F + fImg);
    this.ACC = f32(this.ACC + (hit ? 1 : 0));
    this.images++;
    this.perImage.push({ fmeasure: fImg, imgLabel: label, hit });
  }

  /** The sums in the formulas' layout (formulas.ts `Sums`): whole images, then the size groups. */
  sums(): Sums {
    const K = this.K, out = new Float64Array(SETS * K * SUM_WIDTH);
    [this.all, ...this.groups].forEach((h, set) => h.arrays().forEach((arr, a) => {
      for (let k = 0; k < K; k++) out[(set * K + k) * SUM_WIDTH + a] = arr[k];
    }));
    return out;
  }

  result(): Metrics {
    const sums = this.sums();
    return {
      ...scalarMetrics(sums, this.K, this.F, this.ACC, this.images, OFFICIAL),
      IoUs: classIoUs(sums, this.K, false, OFFICIAL),
      BIoUs: classIoUs(sums, this.K, true, OFFICIAL),
    };
  }
}

export interface ConfusionPair { gt: number; predicted: number; pixels: number }

/** The `limit` largest confusions of an accumulator made with contributions, largest first. */
export function confusionPairs(acc: OfficialAccumulator, limit = 20): ConfusionPair[] {
  return [...acc.confusion].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, limit)
    .map(([key, pixels]) => ({ gt: Math.floor(key / acc.K), predicted: key % acc.K, pixels }));
}

/**
 * Per image: the mean IoU over the classes in its GT or prediction ("other" included) and its
 * F-measure (§4.2), for error analysis on public-GT phases. Not an official statistic.
 */
export function perImageScores(acc: OfficialAccumulator): { mIoU: Float32Array; fmeasure: Float32Array } {
  const n = acc.contributions.length, mIoU = new Float32Array(n), fmeasure = new Float32Array(n);
  acc.contributions.forEach((c, i) => {
    let sum = 0, count = 0;
    for (let j = 0; j < c.classes.length; j++) {
      const v = j * 6, pred = c.values[v], gt = c.values[v + 1], inter = c.values[v + 2];
      if (pred + gt === 0) continue;
      sum += inter / (pred + gt - inter); count++;
    }
    mIoU[i] = count ? (sum / count) * 100 : NaN;
    fmeasure[i] = c.fmeasure * 100;
  });
  return { mIoU, fmeasure };
}

/**
 * Per class (0..C): the ground-truth pixels over the whole set and the images whose ground truth
 * holds the class (from an accumulator made with contributions). A class with no GT image scores
 * IoU 0 officially; the pages say "no GT" for it instead of a number that reads as a failure.
 * Public-GT phases only: this describes the ground truth.
 */
export function classGroundTruth(acc: OfficialAccumulator): { pixels: number[]; images: number[] } {
  const pixels = new Array<number>(acc.K).fill(0), images = new Array<number>(acc.K).fill(0);
  for (const c of acc.contributions) {
    for (let j = 0; j < c.classes.length; j++) {
      const gt = c.values[j * 6 + 1];
      if (gt > 0) { pixels[c.classes[j]] += gt; images[c.classes[j]]++; }
    }
  }
  return { pixels, images };
}

/** The non-zero classes of an image's histograms, six values each (read before fold clears them). */
function sparse(h: HistSet, touched: Set<number>): { classes: Int32Array; values: Float64Array } {
  const arrays = h.arrays();
  const classes = [...touched].filter((k) => arrays.some((a) => a[k] !== 0)).sort((a, b) => a - b);
  const values = new Float64Array(classes.length * 6);
  classes.forEach((k, i) => { for (let a = 0; a < 6; a++) values[i * 6 + a] = arrays[a][k]; });
  return { classes: Int32Array.from(classes), values };
}

function fold(acc: HistSet, img: HistSet, touched: Set<number>, exact: HistSet | null): void {
  const A = acc.arrays(), I = img.arrays(), E = exact?.arrays();
  for (let a = 0; a < 6; a++) {
    const dst = A[a], src = I[a], ex = E?.[a];
    for (const k of touched) {
      const v = src[k];
      if (v !== 0) {
        dst[k] = f32(dst[k] + v);
        if (ex) ex[k] += v;
        src[k] = 0;
      }
    }
  }
}
