/**
 * The child process of a model run (run.ts): `run-child.ts <model.onnx> <model.json> <jobs.json> <out dir> [device] [stage threads]`.
 * One ONNX Runtime session; the images of jobs.json ([{image, mask}], names-list order) go through a
 * pipeline: worker threads (stage-worker.ts) prepare the next images and write the masks of those
 * done while the graph runs here. Per image a line {"event":"image"} as its graph starts (its time
 * limit starts), and a progress line once its mask is written; then
 * {"ok":true,"secondsPerImage":…,"provider":…,"runtime":…,"fallbacks":[…]}, or {"ok":false,"error":…}.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { WorkerPool } from '../../util/pool.ts';
import { openSession, type Device } from '../runner/model.ts';
import { ModelJson } from './bundle.ts';
import { runGraph } from './predict.ts';
import type { Prepared } from './stages.ts';
import { runStage, STAGE_THREADS, type StageJob, type StageResult } from './stage-job.ts';

/** Images prepared ahead of the graph, and masks being written behind it, at most (memory stays bounded). */
const AHEAD = 2, BEHIND = 4;
const [path, json, jobsFile, outDir, device = 'cpu', threads = 'auto'] = process.argv.slice(2);
const line = (o: object): void => { process.stdout.write(`${JSON.stringify(o)}\n`); };
let pool: WorkerPool<StageJob, StageResult> | null = null;
try {
  const model = ModelJson.parse(JSON.parse(json));
  const jobs = JSON.parse(await readFile(jobsFile, 'utf8')) as { image: string; mask: string }[];
  // the device as for baselines: auto tries CUDA, then WebGPU, then the CPU, and says what it passed over
  const { session, provider, fallbacks } = await openSession(path, device as Device);
  // auto: worker threads only where the graph leaves the CPU free (a GPU provider); on the CPU,
  // ONNX Runtime's own threads take every core and stage threads only compete with them (bench
  // section baselines, model-bundle: no faster on 2 cores)
  const stageThreads = threads === 'auto' ? (provider === 'cpu' ? 0 : STAGE_THREADS) : Number(threads);
  pool = stageThreads > 0 ? new WorkerPool<StageJob, StageResult>(new URL('./stage-worker.ts', import.meta.url), stageThreads, 'model-stage') : null;
  const stages = pool ?? { run: (job: StageJob) => runStage(job) };
  const t0 = performance.now();
  const prepared = new Map<number, Promise<Prepared>>();
  const prepare = (i: number) => {
    if (i < jobs.length && !prepared.has(i)) prepared.set(i, stages.run({ kind: 'prepare', model, image: jobs[i].image }) as Promise<Prepared>);
  };
  const writing: Promise<void>[] = [];
  let done = 0;
  for (const [i, j] of jobs.entries()) {
    for (let k = 0; k <= AHEAD; k++) prepare(i + k);
    const p = await prepared.get(i)!;
    prepared.delete(i);
    line({ event: 'image' });
    const out = await runGraph(session, model, p);
    const transfer = [(out.kind === 'logits' ? out.logits : out.data).buffer as ArrayBuffer];
    const written = stages.run({ kind: 'finish', out, W: p.W, H: p.H, path: join(outDir, j.mask) }, { transfer }).then(() => { done++; line({ event: 'done', done, total: jobs.length }); });
    written.catch(() => {}); // awaited below, in order; a failure there ends the run with its message
    writing.push(written);
    if (writing.length > BEHIND) await writing.shift();
  }
  await Promise.all(writing);
  line({ ok: true, secondsPerImage: jobs.length ? (performance.now() - t0) / 1000 / jobs.length : 0, provider, runtime: `onnxruntime-node ${ort.env.versions?.common ?? ''}`.trim(), fallbacks });
} catch (e) {
  line({ ok: false, error: (e as Error).message.replace(/\s+/g, ' ') });
} finally {
  await pool?.close();
}
