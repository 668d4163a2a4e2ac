/**
 * Intervals from resamples, and a board's simultaneous comparisons. Each method was chosen by
 * simulation on populations whose metrics are known (`npm run bench -- --sections intervals`; README
 * "How far to trust an interval"):
 *   - a score's interval: studentized (bootstrap-t). Plain percentiles held 85–89 % for b-mIoU on
 *     200 classes of ~13 images (the estimate is biased there) and bias-corrected percentiles 90 %
 *     for mIoU at 10 images a class (a few large images dominate a class, so a resample's spread
 *     understates the estimate's by ~10 %); studentized intervals held 94–98 % in every ImageNet-S
 *     -like case;
 *   - a difference of two scores: bias-corrected percentiles (BC) of the resampled differences (a
 *     studentized difference needs both submissions' images at once; stored resamples are per
 *     submission);
 *   - a board: max-T simultaneous intervals of every pairwise difference (`rankIntervals`).
 *
 * Estimates are the official (float32) values, resamples double sums: values within TIE of the
 * estimate count as equal to it, so that rounding alone never moves an interval.
 */
export const LEVEL = 0.95;

/**
 * The least standard error a resample's pivot is divided by, as a share of the set's own. Bounds a
 * studentized interval to twice the resamples' spread; from 10 images a class the floor almost never
 * binds (the bench's coverage table is the same with and without it).
 */
export const SE_FLOOR = 0.5;

/**
 * Fewer images a class than this, on average, and the intervals' coverage was not shown to hold:
 * the bench measured ≥ 93 % from 10 images a class; with 1–6 (a Zipf tail) a class's only image
 * cannot show how much another one would differ, and coverage fell to 80–90 %.
 */
export const RELIABLE_IMAGES_PER_CLASS = 10;

/** A test set small enough that its intervals say less than they claim (the pages say so). */
export function intervalsUnreliable(images: number, classes: number): boolean {
  return images < RELIABLE_IMAGES_PER_CLASS * classes;
}
/** Percentage points below which two values are the same number in two arithmetics. */
const TIE = 1e-5;

/** Standard normal CDF (erfc by the Chebyshev fit of Numerical Recipes, "erfcc": |error| < 1.2e-7 everywhere). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2, t = 1 / (1 + 0.5 * z);
  const erfc = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? 1 - erfc / 2 : erfc / 2;
}

/** Its inverse, by bisection (called a few times per interval: exactness over speed). */
export function normalQuantile(p: number): number {
  let lo = -12, hi = 12;
  for (let i = 0; i < 100; i++) { const mid = (lo + hi) / 2; if (normalCdf(mid) < p) lo = mid; else hi = mid; }
  return (lo + hi) / 2;
}

/**
 * The q-quantile (nearest rank) of sorted values. q·n within 1e-3 of a whole number counts as that
 * number: a level through Φ and Φ⁻¹ (accurate to ~2e-7) comes back a little off, and must not shift
 * a rank (at B = 1,000, 2e-4 of one).
 */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length - 1e-3) - 1))];
}

/** The finite values, sorted. */
function finiteSorted(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(Array.from(values).filter(Number.isFinite)).sort();
}

/**
 * The bias-corrected percentile interval (BC; Efron 1981) of an estimate from its resamples (NaN: no
 * value in that resample); null when no resample has a value. z₀ = Φ⁻¹(share of resamples below
 * the estimate); bounds at the Φ(2z₀ ∓ 1.96) quantiles: the resamples' median sits as far from the
 * estimate as the estimate from the truth, and BC moves the percentiles back by that distance.
 */
export function bcInterval(estimate: number, samples: ArrayLike<number>, level = LEVEL): [number, number] | null {
  const v = finiteSorted(samples);
  if (v.length === 0) return null;
  let below = 0;
  for (const x of v) below += x < estimate - TIE ? 1 : Math.abs(x - estimate) <= TIE ? 0.5 : 0;
  const share = Math.min(1 - 0.5 / v.length, Math.max(0.5 / v.length, below / v.length));
  const z0 = normalQuantile(share), z = normalQuantile(1 - (1 - level) / 2);
  let lo = quantile(v, normalCdf(2 * z0 - z)), hi = quantile(v, normalCdf(2 * z0 + z));
  if (lo > estimate && lo - estimate <= TIE) lo = estimate;
  if (hi < estimate && estimate - hi <= TIE) hi = estimate;
  return [lo, hi];
}

