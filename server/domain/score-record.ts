/**
 * The score record: what scoring produces, what `scores.record` stores, what the API returns under
 * `metrics` and what leaderboards read. One schema, versioned, validated once when read.
 */
import { z } from 'zod';
import { METRICS, BOOTSTRAP_METRICS, pickScalars, type BootstrapResult, type ConfusionPair, type EvaluationResult, type MetricKey, type Provenance, type ScalarMetrics as TableScalars } from '../../evaluator/index.ts';

/** 2: intervals, provenance and (public-GT phases) error analysis; 1 records are read as they are. */
export const SCORE_RECORD_VERSION = 2;

/** Each row of the metric table (metrics.ts): a number, or null where the row allows it. */
const scalarSchemas = Object.fromEntries(METRICS.map((m) => [m.key, m.nullable ? z.number().nullable() : z.number()])) as unknown as
  { [K in MetricKey]: z.ZodType<TableScalars[K]> };
/** The evaluator's metrics: the metric table's scalars and the per-class arrays, class 0 = other. */
export const ScoreMetrics = z.object({
  ...scalarSchemas,
  IoUs: z.array(z.number()),
  BIoUs: z.array(z.number()),
});
export type ScoreMetrics = z.infer<typeof ScoreMetrics>;

const Interval = z.tuple([z.number(), z.number()]).nullable();
export const ScoreRecord = z.object({
  version: z.union([z.literal(1), z.literal(2)]),
  images: z.number().int().nonnegative(),
  metrics: ScoreMetrics,
  /** 95 % studentized bootstrap intervals (percent; evaluator/statistics/intervals.ts); the resamples are in score_samples. */
  ci: z.object(Object.fromEntries(BOOTSTRAP_METRICS.map((m) => [m, Interval])) as Record<(typeof BOOTSTRAP_METRICS)[number], typeof Interval>).optional(),
  /** The resamples' seed (design and names-list hash), count and per-metric spread factors (absent on records from before them: 1). */
  bootstrap: z.object({ seed: z.string(), B: z.number().int().positive(), spread: z.record(z.string(), z.number().nullable()).optional() }).optional(),
  provenance: z.object({ evaluatorVersion: z.string(), namesSha256: z.string(), gtSha256: z.string(), predictionsSha256: z.string().nullable() }).optional(),
  /** Public-GT phases only: what went wrong where. */
  analysis: z.object({
    /** The largest confusions, GT class → predicted class (after any match), in pixels. */
    confusion: z.array(z.object({ gt: z.number().int(), predicted: z.number().int(), pixels: z.number() })),
    /** The images with the lowest per-image mIoU (index in the names list), worst first. */
    worst: z.array(z.object({ image: z.number().int().nonnegative(), mIoU: z.number(), fmeasure: z.number() })),
    /** Per class: its ground-truth pixels and images over the set (records from before it lack it). */
    class_gt: z.object({ pixels: z.array(z.number()), images: z.array(z.number().int()) }).optional(),
  }).optional(),
});
export type ScoreRecord = z.infer<typeof ScoreRecord>;
export type ScoreAnalysis = NonNullable<ScoreRecord['analysis']>;

/** The scalar metrics a board ranks by. */
export type ScalarMetrics = Omit<ScoreMetrics, 'IoUs' | 'BIoUs'>;
export const SCALAR_KEYS = METRICS.map((m) => m.key);

export function scoreRecordOf(result: EvaluationResult, extra: { boot?: BootstrapResult; provenance?: Provenance; analysis?: ScoreAnalysis } = {}): ScoreRecord {
  const m = result.metrics;
  const record: ScoreRecord = {
    version: SCORE_RECORD_VERSION,
    images: result.images,
    metrics: { ...pickScalars(m), IoUs: m.IoUs, BIoUs: m.BIoUs },
  };
  if (extra.boot) { record.ci = extra.boot.ci; record.bootstrap = { seed: extra.boot.seed, B: extra.boot.B, spread: extra.boot.spread }; }
  if (extra.provenance) record.provenance = extra.provenance;
  if (extra.analysis) record.analysis = extra.analysis;
  return record;
}

/** The `count` images with the lowest per-image mIoU, worst first (ties: names-list order). */
export function worstImages(perImage: { mIoU: Float32Array; fmeasure: Float32Array }, count = 12): ScoreAnalysis['worst'] {
  const idx = Array.from(perImage.mIoU.keys()).filter((i) => Number.isFinite(perImage.mIoU[i]));
  idx.sort((a, b) => perImage.mIoU[a] - perImage.mIoU[b] || a - b);
  return idx.slice(0, count).map((i) => ({ image: i, mIoU: perImage.mIoU[i], fmeasure: perImage.fmeasure[i] }));
}

export type { ConfusionPair };

/** Stored beside a score: its bootstrap resamples (bootstrap.ts packSamples layout) and, on public-GT phases, per-image figures. */
export interface ScoreExtras {
  samples: { seed: string; B: number; values: Float64Array };
  perImage: { mIoU: Float32Array; fmeasure: Float32Array } | null;
}

/** Parses a stored record (throws on a record that does not match the schema: a bug, not input). */
export function readScoreRecord(json: string): ScoreRecord {
  return ScoreRecord.parse(JSON.parse(json));
}

/**
 * Scores never change once written (a re-score adds a row), so a parsed record can be kept by its
 * row id: boards parse each score once, not once per request. Bounded; the oldest go first.
 */
export class ScoreCache {
  private readonly byId = new Map<number, ScoreRecord>();
  constructor(private readonly max = 20_000) {}
  get(id: number, json: string): ScoreRecord {
    let r = this.byId.get(id);
    if (!r) {
      r = readScoreRecord(json);
      this.byId.set(id, r);
      if (this.byId.size > this.max) this.byId.delete(this.byId.keys().next().value!);
    }
    return r;
  }
}
