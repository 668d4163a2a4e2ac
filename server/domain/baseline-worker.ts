/**
 * The baseline thread: runs a converted model (baselines/runner) over a phase's images and writes
 * its predictions, one image at a time, beside scoring and HTTP, never in their way.
 */
import * as ort from 'onnxruntime-node';
import { serveJobs } from '../../util/pool.ts';
import { loadBaseline, type Device, type Fallback } from '../../baselines/runner/model.ts';
import { runModel } from '../../baselines/runner/run.ts';

export interface BaselineJob { modelDir: string; images: { image: string; mask: string }[]; outDir: string; device: Device }
export interface BaselineRun { images: number; seconds: number; provider: string; fallbacks: Fallback[]; runtime: string }

serveJobs<BaselineJob, BaselineRun, { done: number; total: number }>(async (job, { progress, signal }) => {
  const b = await loadBaseline(job.modelDir, job.device);
  let last = 0;
  const run = await runModel(b, job.images, job.outDir, {
    signal,
    // at most once a second (each report is a database write), and the last one always
    onImage: (done, total) => { if (performance.now() - last > 1000 || done === total) { last = performance.now(); progress({ done, total }); } },
  });
  await b.session.release();
  return { ...run, provider: b.provider, fallbacks: b.fallbacks, runtime: `onnxruntime-node ${ort.env.versions?.common ?? ''}`.trim() };
});
