/**
 * The scoring queue. State lives in SQLite (queued → scoring → finished | failed | cancelled), so a
 * crash loses nothing: on start, interrupted scorings go back to the queue and run again (scoring is
 * deterministic, so the result is the same). One submission is scored at a time on a long-lived
 * worker pool; the next one is chosen fairly across users (Queries.nextQueued).
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import { evaluate, EVALUATOR_VERSION } from '../evaluator/evaluate.ts';
import { parseMatch, matchToObject } from '../evaluator/match.ts';
import { PairPool } from '../evaluator/pool.ts';
import { InputError } from '../evaluator/problems.ts';
import { resultToJson } from '../evaluator/report.ts';
import { DEFAULT_SOURCE_LIMITS, ZipSource } from '../evaluator/sources.ts';
import { Catalogue } from './catalogue.ts';
import type { Queries, SubmissionRow } from './queries.ts';

export interface ProgressEvent { id: number; status: string; done: number; total: number }
type Listener = (e: ProgressEvent) => void;

export class Scorer {
  private pool: PairPool | null = null;
  private running = false;
  private wake: (() => void) | null = null;
  private current: { id: number; abort: AbortController } | null = null;
  private readonly listeners = new Map<number, Set<Listener>>();
  private loop: Promise<void> | null = null;

  constructor(
    private readonly q: Queries,
    private readonly catalogue: Catalogue,
    private readonly opts: { dataDir: string; workers: number; maxPixels: number; log: Logger },
  ) {}

  start(): void {
    const n = this.q.requeueInterrupted();
    if (n) this.opts.log.info({ requeued: n }, 'resuming interrupted scorings');
    this.pool = new PairPool(this.opts.workers);
    this.running = true;
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
    for (const fn of this.listeners.get(e.id) ?? []) fn(e);
  }

  /** Cancels a queued or running submission; true when it was queued or scoring. */
  cancel(id: number): boolean {
    const ok = this.q.cancel(id);
    if (ok && this.current?.id === id) this.current.abort.abort(new Error('cancelled'));
    if (ok) {
      const s = this.q.submission(id)!;
      this.emit({ id, status: 'cancelled', done: s.progress_done, total: s.images });
    }
    return ok;
  }

  async close(): Promise<void> {
    this.running = false;
    this.current?.abort.abort(new Error('server stopping'));
    this.wake?.();
    await this.loop?.catch(() => {});
    await this.pool?.close();
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
    const abort = new AbortController();
    this.current = { id: s.id, abort };
    const started = performance.now();
    let lastWrite = 0;
    const source = await ZipSource.open(join(this.opts.dataDir, s.file), b.masks, DEFAULT_SOURCE_LIMITS);
    this.emit({ id: s.id, status: 'scoring', done: 0, total: b.masks.length });
    try {
      let match: Parameters<typeof evaluate>[0]['match'] = null;
      const needs = Catalogue.needsMatch(b);
      if (needs !== 'none') {
        const buf = await source.readExtra('match.json');
        if (buf) match = parseMatch(buf.toString('utf8'), b.classes).match;
        else if (needs === 'auto') match = 'auto';
      }
      const result = await evaluate({
        gtRoot: b.gtDir, pred: source, masks: b.masks, classes: b.classes, match, pool: this.pool!,
        maxPixels: this.opts.maxPixels, signal: abort.signal,
        onProgress: (done, total) => {
          const now = performance.now();
          if (now - lastWrite > 500 || done === total) { this.q.setProgress(s.id, done); lastWrite = now; }
          this.emit({ id: s.id, status: 'scoring', done, total });
        },
      });
      // the computed match is stored on its own (downloadable), not among the metrics
      const { warnings, match: _computed, images: _images, ...metrics } = resultToJson(result);
      this.q.finish(s.id, EVALUATOR_VERSION, { ...metrics, BIoUs: result.metrics.BIoUs }, warnings, result.matchComputed && result.match ? matchToObject(result.match) : null);
      log.info({ seconds: (performance.now() - started) / 1000, mIoU: metrics.mIoU }, 'scored');
      this.emit({ id: s.id, status: 'finished', done: b.masks.length, total: b.masks.length });
    } catch (e) {
      if (abort.signal.aborted) {
        log.info({ reason: String(abort.signal.reason) }, 'scoring stopped');
        // a cancel already wrote 'cancelled'; a shutdown leaves 'scoring', requeued on the next start
      } else if (e instanceof InputError) {
        this.q.fail(s.id, e.message, e.problems);
        log.info({ problems: e.problems.length }, 'submission failed its checks');
        this.emit({ id: s.id, status: 'failed', done: 0, total: b.masks.length });
      } else {
        log.error({ err: e }, 'scoring failed');
        this.q.fail(s.id, 'internal error while scoring; the administrators have the details', null);
        this.emit({ id: s.id, status: 'failed', done: 0, total: b.masks.length });
      }
    } finally {
      this.current = null;
      await source.close();
    }
  }
}
