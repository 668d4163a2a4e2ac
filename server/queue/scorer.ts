/**
 * The scoring queue. State lives in SQLite (queued → scoring → finished | failed | cancelled), so a
 * crash loses nothing: on start, interrupted scorings go back to the queue and run again (scoring is
 * deterministic, so the result is the same). Submissions are chosen fairly across users
 * (Queries.nextQueued) and handed to an executor:
 *   - embedded (default): one at a time, in a dedicated scoring thread with its own decode workers,
 *     so heavy HTTP traffic on the main thread cannot starve it;
 *   - a queue (QUEUE=redis://…, queue.ts): up to QUEUE_IN_FLIGHT at a time on BullMQ, scored by
 *     worker processes; SQLite stays the record of truth (the row is the outbox), a scoring that
 *     was in flight when the server stopped is waited for again on start, not started anew.
 *
 * Every transition is a conditional update on the submission's attempt (queries.ts): a cancel or
 * delete that lands while a result is on its way wins, and the result is discarded. No failure of
 * one submission, of the scoring thread or of the database ends the loop: the submission fails
 * with a clear error and the queue moves on.
 */
import { join, relative } from 'node:path';
import type { Logger } from 'pino';
import { EVALUATOR_VERSION, MAX_MATCH_BYTES, problem } from '../../evaluator/index.ts';
import { WorkerPool } from '../../util/pool.ts';
import { Catalogue } from '../domain/catalogue.ts';
import type { Attempt, Queries, SubmissionRow } from '../storage/queries.ts';
import type { ScoreJob, ScoreOutcome, ScoreProgress } from './score-job.ts';
import { uploadLimits } from '../domain/upload-check.ts';
import type { ServerMetrics } from '../metrics.ts';
import { JobLoop, type Taken } from './job-loop.ts';

/** A scoring that failed for a reason its submitter may read (not an internal error). */
export class ScoringError extends Error {}
export { ShutdownError } from './job-loop.ts';
/** A scoring stopped at its time limit (SCORING_TIMEOUT_SECONDS per started 1,000 images). */
export class ScoringTimeout extends Error {}

/** The time limit of a scoring of `images` images, ms; 0: none. */
export function scoringLimitMs(secondsPer1000: number, images: number): number {
  return secondsPer1000 * 1000 * Math.max(1, Math.ceil(images / 1000));
}
/** How long a scoring told to stop (cancel, time limit) may take to stop before its thread is ended. */
const ABORT_GRACE_MS = 5000;

export interface ProgressEvent { id: number; status: string; done: number; total: number }
type Listener = (e: ProgressEvent) => void;

const SERVER_FAULT = 'internal error while scoring; the administrators have the details';

/** Where jobs run (scorings, model runs): a thread of this process, or workers behind a queue. */
export interface Executor<J, O, P> {
  /** Jobs in flight at once. */
  readonly concurrency: number;
  /** A job of an attempt that was in flight when the server stopped can be waited for again (queue.ts). */
  readonly resumable: boolean;
  run(job: J, attempt: number, opts: RunOptions<P>): Promise<O>;
  close(): Promise<void>;
  /** Queue executors: whether the queue answers, and when a worker last said it was alive. */
  health?(): Promise<QueueHealth>;
}
export type ScoreExecutor = Executor<ScoreJob, ScoreOutcome, ScoreProgress>;

export interface RunOptions<P = ScoreProgress> {
  signal: AbortSignal;
  onProgress: (p: P) => void;
  /** A worker has taken the job (until then a queued job waits for one). */
  onStarted?: () => void;
}

export interface QueueHealth { reachable: boolean; reason?: string; workerSeenAt: number | null }

/** What a submission's page and API show of a scoring handed to the queue that no worker has taken yet. */
export interface WaitingForWorker { position: number; workerSeenAt: number | null }

/**
 * The embedded executor: one thread running one job at a time (scoring-worker.ts, or model-worker.ts
 * for model runs); if it dies the pool replaces it and the job in hand fails.
 */
export class ThreadExecutor<J = ScoreJob, O = ScoreOutcome, P = ScoreProgress> implements Executor<J, O, P> {
  readonly concurrency = 1;
  readonly resumable = false;
  private readonly pool: WorkerPool<J, O, P>;
  constructor(script = new URL('./scoring-worker.ts', import.meta.url), name = 'scoring') {
    this.pool = new WorkerPool<J, O, P>(script, 1, name);
  }
  run(job: J, _attempt: number, opts: RunOptions<P>): Promise<O> {
    opts.onStarted?.();
    return this.pool.run(job, { ...opts, abortGraceMs: ABORT_GRACE_MS });
  }
  close(): Promise<void> { return this.pool.close(); }
}

