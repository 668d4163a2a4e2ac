/**
 * The loop both lanes of work share (the scorer, the model runner): take the next submission by the
 * fair order and start its attempt, run it tracked in flight (up to the executor's concurrency),
 * sleep until kicked or for two seconds (another process may have queued work: an admin re-score),
 * and never end on an error: a failure of one submission, of the executor or of the database is
 * logged and the loop goes on.
 */
import type { Logger } from 'pino';
import type { Attempt, SubmissionRow } from '../storage/queries.ts';

/** The reason jobs in flight are let go when the server stops (not a cancel: a queue job goes on). */
export class ShutdownError extends Error {}

/** What `take` found: a submission whose attempt started, none to take, or one a cancel took first (look again). */
export type Taken = { row: SubmissionRow; attempt: Attempt } | 'idle' | 'again';

export abstract class JobLoop {
  protected running = false;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  protected readonly inFlight = new Map<number, AbortController>();

  constructor(protected readonly loopLog: Logger, private readonly what: string) {}

  /** Jobs in flight at once. */
  protected abstract readonly capacity: number;
  /** Picks the next submission and starts its attempt (a conditional update: a cancel wins). */
  protected abstract take(): Taken;
  /** Runs one attempt to its end (its outcome stored or discarded by the subclass). */
  protected abstract work(row: SubmissionRow, attempt: Attempt, abort: AbortController): Promise<void>;
  /** An attempt whose work threw: mark it failed (a server fault). */
  protected abstract failed(row: SubmissionRow, attempt: Attempt): void;
  protected abstract closeExecutor(): Promise<void>;

  /** Starts the loop (after the subclass resumed or requeued what a restart interrupted). */
  protected startLoop(): void {
    this.running = true;
    this.loop = this.run();
  }

  /** Work was queued: wake the loop. */
  kick(): void { this.wake?.(); }

  async close(): Promise<void> {
    this.running = false;
    this.wake?.();
    for (const a of this.inFlight.values()) a.abort(new ShutdownError('stopping'));
    await this.closeExecutor();
    await this.loop;
  }

  /** Runs an attempt that has started, tracked in flight until it ends. */
  protected launch(row: SubmissionRow, attempt: Attempt): void {
    const abort = new AbortController();
    this.inFlight.set(row.id, abort);
    this.work(row, attempt, abort)
      .catch((e) => {
        this.loopLog.error({ err: e, submission: row.id }, `${this.what} failed`);
        try { this.failed(row, attempt); } catch (e2) { this.loopLog.error({ err: e2 }, `marking a failed ${this.what} failed`); }
      })
      .finally(() => { this.inFlight.delete(row.id); this.wake?.(); });
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        const next = this.inFlight.size < this.capacity ? this.take() : 'idle';
        if (next === 'idle') {
          await new Promise<void>((resolve) => {
            this.wake = resolve;
            setTimeout(resolve, 2000).unref();
          });
          this.wake = null;
          continue;
        }
        if (next !== 'again') this.launch(next.row, next.attempt);
      } catch (e) {
        // the database itself failed (disk full, locked past its timeout): wait, then carry on
        this.loopLog.error({ err: e }, `${this.what} loop error; retrying in a second`);
        await new Promise((r) => setTimeout(r, 1000).unref());
      }
    }
  }
}
