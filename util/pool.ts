/**
 * The one worker pool of the project (evaluation pairs, dataset checks, synthetic data, scoring),
 * and the one concurrency limiter.
 *
 * A pool holds N worker threads running one module. `run(job)` sends the job to the least-loaded
 * worker and resolves with its result; results come back in completion order. A worker may send
 * progress for the job in hand; a job may be aborted (the worker gets its signal). Failures are
 * handled the same way everywhere: a job that throws in its worker rejects with that error; a
 * worker that dies (crash, exit, out of memory) rejects every job it held with a clear error and is
 * replaced, so the pool never hangs and later jobs still run.
 *
 * The worker side is `serveJobs(handler)` (below), called once in the worker module.
 */
import { parentPort, type Worker } from 'node:worker_threads';
import { defaultWorkers, startWorker } from './worker.ts';

type ToWorker<J> = { kind: 'job'; id: number; job: J } | { kind: 'abort'; id: number };
type FromWorker<R, P> = { kind: 'result'; id: number; result: R } | { kind: 'error'; id: number; message: string; stack?: string } | { kind: 'progress'; id: number; progress: P };

export class WorkerError extends Error {}

interface Pending<R, P> { resolve: (r: R) => void; reject: (e: unknown) => void; onProgress?: (p: P) => void; slot: Slot; aborted?: { reason: unknown } }
interface Slot { w: Worker; inflight: number; alive: boolean }

export interface RunOptions<P> {
  /** Buffers moved (not copied) to the worker. */
  transfer?: ArrayBuffer[];
  onProgress?: (p: P) => void;
  /** Aborts the job: the worker's handler sees its signal; the promise rejects with the reason. */
  signal?: AbortSignal;
  /** After an abort, how long the job may take to stop before its thread is terminated (default: it is waited for). */
  abortGraceMs?: number;
}

export class WorkerPool<J, R, P = never> {
  private readonly slots: Slot[] = [];
  private readonly pending = new Map<number, Pending<R, P>>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly module: URL, readonly size = defaultWorkers(), private readonly name = 'worker') {
    for (let i = 0; i < Math.max(1, size); i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const slot: Slot = { w: startWorker(this.module), inflight: 0, alive: true };
    slot.w.on('message', (m: FromWorker<R, P>) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      if (m.kind === 'progress') { p.onProgress?.(m.progress); return; }
      this.pending.delete(m.id);
      slot.inflight--;
      // an aborted job rejects with the caller's reason, whatever its worker answered
      if (p.aborted) p.reject(p.aborted.reason);
      else if (m.kind === 'result') p.resolve(m.result);
      else p.reject(Object.assign(new WorkerError(m.message), { stack: m.stack }));
    });
    let lastError: Error | null = null;
    slot.w.on('error', (e) => { lastError = e; });
    slot.w.once('exit', (code) => {
      slot.alive = false;
      const why = new WorkerError(`${this.name} thread ended (exit code ${code}${lastError ? `: ${lastError.message}` : ''})`);
      for (const [id, p] of this.pending) if (p.slot === slot) { this.pending.delete(id); p.reject(p.aborted ? p.aborted.reason : why); }
      if (!this.closed) this.slots[this.slots.indexOf(slot)] = this.spawn();
    });
    return slot;
  }

  run(job: J, opts: RunOptions<P> = {}): Promise<R> {
    if (this.closed) return Promise.reject(new WorkerError(`${this.name} pool is closed`));
    if (opts.signal?.aborted) return Promise.reject(opts.signal.reason);
    let slot = this.slots[0];
    for (const s of this.slots) if (s.inflight < slot.inflight) slot = s;
    const id = this.nextId++;
    slot.inflight++;
    return new Promise<R>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress: opts.onProgress, slot });
      opts.signal?.addEventListener('abort', () => {
        const p = this.pending.get(id);
        if (!p) return;
        p.aborted = { reason: opts.signal!.reason };
        slot.w.postMessage({ kind: 'abort', id } satisfies ToWorker<J>);
        // a job that does not stop when told (stuck in a read, a loop) takes its thread with it;
        // the pool starts another
        if (opts.abortGraceMs !== undefined) {
          setTimeout(() => { if (this.pending.get(id) === p) void slot.w.terminate(); }, opts.abortGraceMs).unref();
        }
      }, { once: true });
      slot.w.postMessage({ kind: 'job', id, job } satisfies ToWorker<J>, opts.transfer ?? []);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.w.terminate()));
  }
}

export interface JobContext<P> {
  progress(p: P): void;
  /** Aborted when the caller aborts this job. */
  signal: AbortSignal;
}

/**
 * The worker side: answers each job with the handler's result (moving `transfer(result)` buffers),
 * or with its error. Jobs may run concurrently when the handler is async.
 */
export function serveJobs<J, R, P = never>(handler: (job: J, ctx: JobContext<P>) => R | Promise<R>, transfer?: (r: R) => ArrayBuffer[]): void {
  const port = parentPort!;
  const running = new Map<number, AbortController>();
  port.on('message', (m: ToWorker<J>) => {
    if (m.kind === 'abort') { running.get(m.id)?.abort(new Error('aborted')); return; }
    const abort = new AbortController();
    running.set(m.id, abort);
    const ctx: JobContext<P> = { progress: (progress) => port.postMessage({ kind: 'progress', id: m.id, progress }), signal: abort.signal };
    Promise.resolve()
      .then(() => handler(m.job, ctx))
      .then(
        (result) => port.postMessage({ kind: 'result', id: m.id, result }, transfer ? transfer(result) : []),
        (e: unknown) => port.postMessage({ kind: 'error', id: m.id, message: e instanceof Error ? e.message : String(e), stack: e instanceof Error ? e.stack : undefined }),
      )
      .finally(() => running.delete(m.id));
  });
}

/**
 * Runs `fn` over `items` in order with at most `limit` in flight (the project's one concurrency
 * limiter). The first failure rejects, and no further item is started.
 */
export async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try { await fn(items[i], i); } catch (e) { failed = true; throw e; }
    }
  }));
}

/** A task refused by a full Gate (too many already waiting). */
export class GateFull extends Error {}

/**
 * At most `limit` tasks at once and at most `maxWaiting` waiting for a turn; one more is refused
 * at once (GateFull) rather than queued without bound. Turns are first come, first served.
 */
export class Gate {
  private active = 0;
  /** The most tasks ever running at once (for tests and metrics). */
  peak = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(readonly limit: number, readonly maxWaiting = Infinity) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active < this.limit) this.peak = Math.max(this.peak, ++this.active);
    else if (this.waiting.length >= this.maxWaiting) throw new GateFull(`${this.active} running and ${this.waiting.length} waiting`);
    else await new Promise<void>((res) => this.waiting.push(res)); // the finishing task hands over its turn
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next(); else this.active--;
    }
  }

  get load(): { active: number; waiting: number } { return { active: this.active, waiting: this.waiting.length }; }
}
