/**
 * The baseline thread: runs a converted model (baselines/runner) over a phase's images and writes
 * its predictions, one image at a time, beside scoring and HTTP, never in their way.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { serveJobs } from '../util/pool.ts';
import { loadBaseline, predict, type Device, type Fallback } from '../baselines/runner/model.ts';
import { encodeMask } from '../datasets/imagenet-s/png-write.ts';

export interface BaselineJob { modelDir: string; images: { image: string; mask: string }[]; outDir: string; device: Device }
export interface BaselineRun { images: number; seconds: number; provider: string; fallbacks: Fallback[]; runtime: string }

serveJobs<BaselineJob, BaselineRun, { done: number; total: number }>(async (job, { progress, signal }) => {
  const b = await loadBaseline(job.modelDir, job.device);
  const started = performance.now();
  let last = 0;
  for (const [i, it] of job.images.entries()) {
    signal.throwIfAborted();
    const p = await predict(b, it.image);
    const out = join(job.outDir, it.mask);
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, encodeMask(p.ids, p.width, p.height));
    if (performance.now() - last > 1000 || i + 1 === job.images.length) { last = performance.now(); progress({ done: i + 1, total: job.images.length }); }
  }
  await b.session.release();
  return { images: job.images.length, seconds: (performance.now() - started) / 1000, provider: b.provider, fallbacks: b.fallbacks, runtime: `onnxruntime-node ${ort.env.versions?.common ?? ''}`.trim() };
});
