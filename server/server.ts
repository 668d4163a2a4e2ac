/**
 * Wiring: config → database → catalogue (indexed splits) → scorer → HTTP. Used by `npm start`
 * and by the tests (which start it on a temporary DATA_DIR and port 0).
 */
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import type { Server } from 'node:http';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { createApp } from './http/app.ts';
import { Catalogue } from './domain/catalogue.ts';
import type { Config } from './config.ts';
import { dbFile, openDb, type Db } from './storage/db.ts';
import { Leaderboards } from './domain/leaderboard.ts';
import { Queries } from './storage/queries.ts';
import { Scorer, ThreadExecutor } from './queue/scorer.ts';
import { MODELS_LANE, QueueExecutor, SCORING_LANE } from './queue/queue.ts';
import { embeddedModelExecutor, ModelRunner } from './queue/model-runner.ts';
import { modelRunsDir, type ModelJob, type ModelProgress } from './queue/model-job.ts';
import type { ScoreJob, ScoreProgress } from './queue/score-job.ts';
import { Baselines, type RuntimeStatus } from './domain/baselines.ts';
import { readiness } from './domain/health.ts';
import { ServerMetrics } from './metrics.ts';
import { UploadSlots } from './http/upload-receive.ts';

export interface Running {
  url: string;
  server: Server;
  db: Db;
  q: Queries;
  catalogue: Catalogue;
  scorer: Scorer;
  boards: Leaderboards;
  metrics: ServerMetrics;
  log: Logger;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Whether ONNX Runtime loads (tests stand in a platform where it does not). */
  probeRuntime?: () => Promise<RuntimeStatus>;
}

export async function startServer(config: Config, log: Logger = pino({ level: config.logLevel }), opts: StartOptions = {}): Promise<Running> {
  await mkdir(config.dataDir, { recursive: true });
  // uploads that were never accepted (a crash mid-upload) are not submissions: remove them
  await rm(join(config.dataDir, 'uploads'), { recursive: true, force: true });
  const db = openDb(dbFile(config.dataDir));
  const q = new Queries(db);
  const catalogue = await Catalogue.load({ root: config.imagenetsRoot, toolbox: config.toolbox, dataDir: config.dataDir, onLog: (m, e) => log.info(e ?? {}, m) });
  await removeOrphans(config.dataDir, q);
  await removeStaleModelRuns(config.dataDir, !!config.queue);
  // scoring in this process (embedded default) or on queue workers (QUEUE)
  const executor = config.queue ? new QueueExecutor<ScoreJob, ReturnType<typeof SCORING_LANE.decode>, ScoreProgress>(config.queue, config.queueInFlight, log, SCORING_LANE) : new ThreadExecutor();
  const slots = new UploadSlots(config.uploads.maxInProgress, config.uploads.maxPerUser);
  // eslint-disable-next-line prefer-const -- the metrics read the scorer when scraped, after it exists
  let scorer: Scorer;
  const metrics = new ServerMetrics({
    queue: () => {
      const counts = q.queueCounts();
      const waiting = scorer.waitingCount;
      return { queued: (counts.queued ?? 0) + waiting, waiting_for_worker: waiting, running_model: counts.running ?? 0, scoring: (counts.scoring ?? 0) - waiting };
    },
    uploadBytes: () => slots.received.bytes,
    uploads: () => slots.inProgress,
  });
  scorer = new Scorer(q, catalogue, { dataDir: config.dataDir, datasetRoot: catalogue.root, workers: config.scoringWorkers, maxPixels: config.maxPixels, gtCacheMB: config.gtCacheMB, log, metrics, timeoutSeconds: config.scoringTimeoutSeconds }, executor);
  scorer.start();
  const baselines = new Baselines({ q, catalogue, dataDir: config.dataDir, quota: config.quota, maxPixels: config.maxPixels, scorer, metrics, baselineDevice: config.baselineDevice, probeRuntime: opts.probeRuntime }, log);
  // submitted models run before their predictions are scored: one at a time here, or on --models queue workers
  const models = new ModelRunner(q, catalogue, scorer, {
    dataDir: config.dataDir, datasetRoot: catalogue.root, seconds: config.models.timeoutSeconds, memoryBytes: config.models.memoryBytes, maxModelBytes: config.models.maxBytes, device: config.baselineDevice, log, metrics,
  }, config.queue ? new QueueExecutor<ModelJob, ReturnType<typeof MODELS_LANE.decode>, ModelProgress>(config.queue, config.queueInFlight, log, MODELS_LANE) : embeddedModelExecutor());
  models.start();
  const modelSubmissions = { limits: config.models, runtime: () => baselines.runtimeNow() };
  const health = () => readiness({ db, dataDir: config.dataDir, catalogue, scorer, baselines, models, workerSilentMs: config.workerSilentMs });

  const boards = new Leaderboards(q, config.testDetail, dbFile(config.dataDir), (b) => catalogue.counterpart(b));
  const app = createApp({ boards, q, catalogue, dataDir: config.dataDir, quota: config.quota, maxPixels: config.maxPixels, scorer, baselines, models: modelSubmissions, modelRunner: models, metrics, health, metricsToken: config.metricsToken, workerSilentMs: config.workerSilentMs, log, maxUploadBytes: config.maxUploadBytes, authFailuresPerMinute: config.authFailuresPerMinute, uploads: config.uploads, bodyTimeoutMs: config.bodyTimeoutMs, testDetail: config.testDetail, secureCookies: config.secureCookies, openSignup: config.openSignup, signupsPerHour: config.signupsPerHour, trustProxy: config.trustProxy }, slots);
  const server = await new Promise<Server>((resolve) => { const s = app.listen(config.port, config.host, () => resolve(s)); });
  server.requestTimeout = config.requestTimeoutMs;
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  const open = [...catalogue.benchmarks.values()].filter((b) => !b.closed).length;
  log.info({ url, dataDir: config.dataDir, splits: [...catalogue.splits.keys()], benchmarks: catalogue.benchmarks.size, open, scoring: config.queue ? `queue ${new URL(config.queue).host} (${config.queueInFlight} in flight)` : 'in this process' }, 'ImageNet-S Bench is serving');
  return {
    url, server, db, q, catalogue, scorer, boards, metrics, log,
    async close() {
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections?.();
      await baselines.close();
      await models.close();
      await scorer.close();
      await boards.close();
      db.close();
    },
  };
}

/**
 * Work folders of model runs that ended without cleaning up (a crash). In this process's own runs
 * (no QUEUE) every one is stale at start; with a queue, a worker elsewhere may be using one, so only
 * those untouched for a day go.
 */
async function removeStaleModelRuns(dataDir: string, queue: boolean): Promise<void> {
  const dir = modelRunsDir(dataDir);
  let names: string[];
  try { names = await readdir(dir); } catch { return; }
  for (const n of names) {
    const p = join(dir, n);
    const old = !queue || Date.now() - (await stat(p).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs > 86_400_000;
    if (old) await rm(p, { recursive: true, force: true });
  }
}

/** Submission files whose row does not exist (a crash between storing and recording). */
async function removeOrphans(dataDir: string, q: Queries): Promise<void> {
  const dir = join(dataDir, 'submissions');
  let files: string[];
  try { files = await readdir(dir); } catch { return; }
  const known = q.submissionFiles();
  // files only: a folder there is not a submission's (and rm without recursive would throw on it)
  for (const f of files) if (!known.has(join('submissions', f))) await rm(join(dir, f), { force: true }).catch(() => {});
}
