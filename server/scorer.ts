/**
 * The scoring queue. State lives in SQLite (queued → scoring → finished | failed | cancelled), so a
 * crash loses nothing: on start, interrupted scorings go back to the queue and run again (scoring is
 * deterministic, so the result is the same). One submission is scored at a time, chosen fairly
 * across users (Queries.nextQueued), in a dedicated scoring thread with its own decode workers:
 * heavy HTTP traffic on the main thread cannot starve it.
 */
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { EVALUATOR_VERSION } from '../evaluator/evaluate.ts';
import { startWorker } from '../evaluator/pool.ts';
import { Catalogue } from './catalogue.ts';
import type { Queries, SubmissionRow } from './queries.ts';
import type { ScoreJob, ScoreMessage } from './scoring-worker.ts';

export interface ProgressEvent { id: number; status: string; done: number; total: number }
type Listener = (e: ProgressEvent) => void;

export class Scorer {
  private thread: Worker | null = null;
  private running = false;
  private wake: (() => void) | null = null;
  private current: { id: number; done: (m: ScoreMessage) => void } | null = null;
  private readonly listeners = new Map<number, Set<Listener>>();
  private loop: Promise<void> | null = null;
  private lastProgressWrite = 0;
  /** Called after every change a leaderboard could show. */
  onChange: (benchmark: string) => void = () => {};

  constructor(
    private readonly q: Queries,
    private readonly catalogue: Catalogue,
    private readonly opts: { dataDir: string; workers: number; maxPixels: number; log: Logger },
  ) {}

  start(): void {
    const n = this.q.requeueInterrupted();
    if (n) this.opts.log.info({ requeued: n }, 'resuming interrupted scorings');
    this.thread = this.startThread();
    this.running = true;
    this.loop = this.run();
  }

  private startThread(): Worker {
    const t = startWorker(new URL('./scoring-worker.ts', import.meta.url));
    t.on('message', (m: ScoreMessage) => {
      if (m.type === 'progress') {
        const now = performance.now();
        if (now - this.lastProgressWrite > 500 || m.done === m.total) { this.q.setProgress(m.id, m.done); this.lastProgressWrite = now; }
        this.emit({ id: m.id, status: 'scoring', done: m.done, total: m.total });
      } else if (this.current?.id === m.id) this.current.done(m);
    });
    t.on('error', (e) => {
      this.opts.log.error({ err: e }, 'scoring thread failed; restarting it');
      const cur = this.current;
      this.thread = this.running ? this.startThread() : null;
      cur?.done({ type: 'error', id: cur.id, message: String(e) });
    });
    t.postMessage({ type: 'init', workers: this.opts.workers });
    return t;
  }

  /** A submission was queued: wake the loop. */
  kick(): void {
    this.wake?.();
  }

  subscribe(id: number, fn: Listener): () => void {
    let set = this.listeners.get(id);
    if (!set) this.listeners.set(id, (set = new Set()));
    set.add(fn);
    return () => { set!.delete(fn); if (set!.size === 0) this.listeners.delete(id); };
  }

  private emit(e: ProgressEvent): void {
    for (const fn of this.listeners.get(e.id) ?? []) fn(e);
  }

  /** Cancels a queued or running submission; true when it was queued or scoring. */
  cancel(id: number): boolean {
    const ok = this.q.cancel(id);
    if (ok && this.current?.id === id) this.thread?.postMessage({ type: 'cancel', id });
    if (ok) {
      const s = this.q.submission(id)!;
      this.emit({ id, status: 'cancelled', done: s.progress_done, total: s.images });
    }
    return ok;
  }

  async close(): Promise<void> {
    this.running = false;
    this.wake?.();
    const t = this.thread;
    this.thread = null;
    if (t) {
      const exited = new Promise((r) => t.once('exit', r));
      t.postMessage({ type: 'close' });
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      await t.terminate();
    }
    this.current?.done({ type: 'aborted', id: this.current.id });
    await this.loop?.catch(() => {});
  }

  private async run(): Promise<void> {
    while (this.running) {
      const next = this.q.nextQueued();
      if (!next) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          setTimeout(resolve, 2000).unref(); // also polls, for submissions queued by another process (admin re-score)
        });
        this.wake = null;
        continue;
      }
      if (!this.q.startScoring(next.id)) continue; // cancelled meanwhile
      await this.score(this.q.submission(next.id)!);
    }
  }

  private async score(s: SubmissionRow): Promise<void> {
    const log = this.opts.log.child({ submission: s.id, benchmark: s.benchmark });
    const b = this.catalogue.benchmarks.get(s.benchmark);
    if (!b) { this.q.fail(s.id, `benchmark ${s.benchmark} is no longer hosted`, null); return; }
    const job: ScoreJob = {
      id: s.id, zip: join(this.opts.dataDir, s.file), gtDir: b.gtDir, masks: b.masks, classes: b.classes,
      match: Catalogue.needsMatch(b), maxPixels: this.opts.maxPixels,
    };
    const started = performance.now();
    this.emit({ id: s.id, status: 'scoring', done: 0, total: b.masks.length });
    const m = await new Promise<ScoreMessage>((resolve) => {
      this.current = { id: s.id, done: resolve };
      this.thread!.postMessage({ type: 'score', job });
    });
    this.current = null;
    const total = b.masks.length;
    if (m.type === 'result') {
      this.q.finish(s.id, EVALUATOR_VERSION, m.metrics, m.warnings, m.computedMatch);
      log.info({ seconds: (performance.now() - started) / 1000, mIoU: m.metrics.mIoU }, 'scored');
      this.emit({ id: s.id, status: 'finished', done: total, total });
      this.onChange(s.benchmark);
    } else if (m.type === 'input-error') {
      this.q.fail(s.id, m.message, m.problems);
      log.info({ problems: m.problems.length }, 'submission failed its checks');
      this.emit({ id: s.id, status: 'failed', done: 0, total });
    } else if (m.type === 'error') {
      log.error({ err: m.message, stack: m.type === 'error' ? m.stack : undefined }, 'scoring failed');
      this.q.fail(s.id, 'internal error while scoring; the administrators have the details', null);
      this.emit({ id: s.id, status: 'failed', done: 0, total });
    } else {
      // aborted: a cancel already wrote 'cancelled'; a shutdown leaves 'scoring', requeued on the next start
      log.info('scoring stopped');
    }
  }
}
