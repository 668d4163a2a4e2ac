/**
 * `npm run worker`: a scoring worker on the queue (QUEUE=redis://…), on this machine or another.
 * It reads the uploads and the hosted GT from shared storage, scores one submission at a time on
 * all its cores (SCORING_WORKERS threads, the GT decoded once and kept, GT_CACHE_MB), and returns
 * the outcome through the queue; it never opens the database.
 *
 * Paths: a job carries the server's absolute paths and the same paths relative to the server's
 * DATA_DIR and dataset root. Mount the shared storage at the same paths everywhere, or set DATA_DIR
 * and IMAGENETS_ROOT here to where this machine sees them.
 */
import { access } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { UnrecoverableError, Worker } from 'bullmq';
import pino from 'pino';
import { z } from 'zod';
import { availableParallelism } from 'node:os';
import { closeScoreJobs, encodeOutcome, runScoreJob, type ScoreJob } from './score-job.ts';
import { cancelKey, connectionOf, QUEUE_NAME, READABLE_FAILURE } from './queue.ts';

const Env = z.object({
  QUEUE: z.string().url(),
  DATA_DIR: z.string().optional(),
  IMAGENETS_ROOT: z.string().optional(),
  SCORING_WORKERS: z.coerce.number().int().min(1).default(availableParallelism()),
  GT_CACHE_MB: z.coerce.number().int().min(0).default(1024),
  /** A worker that stops renewing its lock for this long (killed, frozen) loses its job to another. */
  QUEUE_LOCK_SECONDS: z.coerce.number().min(1).default(30),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
const env = Env.parse(process.env);
const log = pino({ level: env.LOG_LEVEL }).child({ worker: `${hostname()}:${process.pid}` });
const connection = connectionOf(env.QUEUE);
const CANCEL_POLL_MS = 500;

const worker = new Worker(QUEUE_NAME, async (job, _token, signal) => {
  const data = job.data as ScoreJob;
  const zip = env.DATA_DIR ? join(resolve(env.DATA_DIR), data.zipRel) : data.zip;
  const gtDir = env.IMAGENETS_ROOT && data.gtRel ? join(resolve(env.IMAGENETS_ROOT), data.gtRel) : data.gtDir;
  // an upload this worker cannot read will not become readable by retrying: fail the job, saying why
  try {
    await access(zip);
  } catch (e) {
    throw new UnrecoverableError(`${READABLE_FAILURE}the scoring worker ${hostname()} cannot read the upload ${data.zipRel} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); the administrators must check the shared upload storage`);
  }
  const abort = new AbortController();
  signal?.addEventListener('abort', () => abort.abort(signal.reason), { once: true });
  const client = await worker.client;
  const poll = setInterval(() => {
    client.get(cancelKey(job.id!)).then((v) => { if (v) abort.abort(new Error('cancelled')); }, () => {});
  }, CANCEL_POLL_MS);
  const started = performance.now();
  try {
    log.info({ job: job.id, submission: data.id, images: data.masks.length }, 'scoring');
    const outcome = await runScoreJob({ ...data, zip, gtDir, workers: env.SCORING_WORKERS, gtCacheBytes: env.GT_CACHE_MB * 1048576 }, {
      progress: (p) => { void job.updateProgress(p).catch(() => {}); },
      signal: abort.signal,
    });
    log.info({ job: job.id, submission: data.id, outcome: outcome.type, seconds: +((performance.now() - started) / 1000).toFixed(2) }, 'scored');
    return encodeOutcome(outcome);
  } catch (e) {
    if (abort.signal.aborted) throw new UnrecoverableError(`${READABLE_FAILURE}cancelled`);
    throw e;
  } finally {
    clearInterval(poll);
  }
}, {
  connection, concurrency: 1, autorun: true,
  lockDuration: env.QUEUE_LOCK_SECONDS * 1000,
  stalledInterval: Math.max(500, (env.QUEUE_LOCK_SECONDS * 1000) / 2),
  maxStalledCount: 2,
});
worker.on('error', (e) => log.warn({ err: e }, 'queue connection error (retrying)'));
worker.on('failed', (job, e) => log.warn({ job: job?.id, err: e }, 'job failed'));
worker.on('ready', () => log.info({ queue: QUEUE_NAME, threads: env.SCORING_WORKERS }, 'scoring worker ready'));

let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (stopping) process.exit(1);
    stopping = true;
    log.info({ signal: sig }, 'stopping after the job in hand');
    worker.close().then(closeScoreJobs).then(() => process.exit(0), () => process.exit(1));
  });
}
