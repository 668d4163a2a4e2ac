/**
 * Worker thread: reads and decodes one GT/prediction pair and returns its per-image record.
 * Any problem with the pair comes back as data; the worker never throws on bad input.
 */
import { parentPort } from 'node:worker_threads';
import { processPair, type PairJob } from './pair.ts';
import { RunRecordScratch } from './image-record.ts';

const scratch = new RunRecordScratch();

parentPort!.on('message', (job: PairJob) => {
  const result = processPair(job, scratch);
  const transfer: ArrayBuffer[] = [];
  if (result.record) {
    const r = result.record;
    transfer.push(r.predIds.buffer as ArrayBuffer, r.gtIds.buffer as ArrayBuffer, r.keys.buffer as ArrayBuffer, r.counts.buffer as ArrayBuffer);
  }
  parentPort!.postMessage(result, transfer);
});