/**
 * The studentized (bootstrap-t) interval: each resample's (θ* − θ̂)/se*, with se* its own
 * linearised standard error (bootstrap.ts `standardErrorsInto`), stands for (θ̂ − θ)/se; its
 * 2.5th and 97.5th percentiles t_lo, t_hi give [estimate − t_hi·se, estimate − t_lo·se]. Unlike
 * percentiles it carries the skew and the uncertainty of the standard error itself, which is large
 * when a few big images dominate a class; `plugin`: the set's own double value θ̂ and `se` its
 * standard error; `estimate`: the official value the interval is drawn around. A resample without a
 * value is left out; with none left, or no spread at all, the interval is the estimate itself. For
 * metrics whose class set moves between resamples (the size groups: a class counts where it has GT
 * in that group), the linearisation does not hold; bootstrap.ts gives those BC intervals.
 */
export function studentizedInterval(estimate: number, plugin: number, se: number, samples: ArrayLike<number>, errors: ArrayLike<number>, level = LEVEL): [number, number] | null {
  if (!Number.isFinite(plugin)) return null;
  if (!(se > 0)) return [estimate, estimate];
  // a resample's standard error is floored at SE_FLOOR × the set's: on small classes a resample
  // that draws one image several times has almost no spread, and its pivot would run off
  const floor = SE_FLOOR * se, t: number[] = [];
  for (let b = 0; b < samples.length; b++) {
    const v = samples[b], e = errors[b];
    if (!Number.isFinite(v) || !Number.isFinite(e)) continue;
    t.push((v - plugin) / Math.max(e, floor));
  }
  if (t.length === 0) return [estimate, estimate];
  const sorted = Float64Array.from(t).sort();
  const lo = estimate - quantile(sorted, 1 - (1 - level) / 2) * se, hi = estimate - quantile(sorted, (1 - level) / 2) * se;
  return [Math.min(lo, hi), Math.max(lo, hi)];
}

/**
 * How much the resamples' spread understates a score's uncertainty: the width of its studentized
 * interval over the width of the resamples' central 95 % (at least 1). A resample's spread is
 * right on average, but when a few large images dominate a class it is most often too small
 * (its average hides rare large values); the studentized interval carries that, and differences,
 * which are read from the resamples alone, borrow it.
 */
export function spreadFactor(ci: [number, number], samples: ArrayLike<number>, level = LEVEL): number {
  const v = finiteSorted(samples);
  if (v.length === 0) return 1;
  const width = quantile(v, 1 - (1 - level) / 2) - quantile(v, (1 - level) / 2);
  return width > 0 ? Math.max(1, (ci[1] - ci[0]) / width) : 1;
}

/** The spread factor of a difference of two scores: the mean of theirs (1 where one is unknown). */
export function pairSpread(a: number | null | undefined, b: number | null | undefined): number {
  return ((a ?? 1) + (b ?? 1)) / 2;
}

export interface PairedResult {
  /** b − a on the full set (the official values). */
  diff: number;
  /** 95 % BC interval of b − a over the shared resamples (`bcInterval`). */
  ci: [number, number] | null;
  /** The interval excludes 0. */
  significant: boolean;
}

/**
 * Paired comparison of two submissions scored against the same resamples: b − a resample by
 * resample, so what the two have in common (hard images) cancels out.
 */
export function paired(a: ArrayLike<number>, b: ArrayLike<number>, diff: number, spread = 1): PairedResult {
  if (a.length !== b.length) throw new Error(`paired: ${a.length} and ${b.length} resamples`);
  const d = new Float64Array(a.length);
  for (let i = 0; i < d.length; i++) d[i] = b[i] - a[i];
  const bc = bcInterval(diff, d);
  // widened about the difference by the pair's spread factor (`pairSpread`)
  const ci: [number, number] | null = bc && [diff - spread * (diff - bc[0]), diff + spread * (bc[1] - diff)];
  return { diff, ci, significant: ci !== null && (ci[0] > 0 || ci[1] < 0) };
}

