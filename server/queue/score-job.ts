/**
 * One scoring job, from a zip and the hosted GT to a score record and its extras: no database, no
 * HTTP. The in-process scorer runs it in its scoring thread (scoring-worker.ts); queue workers run
 * it in their own processes (worker-main.ts, `npm run worker`). What crosses a process boundary is encoded by
 * encodeOutcome / decodeOutcome (typed arrays as base64).
 */
import {
  BOOTSTRAP_METRICS, classGroundTruth, evaluate, InputError, matchToObject, PairPool, parseMatch, ZipSource, bootstrapParallel, bootstrapSeed, strataOf, packContributions, packSamples,
  confusionPairs, perImageScores, provenanceOf, buildGtStore, namesHash, type GtStoreBuild, type Problem, type SourceLimits, type Warning,
} from '../../evaluator/index.ts';
import { ScoreRecord, scoreRecordOf, worstImages, type ScoreExtras } from '../domain/score-record.ts';
import { z } from 'zod';

export interface ScoreJob {
  id: number;
  /** The upload: its path on the server, and relative to the server's DATA_DIR (a worker elsewhere resolves it against its own). */
  zip: string;
  zipRel: string;
  /** The GT masks: their directory on the server, and relative to the dataset root (null: no root to be relative to). */
  gtDir: string;
  gtRel: string | null;
  masks: string[];
  classes: number;
  /** 'auto': compute the default matching when the zip has no match.json. */
  match: 'auto' | 'required' | 'none';
  maxPixels: number;
  /** Decode workers of this thread (its pool is made on the first job and kept). */
  workers: number;
  /** A phase whose GT is private: checks look at every predicted pixel (EvaluateOptions.privateGt). */
  privateGt: boolean;
  /** The submission's own match.json, as validated at upload. */
  submittedMatch: Record<string, number> | null;
  /** An older submission whose match.json was not stored: read it from the zip. */
  legacyMatchInZip: boolean;
  /** The limits the upload was checked with. */
  limits: SourceLimits;
  maxMatchBytes: number;
  /** sha256 of the zip as received (provenance); null for older rows. */
  zipSha256: string | null;
  /** Bytes of decoded ground truth this thread may keep (GT_CACHE_MB); 0: decode the GT with every submission. */
  gtCacheBytes: number;
}


export type ScoreProgress = { done: number; total: number };
/** A GT store built for a job: its size and what the thread keeps in all (logged by the scorer). */
export type GtStoreEvent = { gtDir: string; masks: number; bytes: number; seconds: number; keptBytes: number };
export type ScoreOutcome =
  | { type: 'result'; record: ScoreRecord; warnings: Warning[]; computedMatch: Record<string, number> | null; extras: ScoreExtras; gtStores?: GtStoreEvent[]; gtCache?: { hit: boolean; bytes: number } }
  | { type: 'input-error'; message: string; problems: Problem[]; fault: 'submission' | 'server' };

/** Progress is reported at most this often (each report is one SQLite write and one SSE event). */
const PROGRESS_MS = 250;

let pool: PairPool | null = null;

/**
 * Decoded ground truth, one store per hosted GT (split × phase: its protocols share it), built on
 * first use and kept within the byte budget, least recently used first out. A failed build is not
 * kept (the next submission tries again and reports the same GT problems).
 */
const gtStores = new Map<string, Promise<GtStoreBuild>>();
const gtBytes = new Map<string, number>();

async function groundTruth(job: ScoreJob, signal: AbortSignal): Promise<GtStoreBuild | undefined> {
  if (job.gtCacheBytes <= 0) return undefined;
  const key = `${job.gtDir}\n${namesHash(job.masks)}`;
  let p = gtStores.get(key);
  if (p) { gtStores.delete(key); gtStores.set(key, p); } // most recently used last
  else {
    const started = performance.now();
    p = buildGtStore({ gtRoot: job.gtDir, masks: job.masks, pool: pool!, maxPixels: job.maxPixels, signal });
    gtStores.set(key, p);
    p.then((b) => {
      gtBytes.set(key, b.bytes);
      let total = [...gtBytes.values()].reduce((a, x) => a + x, 0);
      for (const old of gtStores.keys()) {
        if (total <= job.gtCacheBytes || old === key) break;
        total -= gtBytes.get(old) ?? 0;
        gtStores.delete(old); gtBytes.delete(old);
      }
      gtStoreLog.push({ gtDir: job.gtDir, masks: job.masks.length, bytes: b.bytes, seconds: (performance.now() - started) / 1000, keptBytes: total });
    }, () => { gtStores.delete(key); });
  }
  return p;
}

/** What the thread built, for the scorer's log (sent with the next outcome). */
const gtStoreLog: GtStoreEvent[] = [];

/**
 * Scores one job: the thread's (scoring-worker.ts) and a queue worker's (worker-main.ts) one
 * code path. `pool` is made on the first job (job.workers threads) and kept, with the GT stores.
 */
