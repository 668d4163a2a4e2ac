/** One batch of synthetic images, drawn and written by a worker (or inline). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeMask } from './png-write.ts';
import { drawGt, drawPrediction, makeImage, permutation, pickSize, rng, seedOf } from './synth-image.ts';

export interface SynthJob {
  items: { rel: string; cls: number }[];
  gtDir: string;
  predDir: string | null;
  classes: number;
  seed: number;
  permuted: boolean;
  largeShare: number;
}

const perms = new Map<string, number[]>();

export function runSynthJob(job: SynthJob): void {
  const C = job.classes;
  const key = `${job.seed}:${C}`;
  let perm = perms.get(key);
  if (job.permuted && !perm) perms.set(key, (perm = permutation(C, rng(seedOf(job.seed, 'permutation')))));
  const idOf = (c: number): number => (job.permuted && perm && c >= 1 && c <= C ? perm[c - 1] : c);
  for (const { rel, cls } of job.items) {
    const r = rng(seedOf(job.seed, rel));
    const img = makeImage(r, cls, () => 1 + Math.floor(r() * C), pickSize(r, job.largeShare));
    writeFileSync(join(job.gtDir, rel), encodeMask(drawGt(img), img.width, img.height));
    if (job.predDir) {
      const { ids } = drawPrediction(rng(seedOf(job.seed + 1, rel)), img, { classes: C, idOf });
      writeFileSync(join(job.predDir, rel), encodeMask(ids, img.width, img.height));
    }
  }
}
