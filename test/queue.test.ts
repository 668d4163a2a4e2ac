/**
 * Scoring on workers behind BullMQ (server/queue/queue.ts, server/queue/worker-main.ts), with a real
 * redis-server and real worker processes: the server scores nothing itself; a worker killed
 * mid-job loses nothing; a Redis restart (every job lost) loses nothing; an upload a worker cannot
 * read fails once with a clear message. Each submission's metrics are the evaluator's own.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { Queue } from 'bullmq';
import { writeMiniSplit, type MiniSplitFiles } from '../datasets/imagenet-s/mini.ts';
import { zipDirectory } from '../datasets/imagenet-s/zip-write.ts';
import { evaluate } from '../evaluator/run/evaluate.ts';
import { DEFAULT_SOURCE_LIMITS } from '../evaluator/input/sources.ts';
import { DirectorySource } from '../evaluator/input/sources.ts';
import { signedInAgent, testServer, waitFor, type TestServer } from './helpers/server.ts';
import { freePort, Redis, redisSkip, WorkerProcess } from './helpers/queue.ts';
import { connectionOf, MODELS_QUEUE_NAME, QUEUE_NAME } from '../server/queue/queue.ts';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { craftZip } from './helpers/zip.ts';
import type { ProgressEvent } from '../server/queue/scorer.ts';

const skip = redisSkip;
const work = mkdtempSync(join(tmpdir(), 'isb-queue-'));
const B = 'imagenetsmini.semi-supervised.validation';
let mini: MiniSplitFiles, zip: string, expected: Record<string, unknown>;
let redis: Redis, srv: TestServer, token: string;
const workers: WorkerProcess[] = [];

before(async () => {
  if (skip) return;
  // a hosted split big enough that a job takes a few seconds on one thread
  mini = await writeMiniSplit(join(work, 'root'), { validation: 400, test: 2, withPredictions: true });
  const v = mini.subsets.validation;
  zip = join(work, 'preds.zip');
  await zipDirectory(v.predictionsDir!, zip);
  const r = await evaluate({ gtRoot: v.masksDir, pred: await DirectorySource.open(v.predictionsDir!), masks: v.masks, classes: mini.classes, workers: 2 });
  const { IoUs, BIoUs, ...rest } = r.metrics;
  expected = { ...rest, IoUs, BIoUs };
  redis = new Redis(await freePort());
  await redis.start();
  srv = await testServer({ QUEUE: redis.url, QUEUE_IN_FLIGHT: '4', IMAGENETS_ROOT: join(work, 'root'), LOG_LEVEL: 'silent' });
  token = srv.user('q');
});
after(async () => {
  await Promise.all(workers.map((w) => w.kill()));
  await srv?.cleanup();
  await redis?.kill();
  rmSync(work, { recursive: true, force: true });
});

const worker = async (env: Record<string, string> = {}, args: string[] = []): Promise<WorkerProcess> => {
  const w = new WorkerProcess({ QUEUE: redis.url, ...env }, args);
  workers.push(w);
  await w.ready();
  return w;
};
const submit = async (): Promise<number> => (await request(srv.server).post('/api/submissions').set('Authorization', `Bearer ${token}`).field('benchmark', B).attach('file', zip).expect(202)).body.id;
const view = async (id: number) => (await request(srv.server).get(`/api/submissions/${id}`).set('Authorization', `Bearer ${token}`).expect(200)).body;
const ended = (id: number, ms = 120_000) => waitFor(async () => { const s = await view(id); return ['finished', 'failed', 'cancelled'].includes(s.status) ? s : undefined; }, ms, `submission ${id}`);
/** The submission's current job as Redis has it: its state, and how many times a worker ran it. */
const job = async (id: number): Promise<{ state: string; runs: number } | undefined> => {
  const q = new Queue(QUEUE_NAME, { connection: connectionOf(redis.url) });
  try {
    const s = srv.q.submission(id)!;
    const j = await q.getJob(`${id}-${s.attempts}`);
    return j ? { state: await j.getState(), runs: j.attemptsStarted ?? j.attemptsMade } : undefined;
  } finally { await q.close(); }
};
const jobState = async (id: number): Promise<string | undefined> => (await job(id))?.state;
/** Waits until the submission is scoring with some images done and some not (progress comes through Redis). */
const midJob = (id: number) => waitFor(() => { const s = srv.q.submission(id)!; return s.status === 'scoring' && s.progress_done > 0 && s.progress_done < s.images; }, 60_000, `submission ${id} part-way scored`);