export async function runScoreJob(job: ScoreJob, { progress, signal }: { progress: (p: ScoreProgress) => void; signal: AbortSignal }): Promise<ScoreOutcome> {
  pool ??= new PairPool(job.workers);
  let source: ZipSource | null = null;
  let last = 0;
  try {
    source = await ZipSource.open(job.zip, job.masks, job.limits);
    // the match validated at upload travels with the job; only rows from before that was stored
    // (has_match without match) read it from the zip once more
    let match: Parameters<typeof evaluate>[0]['match'] = null;
    if (job.match !== 'none') {
      if (job.submittedMatch) match = new Map(Object.entries(job.submittedMatch).map(([k, v]) => [Number(k), v]));
      else if (job.legacyMatchInZip) {
        const buf = await source.readExtra('match.json', job.maxMatchBytes);
        if (buf) match = parseMatch(buf.toString('utf8'), job.classes).match;
      } else if (job.match === 'auto') match = 'auto';
    }
    const gtHit = job.gtCacheBytes > 0 && gtStores.has(`${job.gtDir}\n${namesHash(job.masks)}`);
    const gt = await groundTruth(job, signal);
    const result = await evaluate({
      gtRoot: job.gtDir, pred: source, masks: job.masks, classes: job.classes, match, pool, gt,
      maxPixels: job.maxPixels, signal, privateGt: job.privateGt, contributions: true,
      // the one throttle of progress: each message is stored and streamed by the scorer as it is
      onProgress: (done, total) => {
        const now = performance.now();
        if (now - last > PROGRESS_MS || done === total) { last = now; progress({ done, total }); }
      },
    });
    // intervals on the same threads, once the images are done (bootstrap.ts; about a tenth of the scoring time)
    const boot = await bootstrapParallel(packContributions(result.accumulator.contributions, job.classes, strataOf(job.masks)), { seed: bootstrapSeed(job.masks), estimate: result.metrics, pool });
    signal.throwIfAborted();
    const provenance = provenanceOf(job.masks, result.gtDigests, job.zipSha256);
    // error analysis reads the GT image by image: never on a private-GT phase
    const perImage = job.privateGt ? null : perImageScores(result.accumulator);
    const analysis = perImage ? { confusion: confusionPairs(result.accumulator, 20), worst: worstImages(perImage), class_gt: classGroundTruth(result.accumulator) } : undefined;
    return {
      type: 'result', record: scoreRecordOf(result, { boot, provenance, analysis }), warnings: result.warnings,
      // the computed match is stored on its own (downloadable), beside the score record
      computedMatch: result.matchComputed && result.match ? matchToObject(result.match) : null,
      extras: { samples: { seed: boot.seed, B: boot.B, values: packSamples(boot.samples) }, perImage },
      gtStores: gtStoreLog.splice(0),
      gtCache: job.gtCacheBytes > 0 ? { hit: gtHit, bytes: [...gtBytes.values()].reduce((a, x) => a + x, 0) } : undefined,
    };
  } catch (e) {
    if (!(e instanceof InputError) || signal.aborted) throw e;
    // a problem with the hosted GT is the server's fault; its details stay in the server's log
    return e.problems.some((p) => p.file.startsWith('GT '))
      ? { type: 'input-error', message: 'the hosted ground truth could not be read; the administrators have the details', problems: e.problems, fault: 'server' }
      : { type: 'input-error', message: e.message, problems: e.problems, fault: 'submission' };
  } finally {
    await source?.close().catch(() => {});
  }
}

/** Pool teardown (queue workers on shutdown). */
export async function closeScoreJobs(): Promise<void> {
  await pool?.close();
  pool = null;
}

/** An outcome as plain JSON (queue results): typed arrays as base64. */
export function encodeOutcome(o: ScoreOutcome): unknown {
  if (o.type !== 'result') return o;
  const b64 = (a: Float64Array | Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
  const { samples, perImage } = o.extras;
  return {
    ...o,
    extras: {
      samples: { seed: samples.seed, B: samples.B, values: b64(samples.values) },
      perImage: perImage ? { mIoU: b64(perImage.mIoU), fmeasure: b64(perImage.fmeasure) } : null,
    },
  };
}

/**
 * What a queue worker sends back, checked before it is believed: a worker of another version, or a
 * corrupted job record in Redis, fails the job with a clear reason instead of writing a malformed
 * score. The resamples must hold B values of every metric.
 */
const b64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/);
const WireOutcome = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('result'),
    record: ScoreRecord,
    warnings: z.array(z.object({ code: z.string(), message: z.string(), files: z.number(), pixels: z.number().optional(), examples: z.array(z.string()) })),
    computedMatch: z.record(z.string(), z.number()).nullable(),
    extras: z.object({
      samples: z.object({ seed: z.string(), B: z.number().int().positive(), values: b64 }),
      perImage: z.object({ mIoU: b64, fmeasure: b64 }).nullable(),
    }),
    gtStores: z.array(z.object({ gtDir: z.string(), masks: z.number(), bytes: z.number(), seconds: z.number(), keptBytes: z.number() })).optional(),
    gtCache: z.object({ hit: z.boolean(), bytes: z.number() }).optional(),
  }),
  z.object({
    type: z.literal('input-error'),
    message: z.string(),
    problems: z.array(z.object({ code: z.string(), file: z.string(), problem: z.string(), details: z.record(z.string(), z.unknown()).optional() })),
    fault: z.enum(['submission', 'server']),
  }),
]);

export function decodeOutcome(v: unknown): ScoreOutcome {
  const parsed = WireOutcome.safeParse(v);
  if (!parsed.success) throw new Error(`a queue worker's result does not have the expected shape: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const o = parsed.data;
  if (o.type !== 'result') return o as ScoreOutcome;
  const bytes = (s: string) => { const b = Buffer.from(s, 'base64'); return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength); };
  const e = o.extras;
  const values = new Float64Array(bytes(e.samples.values));
  if (values.length !== e.samples.B * BOOTSTRAP_METRICS.length) throw new Error(`a queue worker's result holds ${values.length} resampled values, not ${e.samples.B} × ${BOOTSTRAP_METRICS.length}`);
  return {
    ...o,
    extras: {
      samples: { seed: e.samples.seed, B: e.samples.B, values },
      perImage: e.perImage ? { mIoU: new Float32Array(bytes(e.perImage.mIoU)), fmeasure: new Float32Array(bytes(e.perImage.fmeasure)) } : null,
    },
  } as ScoreOutcome;
}
