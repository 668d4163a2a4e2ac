/**
 * Worker thread: reads and decodes one GT/prediction pair and returns its per-image record.
 * Any problem with the pair comes back as data; the worker never throws on bad input.
 */
import { serveJobs } from '../util/pool.ts';
import { processPair, type PairJob, type PairResult } from './pair.ts';
import { RunRecordScratch } from './image-record.ts';

const scratch = new RunRecordScratch();

serveJobs<PairJob, PairResult>((job) => processPair(job, scratch), (result) => {
  const r = result.record;
  return r ? [r.predIds.buffer as ArrayBuffer, r.gtIds.buffer as ArrayBuffer, r.keys.buffer as ArrayBuffer, r.counts.buffer as ArrayBuffer] : [];
});
