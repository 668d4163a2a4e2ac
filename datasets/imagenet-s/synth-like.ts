/**
 * `synth --like`: a synthetic root with the real file names and counts of an official split (from
 * the toolbox lists the host gives), in the official layout, at realistic sizes and class
 * statistics, plus matching prediction sets for benchmarks. `scale` keeps a deterministic fraction.
 *
 *   <out>/<split>/{train,train-semi,train-semi-segmentation,validation,validation-segmentation,test,test-segmentation}/
 *   <out>/predictions/<split>/{validation,test}/         perturbed GT (permuted ids when `permuted`)
 *   <out>/lists/<split>/{validation,test,train-semi}.txt names lists of what was written
 *
 * The training set of ImageNet (1.28 M images) is not in the toolbox lists; `train/` gets
 * `trainPerClass` synthetic images per class so the layout is complete.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { renderPhoto } from './synth-job.ts';
import { writeSynthSet, type SynthItem } from './synth-set.ts';
import { drawGt, makeImage, rng, seedOf } from './synth-image.ts';
import { readToolboxSplit, type SplitName } from './splits.ts';

export interface LikeOptions {
  scale?: number;
  seed?: number;
  withPredictions?: boolean;
  permuted?: boolean;
  trainPerClass?: number;
  /** Write JPEG images (default true); without them only masks are written. */
  images?: boolean;
  workers?: number;
  onProgress?: (subset: string, done: number, total: number) => void;
}

export interface LikeResult {
  root: string;
  counts: Record<'validation' | 'test' | 'train-semi' | 'train', number>;
  lists: Record<'validation' | 'test' | 'train-semi', string>;
  predictions?: Record<'validation' | 'test', string>;
}

/** Deterministic subset: an item is kept when its hash falls below `scale`. */
export function keep(seed: number, rel: string, scale: number): boolean {
  return scale >= 1 || seedOf(seed, `keep:${rel}`) / 4294967296 < scale;
}

export async function writeLikeSplit(out: string, split: SplitName, toolbox: string, opts: LikeOptions = {}): Promise<LikeResult> {
  const lists = await readToolboxSplit(toolbox, split);
  const seed = opts.seed ?? 1, scale = opts.scale ?? 1;
  const C = lists.classes.length;
  const idOf = new Map(lists.classes.map((c) => [c.wnid, c.id]));
  const root = join(out, split);
  const listDir = join(out, 'lists', split);
  await mkdir(listDir, { recursive: true });
  const counts = { validation: 0, test: 0, 'train-semi': 0, train: 0 };
  const listFiles = {} as LikeResult['lists'];
  const predictions = opts.withPredictions || opts.permuted ? ({} as NonNullable<LikeResult['predictions']>) : undefined;

  for (const subset of ['validation', 'test', 'train-semi'] as const) {
    const source = subset === 'validation' ? lists.validation : subset === 'test' ? lists.test : lists.trainSemi;
    const items: SynthItem[] = source.filter((rel) => keep(seed, rel, scale)).map((rel) => {
      const cls = idOf.get(rel.split('/')[0]);
      if (!cls) throw new Error(`${split} ${subset}: ${rel} is not in a class folder of the split`);
      return { rel, cls };
    });
    const withPred = !!predictions && subset !== 'train-semi';
    const predDir = join(out, 'predictions', split, subset);
    const listFile = join(listDir, `${subset}.txt`);
    await writeSynthSet(listDir, items, {
      classes: C, seed: seedOf(seed, subset), permuted: opts.permuted, predictions: withPred, largeShare: 0.02,
      gtDir: join(root, `${subset}-segmentation`), predDir, imageDir: opts.images === false ? undefined : join(root, subset),
      namesFile: listFile, workers: opts.workers, onProgress: (d, t) => opts.onProgress?.(subset, d, t),
    });
    listFiles[subset] = listFile;
    counts[subset] = items.length;
    if (withPred) predictions![subset as 'validation' | 'test'] = predDir;
  }

  const perClass = opts.trainPerClass ?? 1;
  if (perClass > 0 && opts.images !== false) {
    for (const c of lists.classes) {
      await mkdir(join(root, 'train', c.wnid), { recursive: true });
      for (let k = 0; k < perClass; k++) {
        const name = `${c.wnid}/${c.wnid}_synth${k + 1}.JPEG`;
        const r = rng(seedOf(seed, name));
        const img = makeImage(r, c.id, () => c.id, [96 + Math.floor(r() * 64), 128 + Math.floor(r() * 64)]);
        await sharp(renderPhoto(drawGt(img), img.width, img.height), { raw: { width: img.width, height: img.height, channels: 3 } }).jpeg({ quality: 60 }).toFile(join(root, 'train', name));
        counts.train++;
      }
    }
  }
  return { root, counts, lists: listFiles, predictions };
}
