/**
 * One image pair, from bytes to record, with every input rule of the policy checked (§1.2, §1.3).
 * Runs in a worker thread; also callable directly (tests, single-threaded use).
 */
import { readFileSync } from 'node:fs';
import { buildImageRecordFromRuns, RunRecordScratch, type ImageRecord } from './image-record.ts';
import { decodePngRuns, readPngHeader, checkEncoding, checkPixelLimit, PngError, type PngHeader } from './png.ts';
import type { Problem } from './problems.ts';

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
  problems?: Problem[];
}

export function processPair(job: PairJob, scratch: RunRecordScratch = new RunRecordScratch()): PairResult {
  const problems: Problem[] = [];
  const gtFile = `GT ${job.rel}`;
  let gtBuf: Buffer;
  try {
    gtBuf = readFileSync(job.gtPath);
  } catch (e) {
    return { id: job.id, problems: [{ file: gtFile, problem: `cannot read the ground-truth mask (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` }] };
  }
  let predBuf: Uint8Array;
  try {
    predBuf = job.predBytes ?? readFileSync(job.predPath!);
  } catch (e) {
    return { id: job.id, problems: [{ file: job.rel, problem: `cannot read the prediction (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` }] };
  }

  // Headers first: size and encoding problems are reported without decoding anything.
  let gh: PngHeader | null = null, ph: PngHeader | null = null;
  try {
    gh = readPngHeader(gtBuf); checkEncoding(gh); checkPixelLimit(gh, job.maxPixels);
  } catch (e) {
    problems.push({ file: gtFile, problem: `ground-truth mask: ${(e as Error).message}` });
  }
  try {
    ph = readPngHeader(predBuf); checkEncoding(ph); checkPixelLimit(ph, job.maxPixels);
  } catch (e) {
    problems.push({ file: job.rel, problem: (e as Error).message });
    ph = null;
  }
  if (gh && ph && (gh.width !== ph.width || gh.height !== ph.height)) {
    const transposed = gh.width === ph.height && gh.height === ph.width;
    problems.push({
      file: job.rel,
      problem: `prediction is ${ph.width}×${ph.height} (width×height) but the ground truth is ${gh.width}×${gh.height}${transposed ? ' (transposed: same pixel count, rows and columns swapped)' : ''}`,
    });
  }
  if (problems.length) return { id: job.id, problems };

  let gt, pred;
  try {
    gt = decodePngRuns(gtBuf, { maxPixels: job.maxPixels, builder: scratch.gtRuns });
  } catch (e) {
    return { id: job.id, problems: [{ file: gtFile, problem: `ground-truth mask: ${(e as Error).message}` }] };
  }
  try {
    pred = decodePngRuns(predBuf, { maxPixels: job.maxPixels, builder: scratch.predRuns });
  } catch (e) {
    if (e instanceof PngError) return { id: job.id, problems: [{ file: job.rel, problem: e.message }] };
    throw e;
  }
  if (job.decodeOnly) return { id: job.id };
  return { id: job.id, record: buildImageRecordFromRuns(gt, pred, job.classes, scratch) };
}
