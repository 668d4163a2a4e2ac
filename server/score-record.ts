/**
 * The score record: what scoring produces, what `scores.record` stores, what the API returns under
 * `metrics` and what leaderboards read. One schema, versioned, validated once when read.
 */
import { z } from 'zod';
import { METRICS, type EvaluationResult } from '../evaluator/index.ts';

export const SCORE_RECORD_VERSION = 1;

const percent = z.number();
const maybe = z.number().nullable();
/** The evaluator's metrics: the official scalar keys (metrics.ts) and the per-class arrays, class 0 = other. */
export const ScoreMetrics = z.object({
  mIoU: percent, mBIoU: percent, Acc: percent, FMeasure: percent,
  S: maybe, MS: maybe, ML: maybe, L: maybe, BS: maybe, BMS: maybe, BML: maybe, BL: maybe,
  IoUs: z.array(z.number()),
  BIoUs: z.array(z.number()),
});
export type ScoreMetrics = z.infer<typeof ScoreMetrics>;

export const ScoreRecord = z.object({
  version: z.literal(SCORE_RECORD_VERSION),
  images: z.number().int().nonnegative(),
  metrics: ScoreMetrics,
});
export type ScoreRecord = z.infer<typeof ScoreRecord>;

/** The scalar metrics a board ranks by. */
export type ScalarMetrics = Omit<ScoreMetrics, 'IoUs' | 'BIoUs'>;
export const SCALAR_KEYS = METRICS.map((m) => m.key);

export function scoreRecordOf(result: EvaluationResult): ScoreRecord {
  const m = result.metrics;
  return {
    version: SCORE_RECORD_VERSION,
    images: result.images,
    metrics: { mIoU: m.mIoU, mBIoU: m.mBIoU, Acc: m.Acc, FMeasure: m.FMeasure, S: m.S, MS: m.MS, ML: m.ML, L: m.L, BS: m.BS, BMS: m.BMS, BML: m.BML, BL: m.BL, IoUs: m.IoUs, BIoUs: m.BIoUs },
  };
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
