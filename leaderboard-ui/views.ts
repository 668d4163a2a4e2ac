/**
 * The data the pages show, owned by the pages: the server builds these (server/domain/leaderboard.ts,
 * server/domain/submissions.ts) and the API sends them as JSON; nothing here knows where they come from.
 * Types only, from the evaluator and the baselines' reported numbers (both below the server).
 */
import type { MetricKey, Problem, Provenance, ScalarMetrics, Warning } from '../evaluator/index.ts';

/** A 95 % interval per metric (null: no value in enough resamples, e.g. an empty size group). */
export type Intervals = Record<MetricKey, [number, number] | null>;
/** The scalar metrics and the per-class arrays, class 0 = other. */
export type MetricsView = ScalarMetrics & { IoUs: number[]; BIoUs: number[] };

export interface BoardRow {
  rank: number;
  submission: number;
  user: string;
  method: string | null;
  description: string | null;
  link: string | null;
  baseline: boolean;
  /** Shown to its owner only (the board of anyone else leaves it out). */
  private: boolean;
  submitted_at: string;
  metrics: Record<string, number | null | number[]>;
  /** 95 % bootstrap intervals per metric (null for scores from before intervals were kept). */
  ci: Intervals | null;
  /** The row's place by quality within each bootstrap resample, 2.5th–97.5th percentile (by the board's sort metric). */
  rank_ci: [number, number] | null;
  /** The paired interval of (this row − the leader) includes 0; null for the leader and rows without resamples. */
  tied_with_leader: boolean | null;
  /** A baseline the server ran: its provenance, and the authors' reported mIoU for this phase (never the server's). */
  run: { provenance: string; reported: { mIoU: number; source: string; recipe: string } | null } | null;
}

/** The API view of a submission. */
export interface SubmissionView {
  id: number; benchmark: string; status: string; progress: { done: number; total: number };
  /** Handed to the scoring queue, waiting for a worker to take it (its place among those; when a worker was last seen). */
  waiting_for_worker?: { position: number; worker_last_seen: string | null };
  method: string | null; description: string | null; link: string | null;
  private: boolean; hidden: boolean; baseline: boolean;
  created_at: string; started_at: string | null; finished_at: string | null;
  warnings: Warning[];
  metrics?: MetricsView;
  evaluator_version?: string;
  /** Per class; on public-GT phases also its ground-truth images and pixels over the set. */
  classes?: { id: number; wnid: string | null; name: string; IoU: number; BIoU: number | null; gt_images?: number; gt_pixels?: number }[];
  scores?: { evaluator_version: string; created_at: string; mIoU: number }[];
  match_url?: string;
  error?: string;
  problems?: Problem[];
  match?: string;
  /** 95 % bootstrap intervals of the aggregate metrics (evaluator/statistics/bootstrap.ts, intervals.ts). */
  ci?: Intervals;
  /** The set has fewer than RELIABLE_IMAGES_PER_CLASS images a class: the intervals say less than they claim. */
  intervals_unreliable?: boolean;
  /** What the score was computed from, by hash (evaluator/provenance.ts). */
  provenance?: Provenance;
  /** Public-GT phases: the offline command that re-scores and verifies it, and the result it verifies. */
  reproduce?: { command: string; result_url: string; names_url: string };
  /** Public-GT phases only: the most confused class pairs and the worst images. */
  analysis?: {
    confusion: { gt: { id: number; name: string }; predicted: { id: number; name: string }; pixels: number }[];
    worst: { index: number; image: string; size: [number, number] | null; mIoU: number; fmeasure: number; gt_overlay: string; prediction_overlay: string }[];
    /** The hosted names list is no longer the one the score was computed with: no worst images are shown. */
    names_changed?: true;
  };
}
