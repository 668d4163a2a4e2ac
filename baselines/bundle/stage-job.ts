/**
 * A model run's stages around the graph (run-child.ts): prepare an image (decode, resize,
 * normalise), or turn a finished output into a PNG mask on disk. Run by worker threads
 * (stage-worker.ts) while the graph runs on the child's main thread: ONNX Runtime's run holds that
 * thread for the whole graph (measured: a 1 ms timer fired once in a 3.3 s run), so without them the
 * graph would wait for every decode and encode.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { encodeMask } from '../../datasets/imagenet-s/png-write.ts';
import { prepareImage, toMask, type GraphOutput, type Prepared } from './stages.ts';
import type { ModelJson } from './bundle.ts';

/** Threads for the stages: decode and resize of one image, encoding of another, at once. */
export const STAGE_THREADS = 2;

export type StageJob =
  | { kind: 'prepare'; model: ModelJson; image: string }
  | { kind: 'finish'; out: GraphOutput; W: number; H: number; path: string };
export type StageResult = Prepared | { bytes: number };

export async function runStage(job: StageJob): Promise<StageResult> {
  if (job.kind === 'prepare') return prepareImage(job.model, job.image);
  const m = toMask(job.out, job.W, job.H);
  const png = encodeMask(m.ids, m.width, m.height);
  await mkdir(dirname(job.path), { recursive: true });
  await writeFile(job.path, png);
  return { bytes: png.length };
}
