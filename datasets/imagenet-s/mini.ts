/**
 * The `mini` split: a self-contained synthetic demo of ImageNet-S (no toolbox, no ImageNet),
 * in the official directory layout (images and masks), with visibly synthetic class and file names. Used by the
 * embedded default and by tests.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeSynthItem } from './synth-job.ts';
import { makeImage, permutation, rng, seedOf, type PredictionStyle } from './synth-image.ts';

export const MINI_SPLIT = 'ImageNetSmini';
export const MINI_CLASSES = [
  { wnid: 'n90000001', name: 'synthetic ellipse one' },
  { wnid: 'n90000002', name: 'synthetic ellipse two' },
  { wnid: 'n90000003', name: 'synthetic box three' },
  { wnid: 'n90000004', name: 'synthetic box four' },
  { wnid: 'n90000005', name: 'synthetic blob five' },
  { wnid: 'n90000006', name: 'synthetic blob six' },
];

export interface MiniOptions {
  seed?: number;
  validation?: number;
  test?: number;
  /** Also write prediction sets under `<out>/predictions/ImageNetSmini/<subset>/` (supervised ids). */
  withPredictions?: boolean;
  /** Predictions with permuted ids (the unsupervised flavour). */
  permuted?: boolean;
  /** Seed of the prediction perturbations (default seed + 1): other predictions of the same GT. */
  predictionSeed?: number;
}

export type MiniSubset = 'validation' | 'test';

export interface MiniSplitFiles {
  root: string;
  classes: number;
  subsets: Record<MiniSubset, { masksDir: string; namesFile: string; masks: string[]; predictionsDir?: string }>;
}

/** Writes `<out>/ImageNetSmini/{validation,test}-segmentation/`, their names lists, and optionally predictions. */
export async function writeMiniSplit(out: string, opts: MiniOptions = {}): Promise<MiniSplitFiles> {
  const seed = opts.seed ?? 1;
  const root = join(out, MINI_SPLIT);
  const C = MINI_CLASSES.length;
  await mkdir(root, { recursive: true });
  await writeFile(join(root, 'classes.json'), JSON.stringify({ classes: MINI_CLASSES }, null, 2) + '\n');
  const perm = opts.permuted ? permutation(C, rng(seedOf(seed, 'permutation'))) : null;
  const style: PredictionStyle = { classes: C, idOf: (c) => (perm && c >= 1 && c <= C ? perm[c - 1] : c) };
  const result: MiniSplitFiles = { root, classes: C, subsets: {} as MiniSplitFiles['subsets'] };
  let serial = 0;
  for (const [subset, count] of [['validation', opts.validation ?? 36], ['test', opts.test ?? 24]] as const) {
    const masksDir = join(root, `${subset}-segmentation`);
    const predictionsDir = opts.withPredictions || opts.permuted ? join(out, 'predictions', MINI_SPLIT, subset) : undefined;
    const masks: string[] = [];
    const lines: string[] = [];
    for (let i = 0; i < count; i++) {
      const cls = 1 + (i % C);
      const { wnid } = MINI_CLASSES[cls - 1];
      const name = `SYNTH_${subset}_${String(++serial).padStart(8, '0')}`;
      const rel = `${wnid}/${name}.png`;
      const r = rng(seedOf(seed, rel));
      const small: [number, number] | undefined = i % 4 === 0 ? [120 + Math.floor(r() * 80), 160 + Math.floor(r() * 80)] : undefined;
      const img = makeImage(r, cls, () => 1 + Math.floor(r() * C), small);
      await mkdir(join(masksDir, wnid), { recursive: true });
      await mkdir(join(root, subset, wnid), { recursive: true });
      if (predictionsDir) await mkdir(join(predictionsDir, wnid), { recursive: true });
      await writeSynthItem(img, rel, { gtDir: masksDir, imageDir: join(root, subset), predDir: predictionsDir ?? null, predictionSeed: opts.predictionSeed ?? seed + 1, style, jpegQuality: 70 });
      masks.push(rel);
      lines.push(`${wnid}/${name}.JPEG ${rel}`);
    }
    const namesFile = join(root, `${subset}.txt`);
    await writeFile(namesFile, lines.join('\n'));
    result.subsets[subset] = { masksDir, namesFile, masks, predictionsDir };
  }
  return result;
}
