/**
 * Leaderboards: finished submissions of a benchmark, sorted by any metric; ties share a rank
 * (1, 2, 2, 4); one row per user by default (their best by the sort metric, in the metric's own
 * direction), all rows on request.
 * A metric that is null (an empty size group) sorts after every number, whatever the order.
 */
import { METRIC_KEYS, METRICS, BOOTSTRAP_METRICS, BOOTSTRAP_B, type BootstrapMetric } from '../../evaluator/index.ts';
import type { Benchmark } from './catalogue.ts';
import type { BoardSourceRow, Queries } from '../storage/queries.ts';
import { ScoreCache } from './score-record.ts';
import type { RowStats } from './board-stats.ts';
import type { BoardStatsJob } from './board-stats-worker.ts';
import { WorkerPool } from '../../util/pool.ts';
import { modelDownloadUrl } from './models.ts';
import { reportedFor, type ModelKey } from '../../baselines/reported.ts';
import type { BoardRow, OtherPhase } from '../../leaderboard-ui/views.ts';

export const SORT_KEYS = METRIC_KEYS;
export type SortKey = (typeof SORT_KEYS)[number];

export type { BoardRow } from '../../leaderboard-ui/views.ts';

/** What a baseline row carries beyond its scores (rows of a run this server made). */
export function baselineRun(r: Pick<BoardSourceRow, 'baseline' | 'baseline_run' | 'baseline_manifest'>, phase: 'validation' | 'test'): BoardRow['run'] {
  if (r.baseline !== 1 || r.baseline_run === null || r.baseline_manifest === null) return null;
  return { provenance: `/baselines/${r.baseline_run}/manifest.json`, reported: reportedFor(JSON.parse(r.baseline_manifest) as ModelKey, phase) };
}

/** A row whose predictions the server made by running the submitted model: its hash and what ran it; the bundle's link once published. */
export function boardModel(r: Pick<BoardSourceRow, 'id' | 'model_sha256' | 'model_run' | 'model_public'>): BoardRow['model'] {
  if (!r.model_sha256 || !r.model_run) return null;
  const run = JSON.parse(r.model_run) as { runtime?: string; provider?: string };
  return { sha256: r.model_sha256, runtime: run.runtime ?? null, provider: run.provider ?? null, download_url: r.model_public === 1 ? modelDownloadUrl(r.id) : null };
}

/** What a board says about its intervals (API and pages). */
export const INTERVALS = {
  level: 0.95,
  B: BOOTSTRAP_B,
  method: 'bias-corrected (BC) percentile bootstrap, images drawn within their class folders (rescaled), 1,000 resamples shared by every submission of the benchmark; rank intervals and the "≈ #1" set from simultaneous (max-T) comparisons over the same resamples',
  covers: 'test-set sampling only, not training randomness',
} as const;


/**
 * `perClass`: include the per-class arrays (IoUs, BIoUs). Boards of a private-GT phase leave them
 * out unless the host opts in (TEST_DETAIL=public): per-class results there are their owner's.
 */
/**
 * `statsOf`: the rank intervals and ties of rows in display order (by score id), for a metric that
 * has resamples; without it, rows have none.
 */
export type StatsOf = (scoreIds: number[], values: (number | null)[], metric: BootstrapMetric, leader: number, higherIsBetter: boolean) => Promise<RowStats[]>;

