/**
 * Worker thread of the evaluation: reads and decodes one GT/prediction pair and returns its
 * per-image record (any problem with the pair comes back as data; the worker never throws on bad
 * input), decodes a GT mask for a store (gt-store.ts), or computes a range of bootstrap resamples
 * once the pairs are done.
 */
import { serveJobs } from '../../util/pool.ts';
import { decodeGt, processPair, type GtDecodeJob, type PairJob, type PairResult } from './pair.ts';
import type { GtDecodeResult } from './gt-store.ts';
import { RunRecordScratch } from '../metrics/image-record.ts';
import { resampleRange, type ResampleJob } from '../statistics/bootstrap.ts';

const scratch = new RunRecordScratch();

serveJobs<PairJob | ResampleJob | GtDecodeJob, PairResult | Float64Array | GtDecodeResult>(
  (job) => ('resample' in job ? resampleRange(job) : 'gtDecode' in job ? decodeGt(job) : processPair(job, scratch)),
  (result) => {
    if (result instanceof Float64Array) return [result.buffer as ArrayBuffer];
    if ('runs' in result) return [result.runs.rowFirst, result.runs.rowEnd, result.runs.start, result.runs.value].map((a) => a.buffer as ArrayBuffer);
    if (!('record' in result)) return [];
    const r = result.record;
    return r ? [r.predIds.buffer as ArrayBuffer, r.gtIds.buffer as ArrayBuffer, r.keys.buffer as ArrayBuffer, r.counts.buffer as ArrayBuffer] : [];
  },
);
