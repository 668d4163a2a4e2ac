/**
 * Worker thread of the evaluation: reads and decodes one GT/prediction pair and returns its
 * per-image record (any problem with the pair comes back as data; the worker never throws on bad
 * input), or computes a range of bootstrap resamples once the pairs are done.
 */
import { serveJobs } from '../util/pool.ts';
import { processPair, type PairJob, type PairResult } from './pair.ts';
import { RunRecordScratch } from './image-record.ts';
import { resampleRange, type ResampleJob } from './bootstrap.ts';

const scratch = new RunRecordScratch();

serveJobs<PairJob | ResampleJob, PairResult | Float64Array>(
  (job) => ('resample' in job ? resampleRange(job) : processPair(job, scratch)),
  (result) => {
    if (result instanceof Float64Array) return [result.buffer as ArrayBuffer];
    const r = result.record;
    return r ? [r.predIds.buffer as ArrayBuffer, r.gtIds.buffer as ArrayBuffer, r.keys.buffer as ArrayBuffer, r.counts.buffer as ArrayBuffer] : [];
  },
);
