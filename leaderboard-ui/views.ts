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

/** A method's submission in the other phase (validation ↔ test) of its split and protocol. */
export interface OtherPhase { phase: string; benchmark: string; submission: number }

export interface BoardRow {
  rank: number;
  submission: number;
  user: string;
  method: string | null;
  description: string | null;
  link: string | null;
  paper: string | null; code: string | null; backbone: string | null; pretraining: string | null; extra_data: string | null;
  /** The same method's row in the other phase of this split and protocol (same user, same method name). */
  other_phase: OtherPhase | null;
  baseline: boolean;
  /** Shown to its owner only (the board of anyone else leaves it out). */
  private: boolean;
  submitted_at: string;
  metrics: Record<string, number | null | number[]>;
  /** 95 % bootstrap intervals per metric (null for scores from before intervals were kept). */
  ci: Intervals | null;
  /** The ranks by the board's sort metric the data allow (95 %, simultaneous: evaluator/statistics/intervals.ts rankIntervals). */
  rank_ci: [number, number] | null;
  /** No row is shown better than this one (its rank interval starts at 1: "≈ #1"); null for the leader and rows without resamples. */
  tied_with_leader: boolean | null;
  /** A baseline the server ran: its provenance, and the authors' reported mIoU for this phase (never the server's). */
  run: { provenance: string; reported: { mIoU: number; source: string; recipe: string } | null } | null;
  /** Predictions the server made by running the submitted model: its sha256, the runtime and provider; the bundle's URL once its owner published it. */
  model: { sha256: string; runtime: string | null; provider: string | null; download_url: string | null } | null;
}

/** A model submission as the API and pages show it (server/domain/models.ts modelView). */
export interface ModelView {
  sha256: string;
  bytes: number;
  /** Whether anyone may download the bundle (its owner's choice). */
  public: boolean;
  /** The bundle's URL, when the viewer may download it (its owner, admins, anyone once published). */
  download_url: string | null;
  /** The predictions zip the run made, on the same terms (to re-score it offline). */
  predictions_url: string | null;
  /** The run before scoring: pending → running → ran | failed. */
  state: 'pending' | 'running' | 'ran' | 'failed';
  /** The trial's projection for the phase, seconds. */
  projected_seconds: number | null;
  /** The run as it happened: runtime and version, execution provider, device asked for, images, seconds. */
  run: { runtime: string; provider: string; device: string; images: number; seconds: number } | null;
  input: { resize_short_side: number | null; max_long_side: number | null; mean: number[]; std: number[] } | null;
  output: 'logits' | 'labels' | null;
  flip_average: boolean;
}

/** The API view of a submission. */
export interface SubmissionView {
  id: number; benchmark: string; status: string; progress: { done: number; total: number };
  /** Handed to the scoring queue, waiting for a worker to take it (its place among those; when a worker was last seen). */
  waiting_for_worker?: { position: number; worker_last_seen: string | null };
  method: string | null; description: string | null; link: string | null;
  paper: string | null; code: string | null; backbone: string | null; pretraining: string | null; extra_data: string | null;
  /** The same method's row in the other phase of this split and protocol, when it has one. */
  other_phase?: OtherPhase | null;
  private: boolean; hidden: boolean; baseline: boolean;
  created_at: string; started_at: string | null; finished_at: string | null;
  /** A model the server ran to make the predictions (absent for uploads of predictions). */
  model?: ModelView;
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