export class Scorer extends JobLoop {
  private readonly listeners = new Map<number, Set<Listener>>();
  /** Scorings handed to the queue that no worker has taken yet, in the order they were handed over. */
  private readonly awaiting = new Set<number>();
  private health: QueueHealth | null = null;

  constructor(
    private readonly q: Queries,
    private readonly catalogue: Catalogue,
    private readonly opts: { dataDir: string; datasetRoot: string | null; workers: number; maxPixels: number; gtCacheMB: number; log: Logger; metrics?: ServerMetrics; timeoutSeconds?: number },
    private readonly executor: ScoreExecutor = new ThreadExecutor(),
  ) {
    super(opts.log, 'scoring');
  }

  protected get capacity(): number { return this.executor.concurrency; }
  protected take(): Taken {
    const next = this.q.nextQueued();
    if (!next) return 'idle';
    const attempt = this.q.startScoring(next.id);
    return attempt ? { row: next, attempt } : 'again'; // cancelled meanwhile
  }
  protected work(s: SubmissionRow, attempt: Attempt, abort: AbortController): Promise<void> { return this.score(s, attempt, abort); }
  protected failed(_s: SubmissionRow, attempt: Attempt): void { this.q.fail(attempt, SERVER_FAULT, null, 'server'); }
  protected closeExecutor(): Promise<void> { return this.executor.close(); }

  /** Set when the submission is handed to the queue and no worker has taken it: it is shown as queued. */
  waitingForWorker(id: number): WaitingForWorker | null {
    if (!this.awaiting.has(id)) return null;
    return { position: [...this.awaiting].indexOf(id) + 1, workerSeenAt: this.health?.workerSeenAt ?? null };
  }

  /** Scorings waiting for a worker (a queued submission's position counts them as ahead of it). */
  get waitingCount(): number { return this.awaiting.size; }

  /** The queue's health (null in the embedded mode): asked afresh, and kept for the pages. */
  async queueHealth(): Promise<QueueHealth | null> {
    if (!this.executor.health) return null;
    this.health = await this.executor.health();
    return this.health;
  }
  /** The last queue health asked (null before the first, or in the embedded mode). */
  get lastQueueHealth(): QueueHealth | null { return this.health; }
  get queued(): boolean { return !!this.executor.health; }

