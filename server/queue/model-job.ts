/**
 * One model run, from a stored bundle and the phase's hosted images to a predictions zip: no
 * database, no HTTP. The embedded runner runs it in a thread of its own (model-worker.ts); queue
 * workers started with `npm run worker -- --models` run it in their processes (worker-main.ts). The
 * model itself runs in a watched child process (baselines/bundle/run.ts): a model that never ends,
 * outgrows its memory or crashes fails its own submission and nothing else.
 */
import { mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { fileSha256, type Problem } from '../../evaluator/index.ts';
import { checkBundle } from '../../baselines/bundle/check.ts';
import { imageJobs, runBundle } from '../../baselines/bundle/run.ts';
import type { Device } from '../../baselines/runner/manifest.ts';
import { zipDirectory } from '../../datasets/imagenet-s/zip-write.ts';
import type { ModelRunRecord } from '../storage/queries.ts';

export interface ModelJob {
  /** The submission. */
  id: number;
  /** The stored bundle: its path on the server, and relative to the server's DATA_DIR (a worker elsewhere resolves it against its own). */
  bundle: string;
  bundleRel: string;
  /** Where the predictions zip is written (replaced whole: a run killed half-way leaves nothing there). */
  out: string;
  outRel: string;
  /** The phase's images (`<wnid>/<name>.JPEG`), on the server and relative to the dataset root. */
  imagesDir: string;
  imagesRel: string | null;
  /** The benchmark's names list (`<wnid>/<name>.png`): one mask per name. */
  masks: string[];
  classes: number;
  /** Per image (MODEL_TIMEOUT_SECONDS). */
  seconds: number;
  memoryBytes: number;
  maxModelBytes: number;
  device: Device;
}

export type ModelProgress = { done: number; total: number };
export type ModelOutcome =
  | { type: 'ran'; run: ModelRunRecord; bytes: number; sha256: string }
  | { type: 'failed'; message: string; problems: Problem[]; seconds: number };

const PROGRESS_MS = 500;

/** Where model runs keep their work (extracted bundle, masks) under a DATA_DIR until the zip is made. */
export const modelRunsDir = (dataDir: string): string => join(dataDir, 'model-runs');

export async function runModelJob(job: ModelJob, { progress, signal }: { progress: (p: ModelProgress) => void; signal: AbortSignal }): Promise<ModelOutcome> {
  await mkdir(dirname(job.out), { recursive: true });
  // in DATA_DIR beside the output's folder, so the finished zip is renamed into place, never copied
  // across file systems; never inside submissions/, whose every file is a submission's
  const runs = modelRunsDir(dirname(dirname(job.out)));
  await mkdir(runs, { recursive: true });
  const work = await mkdtemp(join(runs, `run-${job.id}-`));
  try {
    // the bundle was checked at upload; it is checked again as it is unpacked (a file changed on
    // the shared storage, or a worker of another version, is refused here, not run)
    await mkdir(join(work, 'bundle'));
    const check = await checkBundle(job.bundle, { classes: job.classes, maxModelBytes: job.maxModelBytes, extractTo: join(work, 'bundle') });
    if (check.problems.length || !check.model) return { type: 'failed', message: 'the model bundle no longer passes its checks', problems: check.problems, seconds: 0 };
    let last = 0;
    const r = await runBundle(join(work, 'bundle'), check.model, imageJobs(job.imagesDir, job.masks), join(work, 'pred'), {
      seconds: job.seconds, memoryBytes: job.memoryBytes, signal, device: job.device,
      onImage: (done, total) => { const now = performance.now(); if (now - last > PROGRESS_MS || done === total) { last = now; progress({ done, total }); } },
    });
    signal.throwIfAborted();
    if (r.problem) return { type: 'failed', message: r.problem.problem, problems: [r.problem], seconds: r.seconds };
    const zip = join(work, 'predictions.zip');
    await zipDirectory(join(work, 'pred'), zip);
    await rename(zip, job.out);
    const sha256 = await fileSha256(job.out);
    const { size } = await stat(job.out);
    return { type: 'ran', bytes: size, sha256, run: { runtime: r.runtime ?? 'onnxruntime-node', provider: r.provider ?? 'cpu', device: job.device, images: job.masks.length, seconds: r.seconds } };
  } finally {
    await rm(work, { recursive: true, force: true }).catch(() => {});
  }
}

/** What a queue worker sends back, checked before it is believed (as score-job.ts's decodeOutcome). */
const WireModelOutcome = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ran'), bytes: z.number().int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/), run: z.object({ runtime: z.string(), provider: z.string(), device: z.string(), images: z.number().int(), seconds: z.number() }) }),
  z.object({ type: z.literal('failed'), message: z.string(), seconds: z.number(), problems: z.array(z.object({ code: z.string(), file: z.string(), problem: z.string(), details: z.record(z.string(), z.unknown()).optional() })) }),
]);

export function decodeModelOutcome(v: unknown): ModelOutcome {
  const parsed = WireModelOutcome.safeParse(v);
  if (!parsed.success) throw new Error(`a model worker's result does not have the expected shape: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data as ModelOutcome;
}
