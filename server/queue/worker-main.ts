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
import { join } from 'node:path';
import { UnrecoverableError, Worker } from 'bullmq';
import pino from 'pino';
import { closeScoreJobs, encodeOutcome, runScoreJob, type ScoreJob } from './score-job.ts';
import { cancelKey, connectionOf, HEARTBEAT_MS, QUEUE_NAME, READABLE_FAILURE, WORKERS_KEY } from './queue.ts';
import { configOrExit, loadWorkerConfig } from '../config.ts';
import { ScoringMetrics } from '../metrics.ts';
import { serveMetrics } from '../http/metrics-http.ts';

// the settings are the server's table (config.ts), this scope: a bad value stops the start (exit 2)
const env = configOrExit(() => loadWorkerConfig());
const name = `${hostname()}:${process.pid}`;
const log = pino({ level: env.logLevel }).child({ worker: name });
const metrics = new ScoringMetrics('worker');
const connection = connectionOf(env.queue);
const CANCEL_POLL_MS = 500;

const worker = new Worker(QUEUE_NAME, async (job, _token, signal) => {
  const data = job.data as ScoreJob;
  const zip = env.dataDir ? join(env.dataDir, data.zipRel) : data.zip;
  const gtDir = env.imagenetsRoot && data.gtRel ? join(env.imagenetsRoot, data.gtRel) : data.gtDir;
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
    const outcome = await runScoreJob({ ...data, zip, gtDir, workers: env.scoringWorkers, gtCacheBytes: env.gtCacheMB * 1048576 }, {
      progress: (p) => { void job.updateProgress(p).catch(() => {}); },
      signal: abort.signal,
    });
    const seconds = (performance.now() - started) / 1000;
    metrics.scored(outcome.type === 'result' ? 'result' : outcome.fault === 'server' ? 'error' : 'rejected', seconds, data.masks.length, outcome.type === 'result' ? outcome.gtCache : undefined);
    log.info({ job: job.id, submission: data.id, outcome: outcome.type, seconds: +seconds.toFixed(2) }, 'scored');
    return encodeOutcome(outcome);
  } catch (e) {
    if (abort.signal.aborted) throw new UnrecoverableError(`${READABLE_FAILURE}cancelled`);
    throw e;
  } finally {
    clearInterval(poll);
  }
}, {
  connection, concurrency: 1, autorun: true,
  lockDuration: env.lockSeconds * 1000,
  stalledInterval: Math.max(500, (env.lockSeconds * 1000) / 2),
  maxStalledCount: 2,
});
worker.on('error', (e) => log.warn({ err: e }, 'queue connection error (retrying)'));
worker.on('failed', (job, e) => log.warn({ job: job?.id, err: e }, 'job failed'));
worker.on('ready', () => log.info({ queue: QUEUE_NAME, threads: env.scoringWorkers }, 'scoring worker ready'));

// the server's pages and /readyz say when no worker has beaten for WORKER_SILENT_SECONDS
const beat = () => { void worker.client.then((c) => c.hset(WORKERS_KEY, { [name]: Date.now() })).catch(() => {}); };
beat();
const heartbeat = setInterval(beat, HEARTBEAT_MS);
const metricsServer = env.metricsPort ? await serveMetrics(metrics, env.metricsPort, env.metricsToken, log) : null;

let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (stopping) process.exit(1);
    stopping = true;
    log.info({ signal: sig }, 'stopping after the job in hand');
    clearInterval(heartbeat);
    metricsServer?.close();
    worker.client.then((c) => c.hdel(WORKERS_KEY, name)).catch(() => {})
      .then(() => worker.close()).then(closeScoreJobs).then(() => process.exit(0), () => process.exit(1));
  });
}
