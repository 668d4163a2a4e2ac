/**
 * A checked bundle over a phase's images, in a watched child process (isolated.ts, run-child.ts):
 * masks written under `outDir` as the benchmark names them, progress reported per image, and a model
 * that never ends, outgrows its memory or crashes fails with the reason (model-timeout,
 * model-out-of-memory, model-crashed) while the caller goes on.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { problem, type Problem } from '../../evaluator/index.ts';
import { BUNDLE_ONNX, type ModelJson } from './bundle.ts';
import { runIsolated } from './isolated.ts';
import type { Device } from '../runner/manifest.ts';
import { childResult, LOAD_SECONDS, MODEL_MEMORY_BYTES } from './trial.ts';

export interface RunBundleOptions {
  /** Per image (MODEL_TIMEOUT_SECONDS). */
  seconds: number;
  memoryBytes?: number;
  signal?: AbortSignal;
  onImage?: (done: number, total: number) => void;
  /** Where the graph runs (baselines/runner/model.ts openSession); default the CPU. */
  device?: Device;
  /** Worker threads preparing and writing images around the graph (stage-job.ts); 0: all in the graph's thread, image after image; default: threads only when the graph runs on a GPU. */
  stageThreads?: number;
}

/** A phase's images as the runners read them: each mask of the names list with its image (`wnid/name.JPEG`) in `imagesDir`. */
export function imageJobs(imagesDir: string, masks: string[]): { image: string; mask: string }[] {
  return masks.map((m) => ({ image: join(imagesDir, m.replace(/\.png$/, '.JPEG')), mask: m }));
}

/** A run's outcome: its time, and either what ran it or the problem that stopped it. */
export interface BundleRun { seconds: number; problem?: Problem; provider?: string; runtime?: string; fallbacks?: { provider: string; reason: string }[] }

/** `dir`: the bundle's files (model.onnx and any external data); `jobs`: absolute image paths and mask paths. */
export async function runBundle(dir: string, model: ModelJson, jobs: { image: string; mask: string }[], outDir: string, o: RunBundleOptions): Promise<BundleRun> {
  const jobsFile = join(dir, 'jobs.json');
  await writeFile(jobsFile, JSON.stringify(jobs));
  const t0 = performance.now();
  const r = childResult(await runIsolated(join(import.meta.dirname, 'run-child.ts'), [join(dir, BUNDLE_ONNX), JSON.stringify(model), jobsFile, outDir, o.device ?? 'cpu', o.stageThreads === undefined ? 'auto' : String(o.stageThreads)], {
    cwd: dir, loadSeconds: LOAD_SECONDS, imageSeconds: o.seconds, memoryBytes: o.memoryBytes ?? MODEL_MEMORY_BYTES, signal: o.signal,
    onLine: (l) => { if (l.startsWith('{"event":"done"')) { const p = JSON.parse(l) as { done: number; total: number }; o.onImage?.(p.done, p.total); } },
  }));
  const seconds = (performance.now() - t0) / 1000;
  if (o.signal?.aborted) return { seconds, problem: problem('model-crashed', BUNDLE_ONNX, { reason: 'cancelled' }) };
  if (r.problem) return { seconds, problem: r.problem };
  if (!r.out!.ok) return { seconds, problem: problem('model-crashed', BUNDLE_ONNX, { reason: (r.out!.error ?? 'unknown').slice(0, 600) }) };
  return { seconds, provider: r.out!.provider, runtime: r.out!.runtime, fallbacks: r.out!.fallbacks ?? [] };
}
