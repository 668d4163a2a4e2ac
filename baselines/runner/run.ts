/**
 * One model over a phase's images: each image predicted and its mask written as the benchmark
 * names it, in names-list order. The one loop behind `baseline run` (the CLI), the server's
 * baseline thread and anything else that runs a model over a split.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { encodeMask } from '../../datasets/imagenet-s/png-write.ts';
import { predict, type Baseline } from './model.ts';

/** One image to predict (its path) and where its mask goes (relative to the output folder). */
export interface ModelInput { image: string; mask: string }

export interface RunOptions {
  /** Checked before each image: an abort stops the run between images. */
  signal?: AbortSignal;
  /** After each image. */
  onImage?: (done: number, total: number) => void;
}

export async function runModel(b: Baseline, images: readonly ModelInput[], outDir: string, opts: RunOptions = {}): Promise<{ images: number; seconds: number }> {
  const started = performance.now();
  for (const [i, it] of images.entries()) {
    opts.signal?.throwIfAborted();
    const p = await predict(b, it.image);
    const out = join(outDir, it.mask);
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, encodeMask(p.ids, p.width, p.height));
    opts.onImage?.(i + 1, images.length);
  }
  return { images: images.length, seconds: (performance.now() - started) / 1000 };
}
