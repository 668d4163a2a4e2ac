/**
 * The board-statistics thread: reads a board's resamples from the database itself (read-only) and
 * computes its rank intervals and ties with the leader (board-stats.ts), so that a board of a
 * thousand entries costs the server's event loop nothing. Resamples never change once stored; the
 * ranking metric's slice of each is kept, bounded.
 */
import Database from 'better-sqlite3';
import type { BootstrapMetric } from '../../evaluator/index.ts';
import { serveJobs } from '../../util/pool.ts';
import { boardStats, metricSamples, type Resamples, type RowStats } from './board-stats.ts';

export interface BoardStatsJob {
  dbPath: string;
  /** The rows in display order, by score id. */
  scoreIds: number[];
  /** Their official values of the metric. */
  values: (number | null)[];
  metric: BootstrapMetric;
  leader: number;
  higherIsBetter: boolean;
}

/** About 64 MB at B = 1,000: a slice is B float64 values. */
const MAX_SLICES = 8000;
const slices = new Map<string, Resamples | null>();
const dbs = new Map<string, Database.Database>();

function slice(db: Database.Database, scoreId: number, metric: BootstrapMetric): Resamples | undefined {
  const key = `${scoreId}|${metric}`;
  if (slices.has(key)) return slices.get(key) ?? undefined;
  const r = db.prepare(`SELECT x.seed, x.b, x.samples, json_extract(s.record, '$.bootstrap.spread.' || ?) AS spread
    FROM score_samples x JOIN scores s ON s.id = x.score_id WHERE x.score_id = ?`).get(metric, scoreId) as { seed: string; b: number; samples: Buffer; spread: number | null } | undefined;
  const s = r ? { seed: r.seed, B: r.b, values: new Float64Array(r.samples.buffer.slice(r.samples.byteOffset, r.samples.byteOffset + r.samples.byteLength)) } : undefined;
  // the metric's own values, copied out of the whole record (which is then let go)
  const kept = s ? { seed: s.seed, B: s.B, values: metricSamples(s, metric).slice(), spread: r!.spread } : null;
  slices.set(key, kept);
  if (slices.size > MAX_SLICES) slices.delete(slices.keys().next().value!);
  return kept ?? undefined;
}

serveJobs<BoardStatsJob, RowStats[]>((job) => {
  let db = dbs.get(job.dbPath);
  if (!db) {
    db = new Database(job.dbPath, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    dbs.set(job.dbPath, db);
  }
  const rows = job.scoreIds.map((id) => slice(db, id, job.metric));
  return boardStats(rows, job.values, job.leader, job.higherIsBetter);
});
