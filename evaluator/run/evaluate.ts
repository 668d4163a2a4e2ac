/**
 * One evaluation run, in three visible phases:
 *   1. per image (parallel, worker threads): decode + checks + joint table  → ImageRecord[]
 *   2. reduce (names-list order, float32 as officially)                      → accumulators
 *   3. report                                                                 → Metrics + warnings
 * Every input problem of the run is collected and raised together as an InputError.
 */
import { join } from 'node:path';
import { OfficialAccumulator, identityLut, type Metrics } from '../metrics/accumulator.ts';
import type { ImageRecord } from '../metrics/image-record.ts';
import { CooccurrenceAccumulator, checkMatchCovers, matchLut, type Match } from '../input/match.ts';
import { PairPool, defaultWorkers } from './pool.ts';
import { forEachLimit } from '../../util/pool.ts';
import { processPair, type PairJob, type PairResult } from './pair.ts';
import { InputError, WarningCollector, type Warning } from '../input/problems.ts';
import { problem, sortProblems, type Problem } from '../input/rules.ts';
import { CLI_POLICY, validate, type ValidationPolicy } from '../input/validate.ts';
import type { PredictionSource } from '../input/sources.ts';
import type { GtStoreBuild } from './gt-store.ts';

export const DEFAULT_MAX_PIXELS = 40_000_000;

export interface EvaluateOptions {
  /** Directory of GT masks (`wnid/name.png`). */
  gtRoot: string;
  pred: PredictionSource;
  /** Mask paths in names-list order. */
  masks: string[];
  classes: number;
  /** A match to apply, 'auto' for the official default matching, or none (supervised protocols). */
  match?: Match | 'auto' | null;
  /** Worker threads; 0 runs in the calling thread. Default: all cores. */
  workers?: number;
  /** A long-lived pool to use instead of starting one (servers, benchmarks); it is not closed. */
  pool?: PairPool;
  maxPixels?: number;
  onProgress?: (done: number, total: number) => void;
  /** Aborts the run (the promise rejects with the signal's reason). */
  signal?: AbortSignal;
  /** How files outside the names list count (default: warnings, as the CLI reports them). */
  policy?: ValidationPolicy;
  /** The GT already decoded (gt-cache.ts): its masks are not read again; must be of `masks`, in order. */
  gt?: GtStoreBuild;
  /** Keep each image's contributions (accumulator.contributions), for bootstrap intervals. */
  contributions?: boolean;
  /**
   * The GT is private (a test phase): every check and warning then looks at all predicted pixels,
   * ignore included, so no answer depends on where the GT is ignore or labelled. Stricter than the
   * official code (which checks match coverage on labelled pixels only), and never probes the GT.
   */
  privateGt?: boolean;
}

export interface EvaluationResult {
  metrics: Metrics;
  images: number;
  warnings: Warning[];
  /** The applied match (the computed one with 'auto'). */
  match?: Match;
  /** True when the match was computed here (`match: 'auto'`). */
  matchComputed: boolean;
  records: ImageRecord[];
  accumulator: OfficialAccumulator;
  /** Per image, the sha256 of its GT mask as read (provenance.ts). */
  gtDigests: string[];
}