test('with QUEUE the server scores nothing itself: a worker process does, its progress reaches the server, the metrics are the evaluator\'s', { skip, timeout: 180_000 }, async () => {
  const id = await submit();
  await waitFor(async () => (await jobState(id)) === 'waiting' || undefined, 30_000, 'the job to be handed to the queue');
  // handed to Redis, but no worker has taken it: queued (not scoring), with its place among those waiting
  const waiting = await view(id);
  assert.equal(waiting.status, 'queued', 'dispatched, and nobody scores it without a worker');
  assert.equal(waiting.waiting_for_worker.position, 1);
  assert.equal(waiting.waiting_for_worker.worker_last_seen, null, 'no worker has beaten yet');
  const page = await (await signedInAgent(srv.server, token)).get(`/submissions/${id}`).expect(200);
  assert.match(page.text, /waiting for a scoring worker/);
  const ready = (await request(srv.server).get('/readyz').expect(200)).body;
  assert.match(ready.warnings.join('\n'), /workers: no scoring worker has been seen/);
  const events: ProgressEvent[] = [];
  const off = srv.scorer.subscribe(id, (e) => events.push(e));
  const w = await worker();
  const s = await ended(id);
  off();
  assert.equal(s.status, 'finished', JSON.stringify(s.error));
  assert.deepEqual(s.metrics, expected);
  assert.equal(await jobState(id), 'completed');
  assert.ok(events.some((e) => e.status === 'scoring' && e.done === e.total && e.total === 400), `progress from the worker: ${JSON.stringify(events)}`);
  assert.equal(srv.q.scoresOf(id).length, 1);
  assert.equal(s.waiting_for_worker, undefined, 'taken by a worker, then scored');
  const readyAfter = (await request(srv.server).get('/readyz').expect(200)).body;
  assert.ok(readyAfter.checks.some((c: { name: string; ok: boolean }) => c.name === 'workers' && c.ok), JSON.stringify(readyAfter));
  await w.kill('SIGTERM');
});

test('a worker SIGKILLed mid-job: another worker takes the job over (stalled-job recovery); one score, the same metrics', { skip, timeout: 180_000 }, async () => {
  const a = await worker();
  const id = await submit();
  await midJob(id);
  await a.kill('SIGKILL');
  assert.equal(srv.q.submission(id)!.status, 'scoring', 'killed before it finished');
  const b = await worker();
  const s = await ended(id);
  assert.equal(s.status, 'finished', JSON.stringify(s.error));
  assert.deepEqual(s.metrics, expected);
  assert.equal(await jobState(id), 'completed', 'the other worker finished it');
  assert.equal(srv.q.scoresOf(id).length, 1, 'stored once');
  await b.kill('SIGTERM');
});

test('Redis killed and restarted empty while submissions are queued and running: nothing is lost, all finish', { skip, timeout: 240_000 }, async () => {
  const w = await worker();
  const ids = [await submit(), await submit(), await submit()];
  await waitFor(async () => (await jobState(ids[0])) === 'active', 60_000, 'the first job to be active');
  await redis.kill();
  // not ready while Redis is down, naming it; alive all the same
  const down = await request(srv.server).get('/readyz').expect(503);
  assert.deepEqual(down.body.not_ready, ['queue'], JSON.stringify(down.body));
  assert.match(down.body.checks.find((c: { name: string }) => c.name === 'queue').detail, /Redis does not answer/);
  await request(srv.server).get('/healthz').expect(200);
  await redis.start();
  for (const id of ids) {
    const s = await ended(id, 180_000);
    assert.equal(s.status, 'finished', `${id}: ${JSON.stringify(s.error)}`);
    assert.deepEqual(s.metrics, expected);
    assert.equal(srv.q.scoresOf(id).length, 1);
  }
  await w.kill('SIGTERM');
});

