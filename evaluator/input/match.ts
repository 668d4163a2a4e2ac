/**
 * Class matching for the unsupervised protocol (§2.3, §7): applying a `match.json`, validating it,
 * and the official default matching (image-level co-occurrence → Munkres).
 */
import type { ImageRecord } from '../metrics/image-record.ts';
import type { MatchLut } from '../metrics/accumulator.ts';
import { munkres } from '../metrics/munkres.ts';
import { problem, type Problem } from './rules.ts';

export type Match = Map<number, number>;

/**
 * Image-level co-occurrence of predicted and GT classes (§7 steps 1–2). Counts are integers, so
 * partial accumulators merge exactly in any order.
 */
export class CooccurrenceAccumulator {
  readonly counts: Int32Array;
  images = 0;

  constructor(readonly classes: number) {
    this.counts = new Int32Array(classes * classes);
  }

  update(r: ImageRecord): void {
    const C = this.classes;
    const present = presentIds(r);
    const preds = [...present.pred].filter((p) => p >= 1 && p <= C);
    const gts = [...present.gt].filter((g) => g >= 1 && g <= C);
    for (const p of preds) for (const g of gts) this.counts[(p - 1) * C + (g - 1)]++;
    this.images++;
  }

  merge(other: CooccurrenceAccumulator): this {
    for (let i = 0; i < this.counts.length; i++) this.counts[i] += other.counts[i];
    this.images += other.images;
    return this;
  }

  /** cost[i][j] = f32(1 - cnt[i][j] / Nimg), rows = predicted id − 1, columns = GT id − 1. */
  costMatrix(): Float64Array {
    const cost = new Float64Array(this.counts.length);
    for (let k = 0; k < cost.length; k++) cost[k] = Math.fround(1.0 - this.counts[k] / this.images);
    return cost;
  }

  /** The official default match: predicted id → GT id for 1..C, plus 0 → 0 (§7 step 4). */
  result(): Match {
    const C = this.classes;
    const assignment = munkres(this.costMatrix(), C);
    const match: Match = new Map();
    for (let i = 0; i < C; i++) match.set(i + 1, assignment[i] + 1);
    match.set(0, 0);
    return match;
  }
}

/** Ids with a non-zero pixel count in a record (predicted ids > C appear as the bucket C + 1). */
export function presentIds(r: ImageRecord): { pred: Set<number>; gt: Set<number> } {
  const nG = r.gtIds.length, plane = r.predIds.length * nG;
  const pred = new Set<number>(), gt = new Set<number>();
  for (let j = 0; j < r.keys.length; j++) {
    const rest = r.keys[j] % plane;
    pred.add(r.predIds[(rest / nG) | 0]);
    gt.add(r.gtIds[rest % nG]);
  }
  return { pred, gt };
}

/** `json.dumps(match)` text as the official match.py writes it: keys 1..C in row order, then "0". */
export function matchToJsonText(match: Match): string {
  const keys = [...match.keys()].filter((k) => k !== 0).sort((a, b) => a - b);
  const parts = keys.map((k) => `"${k}": ${match.get(k)}`);
  if (match.has(0)) parts.push(`"0": ${match.get(0)}`);
  return `{${parts.join(', ')}}`;
}

export function matchToObject(match: Match): Record<string, number> {
  const o: Record<string, number> = {};
  for (const [k, v] of match) o[String(k)] = v;
  return o;
}

/** A value as the problem shows it: an object or array by its kind (it may nest thousands deep), else its JSON, cut short. */
function shortJson(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (v !== null && typeof v === 'object') return 'an object';
  const s = JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/**
 * Parses a match.json text. Keys and values must be integers in 0..C (stricter than the official
 * code, which accepts any value and then silently drops ids above C).
 */
export function parseMatch(text: string, classes: number, file = 'match.json'): { match: Match | null; problems: Problem[] } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return { match: null, problems: [problem('match-not-json', file, { reason: (e as Error).message })] };
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { match: null, problems: [problem('match-not-object', file)] };
  }
  const match: Match = new Map();
  const badKeys: string[] = [], badValues: string[] = [];
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    const key = /^\d+$/.test(k.trim()) ? Number(k.trim()) : NaN;
    if (!Number.isInteger(key) || key < 0 || key > classes) { badKeys.push(JSON.stringify(k)); continue; }
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > classes) { badValues.push(`${k} → ${shortJson(v)}`); continue; }
    match.set(key, v);
  }
  const problems: Problem[] = [];
  if (badKeys.length) problems.push(problem('match-bad-keys', file, { keys: badKeys.slice(0, 100), classes }));
  if (badValues.length) problems.push(problem('match-bad-values', file, { values: badValues.slice(0, 100), classes }));
  return { match: problems.length ? null : match, problems };
}

/**
 * Checks that every predicted id that occurs on non-ignored pixels is a key (the official code
 * raises KeyError otherwise, §2.3). `present` = ids seen (raw ids for > C), `where` = example files.
 */
export function checkMatchCovers(match: Match, present: Map<number, string[]>, file = 'match.json', computed?: { classes: number }): Problem[] {
  const missing = [...present.keys()].filter((id) => !match.has(id)).sort((a, b) => a - b);
  if (missing.length === 0) return [];
  const ids = missing.slice(0, 100).map((id) => ({ id, example: present.get(id)![0] }));
  return [problem('match-missing-id', file, { ids, total: missing.length, ...(computed ? { computed: true, classes: computed.classes } : {}) })];
}

/** LUT over 0..C+1 for the accumulator; ids without a key map to the out-of-range bucket. */
export function matchLut(match: Match, classes: number): MatchLut {
  const lut = new Int32Array(classes + 2).fill(classes + 1);
  for (const [k, v] of match) if (k <= classes) lut[k] = v;
  return lut;
}
