/**
 * Scoring on workers behind a queue (QUEUE=redis://…): BullMQ on Redis.
 *
 * SQLite on the API server stays the record of truth. A scoring's row ('scoring', attempt n) is the
 * outbox: its job (id `<submission>-<attempt>`, so adding it twice is a no-op) is added to the queue
 * and waited for; a watchdog looks at the job every few seconds and adds it again when Redis lost it
 * (restarted without persistence, flushed), and picks up a result whose event was missed. Workers
 * (server/queue/worker-main.ts) never touch the database: they return the outcome through the queue, and the
 * scorer stores it only for the same attempt (Queries.finish), so a result is stored exactly once.
 * A worker that dies mid-job loses its lock; BullMQ's stalled-job check hands the job to another.
 * Cancelling sets a key the worker polls; a waiting job is removed at once.
 */
import { Queue, QueueEvents, type ConnectionOptions, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { decodeOutcome } from './score-job.ts';
import { decodeModelOutcome } from './model-job.ts';
import { ScoringError, ShutdownError, type Executor, type QueueHealth, type RunOptions } from './scorer.ts';

export const QUEUE_NAME = 'isb-scoring';
/** Model runs have a queue of their own (`npm run worker -- --models`, on GPU machines). */
export const MODELS_QUEUE_NAME = 'isb-models';
/** Set by the server when a job's submission is cancelled or deleted; the worker polls it. */
export const cancelKey = (jobId: string): string => `isb:cancel:${jobId}`;
/** A worker's failure whose message the submitter may read (the rest are internal errors). */
export const READABLE_FAILURE = '[readable] ';
/** Finished jobs stay this long (a server that was down when one finished still finds its result). */
const KEEP_SECONDS = 7 * 24 * 3600;
const WATCH_MS = 2000;
/** Workers' heartbeats: a hash of worker name → last beat (ms since the epoch). */
export const WORKERS_KEY = 'isb:workers';
export const MODEL_WORKERS_KEY = 'isb:model-workers';

/** One kind of work on the queue: its BullMQ queue, the hash its workers beat in, how its results are checked. */
export interface Lane<O> { name: string; jobName: string; workersKey: string; decode: (v: unknown) => O }
export const SCORING_LANE: Lane<ReturnType<typeof decodeOutcome>> = { name: QUEUE_NAME, jobName: 'score', workersKey: WORKERS_KEY, decode: decodeOutcome };
export const MODELS_LANE: Lane<ReturnType<typeof decodeModelOutcome>> = { name: MODELS_QUEUE_NAME, jobName: 'model', workersKey: MODEL_WORKERS_KEY, decode: decodeModelOutcome };
export const HEARTBEAT_MS = 5000;
/** How long the server waits for Redis to answer a health check. */
const HEALTH_TIMEOUT_MS = 1500;

/** ioredis options from a redis:// URL. */
export function connectionOf(url: string): ConnectionOptions {
  const u = new URL(url);
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error(`QUEUE must be a redis:// URL, not ${JSON.stringify(url)}`);
  return {
    host: u.hostname || '127.0.0.1', port: Number(u.port || 6379),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.pathname.length > 1 ? { db: Number(u.pathname.slice(1)) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    // wait through a Redis restart rather than failing commands
    maxRetriesPerRequest: null,
  };
}

interface Waiter { check: () => void; started: () => void }

export class QueueExecutor<J extends { id: number }, O, P> implements Executor<J, O, P> {
  readonly resumable = true;
  private readonly queue: Queue;
  private readonly events: QueueEvents;
  private readonly waiters = new Map<string, Waiter>();
  private readonly progress = new Map<string, (p: P) => void>();

  constructor(url: string, readonly concurrency: number, private readonly log: Logger, private readonly lane: Lane<O>) {
    const connection = connectionOf(url);
    this.queue = new Queue(lane.name, { connection });
    this.events = new QueueEvents(lane.name, { connection });
    const onError = (e: Error) => this.log.warn({ err: e }, 'queue connection error (retrying)');
    this.queue.on('error', onError);
    this.events.on('error', onError);
    this.events.on('progress', ({ jobId, data }) => this.progress.get(jobId)?.(data as P));
    const poke = ({ jobId }: { jobId: string }) => this.waiters.get(jobId)?.check();
    this.events.on('completed', poke);
    this.events.on('failed', poke);
    this.events.on('active', ({ jobId }) => this.waiters.get(jobId)?.started());
  }

  /** Whether Redis answers (within a bound: its client waits through outages), and the newest worker heartbeat. */
  async health(): Promise<QueueHealth> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const answer = (async () => {
        const client = await this.queue.client;
        const beats = Object.entries(await client.hgetall(this.lane.workersKey)).map(([name, t]) => [name, Number(t)] as const);
        // workers gone for a day are forgotten
        const gone = beats.filter(([, t]) => t < Date.now() - 24 * 3600_000).map(([name]) => name);
        if (gone.length) await client.hdel(this.lane.workersKey, ...gone);
        return beats.length ? Math.max(...beats.map(([, t]) => t)) : null;
      })();
      const workerSeenAt = await Promise.race([answer, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${HEALTH_TIMEOUT_MS} ms`)), HEALTH_TIMEOUT_MS); })]);
      return { reachable: true, workerSeenAt };
    } catch (e) {
      return { reachable: false, reason: (e as Error).message, workerSeenAt: null };
    } finally {
      clearTimeout(timer);
    }
  }

  run(job: J, attempt: number, opts: RunOptions<P>): Promise<O> {
    const jobId = `${job.id}-${attempt}`;
    return new Promise<O>((resolve, reject) => {
      let settled = false, checking = false, added = false;
      const settle = (fn: () => void) => { if (settled) return; settled = true; clearInterval(timer); this.waiters.delete(jobId); this.progress.delete(jobId); fn(); };
      const add = async () => {
        await this.queue.add(this.lane.jobName, job, { jobId, attempts: 1, removeOnComplete: { age: KEEP_SECONDS }, removeOnFail: { age: KEEP_SECONDS } });
        if (added) this.log.warn({ submission: job.id, jobId }, 'the queue had lost the job: dispatched again');
        added = true;
      };
      const check = () => {
        if (settled || checking) return;
        checking = true;
        (async () => {
          const j: Job | undefined = await this.queue.getJob(jobId);
          if (!j) { await add(); return; }
          const state = await j.getState();
          if (state === 'active') opts.onStarted?.();
          if (state === 'completed') {
            // a result that fails its check fails the job (a server fault), never hangs it
            settle(() => { try { resolve(this.lane.decode(j.returnvalue)); } catch (e) { this.log.error({ submission: job.id, jobId, err: e }, 'a queue worker\'s result was refused'); reject(e); } });
          }
          else if (state === 'failed') {
            const reason = j.failedReason ?? 'unknown';
            this.log.error({ submission: job.id, jobId, reason }, 'a queue worker failed the job');
            settle(() => reject(reason.startsWith(READABLE_FAILURE) ? new ScoringError(reason.slice(READABLE_FAILURE.length)) : new Error(reason)));
          }
        })().catch((e) => this.log.warn({ err: e, jobId }, 'queue check failed (retrying)')).finally(() => { checking = false; });
      };
      const timer = setInterval(check, WATCH_MS);
      timer.unref();
      this.waiters.set(jobId, { check, started: () => { if (!settled) opts.onStarted?.(); } });
      this.progress.set(jobId, opts.onProgress);
      opts.signal.addEventListener('abort', () => {
        settle(() => reject(opts.signal.reason));
        // the server stopping lets the job run on (the next start waits for it again)
        if (opts.signal.reason instanceof ShutdownError) return;
        // a cancel: a waiting job goes at once; a running one stops when its worker sees the key
        void (async () => {
          await (await this.queue.client).set(cancelKey(jobId), '1', { EX: KEEP_SECONDS });
          await (await this.queue.getJob(jobId))?.remove().catch(() => {});
        })().catch((e) => this.log.warn({ err: e, jobId }, 'could not cancel the queued job'));
      }, { once: true });
      check();
    });
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.events.close(), this.queue.close()]);
  }
}