export interface RankInterval {
  /** The best and worst rank the data allow, simultaneously over the row's comparisons. */
  rank: [number, number];
  /** Rows (indices) shown better than this one / worse than it. */
  better: number[];
  worse: number[];
}

/**
 * Rank intervals of a board from one simultaneous procedure (Mogstad, Romano, Shaikh and Wilhelm,
 * "Inference for ranks with applications to mobility across neighbourhoods and academic
 * achievement across countries", 2024; max-T over the shared resamples). For row j, every other
 * row k gets an interval for θ_k − θ_j: the official difference ± c_j·SD of its resampled
 * differences, with c_j the 95th percentile over the resamples of max_k |deviation|/SD: the
 * intervals of row j hold together in 95 % of resamples; each half-width widened by the pair's
 * spread factor (`spreadFactor`, `pairSpread`). k is better than j when its whole interval is above
 * 0; j's rank interval is [1 + #better, E − #worse].
 *
 * The set of rows whose rank interval starts at 1 (no row shown better) holds the truly best row
 * with probability ≥ 95 %; it is the board's "≈ #1" set, so a badge and a rank interval can never
 * disagree. `values`: official values; `samples`: per row, its resamples (same resamples for all);
 * NaN values never rank.
 */
export function rankIntervals(values: ArrayLike<number>, samples: ArrayLike<number>[], higherIsBetter = true, spreads?: ArrayLike<number | null>, level = LEVEL): RankInterval[] {
  const E = samples.length;
  if (E === 0) return [];
  const B = samples[0].length, sign = higherIsBetter ? 1 : -1;
  const est = Float64Array.from({ length: E }, (_, e) => sign * values[e]);
  const x = samples.map((s) => Float64Array.from(s, (v) => sign * v));
  const dev = new Float64Array(B), maxT = new Float64Array(B), sd = new Float64Array(E), mean = new Float64Array(E);
  return Array.from({ length: E }, (_, j): RankInterval => {
    maxT.fill(0);
    // per k: the mean and SD of θ*_k − θ*_j, and each resample's largest standardised deviation
    for (let k = 0; k < E; k++) {
      if (k === j) continue;
      const xk = x[k], xj = x[j];
      let m = 0, count = 0;
      for (let b = 0; b < B; b++) { const d = xk[b] - xj[b]; if (Number.isFinite(d)) { m += d; count++; } }
      m = count ? m / count : NaN;
      let ss = 0;
      for (let b = 0; b < B; b++) { const d = xk[b] - xj[b]; if (Number.isFinite(d)) ss += (d - m) ** 2; }
      mean[k] = m; sd[k] = count > 1 ? Math.sqrt(ss / (count - 1)) : 0;
      if (!(sd[k] > 0)) continue;
      for (let b = 0; b < B; b++) {
        const d = xk[b] - xj[b];
        const t = Number.isFinite(d) ? Math.abs(d - m) / sd[k] : 0;
        if (t > maxT[b]) maxT[b] = t;
      }
    }
    dev.set(maxT); dev.sort();
    const c = quantile(dev, level);
    const better: number[] = [], worse: number[] = [];
    for (let k = 0; k < E; k++) {
      if (k === j || !Number.isFinite(est[k]) || !Number.isFinite(est[j])) continue;
      const d = est[k] - est[j];
      // no spread: the resamples all agree, so only a difference that every resample shows counts
      const half = sd[k] > 0 ? c * sd[k] * (spreads ? pairSpread(spreads[k], spreads[j]) : 1) : 0;
      if (d - half > TIE && (sd[k] > 0 || mean[k] > 0)) better.push(k);
      else if (d + half < -TIE && (sd[k] > 0 || mean[k] < 0)) worse.push(k);
    }
    const ranked = est.filter(Number.isFinite).length;
    return { rank: Number.isFinite(est[j]) ? [1 + better.length, ranked - worse.length] : [ranked, ranked], better, worse };
  });
}
