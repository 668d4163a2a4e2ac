/**
 * A fixed pool of worker threads processing image pairs. Jobs go to the least-loaded worker;
 * results come back in completion order (the caller restores names-list order).
 */
import type { Worker } from 'node:worker_threads';
import { defaultWorkers, startWorker } from '../util/worker.ts';
import type { PairJob, PairResult } from './pair.ts';

export class PairPool {
  private readonly workers: { w: Worker; inflight: number }[] = [];
  private readonly pending = new Map<number, { resolve: (r: PairResult) => void; reject: (e: Error) => void; worker: number }>();
  private failure: Error | null = null;

  constructor(readonly size = defaultWorkers()) {
    for (let i = 0; i < size; i++) {
      const w = startWorker(new URL('./worker.ts', import.meta.url));
      const slot = { w, inflight: 0 };
      w.on('message', (r: PairResult) => {
        const p = this.pending.get(r.id);
        if (!p) return;
        this.pending.delete(r.id);
        slot.inflight--;
        p.resolve(r);
      });
      w.on('error', (e) => this.fail(e));
      w.on('exit', (code) => { if (code !== 0) this.fail(new Error(`evaluation worker exited with code ${code}`)); });
      this.workers.push(slot);
    }
  }

  run(job: PairJob): Promise<PairResult> {
    if (this.failure) return Promise.reject(this.failure);
    let best = 0;
    for (let i = 1; i < this.workers.length; i++) if (this.workers[i].inflight < this.workers[best].inflight) best = i;
    const slot = this.workers[best];
    slot.inflight++;
    return new Promise((resolve, reject) => {
      this.pending.set(job.id, { resolve, reject, worker: best });
      const transfer = job.predBytes ? [job.predBytes.buffer as ArrayBuffer] : [];
      slot.w.postMessage(job, transfer);
    });
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((s) => s.w.terminate()));
  }
}

export { defaultWorkers, startWorker };
