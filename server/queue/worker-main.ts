/**
 * `npm run worker`: a scoring worker on the queue (QUEUE=redis://…), on this machine or another.
 * It reads the uploads and the hosted GT from shared storage, scores one submission at a time on
 * all its cores (SCORING_WORKERS threads, the GT decoded once and kept, GT_CACHE_MB), and returns
 * the outcome through the queue; it never opens the database.
 *
 * `npm run worker -- --models [--device auto|cpu|cuda|webgpu]`: a model worker instead (a GPU
 * machine's): it takes submitted models from their own queue, one at a time, runs each in a watched
 * child process over the phase's images (server/queue/model-job.ts) and writes the predictions zip
 * to the shared DATA_DIR; the server then has them scored.
 *
 * Paths: a job carries the server's absolute paths and the same paths relative to the server's
 * DATA_DIR and dataset root. Mount the shared storage at the same paths everywhere, or set DATA_DIR
 * and IMAGENETS_ROOT here to where this machine sees them.
 */
import { access } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import pino from 'pino';
import { closeScoreJobs, encodeOutcome, runScoreJob, type ScoreJob } from './score-job.ts';
import { runModelJob, type ModelJob } from './model-job.ts';
import { cancelKey, connectionOf, HEARTBEAT_MS, MODELS_LANE, READABLE_FAILURE, SCORING_LANE } from './queue.ts';
import { configOrExit, loadWorkerConfig } from '../config.ts';
import { ScoringMetrics } from '../metrics.ts';
import { serveMetrics } from '../http/metrics-http.ts';
import { DEVICES, type Device } from '../../baselines/runner/manifest.ts';

const { values: args } = parseArgs({ options: { models: { type: 'boolean', default: false }, device: { type: 'string' } }, strict: true });
if (args.device !== undefined && !(DEVICES as readonly string[]).includes(args.device)) {
  process.stderr.write(`--device takes one of ${DEVICES.join(', ')}, not ${JSON.stringify(args.device)}\n`);
  process.exit(2);
}
const device = args.device as Device | undefined;
const lane = args.models ? MODELS_LANE : SCORING_LANE;
const kind = args.models ? 'model' : 'scoring';

// the settings are the server's table (config.ts), this scope: a bad value stops the start (exit 2)
const env = configOrExit(() => loadWorkerConfig());
const name = `${hostname()}:${process.pid}`;
const log = pino({ level: env.logLevel }).child({ worker: name, kind });
const metrics = new ScoringMetrics('worker');
const connection = connectionOf(env.queue);
const CANCEL_POLL_MS = 500;

/** A file this worker must read: one it cannot will not become readable by retrying, so the job fails, saying why. */
async function readable(path: string, rel: string, what: string): Promise<void> {
  try {
    await access(path);
  } catch (e) {
    throw new UnrecoverableError(`${READABLE_FAILURE}the ${kind} worker ${hostname()} cannot read the ${what} ${rel} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); the administrators must check the shared storage`);
  }
}

async function score(job: Job, signal: AbortSignal): Promise<unknown> {
  const data = job.data as ScoreJob;
  const zip = env.dataDir ? join(env.dataDir, data.zipRel) : data.zip;
  const gtDir = env.imagenetsRoot && data.gtRel ? join(env.imagenetsRoot, data.gtRel) : data.gtDir;
  await readable(zip, data.zipRel, 'upload');
  const started = performance.now();
  log.info({ job: job.id, submission: data.id, images: data.masks.length }, 'scoring');
  const outcome = await runScoreJob({ ...data, zip, gtDir, workers: env.scoringWorkers, gtCacheBytes: env.gtCacheMB * 1048576 }, {
    progress: (p) => { void job.updateProgress(p).catch(() => {}); },
    signal,
  });
  const seconds = (performance.now() - started) / 1000;
  metrics.scored(outcome.type === 'result' ? 'result' : outcome.fault === 'server' ? 'error' : 'rejected', seconds, data.masks.length, outcome.type === 'result' ? outcome.gtCache : undefined);
  log.info({ job: job.id, submission: data.id, outcome: outcome.type, seconds: +seconds.toFixed(2) }, 'scored');
  return encodeOutcome(outcome);
}

async function runModel(job: Job, signal: AbortSignal): Promise<unknown> {
  const data = job.data as ModelJob;
  const at = (abs: string, rel: string) => (env.dataDir ? join(env.dataDir, rel) : abs);
  const bundle = at(data.bundle, data.bundleRel), out = at(data.out, data.outRel);
  const imagesDir = env.imagenetsRoot && data.imagesRel ? join(env.imagenetsRoot, data.imagesRel) : data.imagesDir;
  await readable(bundle, data.bundleRel, 'model bundle');
  log.info({ job: job.id, submission: data.id, images: data.masks.length, device: device ?? data.device }, 'running a model');
  const outcome = await runModelJob({ ...data, bundle, out, imagesDir, device: device ?? data.device }, {
    progress: (p) => { void job.updateProgress(p).catch(() => {}); },
    signal,
  });
  log.info({ job: job.id, submission: data.id, outcome: outcome.type, ...(outcome.type === 'ran' ? { seconds: +outcome.run.seconds.toFixed(2), provider: outcome.run.provider } : { problems: outcome.problems.map((p) => p.code) }) }, 'model run ended');
  return outcome;
}

const worker = new Worker(lane.name, async (job, _token, signal) => {
  const abort = new AbortController();
  signal?.addEventListener('abort', () => abort.abort(signal.reason), { once: true });
  const client = await worker.client;
  const poll = setInterval(() => {
    client.get(cancelKey(job.id!)).then((v) => { if (v) abort.abort(new Error('cancelled')); }, () => {});
  }, CANCEL_POLL_MS);
  try {
    return await (args.models ? runModel(job, abort.signal) : score(job, abort.signal));
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
worker.on('ready', () => log.info({ queue: lane.name, ...(args.models ? { device: device ?? 'as the server says' } : { threads: env.scoringWorkers }) }, `${kind} worker ready`));

// the server's pages and /readyz say when no worker has beaten for WORKER_SILENT_SECONDS
const beat = () => { void worker.client.then((c) => c.hset(lane.workersKey, { [name]: Date.now() })).catch(() => {}); };
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
    worker.client.then((c) => c.hdel(lane.workersKey, name)).catch(() => {})
      .then(() => worker.close()).then(closeScoreJobs).then(() => process.exit(0), () => process.exit(1));
  });
}
