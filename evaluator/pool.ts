/**
 * The evaluation's worker pool: image pairs in, per-image records out (util/pool.ts does the
 * threads; a pair's prediction bytes are moved, not copied).
 */
import { defaultWorkers, startWorker } from '../util/worker.ts';
import { WorkerPool } from '../util/pool.ts';
import type { PairJob, PairResult } from './pair.ts';

export class PairPool {
  private readonly pool: WorkerPool<PairJob, PairResult>;
  constructor(readonly size = defaultWorkers()) {
    this.pool = new WorkerPool(new URL('./worker.ts', import.meta.url), size, 'evaluation worker');
  }

  run(job: PairJob): Promise<PairResult> {
    return this.pool.run(job, { transfer: job.predBytes ? [job.predBytes.buffer as ArrayBuffer] : [] });
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

export { defaultWorkers, startWorker };
