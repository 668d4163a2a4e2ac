/** One batch of synthetic images, drawn and written by a worker (or inline). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { encodeMask } from './png-write.ts';
import { drawGt, drawPrediction, makeImage, permutation, pickSize, rng, seedOf } from './synth-image.ts';

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
    const gt = drawGt(img);
    if (job.gtDir) writeFileSync(join(job.gtDir, rel), encodeMask(gt, img.width, img.height));
    if (job.imageDir) await sharp(renderPhoto(gt, img.width, img.height), { raw: { width: img.width, height: img.height, channels: 3 } }).jpeg({ quality: 60 }).toFile(join(job.imageDir, rel.replace(/\.png$/, '.JPEG')));
    if (job.predDir) {
      const { ids } = drawPrediction(rng(seedOf(job.seed + 1, rel)), img, { classes: C, idOf });
      writeFileSync(join(job.predDir, rel), encodeMask(ids, img.width, img.height));
    }
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
