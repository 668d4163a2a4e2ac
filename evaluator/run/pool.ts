/**
 * The evaluation's worker pool: image pairs in, per-image records out (util/pool.ts does the
 * threads; a pair's prediction bytes are moved, not copied).
 */
import { defaultWorkers, startWorker } from '../../util/worker.ts';
import { WorkerPool } from '../../util/pool.ts';
import type { GtDecodeJob, PairJob, PairResult } from './pair.ts';
import type { GtDecodeResult } from './gt-store.ts';
import type { ResampleJob, ResampleRunner } from '../statistics/bootstrap.ts';

export class PairPool implements ResampleRunner {
  private readonly pool: WorkerPool<PairJob | ResampleJob | GtDecodeJob, PairResult | Float64Array | GtDecodeResult>;
  constructor(readonly size = defaultWorkers()) {
    this.pool = new WorkerPool(new URL('./worker.ts', import.meta.url), size, 'evaluation worker');
  }

  run(job: PairJob): Promise<PairResult> {
    return this.pool.run(job, { transfer: job.predBytes ? [job.predBytes.buffer as ArrayBuffer] : [] }) as Promise<PairResult>;
  }

  /** One GT mask decoded for a store (its runs come back moved). */
  decodeGt(job: GtDecodeJob): Promise<GtDecodeResult> {
    return this.pool.run(job) as Promise<GtDecodeResult>;
  }

  /** A range of bootstrap resamples (the table is copied to the worker; resamples come back moved). */
  resample(job: ResampleJob): Promise<Float64Array> {
    return this.pool.run(job) as Promise<Float64Array>;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

export { defaultWorkers, startWorker };
