/**
 * One image pair, from bytes to record, with every input rule of the policy checked (§1.2, §1.3).
 * Runs in a worker thread; also callable directly (tests, single-threaded use).
 */
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { buildImageRecordFromRuns, RunRecordScratch, type ImageRecord } from './image-record.ts';
import { checkMaskHeader } from './mask-header.ts';
import { decodePngRuns, PngError } from './png.ts';
import { problem, type Problem } from './rules.ts';

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
}

export interface PairResult {
  id: number;
  record?: ImageRecord;
  /** sha256 of the GT file's bytes as read for this pair (provenance.ts). */
  gtSha256?: string;
  problems?: Problem[];
}

export function processPair(job: PairJob, scratch: RunRecordScratch = new RunRecordScratch()): PairResult {
  const problems: Problem[] = [];
  const gtFile = `GT ${job.rel}`;
  let gtBuf: Buffer;
  try {
    gtBuf = readFileSync(job.gtPath);
  } catch (e) {
    return { id: job.id, problems: [problem('gt-unreadable', gtFile, { reason: (e as NodeJS.ErrnoException).code ?? (e as Error).message })] };
  }
  let predBuf: Uint8Array;
  try {
    predBuf = job.predBytes ?? readFileSync(job.predPath!);
  } catch (e) {
    return { id: job.id, problems: [problem('unreadable-prediction', job.rel, { reason: (e as NodeJS.ErrnoException).code ?? (e as Error).message })] };
  }

  // Headers first: size and encoding problems are reported without decoding anything.
  const gt0 = checkMaskHeader(gtBuf, gtFile, null, job.maxPixels);
  for (const p of gt0.problems) problems.push(problem('gt-invalid', gtFile, { detail: p.problem }));
  const gh = gt0.header;
  problems.push(...checkMaskHeader(predBuf, job.rel, gh ? [gh.width, gh.height] : null, job.maxPixels).problems);
  if (problems.length) return { id: job.id, problems };

  let gt, pred;
  try {
    gt = decodePngRuns(gtBuf, { maxPixels: job.maxPixels, builder: scratch.gtRuns });
  } catch (e) {
    return { id: job.id, problems: [problem('gt-invalid', gtFile, { detail: (e as Error).message })] };
  }
  try {
    pred = decodePngRuns(predBuf, { maxPixels: job.maxPixels, builder: scratch.predRuns });
  } catch (e) {
    if (e instanceof PngError) return { id: job.id, problems: [e.at(job.rel)] };
    throw e;
  }
  if (job.decodeOnly) return { id: job.id };
  return { id: job.id, record: buildImageRecordFromRuns(gt, pred, job.classes, scratch), gtSha256: createHash('sha256').update(gtBuf).digest('hex') };
}
