/** One batch of synthetic images, drawn and written by a worker (or inline). */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { encodeMask } from './png-write.ts';
import { drawGt, drawPrediction, makeImage, permutation, pickSize, rng, seedOf, type PredictionStyle, type SynthImage } from './synth-image.ts';

export interface SynthJob {
  items: { rel: string; cls: number }[];
  gtDir: string | null;
  predDir: string | null;
  /** Also write a JPEG "photo" per mask (same size, `.JPEG`), as the image of the dataset. */
  imageDir: string | null;
  classes: number;
  seed: number;
  permuted: boolean;
  largeShare: number;
}

const perms = new Map<string, number[]>();

sharp.concurrency(1); // one libvips thread per worker: the workers are the parallelism

export async function runSynthJob(job: SynthJob): Promise<void> {
  const C = job.classes;
  const key = `${job.seed}:${C}`;
  let perm = perms.get(key);
  if (job.permuted && !perm) perms.set(key, (perm = permutation(C, rng(seedOf(job.seed, 'permutation')))));
  const idOf = (c: number): number => (job.permuted && perm && c >= 1 && c <= C ? perm[c - 1] : c);
  for (const { rel, cls } of job.items) {
    const r = rng(seedOf(job.seed, rel));
    const img = makeImage(r, cls, () => 1 + Math.floor(r() * C), pickSize(r, job.largeShare));
    await writeSynthItem(img, rel, { gtDir: job.gtDir, imageDir: job.imageDir, predDir: job.predDir, predictionSeed: job.seed + 1, style: { classes: C, idOf }, jpegQuality: 60 });
  }
}

/**
 * Writes one synthetic item (the generator and the mini split both come here): its GT mask, its
 * stand-in photo (`rel` with .JPEG) and a perturbed prediction, each where a folder is given.
 */
export async function writeSynthItem(img: SynthImage, rel: string, o: {
  gtDir: string | null; imageDir: string | null; predDir: string | null;
  predictionSeed: number; style: PredictionStyle; jpegQuality: number;
}): Promise<void> {
  const gt = drawGt(img);
  if (o.gtDir) await writeFile(join(o.gtDir, rel), encodeMask(gt, img.width, img.height));
  if (o.imageDir) {
    await sharp(renderPhoto(gt, img.width, img.height), { raw: { width: img.width, height: img.height, channels: 3 } })
      .jpeg({ quality: o.jpegQuality }).toFile(join(o.imageDir, rel.replace(/\.png$/, '.JPEG')));
  }
  if (o.predDir) {
    const { ids } = drawPrediction(rng(seedOf(o.predictionSeed, rel)), img, o.style);
    await writeFile(join(o.predDir, rel), encodeMask(ids, img.width, img.height));
  }
}

/** A stand-in photo: a class colour per object over a vertical gradient, plainly synthetic. */
export function renderPhoto(ids: Uint16Array, width: number, height: number): Buffer {
  const rgb = Buffer.alloc(width * height * 3);
  for (let y = 0, i = 0; y < height; y++) {
    const g = 90 + Math.round((60 * y) / Math.max(1, height - 1));
    for (let x = 0; x < width; x++, i++) {
      const v = ids[i];
      if (v === 0 || v === 1000) { rgb[i * 3] = g; rgb[i * 3 + 1] = g + 10; rgb[i * 3 + 2] = g + 25; }
      else { rgb[i * 3] = (v * 97) & 255; rgb[i * 3 + 1] = (v * 57 + 80) & 255; rgb[i * 3 + 2] = (v * 151 + 40) & 255; }
    }
  }
  return rgb;
}