  start(): void {
    this.running = true;
    if (this.executor.resumable) {
      // the queue may still hold (or have finished) the jobs of scorings in flight: wait for them again
      const rows = this.q.scoringNow();
      if (rows.length) this.opts.log.info({ resumed: rows.length }, 'waiting again for scorings in flight');
      for (const row of rows) this.launch(row, { id: row.id, attempt: row.attempts });
    } else {
      const n = this.q.requeueInterrupted();
      if (n) this.opts.log.info({ requeued: n }, 'resuming interrupted scorings');
    }
    this.startLoop();
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
  /** Another step of a submission (its model run) tells the same listeners (a page's SSE). */
  publish(e: ProgressEvent): void { this.emit(e); }

  private readonly stopHooks: ((id: number) => void)[] = [];
  /** Also told when a submission is cancelled or deleted (the model runner stops its run). */
  onStop(fn: (id: number) => void): void { this.stopHooks.push(fn); }

  /** Cancels a queued or running submission; false when it had already reached another state. */
  cancel(id: number): boolean {
    if (!this.q.cancel(id)) return false;
    this.opts.metrics?.submissions.inc({ outcome: 'cancelled' });
    this.stopIfCurrent(id);
    const s = this.q.submission(id);
    if (s) this.emit({ id, status: 'cancelled', done: s.progress_done, total: s.images });
    return true;
  }

  /** The submission is gone (deleted) or cancelled: stop scoring it if it is in flight. */
  stopIfCurrent(id: number): void {
    this.inFlight.get(id)?.abort(new Error('cancelled'));
    for (const fn of this.stopHooks) this.guard('stopping a model run', () => fn(id));
  }

  private async score(s: SubmissionRow, attempt: Attempt, abort: AbortController): Promise<void> {
    const log = this.opts.log.child({ submission: s.id, benchmark: s.benchmark, attempt: attempt.attempt });
    const b = this.catalogue.benchmarks.get(s.benchmark);
    if (!b) { this.q.fail(attempt, `benchmark ${s.benchmark} is no longer hosted`, null, 'server'); return; }
    const total = b.masks.length;
    const job: ScoreJob = {
      id: s.id, zip: join(this.opts.dataDir, s.file), zipRel: s.file, gtDir: b.gtDir, gtRel: this.opts.datasetRoot ? relative(this.opts.datasetRoot, b.gtDir) : null,
      masks: b.masks, classes: b.classes,
      match: Catalogue.needsMatch(b), maxPixels: this.opts.maxPixels, workers: this.opts.workers, privateGt: b.gtPrivate,
      limits: uploadLimits(b), maxMatchBytes: MAX_MATCH_BYTES,
      submittedMatch: s.match ? JSON.parse(s.match) as Record<string, number> : null,
      legacyMatchInZip: s.has_match === 1 && !s.match,
      zipSha256: s.file_sha256,
      gtCacheBytes: this.opts.gtCacheMB * 1048576,
    };
    let started = performance.now();
    if (this.executor.health) {
      this.awaiting.add(s.id);
      this.emit({ id: s.id, status: 'queued', done: 0, total });
    }
    // the time limit runs from when a worker (or the scoring thread) takes the job
    const limitMs = scoringLimitMs(this.opts.timeoutSeconds ?? 0, total);
    let limit: NodeJS.Timeout | undefined;
    const onStarted = () => {
      if (!this.awaiting.delete(s.id) && this.executor.health) return;
      started = performance.now();
      if (limitMs > 0) {
        limit = setTimeout(() => abort.abort(new ScoringTimeout(`scoring took longer than its limit of ${limitMs / 1000} s for ${total} images (SCORING_TIMEOUT_SECONDS, per started 1,000 images) and was stopped; the scorer went on to the next submission`)), limitMs);
        limit.unref();
      }
      this.emit({ id: s.id, status: 'scoring', done: 0, total });
    };
    let outcome: ScoreOutcome;
    try {
      outcome = await this.executor.run(job, attempt.attempt, {
        signal: abort.signal,
        onStarted,
        onProgress: (p) => {
          if (this.awaiting.has(s.id)) onStarted();
          this.guard('progress write', () => this.q.setProgress(s.id, p.done));
          this.emit({ id: s.id, status: 'scoring', ...p });
        },
      });
    } catch (e) {
      this.awaiting.delete(s.id);
      clearTimeout(limit);
      if (abort.signal.reason instanceof ScoringTimeout) {
        log.warn({ limitSeconds: limitMs / 1000, images: total }, 'scoring stopped at its time limit');
        if (this.q.fail(attempt, abort.signal.reason.message, [problem('scoring-timeout', 'upload', { seconds: limitMs / 1000, images: total })], 'submission')) {
          this.opts.metrics?.scored('error', (performance.now() - started) / 1000, total);
          this.opts.metrics?.submissions.inc({ outcome: 'failed' });
          this.emit({ id: s.id, status: 'failed', done: 0, total });
        }
        return;
      }
      if (abort.signal.aborted || !this.running) {
        // a cancel or delete already decided the state; a shutdown leaves 'scoring', requeued on
        // the next start
        log.info('scoring stopped');
        return;
      }
      log.error({ err: e }, 'scoring failed');
      // a job the executor could not run (a queue worker that cannot read the upload) says why
      const message = e instanceof ScoringError ? e.message : SERVER_FAULT;
      if (this.q.fail(attempt, message, null, 'server')) {
        this.opts.metrics?.submissions.inc({ outcome: 'failed' });
        this.emit({ id: s.id, status: 'failed', done: 0, total });
      }
      return;
    }
    this.awaiting.delete(s.id);
    clearTimeout(limit);
    const seconds = (performance.now() - started) / 1000;
    let stored: boolean;
    if (outcome.type === 'result') {
      stored = this.q.finish(attempt, EVALUATOR_VERSION, outcome.record, outcome.warnings, outcome.computedMatch, outcome.extras);
      for (const e of outcome.gtStores ?? []) log.info({ gtDir: e.gtDir, masks: e.masks, MB: +(e.bytes / 1048576).toFixed(1), seconds: +e.seconds.toFixed(2), keptMB: +(e.keptBytes / 1048576).toFixed(1) }, 'ground truth decoded once and kept');
      if (stored) {
        this.opts.metrics?.scored('result', seconds, total, outcome.gtCache);
        this.opts.metrics?.submissions.inc({ outcome: 'finished' });
        log.info({ seconds, mIoU: outcome.record.metrics.mIoU }, 'scored');
        this.emit({ id: s.id, status: 'finished', done: total, total });
      }
    } else {
      stored = this.q.fail(attempt, outcome.message, outcome.fault === 'server' ? null : outcome.problems, outcome.fault);
      if (stored) {
        this.opts.metrics?.scored(outcome.fault === 'server' ? 'error' : 'rejected', seconds, total);
        this.opts.metrics?.submissions.inc({ outcome: 'failed' });
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