export async function rankRows(rows: BoardSourceRow[], scores: ScoreCache, sort: SortKey, order: 'asc' | 'desc', all: boolean, perClass = true, statsOf?: StatsOf, phase: 'validation' | 'test' = 'validation', counterpart?: (row: BoardSourceRow) => OtherPhase | null): Promise<BoardRow[]> {
  const value = (r: { metrics: Record<string, unknown> }): number | null => {
    const v = r.metrics[sort];
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
  };
  const parsed = rows.map((r) => {
    const record = scores.get(r.score_id, r.record);
    const { IoUs, BIoUs, ...scalars } = record.metrics;
    const metrics: Record<string, number | null | number[]> = perClass ? { ...scalars, IoUs, BIoUs } : scalars;
    return { row: r, metrics, ci: record.ci ?? null };
  });
  const higherIsBetter = METRICS.find((m) => m.key === sort)?.higherIsBetter ?? true;
  const by = (dir: 'asc' | 'desc') => (a: (typeof parsed)[number], b: (typeof parsed)[number]): number => {
    const va = value(a), vb = value(b);
    if (va === null || vb === null) return va === vb ? 0 : va === null ? 1 : -1;
    return dir === 'desc' ? vb - va : va - vb;
  };
  // A user's row is their best submission by the metric's own direction, whatever the display
  // order; earlier submissions first among equals.
  const best = by(higherIsBetter ? 'desc' : 'asc');
  parsed.sort((a, b) => best(a, b) || a.row.id - b.row.id);
  let kept = parsed;
  if (!all) {
    const seen = new Set<number>();
    kept = parsed.filter((p) => {
      if (p.row.baseline) return true; // every baseline is its own method
      if (seen.has(p.row.user_id)) return false;
      seen.add(p.row.user_id);
      return true;
    });
  }
  const leaderRow = kept[0];
  // a rank is a place by quality (the metric's own direction), whichever way the board is shown:
  // equal values share it; the rank interval below is by quality too
  const rankOf = new Map<(typeof kept)[number], number>();
  kept.forEach((p, i) => rankOf.set(p, i > 0 && best(kept[i - 1], p) === 0 ? rankOf.get(kept[i - 1])! : i + 1));
  const cmp = by(order);
  kept = [...kept].sort((a, b) => cmp(a, b) || a.row.id - b.row.id);
  const stats = statsOf && (BOOTSTRAP_METRICS as readonly string[]).includes(sort) && kept.length > 0
    ? await statsOf(kept.map((p) => p.row.score_id), kept.map((p) => value(p)), sort as BootstrapMetric, kept.indexOf(leaderRow), higherIsBetter)
    : kept.map(() => ({ rank_ci: null, tied_with_leader: null }));
  const out: BoardRow[] = [];
  kept.forEach((p, i) => {
    out.push({
      rank: rankOf.get(p)!, submission: p.row.id, user: p.row.user_name, method: p.row.method, description: p.row.description, link: p.row.link,
      paper: p.row.paper, code: p.row.code, backbone: p.row.backbone, pretraining: p.row.pretraining, extra_data: p.row.extra_data,
      other_phase: counterpart?.(p.row) ?? null,
      baseline: p.row.baseline === 1, private: p.row.private === 1, submitted_at: p.row.created_at, metrics: p.metrics,
      ci: p.ci, ...stats[i], run: baselineRun(p.row, phase), model: boardModel(p.row),
    });
  });
  return out;
}

/**
 * One CSV cell. Numbers are written as numbers; every text cell is quoted, so a separator inside it
 * (`,` or, in locales whose spreadsheets split on it, `;`) never starts a new cell, and text starting
 * with = + - @ TAB or CR is prefixed with ' (OWASP's rule against formula injection: "-1+cmd|…" is
 * text here, whatever follows the sign).
 */
export const csvCell = (v: unknown): string => {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (v === null || v === undefined) return '';
  if (typeof v === 'boolean') return String(v);
  const s = String(v);
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return `"${safe.replace(/"/g, '""')}"`;
};

