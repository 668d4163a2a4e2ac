/**
 * How sure a board's order is: per row, the rank interval (the row's rank within each bootstrap
 * resample, 2.5th–97.5th percentile) and whether it is statistically tied with the leader (the
 * paired interval of the difference includes 0). All rows of a benchmark share the resamples
 * (evaluator/statistics/bootstrap.ts), so both are computed resample by resample. Rows scored before
 * resamples were kept have none: they get no interval and are left out of the others' ranks.
 */
import { BOOTSTRAP_METRICS, paired, rankIntervals, type BootstrapMetric } from '../../evaluator/index.ts';

export interface RowStats {
  rank_ci: [number, number] | null;
  /** null for the leader itself and for rows without resamples. */
  tied_with_leader: boolean | null;
}

/** Resamples of a score: all bootstrap metrics (packSamples layout), or one metric's B values. */
export interface Resamples { seed: string; B: number; values: Float64Array }

/** One metric's B values out of a stored resample set (packSamples layout). */
export function metricSamples(s: Resamples, metric: BootstrapMetric): Float64Array {
  const i = BOOTSTRAP_METRICS.indexOf(metric);
  return s.values.subarray(i * s.B, (i + 1) * s.B);
}

/**
 * `rows` in display order, each with its resamples of the ranking metric only (`metricSamples`);
 * `leader`: the index of the best row by the metric's own direction.
 */
export function boardStats(rows: (Resamples | undefined)[], leader: number, higherIsBetter = true): RowStats[] {
  const ref = rows[leader] ?? rows.find(Boolean);
  // only rows on the same resamples can be ranked together
  const usable = rows.map((r) => !!r && !!ref && r.seed === ref.seed && r.B === ref.B);
  const idx = rows.flatMap((_, i) => (usable[i] ? [i] : []));
  const intervals = rankIntervals(idx.map((i) => rows[i]!.values), higherIsBetter);
  const out: RowStats[] = rows.map(() => ({ rank_ci: null, tied_with_leader: null }));
  idx.forEach((i, j) => { out[i].rank_ci = intervals[j]; });
  if (usable[leader]) {
    const lead = rows[leader]!.values;
    for (const i of idx) {
      if (i === leader) continue;
      const d = paired(lead, rows[i]!.values, 0);
      out[i].tied_with_leader = !d.significant;
    }
  }
  return out;
}
