/**
 * One image pair, from bytes to record, with every input rule of the policy checked (§1.2, §1.3).
 * Runs in a worker thread; also callable directly (tests, single-threaded use).
 */
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { buildImageRecordFromRuns, RunRecordScratch, type ImageRecord } from '../metrics/image-record.ts';
import { checkMaskHeader } from '../input/mask-header.ts';
import { decodePngRuns, PngError } from '../input/png.ts';
import type { RunMap } from '../metrics/runs.ts';
import { problem, type Problem } from '../input/rules.ts';
import { gtRunsOf, type GtDecodeResult, type GtStore } from './gt-store.ts';

export interface PairJob {
  id: number;
  /** Mask path as in the names list (for messages). */
  rel: string;
  gtPath: string;
  /** The prediction: a path the worker reads, or its bytes. */
  predPath?: string;
  predBytes?: Uint8Array;
  classes: number;
  maxPixels: number;
  /** Benchmarks only: decode both images (straight into runs, our fastest decode) and stop: the decode-only floor. */
  decodeOnly?: boolean;
  /** The GT already decoded (gt-store.ts): image `index` of `store`; the GT file is not read. */
  gt?: { store: GtStore; index: number };
}

/** Decode one GT mask for a store (gt-store.ts). */
export interface GtDecodeJob { gtDecode: true; id: number; rel: string; gtPath: string; maxPixels: number }

export interface PairResult {
  id: number;
  record?: ImageRecord;
  /** sha256 of the GT file's bytes as read for this pair (provenance.ts). */
  gtSha256?: string;
  problems?: Problem[];
}

export function processPair(job: PairJob, scratch: RunRecordScratch = new RunRecordScratch()): PairResult {
  if (job.gt) return processPairOnStore(job, job.gt.store, job.gt.index, scratch);
  const problems: Problem[] = [];
  const gtFile = `GT ${job.rel}`;
  const gtBuf = readGt(job);
  if ('problems' in gtBuf) return gtBuf;
  const predBuf = readPrediction(job);
  if ('problems' in predBuf) return predBuf;

  // Headers first: size and encoding problems are reported without decoding anything.
  const gt0 = checkMaskHeader(gtBuf, gtFile, null, job.maxPixels);
  for (const p of gt0.problems) problems.push(problem('gt-invalid', gtFile, { detail: p.problem }));
  const gh = gt0.header;
  problems.push(...checkMaskHeader(predBuf, job.rel, gh ? [gh.width, gh.height] : null, job.maxPixels).problems);
  if (problems.length) return { id: job.id, problems };

  let gt;
  try {
    gt = decodePngRuns(gtBuf, { maxPixels: job.maxPixels, builder: scratch.gtRuns });
  } catch (e) {
    return { id: job.id, problems: [problem('gt-invalid', gtFile, { detail: (e as Error).message })] };
  }
  const pred = decodePrediction(job, predBuf, scratch);
  if ('problems' in pred) return pred;
  if (job.decodeOnly) return { id: job.id };
  return { id: job.id, record: buildImageRecordFromRuns(gt, pred, job.classes, scratch), gtSha256: createHash('sha256').update(gtBuf).digest('hex') };
}

/** The prediction's bytes, or the pair's result when they cannot be read. */
/** The GT mask's bytes, or the result naming it unreadable. */
function readGt(job: { id: number; rel: string; gtPath: string }): Buffer | { id: number; problems: Problem[] } {
  try {
    return readFileSync(job.gtPath);
  } catch (e) {
    return { id: job.id, problems: [problem('gt-unreadable', `GT ${job.rel}`, { reason: (e as NodeJS.ErrnoException).code ?? (e as Error).message })] };
  }
}

function readPrediction(job: PairJob): Uint8Array | PairResult & { problems: Problem[] } {
  try {
    return job.predBytes ?? readFileSync(job.predPath!);
  } catch (e) {
    return { id: job.id, problems: [problem('unreadable-prediction', job.rel, { reason: (e as NodeJS.ErrnoException).code ?? (e as Error).message })] };
  }
}

/** The prediction in runs, or the pair's result when its PNG is broken (a PngError names the rule). */
function decodePrediction(job: PairJob, predBuf: Uint8Array, scratch: RunRecordScratch): RunMap | PairResult & { problems: Problem[] } {
  try {
    return decodePngRuns(predBuf, { maxPixels: job.maxPixels, builder: scratch.predRuns });
  } catch (e) {
    if (e instanceof PngError) return { id: job.id, problems: [e.at(job.rel)] };
    throw e;
  }
}

/** A pair whose GT is in a store: only the prediction is read and decoded. */
function processPairOnStore(job: PairJob, store: GtStore, index: number, scratch: RunRecordScratch): PairResult {
  const predBuf = readPrediction(job);
  if ('problems' in predBuf) return predBuf;
  const gt = gtRunsOf(store, index);
  const problems = checkMaskHeader(predBuf, job.rel, [gt.width, gt.height], job.maxPixels).problems;
  if (problems.length) return { id: job.id, problems };
  const pred = decodePrediction(job, predBuf, scratch);
  if ('problems' in pred) return pred;
  if (job.decodeOnly) return { id: job.id };
  return { id: job.id, record: buildImageRecordFromRuns(gt, pred, job.classes, scratch) };
}

/** One GT mask read, checked and decoded into trimmed runs for a store, with its bytes' sha256. */
export function decodeGt(job: GtDecodeJob): GtDecodeResult {
  const gtFile = `GT ${job.rel}`;
  const buf = readGt(job);
  if ('problems' in buf) return buf;
  const head = checkMaskHeader(buf, gtFile, null, job.maxPixels);
  if (head.problems.length) return { id: job.id, problems: head.problems.map((p) => problem('gt-invalid', gtFile, { detail: p.problem })) };
  let m;
  try {
    m = decodePngRuns(buf, { maxPixels: job.maxPixels });
  } catch (e) {
    return { id: job.id, problems: [problem('gt-invalid', gtFile, { detail: (e as Error).message })] };
  }
  let runs = 0;
  for (let r = 0; r < m.height; r++) runs = Math.max(runs, m.rowEnd[r]);
  return {
    id: job.id, sha256: createHash('sha256').update(buf).digest('hex'),
    runs: { width: m.width, height: m.height, rowFirst: m.rowFirst, rowEnd: m.rowEnd, start: m.start.slice(0, runs), value: m.value.slice(0, runs) },
  };
}