export function boardCsv(rows: BoardRow[]): string {
  const keys = SORT_KEYS as readonly string[];
  const head = ['rank', 'rank_ci_lo', 'rank_ci_hi', 'tied_with_leader', 'submission', 'user', 'method', 'link', 'baseline', 'submitted_at', ...keys, ...keys.flatMap((k) => [`${k}_ci_lo`, `${k}_ci_hi`]), 'reported_mIoU', 'provenance', 'paper', 'code', 'backbone', 'pretraining', 'extra_data', 'other_phase_submission', 'model_sha256', 'model_runtime', 'model_provider'];
  const lines = [head.join(',')];
  for (const r of rows) {
    const ci = (k: string) => (r.ci as Record<string, [number, number] | null> | null)?.[k] ?? null;
    lines.push([
      r.rank, r.rank_ci?.[0] ?? null, r.rank_ci?.[1] ?? null, r.tied_with_leader, r.submission, r.user, r.method, r.link, r.baseline, r.submitted_at,
      ...keys.map((k) => r.metrics[k] as number | null), ...keys.flatMap((k) => [ci(k)?.[0] ?? null, ci(k)?.[1] ?? null]),
      r.run?.reported?.mIoU ?? null, r.run?.provenance ?? null,
      r.paper, r.code, r.backbone, r.pretraining, r.extra_data, r.other_phase?.submission ?? null,
      r.model?.sha256 ?? null, r.model?.runtime ?? null, r.model?.provider ?? null,
    ].map(csvCell).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}

/** The per-benchmark change counter boards are cached against (Queries, bumped by SQLite triggers). */
export interface BoardVersions {
  boardVersion(benchmark: string): number;
}

export interface BoardQuery { sort: SortKey; order: 'asc' | 'desc'; all: boolean }

/** Boards kept (a board is a few hundred KB at most; the oldest goes first). */
const MAX_BOARDS = 256;

/**
 * Leaderboards as a service: ranked rows of a benchmark for a viewer, computed once per board
 * version, whoever views. Every change a board can show bumps its version (server, scorer, admin
 * CLI); until then a board is served from here. A signed-in viewer without private entries on the
 * benchmark sees exactly the public board and shares it; one with private entries has a board of
 * their own, kept the same way. Views of a board being computed wait for that computation rather
 * than start another. Rank intervals and ties (1,000 resamples × entries) are computed in a thread
 * of their own (board-stats-worker.ts), which reads the resamples itself: a board of a thousand
 * entries holds up no other request. Scores are parsed once per score row (ScoreCache).
 */
export class Leaderboards {
  private readonly boards = new Map<string, { version: number; rows: Promise<BoardRow[]> }>();
  private readonly scores = new ScoreCache();
  private readonly pool: WorkerPool<BoardStatsJob, RowStats[]>;
  /** Boards computed (not served from the cache): for tests and the bench. */
  computed = 0;
  constructor(
    private readonly q: Pick<Queries, 'boardRows' | 'hasPrivateRows' | 'counterpart'> & BoardVersions,
    private readonly testDetail: 'owner' | 'public',
    private readonly dbPath: string,
    /** The other phase of a benchmark's split and protocol (Catalogue.counterpart). */
    private readonly counterpartOf: (b: Benchmark) => Benchmark | undefined = () => undefined,
  ) {
    this.pool = new WorkerPool<BoardStatsJob, RowStats[]>(new URL('./board-stats-worker.ts', import.meta.url), 1, 'board statistics');
  }

  rows(b: Benchmark, viewer: number | null, query: BoardQuery): Promise<BoardRow[]> {
    const other = this.counterpartOf(b);
    // rows link to the other phase's: a board changes with that board too
    const version = this.q.boardVersion(b.id) * 1_000_003 + (other ? this.q.boardVersion(other.id) : 0);
    const own = viewer !== null && this.q.hasPrivateRows(b.id, viewer);
    const key = `${b.id}|${query.sort}|${query.order}|${query.all}|${own ? viewer : 'public'}`;
    const hit = this.boards.get(key);
    if (hit && hit.version === version) {
      this.boards.delete(key);
      this.boards.set(key, hit); // most recently used last
      return hit.rows;
    }
    this.computed++;
    const perClass = !b.gtPrivate || this.testDetail === 'public';
    const statsOf: StatsOf = (scoreIds, values, metric, leader, higherIsBetter) => this.pool.run({ dbPath: this.dbPath, scoreIds, values, metric, leader, higherIsBetter });
    const link = (r: BoardSourceRow): OtherPhase | null => {
      const id = other && r.method ? this.q.counterpart(r.user_id, other.id, r.method) : null;
      return id === null ? null : { phase: other!.phase, benchmark: other!.id, submission: id };
    };
    const rows = rankRows(this.q.boardRows(b.id, own ? viewer : null, false), this.scores, query.sort, query.order, query.all, perClass, statsOf, b.gtPrivate ? 'test' : 'validation', link);
    const entry = { version, rows };
    this.boards.delete(key);
    this.boards.set(key, entry);
    if (this.boards.size > MAX_BOARDS) this.boards.delete(this.boards.keys().next().value!);
    // a failed computation is not kept: the next view tries again
    rows.catch(() => { if (this.boards.get(key) === entry) this.boards.delete(key); });
    return rows;
  }

  close(): Promise<void> { return this.pool.close(); }
}
