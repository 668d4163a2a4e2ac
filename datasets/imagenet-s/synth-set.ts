/**
 * Writes synthetic GT + prediction sets in parallel (worker threads): `<out>/gt/<rel>`,
 * `<out>/pred/<rel>` and `<out>/names.txt`. Every file depends only on (seed, its path), so the
 * result is identical whatever the number of workers.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { forEachLimit, WorkerPool } from '../../util/pool.ts';
import type { SynthJob } from './synth-job.ts';
import { namesListText } from './splits.ts';

export interface SynthItem {
  /** Mask path, `wnid/name.png`. */
  rel: string;
  /** The image's own class id (1..C). */
  cls: number;
}

export interface SynthSetOptions {
  classes: number;
  seed: number;
  /** Predictions with a permutation of the class ids (unsupervised flavour). */
  permuted?: boolean;
  /** Write predictions too (default true). */
  predictions?: boolean;
  /** Write the GT masks (default true); false writes only predictions (of an existing GT). */
  gt?: boolean;
  /** Share of images at the large sizes (up to 1200×900). */
  largeShare?: number;
  workers?: number;
  gtDir?: string;
  predDir?: string;
  /** Where to write the JPEG images (none by default). */
  imageDir?: string;
  /** Where to write the names list (default `<out>/names.txt`). */
  namesFile?: string;
  onProgress?: (done: number, total: number) => void;
}

export async function writeSynthSet(out: string, items: SynthItem[], opts: SynthSetOptions): Promise<{ gtDir: string; predDir: string; namesFile: string }> {
  const gtDir = opts.gtDir ?? join(out, 'gt');
  const predDir = opts.predDir ?? join(out, 'pred');
  await mkdir(out, { recursive: true });
  const dirs = new Set(items.map((i) => i.rel.slice(0, i.rel.lastIndexOf('/'))));
  for (const d of dirs) {
    if (opts.gt !== false) await mkdir(join(gtDir, d), { recursive: true });
    if (opts.predictions !== false) await mkdir(join(predDir, d), { recursive: true });
    if (opts.imageDir) await mkdir(join(opts.imageDir, d), { recursive: true });
  }
  const workers = Math.max(1, Math.min(opts.workers ?? availableParallelism(), items.length));
  const pool = new WorkerPool<SynthJob, void>(new URL('./synth-worker.ts', import.meta.url), workers, 'synthetic data worker');
  const batches: SynthItem[][] = [];
  for (let k = 0; k < items.length; k += 64) batches.push(items.slice(k, k + 64));
  let done = 0;
  try {
    await forEachLimit(batches, workers, async (slice) => {
      await pool.run({ items: slice, gtDir: opts.gt === false ? null : gtDir, predDir: opts.predictions === false ? null : predDir, imageDir: opts.imageDir ?? null, classes: opts.classes, seed: opts.seed, permuted: !!opts.permuted, largeShare: opts.largeShare ?? 0.03 });
      done += slice.length;
      opts.onProgress?.(done, items.length);
    });
  } finally {
    await pool.close();
  }
  const namesFile = opts.namesFile ?? join(out, 'names.txt');
  await writeFile(namesFile, namesListText(items.map((i) => i.rel)));
  return { gtDir, predDir, namesFile };
}