export async function evaluate(opts: EvaluateOptions): Promise<EvaluationResult> {
  const { masks, classes } = opts;
  if (opts.gt && opts.gt.store.count !== masks.length) throw new Error(`GT store of ${opts.gt.store.count} masks for a list of ${masks.length}`);
  const warnings = new WarningCollector();
  // Validation at listing depth; the pairs that are present are still checked in the data pass,
  // so one run reports every problem (a missing file does not hide a corrupt one).
  const v = await validate({ source: opts.pred, masks, depth: 'listing', policy: opts.policy ?? CLI_POLICY, maxPixels: opts.maxPixels ?? DEFAULT_MAX_PIXELS });
  if (masks.length === 0) throw new InputError('nothing to evaluate', v.problems);
  const problems: Problem[] = [...v.problems];
  const missing = v.missing;
  for (const w of v.warnings) warnings.add('extra-files', w.file);

  const gtDigests = opts.gt ? opts.gt.digests : new Array<string>(masks.length);
  const records = await dataPass(opts, problems, false, missing, gtDigests);
  if (problems.length) throw new InputError(`${problems.length} problem(s) with the submission`, sortProblems(problems, masks));

  // Ids present (raw ids for > C), with an example file each: on non-ignored pixels as officially,
  // or anywhere when the GT is private.
  const present = new Map<number, string[]>();
  const seen = (r: ImageRecord) => (opts.privateGt ? { ids: r.anywhere.ids, oorPixels: r.anywhere.oorPixels, oorIds: r.anywhere.oorIds } : { ids: r.predIds, oorPixels: r.oorPixels, oorIds: r.oorIds });
  records.forEach((r, i) => {
    const { ids, oorIds } = seen(r);
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k];
      if (id <= classes && !present.has(id)) present.set(id, [masks[i]]);
    }
    for (const id of oorIds) if (!present.has(id)) present.set(id, [masks[i]]);
    if (r.blueNonZero > 0) warnings.add('blue-channel', masks[i], r.blueNonZero);
  });

  let match: Match | undefined;
  if (opts.match === 'auto') {
    const co = new CooccurrenceAccumulator(classes);
    for (const r of records) co.update(r);
    match = co.result();
  } else if (opts.match) match = opts.match;

  if (match) {
    const uncovered = opts.match === 'auto' ? checkMatchCovers(match, present, 'match (computed)', { classes }) : checkMatchCovers(match, present);
    if (uncovered.length) throw new InputError('the match does not cover the predicted ids', uncovered);
  } else {
    records.forEach((r, i) => {
      const { oorPixels, oorIds } = seen(r);
      if (oorPixels > 0) warnings.add('out-of-range-ids', masks[i], oorPixels, oorIds);
    });
  }

  const acc = new OfficialAccumulator(classes, { contributions: opts.contributions });
  const lut = match ? matchLut(match, classes) : identityLut(classes);
  for (const r of records) acc.update(r, lut);
  return { metrics: acc.result(), images: masks.length, warnings: warnings.list(classes), match, matchComputed: opts.match === 'auto', records, accumulator: acc, gtDigests };
}

/**
 * Benchmarks: the same pass (same pool, same I/O) decoding both PNGs of every pair and nothing
 * else: the floor that full evaluation is compared with.
 */
export async function decodeOnlyPass(opts: EvaluateOptions): Promise<Problem[]> {
  const problems: Problem[] = [];
  await dataPass(opts, problems, true, new Set());
  return problems;
}

/** Processes every pair except the `skip`ped ones (missing predictions, already reported). */
async function dataPass(opts: EvaluateOptions, problems: Problem[], decodeOnly: boolean, skip: Set<number>, gtDigests: string[] = []): Promise<ImageRecord[]> {
  const { masks } = opts;
  const total = masks.length;
  const records = new Array<ImageRecord>(total);
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  const workers = opts.pool ? opts.pool.size : opts.workers ?? defaultWorkers();
  const ownPool = !opts.pool && workers > 0;
  const pool = opts.pool ?? (ownPool ? new PairPool(workers) : null);
  let done = 0;
  const finish = (r: PairResult): void => {
    if (r.problems) problems.push(...r.problems);
    else if (r.record) { records[r.id] = r.record; if (r.gtSha256) gtDigests[r.id] = r.gtSha256; }
    done++;
    opts.onProgress?.(done, total);
  };
  /** The job for pair i, or a finished result when its prediction is missing or cannot be read. */
  const makeJob = async (i: number): Promise<PairJob | PairResult> => {
    const rel = masks[i];
    if (skip.has(i)) return { id: i };
    const predPath = opts.pred.pathOf(rel);
    const job: PairJob = { id: i, rel, gtPath: join(opts.gtRoot, rel), classes: opts.classes, maxPixels, decodeOnly };
    if (opts.gt) job.gt = { store: opts.gt.store, index: i };
    if (predPath) job.predPath = predPath;
    else {
      try {
        job.predBytes = new Uint8Array(await opts.pred.read(rel));
      } catch (e) {
        return { id: i, problems: [problem('unreadable-prediction', rel, { reason: (e as Error).message })] };
      }
    }
    return job;
  };
  const isJob = (j: PairJob | PairResult): j is PairJob => 'gtPath' in j;
  try {
    if (!pool) {
      for (let i = 0; i < total; i++) {
        opts.signal?.throwIfAborted();
        const job = await makeJob(i);
        finish(isJob(job) ? processPair(job) : job);
      }
      return records;
    }
    // A bounded number of pairs in flight: enough to hide I/O, few enough to bound memory.
    await forEachLimit(masks, workers * 8, async (_rel, i) => {
      opts.signal?.throwIfAborted();
      const job = await makeJob(i);
      finish(isJob(job) ? await pool.run(job) : job);
    });
    return records;
  } finally {
    if (ownPool) await pool?.close();
  }
}