test('a worker that cannot read the upload fails the job once, saying why; no retry loop', { skip, timeout: 120_000 }, async () => {
  // this worker looks for uploads in an empty directory (shared storage not mounted)
  const w = await worker({ DATA_DIR: join(work, 'not-mounted') });
  const id = await submit();
  const s = await ended(id);
  assert.equal(s.status, 'failed');
  assert.match(s.error, /cannot read the upload submissions\/.*\.zip \(ENOENT\)/);
  assert.equal(await jobState(id), 'failed');
  const q = new Queue(QUEUE_NAME, { connection: connectionOf(redis.url) });
  try {
    assert.equal((await q.getJob(`${id}-1`))!.attemptsMade, 1, 'tried once');
  } finally { await q.close(); }
  await w.kill('SIGTERM');
});

test('the API server restarted while a worker scores: the new process waits for the same job (not a second scoring) and stores it once', { skip, timeout: 180_000 }, async () => {
  const w = await worker();
  const id = await submit();
  await waitFor(async () => (await jobState(id)) === 'active', 60_000, 'the job to be active');
  const dataDir = srv.dataDir;
  await srv.close();
  const { startServer } = await import('../server/server.ts');
  const { loadConfig } = await import('../server/config.ts');
  const pino = (await import('pino')).default;
  const again = await startServer(loadConfig({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', QUEUE: redis.url, IMAGENETS_ROOT: join(work, 'root'), LOG_LEVEL: 'silent' }), pino({ level: 'silent' }));
  srv = Object.assign(again, { dataDir, user: srv.user, cleanup: async () => { await again.close(); rmSync(dataDir, { recursive: true, force: true }); } });
  const s = await ended(id);
  assert.equal(s.status, 'finished', JSON.stringify(s.error));
  assert.deepEqual(s.metrics, expected);
  assert.equal(srv.q.submission(id)!.attempts, 1, 'the same attempt');
  assert.deepEqual(await job(id), { state: 'completed', runs: 1 }, 'scored once, by the job the server had handed over');
  assert.equal(srv.q.scoresOf(id).length, 1);
  await w.kill('SIGTERM');
});

test('cancelling on the queue: a running job stops on its worker, a waiting one is removed; the worker goes on to the next', { skip, timeout: 180_000 }, async () => {
  const w = await worker();
  const running = await submit();
  const waiting = await submit();
  const next = await submit();
  await waitFor(async () => (await jobState(running)) === 'active', 60_000, 'the first job to be active');
  for (const id of [running, waiting]) await request(srv.server).delete(`/api/submissions/${id}`).set('Authorization', `Bearer ${token}`).expect(200);
  await waitFor(async () => (await jobState(running)) === 'failed', 30_000, 'the running job to stop');
  assert.equal(await jobState(waiting), undefined, 'the waiting job removed');
  const s = await ended(next);
  assert.equal(s.status, 'finished');
  assert.deepEqual((await Promise.all([running, waiting].map(view))).map((x) => x.status), ['cancelled', 'cancelled']);
  assert.deepEqual([running, waiting].map((id) => srv.q.scoresOf(id).length), [0, 0], 'only the last one was scored');
  assert.equal(await jobState(next), 'completed');
  await w.kill('SIGTERM');
});

const PY = '/usr/bin/python3';
const noOnnx = spawnSync(PY, ['-c', 'import onnx, numpy'], { encoding: 'utf8' }).status === 0 ? false : `${PY} with onnx and numpy not found (.ci/run installs python3-onnx)`;

test('a model run whose --models worker is SIGKILLed completes on another worker, once; its child process ends with it; the predictions are scored by a scoring worker', { skip: skip || noOnnx, timeout: 240_000 }, async () => {
  const graphs = join(work, 'graphs');
  const made = spawnSync('sh', ['-c', `mkdir -p ${graphs} && ${PY} test/helpers/make_onnx.py ${graphs} ${mini.classes}`], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  const bundle = join(work, 'model.zip');
  await craftZip(bundle, (z) => {
    z.addBuffer(readFileSync(join(graphs, 'logits.onnx')), 'model.onnx');
    z.addBuffer(Buffer.from(JSON.stringify({ version: 1, classes: mini.classes, input: { resize_short_side: null, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] }, output: 'logits' })), 'model.json');
  });
  const scorer = await worker();
  const a = await worker({}, ['--models', '--device', 'cpu']);
  const up = await request(srv.server).post('/api/submissions').set('Authorization', `Bearer ${token}`).field('benchmark', B).attach('model', bundle);
  assert.equal(up.status, 202, JSON.stringify(up.body));
  const id = up.body.id as number;
  await waitFor(() => { const s = srv.q.submission(id)!; return s.model_state === 'running' && s.progress_done > 0 && s.progress_done < s.images; }, 60_000, 'the model part-way run');
  assert.equal((await view(id)).status, 'running');
  // the model's child process, found by its work folder (/proc, not pgrep: procps is not in every Debian image)
  const running = () => readdirSync('/proc').filter((p) => /^\d+$/.test(p)).some((p) => { try { return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(`${srv.dataDir}/model-runs/run-${id}-`); } catch { return false; } });
  assert.ok(running(), 'the model runs in a child process');
  await a.kill('SIGKILL');
  // the model's child process saw its parent go (exit-with-parent.ts): nothing runs on unwatched
  await waitFor(() => !running(), 10_000, 'the orphaned model process to end');
  const b = await worker({}, ['--models', '--device', 'cpu']);
  const s = await ended(id, 180_000);
  assert.equal(s.status, 'finished', JSON.stringify(s.problems ?? s.error));
  const row = srv.q.submission(id)!;
  assert.equal(row.model_attempts, 1, 'the same run, taken over: not a second one started by the server');
  assert.equal(srv.q.scoresOf(id).length, 1, 'scored once');
  const q = new Queue(MODELS_QUEUE_NAME, { connection: connectionOf(redis.url) });
  try {
    const j = await q.getJob(`${id}-1`);
    assert.equal(await j!.getState(), 'completed');
    assert.equal(j!.attemptsStarted ?? 2, 2, 'started by the killed worker, then by the other');
  } finally { await q.close(); }
  assert.match(b.output, /"msg":"model run ended"/);
  assert.doesNotMatch(a.output, /"msg":"model run ended"/);
  assert.equal(s.model.run.images, 400);
  // the predictions are those of the model: scored again offline, the same metrics
  const r = await evaluate({ gtRoot: mini.subsets.validation.masksDir, pred: await (await import('../evaluator/input/sources.ts')).ZipSource.open(join(srv.dataDir, row.file), mini.subsets.validation.masks, DEFAULT_SOURCE_LIMITS), masks: mini.subsets.validation.masks, classes: mini.classes, workers: 1 });
  assert.deepEqual(s.metrics.mIoU, r.metrics.mIoU);
  // readiness names the model workers apart from the scoring ones
  const ready = (await request(srv.server).get('/readyz').expect(200)).body;
  assert.ok(ready.checks.some((c: { name: string; ok: boolean; detail: string }) => c.name === 'model workers' && c.ok && /a model worker was seen/.test(c.detail)), JSON.stringify(ready.checks));
  await Promise.all([b.kill('SIGTERM'), scorer.kill('SIGTERM')]);
});
