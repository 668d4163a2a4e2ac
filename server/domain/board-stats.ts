/**
 * How sure a board's order is: per row, the rank interval and whether the row may be the best (no
 * row shown better than it: "≈ #1"), from one simultaneous procedure over the resamples all rows of
 * a benchmark share (evaluator/statistics/intervals.ts). Rows scored before resamples were kept, or
 * on other resamples (an older resampling scheme: an admin re-scores the benchmark), have none: they
 * get no interval and are left out of the others' ranks.
 */
import { BOOTSTRAP_METRICS, rankIntervals, type BootstrapMetric } from '../../evaluator/index.ts';

export interface RowStats {
  rank_ci: [number, number] | null;
  /** No row is shown better than this one (its rank interval starts at 1); null for the leader itself and for rows without resamples. */
  tied_with_leader: boolean | null;
}

/**
 * Resamples of a score: all bootstrap metrics (packSamples layout), or one metric's B values; with
 * the metric's spread factor (BootstrapResult.spread; null on scores from before it).
 */
export interface Resamples { seed: string; B: number; values: Float64Array; spread?: number | null }

/** One metric's B values out of a stored resample set (packSamples layout). */
export function metricSamples(s: Resamples, metric: BootstrapMetric): Float64Array {
  const i = BOOTSTRAP_METRICS.indexOf(metric);
  return s.values.subarray(i * s.B, (i + 1) * s.B);
}

/**
 * `rows` in display order, each with its resamples of the ranking metric only (`metricSamples`) and
 * its official value; `leader`: the index of the best row by the metric's own direction. One
 * simultaneous procedure (evaluator/statistics/intervals.ts `rankIntervals`) gives both: a row is
 * "≈ #1" exactly when its rank interval starts at 1.
 */
export function boardStats(rows: (Resamples | undefined)[], values: (number | null)[], leader: number, higherIsBetter = true): RowStats[] {
  const ref = rows[leader] ?? rows.find(Boolean);
  // only rows on the same resamples, with a value, can be ranked together
  const usable = rows.map((r, i) => !!r && !!ref && r.seed === ref.seed && r.B === ref.B && values[i] !== null && Number.isFinite(values[i]));
  const idx = rows.flatMap((_, i) => (usable[i] ? [i] : []));
  const intervals = rankIntervals(idx.map((i) => values[i]!), idx.map((i) => rows[i]!.values), higherIsBetter, idx.map((i) => rows[i]!.spread ?? null));
  const out: RowStats[] = rows.map(() => ({ rank_ci: null, tied_with_leader: null }));
  idx.forEach((i, j) => {
    out[i].rank_ci = intervals[j].rank;
    if (i !== leader && usable[leader]) out[i].tied_with_leader = intervals[j].rank[0] === 1;
  });
  return out;
}
