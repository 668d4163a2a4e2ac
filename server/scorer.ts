/**
 * The scoring queue. State lives in SQLite (queued → scoring → finished | failed | cancelled), so a
 * crash loses nothing: on start, interrupted scorings go back to the queue and run again (scoring is
 * deterministic, so the result is the same). One submission is scored at a time, chosen fairly
 * across users (Queries.nextQueued), in a dedicated scoring thread with its own decode workers:
 * heavy HTTP traffic on the main thread cannot starve it.
 *
 * Every transition is a conditional update on the submission's attempt (queries.ts): a cancel or
 * delete that lands while a result is on its way wins, and the result is discarded. No failure of
 * one submission, of the scoring thread or of the database ends the loop: the submission fails
 * with a clear error and the queue moves on.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import { EVALUATOR_VERSION, MAX_MATCH_BYTES } from '../evaluator/index.ts';
import { WorkerPool } from '../util/pool.ts';
import { Catalogue } from './catalogue.ts';
import type { Attempt, Queries, SubmissionRow } from './queries.ts';
import type { ScoreJob, ScoreOutcome, ScoreProgress } from './scoring-worker.ts';
import { uploadLimits } from './upload-check.ts';

export interface ProgressEvent { id: number; status: string; done: number; total: number }
type Listener = (e: ProgressEvent) => void;

const SERVER_FAULT = 'internal error while scoring; the administrators have the details';

export class Scorer {
  private pool: WorkerPool<ScoreJob, ScoreOutcome, ScoreProgress> | null = null;
  private running = false;
  private wake: (() => void) | null = null;
  private current: { id: number; abort: AbortController } | null = null;
  private readonly listeners = new Map<number, Set<Listener>>();
  private loop: Promise<void> | null = null;

  constructor(
    private readonly q: Queries,
    private readonly catalogue: Catalogue,
    private readonly opts: { dataDir: string; workers: number; maxPixels: number; gtCacheMB: number; log: Logger },
  ) {}

  start(): void {
    const n = this.q.requeueInterrupted();
    if (n) this.opts.log.info({ requeued: n }, 'resuming interrupted scorings');
    this.running = true;
    // one scoring thread; if it dies the pool replaces it and the job in hand fails (score())
    this.pool = new WorkerPool(new URL('./scoring-worker.ts', import.meta.url), 1, 'scoring');
    this.loop = this.run();
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
    for (const fn of this.listeners.get(e.id) ?? []) {
      this.guard('progress listener', () => fn(e));
    }
  }

  /** Cancels a queued or running submission; false when it had already reached another state. */
  cancel(id: number): boolean {
    if (!this.q.cancel(id)) return false;
    this.stopIfCurrent(id);
    const s = this.q.submission(id);
    if (s) this.emit({ id, status: 'cancelled', done: s.progress_done, total: s.images });
    return true;
  }

  /** The submission is gone (deleted) or cancelled: stop scoring it if it is the one in hand. */
  stopIfCurrent(id: number): void {
    if (this.current?.id === id) this.current.abort.abort(new Error('cancelled'));
  }

  async close(): Promise<void> {
    this.running = false;
    this.wake?.();
    this.current?.abort.abort(new Error('stopping'));
    await this.pool?.close();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        const next = this.q.nextQueued();
        if (!next) {
          await new Promise<void>((resolve) => {
            this.wake = resolve;
            setTimeout(resolve, 2000).unref(); // also polls, for submissions queued by another process (admin re-score)
          });
          this.wake = null;
          continue;
        }
        const attempt = this.q.startScoring(next.id);
        if (!attempt) continue; // cancelled meanwhile
        try {
          await this.score(next, attempt);
        } catch (e) {
          this.opts.log.error({ err: e, submission: next.id }, 'scoring failed');
          this.guard('marking a failed scoring', () => this.q.fail(attempt, SERVER_FAULT, null, 'server'));
        }
      } catch (e) {
        // the database itself failed (disk full, locked past its timeout): wait, then carry on
        this.opts.log.error({ err: e }, 'scoring loop error; retrying in a second');
        await new Promise((r) => setTimeout(r, 1000).unref());
      }
    }
  }

  private async score(s: SubmissionRow, attempt: Attempt): Promise<void> {
    const log = this.opts.log.child({ submission: s.id, benchmark: s.benchmark, attempt: attempt.attempt });
    const b = this.catalogue.benchmarks.get(s.benchmark);
    if (!b) { this.q.fail(attempt, `benchmark ${s.benchmark} is no longer hosted`, null, 'server'); return; }
    const total = b.masks.length;
    const job: ScoreJob = {
      id: s.id, zip: join(this.opts.dataDir, s.file), gtDir: b.gtDir, masks: b.masks, classes: b.classes,
      match: Catalogue.needsMatch(b), maxPixels: this.opts.maxPixels, workers: this.opts.workers, privateGt: b.gtPrivate,
      limits: uploadLimits(b), maxMatchBytes: MAX_MATCH_BYTES,
      submittedMatch: s.match ? JSON.parse(s.match) as Record<string, number> : null,
      legacyMatchInZip: s.has_match === 1 && !s.match,
      zipSha256: s.file_sha256,
      gtCacheBytes: this.opts.gtCacheMB * 1048576,
    };
    const started = performance.now();
    this.emit({ id: s.id, status: 'scoring', done: 0, total });
    const abort = new AbortController();
    this.current = { id: s.id, abort };
    let outcome: ScoreOutcome;
    try {
      outcome = await this.pool!.run(job, {
        signal: abort.signal,
        onProgress: (p) => {
          this.guard('progress write', () => this.q.setProgress(s.id, p.done));
          this.emit({ id: s.id, status: 'scoring', ...p });
        },
      });
    } catch (e) {
      if (abort.signal.aborted || !this.running) {
        // a cancel or delete already decided the state; a shutdown leaves 'scoring', requeued on
        // the next start
        log.info('scoring stopped');
        return;
      }
      log.error({ err: e }, 'scoring failed');
      if (this.q.fail(attempt, SERVER_FAULT, null, 'server')) this.emit({ id: s.id, status: 'failed', done: 0, total });
      return;
    } finally {
      this.current = null;
    }
    let stored: boolean;
    if (outcome.type === 'result') {
      stored = this.q.finish(attempt, EVALUATOR_VERSION, outcome.record, outcome.warnings, outcome.computedMatch, outcome.extras);
      for (const e of outcome.gtStores ?? []) log.info({ gtDir: e.gtDir, masks: e.masks, MB: +(e.bytes / 1048576).toFixed(1), seconds: +e.seconds.toFixed(2), keptMB: +(e.keptBytes / 1048576).toFixed(1) }, 'ground truth decoded once and kept');
      if (stored) {
        log.info({ seconds: (performance.now() - started) / 1000, mIoU: outcome.record.metrics.mIoU }, 'scored');
        this.emit({ id: s.id, status: 'finished', done: total, total });
      }
    } else {
      stored = this.q.fail(attempt, outcome.message, outcome.fault === 'server' ? null : outcome.problems, outcome.fault);
      if (stored) {
        if (outcome.fault === 'server') log.error({ problems: outcome.problems }, 'the hosted ground truth failed while scoring');
        else log.info({ problems: outcome.problems.length }, 'submission failed its checks');
        this.emit({ id: s.id, status: 'failed', done: 0, total });
      }
    }
    if (!stored) log.info({ outcome: outcome.type }, 'result discarded: the submission was cancelled, deleted or requeued meanwhile');
  }

  /** Runs a side task whose failure must not end the process (it is logged). */
  private guard(what: string, fn: () => void): void {
    try { fn(); } catch (e) { this.opts.log.error({ err: e }, `${what} failed`); }
  }
}
